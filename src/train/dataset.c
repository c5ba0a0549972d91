/* dataset.c - teacher trajectory generation (see dataset.h): sampler -> exact solver -> replay
 * through df_sched, in parallel threads, deterministic per sample; and the training batches laid out
 * from a data set (df_batch_fill). */
#include "dataset.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    df_teacher_seq seq;
    double solve_s;
    int rc;
    df_err err;
} sample;

typedef struct {
    df_split split;
    df_space space;
    int32_t n, max_layers;
    uint64_t seed;
    sample *out;
    pthread_mutex_t mu;
    int32_t next, done;
} job;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void df_teacher_seq_free(df_teacher_seq *s) {
    if (!s) return;
    free(s->x);
    free(s->mask);
    free(s->target);
    free(s->cmask);
    free(s->ctarget);
    memset(s, 0, sizeof *s);
}

/* the close of the open group ending at `last` with the teacher's slot c: records its mask */
static int label_close(const df_episode *ep, df_sched *sc, int c, int32_t last, uint8_t *cmask, df_err *err) {
    if (!df_sched_close_mask(ep, sc, cmask) || c < 0 || c >= DF_CLOSE_SLOTS || !cmask[c] || df_sched_close(ep, sc, c))
        return df_err_set(err, DF_EINVAL, NULL, "teacher close slot %d not allowed for the group ending at layer %d", c,
                          last);
    return DF_OK;
}

int df_teacher_label(const df_episode *ep, const df_mapping *teacher, df_teacher_seq *out, df_err *err) {
    memset(out, 0, sizeof *out);
    int32_t L = ep->L;
    int df = ep->layout == DF_LAYOUT_DEPTH_FIRST;
    int32_t *actions = malloc((size_t)L * sizeof *actions), *closes = df ? malloc((size_t)L * sizeof *closes) : NULL;
    out->x = malloc((size_t)L * DF_FEATURES * sizeof *out->x);
    out->mask = malloc((size_t)L * DF_ACTIONS);
    out->target = malloc((size_t)L * sizeof *out->target);
    if (df) {
        out->cmask = calloc((size_t)L, DF_CLOSE_SLOTS);
        out->ctarget = malloc((size_t)L * sizeof *out->ctarget);
    }
    int rc = DF_OK;
    if (!actions || !out->x || !out->mask || !out->target || (df && (!closes || !out->cmask || !out->ctarget))) {
        rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if ((rc = df ? df_mapping_to_actions_df(ep, teacher, actions, closes, err)
                 : df_mapping_to_actions(ep, teacher, actions, err)))
        goto out;
    for (int32_t g = 0; g < teacher->n_groups; g++) {
        const df_group *gr = &teacher->groups[g];
        int slot = 0;
        for (int k = 0; k < DF_MB_SLOTS; k++) slot |= ep->slot_m[k] == gr->micro_batch;
        out->st.groups++;
        out->st.rounded += !slot;
        if (df && !df_group_is_whole(ep->net, gr)) {
            out->st.tiled++;
            if (gr->overlap >= 0 && gr->overlap < DF_OVERLAP_COUNT) out->st.by_mode[gr->overlap]++;
        }
    }
    df_sched sc;
    df_sched_begin(&sc);
    out->etarget = -1;
    while (sc.t < L) {
        int32_t t = sc.t;
        df_sched_observe(ep, &sc, &out->x[(size_t)t * DF_FEATURES], &out->mask[(size_t)t * DF_ACTIONS]);
        int a = actions[t];
        out->target[t] = a;
        if (df) out->ctarget[t] = -1;
        if (a < 0 || a >= DF_ACTIONS || !out->mask[(size_t)t * DF_ACTIONS + a]) {
            rc = df_err_set(err, DF_EINVAL, NULL, "teacher action %d not allowed at layer %d", a, t);
            goto out;
        }
        if (df && a > 0 && t > 0) { /* a start closes the open group first */
            out->ctarget[t] = closes[t - 1];
            if ((rc = label_close(ep, &sc, closes[t - 1], t - 1, &out->cmask[(size_t)t * DF_CLOSE_SLOTS], err)))
                goto out;
        }
        if ((rc = df_sched_apply(ep, &sc, a))) {
            df_err_set(err, rc, NULL, "teacher action %d not allowed at layer %d", a, t);
            goto out;
        }
        if (df && sc.t == L) { /* the last token closes the final group */
            out->etarget = closes[L - 1];
            if ((rc = label_close(ep, &sc, closes[L - 1], L - 1, out->emask, err))) goto out;
        }
    }
    out->len = L;
out:
    free(actions);
    free(closes);
    if (rc) df_teacher_seq_free(out);
    return rc;
}

int df_teacher_decode(const df_episode *ep, const int32_t *target, const int32_t *ctarget, int32_t etarget,
                      df_mapping *out, df_err *err) {
    if (ep->layout != DF_LAYOUT_DEPTH_FIRST) return df_sched_actions_to_mapping(ep, target, out, err);
    int32_t L = ep->L, *closes = malloc((size_t)(L > 0 ? L : 1) * sizeof *closes);
    if (!closes) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    for (int32_t t = 0; t < L; t++) closes[t] = -1;
    for (int32_t t = 1; t < L; t++)
        if (target[t] > 0) closes[t - 1] = ctarget[t];
    if (L > 0) closes[L - 1] = etarget;
    int rc = df_sched_actions_to_mapping_df(ep, target, closes, out, err);
    free(closes);
    return rc;
}

static int make_sample(const job *jb, int32_t i, sample *s) {
    df_rng r;
    df_rng_seed(&r, jb->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1)));
    df_rng_next(&r);
    df_request_sample q;
    df_err *err = &s->err;
    int rc = df_sample_request(&r, jb->split, jb->max_layers, &q, err);
    if (rc) return rc;
    df_net *net = NULL;
    df_mapping m = {0};
    df_episode ep;
    memset(&ep, 0, sizeof ep);
    int layout = jb->space == DF_SPACE_DEPTH_FIRST ? DF_LAYOUT_DEPTH_FIRST : DF_LAYOUT_BATCH;
    if ((rc = df_net_init(&net, &q.w, &q.hw, q.batch, err))) goto out;
    if ((rc = df_mapping_init(&m, 16))) goto out;
    double t0 = now_s();
    if ((rc = df_solve_exact_in(net, q.obj, jb->space, &m, NULL, err))) goto out;
    s->solve_s = now_s() - t0;
    if ((rc = df_episode_init_layout(&ep, net, q.obj, layout, err))) goto out;
    if ((rc = df_teacher_label(&ep, &m, &s->seq, err))) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        df_err_set(err, rc, NULL, "%s (%s)", msg, q.source);
    }
