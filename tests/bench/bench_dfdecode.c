/* bench_dfdecode.c - the time of a depth-first decode (issue 18: "per mapping, batched, >= 20x faster
 * than the exact solver"), and a fingerprint of every decision it takes, to compare two builds.
 *
 * Requests: the four cells of bench_dfheads (held-out networks and held-out budget band x latency and
 * energy, N each, the same seeds), then zoo networks of ResNet-50 size and larger on the edge preset
 * (ResNet-50 at 256 KiB / 1 MiB batch 1 and 8; ResNet-18 and MobileNetV2 at 512x512, the YOLOv5s
 * backbone; latency and energy). Per request: the greedy decode (k = 1) and the batched k = 4 decode
 * (df_solve_transformer), ms per mapping and per step (k = 1 ms / layers), medians of REPS runs, and
 * with `exact` the exact depth-first solve (df_solve_exact_in) beside it. Per cell the medians.
 *
 * Fingerprints (FNV-1a, printed per request and in total):
 *   decode   the k = 1 and k = 4 mappings (groups, micro-batches, tiles, modes) and the bits of their
 *            latency, energy and DRAM by df_mapping_eval
 *   trace    a walk through the depth-first schedule API with decisions drawn at random among the
 *            allowed ones (seeded per request): every feature row (raw), action mask, close mask and
 *            the feasible close slots' costs, and the episode's static arrays; covers decisions the
 *            model never takes
 * Two builds decide alike on these requests when both fingerprints agree.
 * Usage: bench_dfdecode WEIGHTS [N per cell (default 10)] [SEED (18)] [REPS (3)] [exact] [zoo|cells];
 * without WEIGHTS it says so and exits 0. Asserts nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "dnnfuser/features.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}
static uint64_t fnv_d(uint64_t h, double v) { return fnv(h, &v, sizeof v); }
static uint64_t fnv_i(uint64_t h, int64_t v) { return fnv(h, &v, sizeof v); }

static uint64_t hash_cost(uint64_t h, const df_group_cost *c) {
    h = fnv_i(h, c->feasible);
    h = fnv_i(h, c->weights_resident);
    h = fnv_i(h, c->micro_batch);
    h = fnv_i(h, c->n_micro);
    h = fnv_i(h, c->footprint_bytes);
    h = fnv_d(h, c->latency_cycles);
    h = fnv_d(h, c->energy_pj);
    return fnv_d(h, c->dram_bytes);
}

static uint64_t hash_mapping(uint64_t h, const df_net *n, const df_mapping *m) {
    h = fnv_i(h, m->n_groups);
    for (int32_t g = 0; g < m->n_groups; g++) {
        const df_group *x = &m->groups[g];
        int64_t v[6] = {x->first, x->last, x->micro_batch, x->tile_rows, x->tile_cols, x->overlap};
        h = fnv(h, v, sizeof v);
    }
    df_metrics mt;
    if (df_mapping_eval(n, m, &mt, NULL, NULL) == DF_OK) {
        h = fnv_d(h, mt.latency_cycles);
        h = fnv_d(h, mt.energy_pj);
        h = fnv_d(h, mt.dram_bytes);
    }
    return h;
}

/* a random allowed index of mask[0..n) (-1: none) */
static int pick(df_rng *r, const uint8_t *mask, int n) {
    int k = 0;
    for (int a = 0; a < n; a++) k += mask[a] != 0;
    if (!k) return -1;
    int w = (int)(df_rng_uniform(r) * k);
    for (int a = 0; a < n; a++)
        if (mask[a] && w-- == 0) return a;
    return -1;
}

