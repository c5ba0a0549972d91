/* bench_dfheads.c - which head of a depth-first model costs the quality (issue 18): on held-out
 * requests (held-out networks, held-out budget band; sampler.h) per objective, the model's greedy
 * decode against the exact depth-first optimum (df_solve_exact_in), and the same groups and
 * micro-batches with each group's close (tile x overlap, one of the decoder's close slots: whole or
 * one of df_tile_options of its last layer) replaced by the feasible one the cost model scores best.
 *
 *   decoded      the model as it answers (greedy, k = 1): both heads
 *   best close   the model's groups and micro-batches (the action head), the best close per group:
 *                latency and energy are sums over the groups (df_mapping_eval; COST_MODEL.md "Fused
 *                groups"), so the per-group minimum is the best close assignment for those groups
 *   whole if fits  the model's groups and micro-batches, every group whole where it fits whole, else
 *                its best tile: how much the tiles the closes pick are worth beyond feasibility
 *   best m + close  the model's group boundaries only, each group's micro-batch and close the best
 *                (the same per-group minimum over df_micro_batches x closes)
 *   decoded + repair  the decode after df_repair_in over the depth-first space (1000 moves, the
 *                check before reply's budget; the daemon repairs only an answer worse than lbl)
 *   batch exact  the batch-only optimum (df_solve_exact): the depth-first gain the exact solver finds
 *   batch + forms  that optimum with each group's best form in the depth-first space (df_repair_forms)
 *   best of 4    the model with 4 candidates (0 greedy, 1-3 sampled through both heads), best kept
 *   decoded + check, best of 4 + check  those through the check before reply as both doors run it
 *                (df_answer_check_decoded: the path counts and the time it adds are printed)
 *   lbl-only check  the check as it was before the batch-only bar (issue 18): the greedy decode kept
 *                unless worse than layer-by-layer, then df_repair_in (1000 moves), then the exact
 *                depth-first optimum
 *   forms always the better of the greedy decode with each group's best form (df_repair_forms) and
 *                batch + forms: the check if it always searched the decode's forms (it does only
 *                for a decode worse than the batch-only optimum or layer-by-layer)
 *
 * Ratios are value / exact depth-first value; geomean over the feasible ones, worst, and how many
 * are feasible / optimal. decoded / best close is the close head's share, best close / exact the
 * action head's. Prints figures, asserts nothing.
 * Usage: bench_dfheads WEIGHTS [N requests per split and objective (default 40)] [SEED (default 18)]
 *        [norepair: skip decoded + repair, the slow column];
 * without WEIGHTS (make bench) it says so and exits 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "dnnfuser/answer.h"
#include "dnnfuser/features.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/tile.h"

enum {
    V_DECODED,
    V_BEST_CLOSE,
    V_WHOLE,
    V_BEST_MB,
    V_REPAIRED,
    V_BATCH_EXACT,
    V_BATCH_FORMS,
    V_BEST4,
    V_CHECKED,
    V_CHECKED4,
    V_OLD_CHECK,
    V_ALWAYS_FORMS,
    V_COUNT
};
static const char *const v_names[V_COUNT] = {
    "decoded",       "best close", "whole if fits",   "best m + close",    "decoded + repair", "batch exact",
    "batch + forms", "best of 4",  "decoded + check", "best of 4 + check", "lbl-only check",   "forms always"};
/* per-request times (ms) of the steps the answer path runs */
enum { T_DECODE1, T_DECODE4, T_BATCH_EXACT, T_FORMS, T_CHECK1, T_CHECK4, T_DF_EXACT, T_COUNT };
static const char *const t_names[T_COUNT] = {"decode k=1", "decode k=4", "batch exact",      "forms (decoded)",
                                             "check k=1",  "check k=4",  "depth-first exact"};

typedef struct {
    double lg, worst;
    int feasible, opt, n;
    char at[96]; /* the worst request: source, batch, budget */
} agg;

static void add(agg *a, double v, double ex, const df_request_sample *q) {
    double r = v / ex;
    a->n++;
    if (!isfinite(r)) return;
    a->feasible++;
    a->lg += log(r);
    if (r > a->worst) {
        a->worst = r;
        snprintf(a->at, sizeof a->at, "%s batch %d, %lld KiB", q->source, (int)q->batch,
                 (long long)(q->hw.buffer_bytes >> 10));
    }
    a->opt += r <= 1 + 1e-9;
}

static double value(const df_net *n, const df_mapping *m, df_objective o) {
    df_metrics mt;
    if (df_mapping_eval(n, m, &mt, NULL, NULL) || !mt.feasible) return INFINITY;
    return df_objective_value(o, &mt);
}