out:
    df_episode_free(&ep);
    df_mapping_free(&m);
    df_net_free(net);
    df_workload_free(&q.w);
    return rc;
}

static void *worker(void *arg) {
    job *jb = arg;
    for (;;) {
        pthread_mutex_lock(&jb->mu);
        int32_t i = jb->next < jb->n ? jb->next++ : -1;
        pthread_mutex_unlock(&jb->mu);
        if (i < 0) break;
        sample *s = &jb->out[i];
        s->rc = make_sample(jb, i, s);
        pthread_mutex_lock(&jb->mu);
        jb->done++;
        pthread_mutex_unlock(&jb->mu);
    }
    return NULL;
}

int df_dataset_generate(df_dataset *ds, df_split split, int32_t n, uint64_t seed, int32_t max_layers, int threads,
                        void (*progress)(int32_t, int32_t, void *), void *ctx, df_err *err) {
    return df_dataset_generate_in(ds, split, DF_SPACE_BATCH, n, seed, max_layers, threads, progress, ctx, err);
}

static void stats_add(df_teacher_stats *a, const df_teacher_stats *b) {
    a->groups += b->groups;
    a->tiled += b->tiled;
    a->rounded += b->rounded;
    for (int o = 0; o < DF_OVERLAP_COUNT; o++) a->by_mode[o] += b->by_mode[o];
}