/* the trace fingerprint of one request (see the header) */
static uint64_t trace(const df_net *net, df_objective obj, uint64_t seed) {
    df_episode ep;
    df_err e;
    uint64_t h = 0xcbf29ce484222325ULL;
    if (df_episode_init_layout(&ep, net, obj, DF_LAYOUT_DEPTH_FIRST, &e)) return fnv_i(h, -1);
    int32_t L = ep.L;
    h = fnv(h, ep.static_feat, sizeof *ep.static_feat * (size_t)L * DF_FEATURES);
    h = fnv(h, ep.start_ok, sizeof *ep.start_ok * (size_t)L);
    h = fnv(h, ep.alone_cost, sizeof *ep.alone_cost * (size_t)L * 3);
    h = fnv(h, ep.max_single_m, sizeof *ep.max_single_m * (size_t)L);
    h = fnv(h, ep.lbl_cost, sizeof *ep.lbl_cost * (size_t)L * 3);
    df_rng r;
    df_rng_seed(&r, seed);
    df_sched *s = malloc(sizeof *s);
    df_group_memo *memo = NULL;
    if (!s || df_group_memo_new(net, &memo)) {
        free(s);
        df_episode_free(&ep);
        return fnv_i(h, -2);
    }
    df_sched_begin(s);
    float x[DF_FEATURES];
    uint8_t mask[DF_ACTIONS], cm[DF_CLOSE_SLOTS];
    while (s->t < L) {
        df_sched_observe_step_memo(&ep, s, memo, x, mask);
        h = fnv(h, x, sizeof x);
        h = fnv(h, mask, sizeof mask);
        int a = pick(&r, mask, DF_ACTIONS);
        if (a < 0) {
            h = fnv_i(h, -3);
            break;
        }
        /* join half the time when allowed: groups of many layers, where the cost is */
        if (mask[0] && df_rng_uniform(&r) < 0.75) a = 0;
        if (a > 0 && s->t > 0) {
            df_sched_close_mask(&ep, s, cm);
            h = fnv(h, cm, sizeof cm);
            for (int c = 0; c < DF_CLOSE_SLOTS; c++)
                if (s->opt_ok[c]) h = hash_cost(h, &s->opt[c]);
            int c = pick(&r, cm, DF_CLOSE_SLOTS);
            if (c < 0 || df_sched_close(&ep, s, c)) {
                h = fnv_i(h, -4);
                break;
            }
        }
        if (df_sched_apply(&ep, s, a)) {
            h = fnv_i(h, -5);
            break;
        }
        h = hash_cost(h, &s->cur);
    }
    if (s->t == L && s->open) {
        df_sched_close_mask(&ep, s, cm);
        h = fnv(h, cm, sizeof cm);
        int c = pick(&r, cm, DF_CLOSE_SLOTS);
        if (c >= 0 && !df_sched_close(&ep, s, c)) {
            df_metrics mt;
            df_sched_metrics(&ep, s, &mt);
            h = fnv_d(h, mt.latency_cycles);
            h = fnv_d(h, mt.energy_pj);
            h = fnv_d(h, mt.dram_bytes);
        }
    }
    df_group_memo_free(memo);
    free(s);
    df_episode_free(&ep);
    return h;
}

enum { M_K1, M_K4, M_EXACT, M_COUNT };

typedef struct {
    double *ms[M_COUNT], *step;
    int n;
} cell_t;

static uint64_t total_decode = 0xcbf29ce484222325ULL, total_trace = 0xcbf29ce484222325ULL;

static int reps_g = 3, exact_g = 0;

/* one request: times (medians of reps_g) into c, fingerprints printed and folded into the totals */
static void one(df_mapper *mp, const df_net *net, df_objective obj, const char *label, uint64_t seed, cell_t *c) {
    double t[3][16];
    df_mapping m1, m4, ex;
    df_mapping_init(&m1, 16);
    df_mapping_init(&m4, 16);
    df_mapping_init(&ex, 16);
    df_err e;
    int rc1 = 0, rc4 = 0, rce = 0, reps = reps_g > 16 ? 16 : reps_g;
    for (int r = 0; r < reps; r++) {
        double ts = now_s();
        rc1 = df_solve_transformer(mp, net, obj, 1, &m1, NULL, &e);
        t[0][r] = (now_s() - ts) * 1e3;
        ts = now_s();
        rc4 = df_solve_transformer(mp, net, obj, 4, &m4, NULL, &e);
        t[1][r] = (now_s() - ts) * 1e3;
        if (exact_g) {
            ts = now_s();
            rce = df_solve_exact_in(net, obj, DF_SPACE_DEPTH_FIRST, &ex, NULL, &e);
            t[2][r] = (now_s() - ts) * 1e3;
        }
    }
    uint64_t hd = 0xcbf29ce484222325ULL;
    hd = fnv_i(hd, rc1);
    if (!rc1) hd = hash_mapping(hd, net, &m1);
    hd = fnv_i(hd, rc4);
    if (!rc4) hd = hash_mapping(hd, net, &m4);
    uint64_t ht = trace(net, obj, seed);
    total_decode = fnv_i(total_decode, (int64_t)hd);
    total_trace = fnv_i(total_trace, (int64_t)ht);
    int32_t L = df_net_layers(net);
    double k1 = median(t[0], reps), k4 = median(t[1], reps), xe = exact_g && !rce ? median(t[2], reps) : NAN;
    printf("  %-34s L %3d  k=1 %8.2f ms (%6.3f ms/step)  k=4 %8.2f ms  exact %8.2f ms  decode %016llx  trace "
           "%016llx\n",
           label, L, k1, k1 / L, k4, xe, (unsigned long long)hd, (unsigned long long)ht);
    fflush(stdout);
    c->ms[M_K1][c->n] = k1;
    c->ms[M_K4][c->n] = k4;
    c->ms[M_EXACT][c->n] = xe;
    c->step[c->n] = k1 / L;
    c->n++;
    df_mapping_free(&m1);
    df_mapping_free(&m4);
    df_mapping_free(&ex);
}