/* the objective's share of one group (latency or energy: the metrics are sums over groups) */
static double group_value(df_objective o, const df_group_cost *c) {
    return o == DF_OBJ_ENERGY ? c->energy_pj : o == DF_OBJ_DRAM ? c->dram_bytes : c->latency_cycles;
}

/* The best close of group g (its first, last, micro-batch) into *best: whole_first 0, the feasible
 * close (whole or a tile option of its last layer) of least objective; 1, whole when that fits, else
 * the best tile. Returns its objective share (INFINITY: no close fits). */
static double best_close(const df_net *net, const df_group *g, df_objective o, int whole_first, df_group *best) {
    df_tile_option opts[DF_MAX_TILE_OPTIONS];
    df_group cand = *g;
    cand.tile_rows = cand.tile_cols = 0;
    cand.overlap = 0;
    *best = cand;
    df_group_cost c;
    double bv = INFINITY;
    if (df_group_eval_tiled(net, &cand, &c) == DF_OK && c.feasible) bv = group_value(o, &c);
    if (whole_first && isfinite(bv)) return bv;
    int32_t n = df_tile_options(df_net_workload(net), g->last, opts);
    for (int32_t i = 0; i < n; i++) {
        cand.tile_rows = opts[i].rows;
        cand.tile_cols = opts[i].cols;
        cand.overlap = opts[i].overlap;
        if (df_group_eval_tiled(net, &cand, &c) == DF_OK && c.feasible && group_value(o, &c) < bv) {
            bv = group_value(o, &c);
            *best = cand;
        }
    }
    return bv;
}

enum { RC_BEST_CLOSE, RC_WHOLE_FIRST, RC_BEST_MB_CLOSE };

/* out = m's groups with each group's close (and for RC_BEST_MB_CLOSE its micro-batch, over
 * df_micro_batches of the batch) replaced by the best one (best_close). Returns the number of groups
 * whose close or micro-batch changed. */
static int reclose(const df_net *net, const df_mapping *m, df_objective o, int mode, df_mapping *out) {
    df_mapping_copy(out, m);
    int32_t mbs[1024];
    int32_t N = df_net_batch(net), nm = N <= 1024 ? df_micro_batches(N, mbs) : 0;
    int changed = 0;
    for (int32_t g = 0; g < out->n_groups; g++) {
        df_group *gr = &out->groups[g], best, cand;
        double bv = best_close(net, gr, o, mode == RC_WHOLE_FIRST, &best);
        for (int32_t k = 0; mode == RC_BEST_MB_CLOSE && k < nm; k++) {
            df_group at = *gr;
            at.micro_batch = mbs[k];
            double v = best_close(net, &at, o, 0, &cand);
            if (v < bv) {
                bv = v;
                best = cand;
            }
        }
        changed += best.micro_batch != gr->micro_batch || best.tile_rows != gr->tile_rows ||
                   best.tile_cols != gr->tile_cols || (best.tile_rows && best.overlap != gr->overlap);
        *gr = best;
    }
    return changed;
}

/* the check before reply of decoded on (net, obj) in the depth-first space, as both doors run it;
 * its value (INFINITY: failed), *ms the time it took, the path counted in paths */
static double checked(const df_net *net, df_objective obj, const df_mapping *decoded, double *ms, int *paths) {
    df_request rq = {.net = (df_net *)net, .obj = obj, .space = DF_SPACE_DEPTH_FIRST, .solver = DF_SOLVER_TRANSFORMER};
    df_answer an;
    df_fail f;
    double t = now_s();
    int rc = df_answer_check_decoded(&rq, NULL, DF_OK, decoded, 0, NULL, &an, &f);
    *ms = (now_s() - t) * 1e3;
    if (rc) return INFINITY;
    static const char *const p[] = {"transformer", "repaired", "exact-fallback"};
    for (int i = 0; i < 3; i++) paths[i] += !strcmp(an.path, p[i]);
    double v = an.met.feasible ? df_objective_value(obj, &an.met) : INFINITY;
    df_answer_free(&an);
    return v;
}