int df_dataset_generate_in(df_dataset *ds, df_split split, df_space space, int32_t n, uint64_t seed, int32_t max_layers,
                           int threads, void (*progress)(int32_t, int32_t, void *), void *ctx, df_err *err) {
    memset(ds, 0, sizeof *ds);
    if (n < 1) return df_err_set(err, DF_EINVAL, NULL, "dataset needs at least one sample");
    if (space < 0 || space >= DF_SPACE_COUNT) return df_err_set(err, DF_EINVAL, NULL, "unknown map-space %d", space);
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    job jb = {.split = split, .space = space, .n = n, .max_layers = max_layers, .seed = seed};
    jb.out = calloc((size_t)n, sizeof *jb.out);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!jb.out || !tid) {
        free(jb.out);
        free(tid);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    pthread_mutex_init(&jb.mu, NULL);
    int started = 0;
    for (int t = 0; t < threads; t++)
        if (pthread_create(&tid[t], NULL, worker, &jb) == 0) started++;
    if (!started) worker(&jb);
    for (;;) {
        pthread_mutex_lock(&jb.mu);
        int32_t d = jb.done;
        pthread_mutex_unlock(&jb.mu);
        if (progress) progress(d, n, ctx);
        if (d >= n) break;
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
    }
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&jb.mu);
    free(tid);
    int rc = DF_OK, df = space == DF_SPACE_DEPTH_FIRST;
    for (int32_t i = 0; i < n && !rc; i++)
        if (jb.out[i].rc) {
            rc = jb.out[i].rc;
            if (err) *err = jb.out[i].err;
        }
    if (!rc) {
        ds->n = n;
        ds->layout = df ? DF_LAYOUT_DEPTH_FIRST : DF_LAYOUT_BATCH;
        ds->off = malloc(((size_t)n + 1) * sizeof *ds->off);
        if (!ds->off)
            rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        else {
            ds->off[0] = 0;
            for (int32_t i = 0; i < n; i++) ds->off[i + 1] = ds->off[i] + jb.out[i].seq.len;
            ds->rows = ds->off[n];
            ds->x = malloc((size_t)ds->rows * DF_FEATURES * sizeof *ds->x);
            ds->mask = malloc((size_t)ds->rows * DF_ACTIONS);
            ds->target = malloc((size_t)ds->rows * sizeof *ds->target);
            if (df) {
                ds->cmask = malloc((size_t)ds->rows * DF_CLOSE_SLOTS);
                ds->ctarget = malloc((size_t)ds->rows * sizeof *ds->ctarget);
                ds->emask = malloc((size_t)n * DF_CLOSE_SLOTS);
                ds->etarget = malloc((size_t)n * sizeof *ds->etarget);
            }
            if (!ds->x || !ds->mask || !ds->target ||
                (df && (!ds->cmask || !ds->ctarget || !ds->emask || !ds->etarget)))
                rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        }
        for (int32_t i = 0; i < n && !rc; i++) {
            const df_teacher_seq *s = &jb.out[i].seq;
            size_t o = (size_t)ds->off[i], len = (size_t)s->len;
            memcpy(&ds->x[o * DF_FEATURES], s->x, len * DF_FEATURES * sizeof *s->x);
            memcpy(&ds->mask[o * DF_ACTIONS], s->mask, len * DF_ACTIONS);
            memcpy(&ds->target[o], s->target, len * sizeof *s->target);
            if (df) {
                memcpy(&ds->cmask[o * DF_CLOSE_SLOTS], s->cmask, len * DF_CLOSE_SLOTS);
                memcpy(&ds->ctarget[o], s->ctarget, len * sizeof *s->ctarget);
                memcpy(&ds->emask[(size_t)i * DF_CLOSE_SLOTS], s->emask, DF_CLOSE_SLOTS);
                ds->etarget[i] = s->etarget;
            }
            ds->solve_s += jb.out[i].solve_s;
            stats_add(&ds->st, &s->st);
        }
    }
    for (int32_t i = 0; i < n; i++) df_teacher_seq_free(&jb.out[i].seq);
    free(jb.out);
    if (rc) df_dataset_free(ds);
    return rc;
}

void df_dataset_free(df_dataset *ds) {
    if (!ds) return;
    free(ds->off);
    free(ds->x);
    free(ds->mask);
    free(ds->target);
    free(ds->cmask);
    free(ds->ctarget);
    free(ds->emask);
    free(ds->etarget);
    memset(ds, 0, sizeof *ds);
}