static void cell_new(cell_t *c, int n) {
    for (int k = 0; k < M_COUNT; k++) c->ms[k] = calloc((size_t)n, sizeof(double));
    c->step = calloc((size_t)n, sizeof(double));
    c->n = 0;
}

static void cell_end(cell_t *c, const char *name) {
    if (c->n)
        printf("%s: %d requests, median k=1 %.2f ms (%.3f ms/step), k=4 %.2f ms, exact depth-first %.2f ms; exact / "
               "k=1 %.2f\n",
               name, c->n, median(c->ms[M_K1], c->n), median(c->step, c->n), median(c->ms[M_K4], c->n),
               exact_g ? median(c->ms[M_EXACT], c->n) : NAN,
               exact_g ? median(c->ms[M_EXACT], c->n) / median(c->ms[M_K1], c->n) : NAN);
    for (int k = 0; k < M_COUNT; k++) free(c->ms[k]);
    free(c->step);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("bench_dfdecode: skipped, no depth-first weights given (usage: bench_dfdecode WEIGHTS [N] [SEED] "
               "[REPS] [exact] [zoo|cells])\n");
        return 0;
    }
    int n = argc > 2 ? atoi(argv[2]) : 10;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 18;
    reps_g = argc > 4 ? atoi(argv[4]) : 3;
    if (reps_g < 1) reps_g = 1;
    int do_cells = 1, do_zoo = 1;
    for (int i = 5; i < argc; i++) {
        if (!strcmp(argv[i], "exact")) exact_g = 1;
        if (!strcmp(argv[i], "zoo")) do_cells = 0;
        if (!strcmp(argv[i], "cells")) do_zoo = 0;
    }
    df_mapper *mp;
    if (bench_load_df_mapper(argv[1], &mp)) return 1;
    int32_t T = df_mapper_config(mp)->T;
    printf("bench_dfdecode %s: %d requests per cell, seed %llu, %d reps, T %d%s\n", argv[1], n,
           (unsigned long long)seed, reps_g, T, exact_g ? ", exact beside" : "");
    static const df_split splits[] = {DF_SPLIT_HELDOUT_NET, DF_SPLIT_HELDOUT_BAND};
    static const df_objective objs[] = {DF_OBJ_LATENCY, DF_OBJ_ENERGY};
    for (int s = 0; do_cells && s < 2; s++)
        for (int o = 0; o < 2; o++) {
            df_rng r;
            df_rng_seed(&r, seed + 100 * (uint64_t)s + (uint64_t)o);
            cell_t c;
            cell_new(&c, n);
            char name[96];
            snprintf(name, sizeof name, "%s, %s", df_split_name(splits[s]), df_objective_name(objs[o]));
            printf("%s\n", name);
            for (int i = 0; i < n; i++) {
                df_request_sample q;
                df_net *net = bench_sample_net(&r, splits[s], T, objs[o], &q);
                if (!net) continue;
                char label[128];
                snprintf(label, sizeof label, "%s b%d %lldK", q.source, (int)q.batch,
                         (long long)(q.hw.buffer_bytes >> 10));
                one(mp, net, objs[o], label, seed * 1000 + (uint64_t)i, &c);
                df_net_free(net);
                df_workload_free(&q.w);
            }
            cell_end(&c, name);
        }
    static const struct {
        const char *net;
        int64_t kib;
        int32_t batch;
    } zp[] = {{"resnet50", 256, 1},     {"resnet50", 1024, 1},       {"resnet50", 1024, 8},
              {"resnet18_512", 512, 1}, {"mobilenetv2_512", 512, 1}, {"yolov5s_backbone", 1024, 1}};
    if (do_zoo) {
        cell_t c;
        int nz = (int)(sizeof zp / sizeof zp[0]);
        cell_new(&c, 2 * nz);
        printf("zoo (edge)\n");
        for (int i = 0; i < nz; i++)
            for (int o = 0; o < 2; o++) {
                df_net *net = bench_edge_net(zp[i].net, zp[i].kib << 10, zp[i].batch);
                if (!net) continue;
                if (df_net_layers(net) > T) fprintf(stderr, "%s: %d layers > T %d\n", zp[i].net, df_net_layers(net), T);
                char label[128];
                snprintf(label, sizeof label, "%s b%d %lldK %s", zp[i].net, (int)zp[i].batch, (long long)zp[i].kib,
                         df_objective_name(objs[o]));
                one(mp, net, objs[o], label, seed * 7000 + (uint64_t)(2 * i + o), &c);
                df_net_free(net);
            }
        cell_end(&c, "zoo (edge)");
    }
    printf("fingerprint decode %016llx trace %016llx\n", (unsigned long long)total_decode,
           (unsigned long long)total_trace);
    df_mapper_free(mp);
    return 0;
}
