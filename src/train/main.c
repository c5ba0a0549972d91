/* main.c - dnnfuser-train (`make weights`): generates teacher trajectories with the exact solver over
 * the training split (sampler.h), trains the GPT mapper on them (cross-entropy on the teacher's
 * actions under the feasibility mask, AdamW, clipping, warmup + cosine learning rate, fixed seeds),
 * prints loss, throughput and ETA, writes the weights file, and reports greedy quality against the
 * exact solver on held-out requests.
 *
 * --space depth_first trains the depth-first layout (features.h): A = DF_DF_OUTPUTS logits per
 * token, the per-layer action head on the first DF_ACTIONS and the close head on the last
 * DF_CLOSE_SLOTS (df_gpt_forward_heads); each close decision of the labels (cmask/ctarget of a row, and
 * emask/etarget on the last row of a sequence, dataset.h) is one close-head decision under its
 * recorded mask, the mask the decoder applies. Loss = action mean + close weight x close mean.
 *
 * --round-f16 rounds the matrices the decode's packed products read (w_in, w_head, qkvw, attprojw, fcw,
 * fcprojw; df_gpt_round_f16) to the nearest binary16 before the file is written, so the decoder's
 * binary16 weight panels are lossless and on by default (gpt.h). With --from IN it only loads IN,
 * rounds, and writes --out (no data, no training), keeping IN's metadata text with one line added. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataset.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/solve.h"

typedef struct {
    int32_t samples, steps, batch, threads, d, layers, heads, ctx, eval, val;
    float lr;
    uint64_t seed;
    const char *out;
    df_space space;
    int data_only;
    float close_weight;
    int round_f16;    /* --round-f16 */
    const char *from; /* --from: round this weights file instead of training */
} opts;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void progress(int32_t done, int32_t total, void *ctx) {
    double *t0 = ctx, el = now_s() - *t0;
    double eta = done > 0 ? el * (total - done) / done : 0;
    fprintf(stderr, "\rdata: %d/%d trajectories, %.0f s elapsed, ETA %.0f s   ", done, total, el, eta);
    if (done >= total) fputc('\n', stderr);
}

static void usage(FILE *f) {
    fprintf(f, "usage: dnnfuser-train [options]\n"
               "  --samples N     teacher trajectories (default 30000)\n"
               "  --steps N       optimiser steps (default 6000)\n"
               "  --batch N       sequences per step (default 16)\n"
               "  --lr X          peak learning rate (default 1e-3)\n"
               "  --d N --layers N --heads N --ctx N   model size (default 128, 4, 4, 192)\n"
               "  --threads N     data-generation threads (default 2)\n"
               "  --eval N        held-out requests per split for the final report (default 100)\n"
               "  --val N         validation trajectories (fresh samples of the training split, another seed):\n"
               "                  their mean losses before training, every 100 steps and at the end (default 0)\n"
               "  --seed N        dataset and initialisation seed (default 2026)\n"
               "  --out PATH      weights file (default weights/dnnfuser.weights)\n"
               "  --space S       teacher map-space: batch (default) or depth_first (labelled and trained in the\n"
               "                  depth-first action layout: the per-layer actions plus the close head, the tile\n"
               "                  and overlap mode of each group as it closes)\n"
               "  --close-weight X  depth_first: weight of the close head's mean loss in the total (default 1)\n"
               "  --data-only     generate the teacher data, print its statistics and stop\n"
               "  --round-f16     round the linear weights (w_in, w_head, qkv, attn proj, fc, fc proj) to the\n"
               "                  nearest binary16 before writing: the decoder's binary16 panels are then\n"
               "                  lossless and on by default\n"
               "  --from IN       with --round-f16: load the weights file IN, round it, write --out (no training)\n");
}