static void run(df_mapper *mp, df_split split, df_objective obj, int n, uint64_t seed, int repair) {
    df_rng r;
    df_rng_seed(&r, seed);
    agg a[V_COUNT];
    for (int v = 0; v < V_COUNT; v++) a[v] = (agg){0, 1, 0, 0, 0, "-"};
    double tsum[T_COUNT] = {0}, tmax[T_COUNT] = {0}, *tall = calloc((size_t)(n > 0 ? n : 1) * T_COUNT, sizeof *tall);
    int tn = 0, paths1[3] = {0}, paths4[3] = {0}, old_trig = 0, over_ref = 0;
    int32_t T = df_mapper_config(mp)->T;
    long groups = 0, tiled_dec = 0, tiled_best = 0, changed = 0, mb_changed = 0;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        df_request_sample q;
        df_err e;
        df_net *net = bench_sample_net(&r, split, T, obj, &q);
        if (!net) continue;
        df_mapping ex, bx, t1, t4, bc, wh, bm;
        df_mapping_init(&bm, 16);
        df_mapping_init(&ex, 16);
        df_mapping_init(&bx, 16);
        df_mapping_init(&t1, 16);
        df_mapping_init(&t4, 16);
        df_mapping_init(&bc, 16);
        df_mapping_init(&wh, 16);
        double tm[T_COUNT] = {0}, ts = now_s();
        if (!df_solve_exact_in(net, obj, DF_SPACE_DEPTH_FIRST, &ex, NULL, &e)) {
            tm[T_DF_EXACT] = (now_s() - ts) * 1e3;
            double ve = value(net, &ex, obj);
            over_ref += df_answer_exact_predict_ms(net, obj) > 50; /* answer.c DF_BATCH_REF_MS */
            ts = now_s();
            double vb = df_solve_exact(net, obj, &bx, NULL, &e) ? INFINITY : value(net, &bx, obj);
            tm[T_BATCH_EXACT] = (now_s() - ts) * 1e3;
            double vbf = INFINITY;
            if (isfinite(vb) && !df_repair_forms(net, obj, DF_SPACE_DEPTH_FIRST, &bx, NULL, NULL, &e))
                vbf = value(net, &bx, obj);
            double v1 = INFINITY, vc = INFINITY, vw = INFINITY, vm = INFINITY, vr = INFINITY, v4 = INFINITY,
                   vk1 = INFINITY, vk4 = INFINITY, vo = INFINITY, vaf = INFINITY;
            ts = now_s();
            int rc4 = df_solve_transformer(mp, net, obj, 4, &t4, NULL, &e);
            tm[T_DECODE4] = (now_s() - ts) * 1e3;
            if (!rc4) {
                v4 = value(net, &t4, obj);
                vk4 = checked(net, obj, &t4, &tm[T_CHECK4], paths4);
            }
            ts = now_s();
            int rc1 = df_solve_transformer(mp, net, obj, 1, &t1, NULL, &e);
            tm[T_DECODE1] = (now_s() - ts) * 1e3;
            if (!rc1) {
                v1 = value(net, &t1, obj);
                vk1 = checked(net, obj, &t1, &tm[T_CHECK1], paths1);
                changed += reclose(net, &t1, obj, RC_BEST_CLOSE, &bc);
                vc = value(net, &bc, obj);
                reclose(net, &t1, obj, RC_WHOLE_FIRST, &wh);
                vw = value(net, &wh, obj);
                mb_changed += reclose(net, &t1, obj, RC_BEST_MB_CLOSE, &bm);
                vm = value(net, &bm, obj);
                df_mapping_copy(&bm, &t1);
                ts = now_s();
                df_repair_forms(net, obj, DF_SPACE_DEPTH_FIRST, &bm, NULL, NULL, &e);
                tm[T_FORMS] = (now_s() - ts) * 1e3;
                double vf = value(net, &bm, obj);
                vaf = vf < vbf ? vf : vbf;
                if (fabs(vf - vm) > 1e-9 * vm && obj != DF_OBJ_EDP)
                    fprintf(stderr, "warning: df_repair_forms %.9g, best m + close %.9g\n", vf, vm);
                groups += t1.n_groups;
                for (int32_t g = 0; g < t1.n_groups; g++) {
                    tiled_dec += !df_group_is_whole(net, &t1.groups[g]);
                    tiled_best += !df_group_is_whole(net, &bc.groups[g]);
                }
                /* the lbl-only check (before the batch-only bar): repairs only what is worse than lbl */
                df_mapping lb;
                df_mapping_init(&lb, 16);
                double vl = df_solve_lbl(net, obj, &lb, NULL, &e) ? INFINITY : value(net, &lb, obj);
                vo = v1;
                if (!(v1 <= vl * (1 + 1e-9))) {
                    old_trig++;
                    df_mapping_copy(&lb, &t1);
                    vo = df_repair_in(net, obj, DF_SPACE_DEPTH_FIRST, &lb, 1000, NULL, &e) ? INFINITY
                                                                                           : value(net, &lb, obj);
                    if (!(vo <= vl * (1 + 1e-9))) vo = ve;
                }
                df_mapping_free(&lb);
                /* last: repairs t1 in place */
                if (repair && !df_repair_in(net, obj, DF_SPACE_DEPTH_FIRST, &t1, 1000, NULL, &e))
                    vr = value(net, &t1, obj);
                if (vc > v1 * (1 + 1e-9) || vm > vc * (1 + 1e-9))
                    fprintf(stderr, "warning: not monotone: decoded %.6g, best close %.6g, best m %.6g\n", v1, vc, vm);
            }
            add(&a[V_DECODED], v1, ve, &q);
            add(&a[V_BEST_CLOSE], vc, ve, &q);
            add(&a[V_WHOLE], vw, ve, &q);
            add(&a[V_BEST_MB], vm, ve, &q);
            add(&a[V_REPAIRED], vr, ve, &q);
            add(&a[V_BATCH_EXACT], vb, ve, &q);
            add(&a[V_BATCH_FORMS], vbf, ve, &q);
            add(&a[V_BEST4], v4, ve, &q);
            add(&a[V_CHECKED], vk1, ve, &q);
            add(&a[V_CHECKED4], vk4, ve, &q);
            add(&a[V_OLD_CHECK], vo, ve, &q);
            add(&a[V_ALWAYS_FORMS], vaf, ve, &q);
            for (int k = 0; k < T_COUNT; k++) {
                tsum[k] += tm[k];
                if (tm[k] > tmax[k]) tmax[k] = tm[k];
                if (tall) tall[(size_t)k * n + tn] = tm[k];
            }
            tn++;
        }
        df_mapping_free(&ex);
        df_mapping_free(&bx);
        df_mapping_free(&t1);
        df_mapping_free(&t4);
        df_mapping_free(&bc);
        df_mapping_free(&wh);
        df_mapping_free(&bm);
        df_net_free(net);
        df_workload_free(&q.w);
    }
    printf("%s, %s: %d requests (%.0f s)\n", df_split_name(split), df_objective_name(obj), a[V_DECODED].n,
           now_s() - t0);
    for (int v = 0; v < V_COUNT; v++)
        printf("  %-17s geomean %.4f  worst %8.3f  feasible %3d/%d  optimal %3d  (worst: %s)\n", v_names[v],
               a[v].feasible ? exp(a[v].lg / a[v].feasible) : NAN, a[v].worst, a[v].feasible, a[v].n, a[v].opt,
               a[v].at);
    printf("  groups %ld: tiled as decoded %ld, with the best close %ld; closes changed %ld; groups whose best "
           "(m, close) differs %ld\n",
           groups, tiled_dec, tiled_best, changed, mb_changed);
    printf("  check paths (transformer / repaired / exact-fallback): k=1 %d / %d / %d, k=4 %d / %d / %d; the "
           "lbl-only check repaired %d; batch exact predicted above 50 ms (the check skips it) %d\n",
           paths1[0], paths1[1], paths1[2], paths4[0], paths4[1], paths4[2], old_trig, over_ref);
    printf("  ms per request, median / mean / max:");
    for (int k = 0; k < T_COUNT; k++)
        printf("%s %s %.1f / %.1f / %.1f", k ? ";" : "", t_names[k], tn && tall ? median(&tall[(size_t)k * n], tn) : 0,
               tn ? tsum[k] / tn : 0, tmax[k]);
    printf("\n");
    free(tall);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc < 2) { /* make bench runs every bench without arguments; the shipped weights are batch */
        printf("bench_dfheads: skipped, no depth-first weights given (usage: bench_dfheads WEIGHTS [N] [SEED]; "
               "dnnfuser-train --space depth_first writes them)\n");
        return 0;
    }
    int n = argc > 2 ? atoi(argv[2]) : 40;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 18;
    int repair = !(argc > 4 && !strcmp(argv[4], "norepair"));
    df_mapper *mp;
    if (bench_load_df_mapper(argv[1], &mp)) return 1;
    printf("bench_dfheads %s: %d requests per split and objective, seed %llu; ratios to the exact depth-first "
           "optimum\n",
           argv[1], n, (unsigned long long)seed);
    static const df_split splits[] = {DF_SPLIT_HELDOUT_NET, DF_SPLIT_HELDOUT_BAND};
    static const df_objective objs[] = {DF_OBJ_LATENCY, DF_OBJ_ENERGY};
    for (int s = 0; s < 2; s++)
        for (int o = 0; o < 2; o++) run(mp, splits[s], objs[o], n, seed + 100 * (uint64_t)s + (uint64_t)o, repair);
    df_mapper_free(mp);
    return 0;
}