void df_dataset_stats(const df_dataset *ds, float *mean, float *std) {
    for (int f = 0; f < DF_FEATURES; f++) {
        double s = 0, s2 = 0;
        for (int64_t r = 0; r < ds->rows; r++) {
            double v = ds->x[(size_t)r * DF_FEATURES + f];
            s += v;
            s2 += v * v;
        }
        double m = ds->rows ? s / ds->rows : 0, var = ds->rows ? s2 / ds->rows - m * m : 1;
        mean[f] = (float)m;
        std[f] = (float)(var > 1e-6 ? sqrt(var) : 1e-3);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* training batches */

int df_batch_alloc(df_batch *bb, size_t B, size_t T, df_err *err) {
    *bb = (df_batch){.B = B, .T = T};
    bb->x = calloc(B * T * DF_FEATURES, sizeof *bb->x);
    bb->tg = malloc(B * T * sizeof *bb->tg);
    bb->mk = malloc(B * T * DF_ACTIONS);
    bb->pick = calloc(B, sizeof *bb->pick);
    bb->crow = malloc(2 * B * T * sizeof *bb->crow);
    bb->ctg = malloc(2 * B * T * sizeof *bb->ctg);
    bb->cmk = malloc(2 * B * T * DF_CLOSE_SLOTS);
    if (!bb->x || !bb->tg || !bb->mk || !bb->pick || !bb->crow || !bb->ctg || !bb->cmk)
        return df_err_set(err, DF_ENOMEM, NULL, "cannot allocate a training batch of %zu x %zu rows", B, T);
    return DF_OK;
}

void df_batch_free(df_batch *bb) {
    if (!bb) return;
    free(bb->x);
    free(bb->tg);
    free(bb->mk);
    free(bb->pick);
    free(bb->crow);
    free(bb->ctg);
    free(bb->cmk);
    memset(bb, 0, sizeof *bb);
}

/* appends close decision (row, target, mask) to the batch */
static void add_close(df_batch *bb, size_t row, int32_t target, const uint8_t *mask) {
    bb->crow[bb->n_close] = (int32_t)row;
    bb->ctg[bb->n_close] = target;
    memcpy(&bb->cmk[(size_t)bb->n_close * DF_CLOSE_SLOTS], mask, DF_CLOSE_SLOTS);
    bb->n_close++;
}

int32_t df_batch_fill(df_batch *bb, const df_dataset *ds, size_t nb) {
    int32_t Tb = 1;
    for (size_t b = 0; b < nb; b++) {
        int32_t len = (int32_t)(ds->off[bb->pick[b] + 1] - ds->off[bb->pick[b]]);
        if (len > Tb) Tb = len;
    }
    bb->n_close = 0;
    for (size_t b = 0; b < nb; b++) {
        int64_t o0 = ds->off[bb->pick[b]];
        int32_t len = (int32_t)(ds->off[bb->pick[b] + 1] - o0);
        for (int32_t t = 0; t < Tb; t++) {
            size_t row = b * Tb + t;
            if (t < len) {
                memcpy(&bb->x[row * DF_FEATURES], &ds->x[(size_t)(o0 + t) * DF_FEATURES], DF_FEATURES * sizeof *bb->x);
                memcpy(&bb->mk[row * DF_ACTIONS], &ds->mask[(size_t)(o0 + t) * DF_ACTIONS], DF_ACTIONS);
                bb->tg[row] = ds->target[o0 + t];
                if (ds->layout == DF_LAYOUT_DEPTH_FIRST && ds->ctarget[o0 + t] >= 0)
                    add_close(bb, row, ds->ctarget[o0 + t], &ds->cmask[(size_t)(o0 + t) * DF_CLOSE_SLOTS]);
            } else {
                memset(&bb->x[row * DF_FEATURES], 0, DF_FEATURES * sizeof *bb->x);
                memset(&bb->mk[row * DF_ACTIONS], 1, DF_ACTIONS);
                bb->tg[row] = -1;
            }
        }
        if (ds->layout == DF_LAYOUT_DEPTH_FIRST)
            add_close(bb, b * Tb + len - 1, ds->etarget[bb->pick[b]], &ds->emask[(size_t)bb->pick[b] * DF_CLOSE_SLOTS]);
    }
    return Tb;
}