static int parse(int argc, char **argv, opts *o) {
    *o = (opts){.samples = 30000,
                .steps = 6000,
                .batch = 16,
                .threads = 2,
                .d = 128,
                .layers = 4,
                .heads = 4,
                .ctx = 192,
                .eval = 100,
                .lr = 1e-3f,
                .seed = 2026,
                .out = "weights/dnnfuser.weights",
                .space = DF_SPACE_BATCH,
                .close_weight = 1.0f};
    static const struct option lo[] = {{"samples", 1, 0, 's'},
                                       {"steps", 1, 0, 'n'},
                                       {"batch", 1, 0, 'b'},
                                       {"lr", 1, 0, 'l'},
                                       {"d", 1, 0, 'd'},
                                       {"layers", 1, 0, 'L'},
                                       {"heads", 1, 0, 'H'},
                                       {"ctx", 1, 0, 'T'},
                                       {"threads", 1, 0, 'j'},
                                       {"eval", 1, 0, 'e'},
                                       {"seed", 1, 0, 'S'},
                                       {"out", 1, 0, 'o'},
                                       {"space", 1, 0, 'p'},
                                       {"data-only", 0, 0, 'D'},
                                       {"help", 0, 0, 'h'},
                                       {"val", 1, 0, 'V'},
                                       {"close-weight", 1, 0, 'w'},
                                       {"round-f16", 0, 0, 'R'},
                                       {"from", 1, 0, 'F'},
                                       {0, 0, 0, 0}};
    int c, li = 0;
    while ((c = getopt_long(argc, argv, "h", lo, &li)) != -1) {
        char *end = NULL;
        long v = optarg ? strtol(optarg, &end, 10) : 0;
        int bad = optarg && (*end || v < 1 || v > 100000000);
        switch (c) {
        case 's': o->samples = (int32_t)v; break;
        case 'n': o->steps = (int32_t)v; break;
        case 'b': o->batch = (int32_t)v; break;
        case 'd': o->d = (int32_t)v; break;
        case 'L': o->layers = (int32_t)v; break;
        case 'H': o->heads = (int32_t)v; break;
        case 'T': o->ctx = (int32_t)v; break;
        case 'j': o->threads = (int32_t)v; break;
        case 'e': o->eval = (int32_t)v; break;
        case 'V': o->val = (int32_t)v; break;
        case 'S':
            o->seed = (uint64_t)strtoull(optarg, &end, 10);
            bad = *end != 0;
            break;
        case 'l':
            o->lr = strtof(optarg, &end);
            bad = *end || !(o->lr > 0 && o->lr < 1);
            break;
        case 'o':
            o->out = optarg;
            bad = 0;
            break;
        case 'p': bad = df_space_parse(optarg, &o->space) != DF_OK; break;
        case 'D': o->data_only = 1; break;
        case 'R': o->round_f16 = 1; break;
        case 'F':
            o->from = optarg;
            bad = 0;
            break;
        case 'w':
            o->close_weight = strtof(optarg, &end);
            bad = *end || !(o->close_weight >= 0 && o->close_weight <= 100);
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return 2;
        }
        if (bad) {
            fprintf(stderr, "dnnfuser-train: bad value '%s' for --%s\n", optarg, lo[li].name);
            return 2;
        }
    }
    if (o->from && !o->round_f16) {
        fprintf(stderr, "dnnfuser-train: --from needs --round-f16 (it only rounds an existing file)\n");
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "dnnfuser-train: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return 0;
}

/* df_gpt_round_f16 on model and one line about it appended to meta's text (refused when the text has
 * no room for it: nothing is cut). */
static int round_f16(df_gpt *model, df_train_meta *meta, df_err *e) {
    double max_rel;
    size_t changed = df_gpt_round_f16(model, &max_rel);
    if (!changed) { /* already binary16 values: the file stays as it was */
        printf("rounded to binary16: the linear weights already were binary16 values, unchanged\n");
        return DF_OK;
    }
    size_t used = strlen(meta->text);
    int n = snprintf(meta->text + used, sizeof meta->text - used,
                     "%sRounded to binary16 (dnnfuser-train --round-f16): %zu linear weights changed, largest "
                     "relative change %.3g; biases and layer norms as trained.",
                     used ? "\n" : "", changed, max_rel);
    if (n < 0 || (size_t)n >= sizeof meta->text - used) {
        meta->text[used] = 0;
        return df_err_set(e, DF_ELIMIT, NULL, "metadata text (%zu bytes) has no room for the rounding note", used);
    }
    printf("rounded to binary16: %zu linear weights changed, largest relative change %.3g; lossless in binary16: %s\n",
           changed, max_rel, df_gpt_f16_lossless(model) ? "yes" : "no");
    return DF_OK;
}

/* --round-f16 --from IN --out OUT: load, round, write */
static int round_file(const opts *o) {
    df_gpt model;
    df_feature_norm norm;
    df_train_meta meta;
    df_err e;
    if (df_weights_load(o->from, &model, &norm, &meta, &e)) {
        fprintf(stderr, "dnnfuser-train: %s: %s\n", o->from, e.msg);
        return 1;
    }
    int rc = round_f16(&model, &meta, &e) || df_weights_save(o->out, &model, &norm, &meta, &e);
    if (rc)
        fprintf(stderr, "dnnfuser-train: %s\n", e.msg);
    else
        printf("wrote %s (%zu parameters) from %s\n", o->out, model.num_params, o->from);
    df_gpt_free(&model);
    df_feature_norm_free(&norm);
    return rc ? 1 : 0;
}

/* What the teacher chose: groups, tiled groups and their overlap modes, micro-batches without a slot,
 * and in the depth-first layout the close slots used (whole, tiles). */
static void print_teacher_stats(const df_dataset *ds) {
    const df_teacher_stats *st = &ds->st;
    printf("teacher: %lld groups (%.2f per trajectory), %lld tiled (%.1f%%: recompute %lld, cache_rows %lld, "
           "cache_all %lld), %lld with a micro-batch without a slot (labelled at the slot below)\n",
           (long long)st->groups, ds->n ? (double)st->groups / ds->n : 0.0, (long long)st->tiled,
           st->groups ? 100.0 * st->tiled / st->groups : 0.0, (long long)st->by_mode[DF_OVERLAP_RECOMPUTE],
           (long long)st->by_mode[DF_OVERLAP_CACHE_ROWS], (long long)st->by_mode[DF_OVERLAP_CACHE_ALL],
           (long long)st->rounded);
    if (ds->layout != DF_LAYOUT_DEPTH_FIRST) return;
    int64_t used[DF_CLOSE_SLOTS] = {0}, closes = 0, allowed = 0;
    for (int64_t r = 0; r < ds->rows; r++)
        if (ds->ctarget[r] >= 0) {
            used[ds->ctarget[r]]++;
            closes++;
            for (int c = 0; c < DF_CLOSE_SLOTS; c++) allowed += ds->cmask[(size_t)r * DF_CLOSE_SLOTS + c];
        }
    for (int32_t i = 0; i < ds->n; i++) {
        used[ds->etarget[i]]++;
        closes++;
        for (int c = 0; c < DF_CLOSE_SLOTS; c++) allowed += ds->emask[(size_t)i * DF_CLOSE_SLOTS + c];
    }
    int distinct = 0;
    for (int c = 1; c < DF_CLOSE_SLOTS; c++) distinct += used[c] > 0;
    printf("close decisions: %lld (whole %lld, tile slots %lld), %d of %d tile slots used, %.1f slots allowed per "
           "decision on average\n",
           (long long)closes, (long long)used[0], (long long)(closes - used[0]), distinct, DF_CLOSE_SLOTS - 1,
           closes ? (double)allowed / closes : 0.0);
}

/* Greedy (k = 1) and best-of-4 quality against the exact solver of the same map-space on held-out
 * requests. */
static void evaluate(df_mapper *mp, df_space space, df_split split, int32_t n, uint64_t seed, int32_t ctx) {
    df_rng r;
    df_rng_seed(&r, seed);
    double lg1 = 0, lg4 = 0, worst1 = 1, worst4 = 1;
    int32_t eq1 = 0, cnt = 0;
    for (int32_t i = 0; i < n; i++) {
        df_request_sample q;
        df_err e;
        if (df_sample_request(&r, split, ctx, &q, &e)) continue;
        df_net *net;
        if (df_net_init(&net, &q.w, &q.hw, q.batch, &e)) {
            df_workload_free(&q.w);
            continue;
        }
        df_mapping ex, t1, t4;
        df_mapping_init(&ex, 16);
        df_mapping_init(&t1, 16);
        df_mapping_init(&t4, 16);
        df_metrics me, m1, m4;
        if (!df_solve_exact_in(net, q.obj, space, &ex, NULL, &e) &&
            !df_solve_transformer(mp, net, q.obj, 1, &t1, NULL, &e) &&
            !df_solve_transformer(mp, net, q.obj, 4, &t4, NULL, &e) && !df_mapping_eval(net, &ex, &me, NULL, &e) &&
            !df_mapping_eval(net, &t1, &m1, NULL, &e) && !df_mapping_eval(net, &t4, &m4, NULL, &e)) {
            double v = df_objective_value(q.obj, &me), r1 = df_objective_value(q.obj, &m1) / v,
                   r4 = df_objective_value(q.obj, &m4) / v;
            lg1 += log(r1);
            lg4 += log(r4);
            if (r1 > worst1) worst1 = r1;
            if (r4 > worst4) worst4 = r4;
            eq1 += r1 <= 1 + 1e-9;
            cnt++;
        }
        df_mapping_free(&ex);
        df_mapping_free(&t1);
        df_mapping_free(&t4);
        df_net_free(net);
        df_workload_free(&q.w);
    }
    if (cnt)
        printf("eval %-12s n=%d greedy: geomean %.4f worst %.3f optimal %.0f%% | best-of-4: geomean %.4f worst %.3f\n",
               df_split_name(split), cnt, exp(lg1 / cnt), worst1, 100.0 * eq1 / cnt, exp(lg4 / cnt), worst4);
}

/* The training forward of the laid-out batch (nb sequences of Tb rows): one head in the batch layout,
 * the action and close heads in the depth-first layout (l1, l2: their means; 0 in the batch layout). */
static int forward_batch(df_gpt *model, const df_batch *bb, int nb, int32_t Tb, int dfl, float close_weight,
                         float *loss, float *l1, float *l2, df_err *e) {
    *l1 = *l2 = 0;
    if (!dfl) return df_gpt_forward(model, bb->x, bb->tg, bb->mk, nb, Tb, loss, e);
    df_gpt_heads h = {.A1 = DF_ACTIONS,
                      .targets = bb->tg,
                      .mask = bb->mk,
                      .n = bb->n_close,
                      .row = bb->crow,
                      .target = bb->ctg,
                      .mask2 = bb->cmk,
                      .weight = close_weight};
    return df_gpt_forward_heads(model, bb->x, &h, nb, Tb, loss, l1, l2, e);
}

/* Mean losses over every decision of a validation set (forward only): *v1 the actions', *v2 the
 * closes' (0 in the batch layout). */
static int val_loss(df_gpt *model, df_batch *bb, const df_dataset *val, int dfl, double *v1, double *v2, df_err *e) {
    double s1 = 0, s2 = 0;
    int64_t n1 = 0, n2 = 0;
    for (int32_t i = 0; i < val->n; i += (int32_t)bb->B) {
        size_t nb = (size_t)(val->n - i) < bb->B ? (size_t)(val->n - i) : bb->B;
        for (size_t b = 0; b < nb; b++) bb->pick[b] = i + (int32_t)b;
        int32_t Tb = df_batch_fill(bb, val, nb);
        float loss, l1, l2;
        int rc = forward_batch(model, bb, (int)nb, Tb, dfl, 1.0f, &loss, &l1, &l2, e);
        if (rc) return rc;
        s1 += (double)(dfl ? l1 : loss) * model->last_n_targets;
        n1 += model->last_n_targets;
        if (dfl) {
            s2 += (double)l2 * model->head_n2;
            n2 += model->head_n2;
        }
    }
    *v1 = n1 ? s1 / n1 : 0;
    *v2 = n2 ? s2 / n2 : 0;
    return DF_OK;
}

/* prints the validation losses after `step` steps */
static int report_val(df_gpt *model, df_batch *bb, const df_dataset *val, int dfl, int32_t step, df_err *e) {
    double v1, v2;
    int rc = val_loss(model, bb, val, dfl, &v1, &v2, e);
    if (rc) {
        fprintf(stderr, "dnnfuser-train: validation: %s\n", e->msg);
        return rc;
    }
    if (dfl)
        printf("val step %5d: action loss %.4f, close loss %.4f\n", step, v1, v2);
    else
        printf("val step %5d: loss %.4f\n", step, v1);
    fflush(stdout);
    return DF_OK;
}

/* close decision i of a data set: rows first (those with a target), then each sequence's final close */
static int32_t close_at(const df_dataset *ds, int64_t i, const uint8_t **mask) {
    if (i < ds->rows) {
        *mask = &ds->cmask[(size_t)i * DF_CLOSE_SLOTS];
        return ds->ctarget[i];
    }
    *mask = &ds->emask[(size_t)(i - ds->rows) * DF_CLOSE_SLOTS];
    return ds->etarget[i - ds->rows];
}

/* What a close-head loss compares with, over the training decisions: a uniform choice among the
 * allowed slots (mean log of their count), and a context-free choice, the teacher's slot frequencies
 * renormalised over each decision's mask. */
static void print_close_baseline(const df_dataset *ds) {
    double freq[DF_CLOSE_SLOTS] = {0}, lu = 0, lf = 0;
    int64_t n = 0;
    const uint8_t *mk;
    for (int64_t i = 0; i < ds->rows + ds->n; i++) {
        int32_t tg = close_at(ds, i, &mk);
        if (tg >= 0) freq[tg]++, n++;
    }
    if (!n) return;
    for (int64_t i = 0; i < ds->rows + ds->n; i++) {
        int32_t tg = close_at(ds, i, &mk);
        if (tg < 0) continue;
        double allowed = 0, z = 0;
        for (int c = 0; c < DF_CLOSE_SLOTS; c++) allowed += mk[c], z += mk[c] ? freq[c] : 0;
        lu += log(allowed);
        lf += log(z / freq[tg]);
    }
    /* the last token also closes the group before it when it starts one: two decisions, one set of logits */
    int64_t shared = 0, same = 0;
    for (int32_t i = 0; i < ds->n; i++) {
        int64_t last = ds->off[i + 1] - 1;
        if (ds->ctarget[last] < 0) continue;
        shared++;
        same += ds->ctarget[last] == ds->etarget[i];
    }
    printf("close head: %lld decisions, whole in %.1f%%; baseline losses: uniform over the allowed slots %.4f, "
           "the teacher's slot frequencies over the allowed slots %.4f; %lld sequences close twice on their last "
           "row (%lld with the same slot)\n",
           (long long)n, 100.0 * freq[0] / n, lu / n, lf / n, (long long)shared, (long long)same);
}

int main(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : 2;
    if (o.from) return round_file(&o);
    df_err e;
    double t0 = now_s();
    df_dataset ds;
    if (df_dataset_generate_in(&ds, DF_SPLIT_TRAIN, o.space, o.samples, o.seed, o.ctx, o.threads, progress, &t0, &e)) {
        fprintf(stderr, "dnnfuser-train: %s\n", e.msg);
        return 1;
    }
    double tdata = now_s() - t0;
    printf("data: %d trajectories (%s space), %lld layers, exact solver %.1f s, generation %.1f s\n", ds.n,
           df_space_name(o.space), (long long)ds.rows, ds.solve_s, tdata);
    print_teacher_stats(&ds);
    if (o.data_only) {
        df_dataset_free(&ds);
        return 0;
    }
    df_feature_norm norm;
    if (df_feature_norm_init(&norm, DF_FEATURES, &e) || df_feature_norm_fit(&norm, ds.x, (size_t)ds.rows, &e)) {
        fprintf(stderr, "dnnfuser-train: %s\n", e.msg);
        return 1;
    }
    df_feature_norm_apply(&norm, ds.x, (size_t)ds.rows);
    df_dataset val = {0};
    if (o.val > 0) {
        if (df_dataset_generate_in(&val, DF_SPLIT_TRAIN, o.space, o.val, o.seed + 7, o.ctx, o.threads, progress, &t0,
                                   &e)) {
            fprintf(stderr, "dnnfuser-train: validation data: %s\n", e.msg);
            return 1;
        }
        df_feature_norm_apply(&norm, val.x, (size_t)val.rows);
        printf("validation: %d trajectories (seed %llu), %lld layers\n", val.n, (unsigned long long)(o.seed + 7),
               (long long)val.rows);
    }
    const int dfl = ds.layout == DF_LAYOUT_DEPTH_FIRST;
    df_gpt_config cfg = {DF_FEATURES, dfl ? DF_DF_OUTPUTS : DF_ACTIONS, o.d, o.layers, o.heads, o.ctx};
    df_gpt model;
    if (df_gpt_init(&model, &cfg, o.seed, &e) || df_gpt_train_alloc(&model, o.batch, &e)) {
        fprintf(stderr, "dnnfuser-train: %s\n", e.msg);
        return 1;
    }
    printf("model: d=%d layers=%d heads=%d context=%d, %zu parameters, %s layout (%d outputs)\n", o.d, o.layers,
           o.heads, o.ctx, model.num_params, dfl ? "depth_first" : "batch", (int)cfg.A);
    if (dfl) print_close_baseline(&ds);
    df_batch bb;
    if (df_batch_alloc(&bb, (size_t)o.batch, (size_t)o.ctx, &e)) {
        fprintf(stderr, "dnnfuser-train: %s\n", e.msg);
        return 1;
    }
    df_rng r;
    df_rng_seed(&r, o.seed ^ 0x7a11ULL);
    df_adamw_opts ao = df_adamw_defaults();
    double t1 = now_s(), ema = 0, ema1 = 0, ema2 = 0;
    int32_t warm = o.steps / 20 + 1;
    if (o.val > 0 && report_val(&model, &bb, &val, dfl, 0, &e)) return 1;
    for (int32_t step = 1; step <= o.steps; step++) {
        for (size_t b = 0; b < bb.B; b++) bb.pick[b] = df_rng_range(&r, ds.n);
        int32_t Tb = df_batch_fill(&bb, &ds, bb.B);
        /* linear warmup, then cosine decay to 10% (Loshchilov & Hutter, SGDR, ICLR 2017) */
        double prog = (double)(step - warm) / (o.steps - warm + 1);
        ao.lr = (float)(step < warm ? o.lr * step / warm : o.lr * (0.1 + 0.45 * (1 + cos(M_PI * prog))));
        float loss, l1, l2, gn;
        df_gpt_zero_grad(&model);
        if (forward_batch(&model, &bb, (int)bb.B, Tb, dfl, o.close_weight, &loss, &l1, &l2, &e) ||
            df_gpt_backward(&model, &e) || df_gpt_update(&model, &ao, &gn, &e)) {
            fprintf(stderr, "dnnfuser-train: step %d: %s\n", step, e.msg);
            return 1;
        }
        ema = step == 1 ? loss : 0.98 * ema + 0.02 * loss;
        ema1 = step == 1 ? l1 : 0.98 * ema1 + 0.02 * l1;
        ema2 = step == 1 ? l2 : 0.98 * ema2 + 0.02 * l2;
        if (step == 1 || step % 50 == 0 || step == o.steps) {
            double el = now_s() - t1;
            fprintf(stderr, "step %5d/%d loss %.4f (ema %.4f) grad %.3f lr %.2e  %.1f seq/s  ETA %.0f s\n", step,
                    o.steps, loss, ema, gn, ao.lr, step * bb.B / el, el / step * (o.steps - step));
            if (dfl)
                fprintf(stderr, "           action %.4f (ema %.4f)  close %.4f (ema %.4f) over %d close decisions\n",
                        l1, ema1, l2, ema2, (int)bb.n_close);
        }
        if (o.val > 0 && (step % 100 == 0 || step == o.steps) && report_val(&model, &bb, &val, dfl, step, &e)) return 1;
    }
    double ttrain = now_s() - t1;
    df_train_meta meta = {.dataset_seed = o.seed, .steps = (uint64_t)o.steps, .layout = (uint32_t)ds.layout};
    snprintf(meta.text, sizeof meta.text,
             "train: %d exact-solver trajectories (zoo resnet18/resnet50/mobilenetv2/vgg16/bert_base + synthetic), "
             "budgets %lld B..%lld B log-uniform outside the held-out band [%lld, %lld); held out: mnasnet, "
             "efficientnet_b0 and that band. d=%d layers=%d heads=%d ctx=%d batch=%d lr=%g; final loss ema %.4f; "
             "data %.0f s, training %.0f s.",
             o.samples, (long long)DF_BUDGET_MIN, (long long)DF_BUDGET_MAX, (long long)DF_BAND_LO,
             (long long)DF_BAND_HI, o.d, o.layers, o.heads, o.ctx, o.batch, o.lr, ema, tdata, ttrain);
    if (dfl) {
        size_t used = strlen(meta.text);
        snprintf(meta.text + used, sizeof meta.text - used,
                 " Depth-first space and layout: action head + close head (weight %g), final ema action %.4f, close "
                 "%.4f.",
                 o.close_weight, ema1, ema2);
    }
    if ((o.round_f16 && round_f16(&model, &meta, &e)) || df_weights_save(o.out, &model, &norm, &meta, &e)) {
        fprintf(stderr, "dnnfuser-train: %s\n", e.msg);
        return 1;
    }
    printf("wrote %s (%zu parameters) after %.0f s of training\n", o.out, model.num_params, ttrain);
    df_batch_free(&bb);
    df_dataset_free(&ds);
    df_dataset_free(&val);
    /* the mapper takes a fresh copy of the saved file: exactly what ships */
    df_gpt_free(&model);
    df_feature_norm_free(&norm);
    df_mapper *mp;
    if (df_mapper_load(&mp, o.out, 8, &e)) {
        fprintf(stderr, "dnnfuser-train: reloading %s: %s\n", o.out, e.msg);
        return 1;
    }
    evaluate(mp, o.space, DF_SPLIT_HELDOUT_NET, o.eval, o.seed + 1, o.ctx);
    evaluate(mp, o.space, DF_SPLIT_HELDOUT_BAND, o.eval, o.seed + 2, o.ctx);
    evaluate(mp, o.space, DF_SPLIT_TRAIN, o.eval, o.seed + 3, o.ctx);
    df_mapper_free(mp);
    return 0;
}
