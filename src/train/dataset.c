/* dataset.c - teacher trajectory generation (see dataset.h): sampler -> exact solver -> replay
 * through df_sched, in parallel threads, deterministic per sample. */
#include "dataset.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dnnfuser/solve.h"

typedef struct {
    int32_t len;
    float *x;
    uint8_t *mask;
    int32_t *target;
    double solve_s;
    int rc;
    df_err err;
} sample;

typedef struct {
    df_split split;
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
    int32_t *actions = NULL;
    if ((rc = df_net_init(&net, &q.w, &q.hw, q.batch, err))) goto out;
    if ((rc = df_mapping_init(&m, 16))) goto out;
    double t0 = now_s();
    if ((rc = df_solve_exact(net, q.obj, &m, NULL, err))) goto out;
    s->solve_s = now_s() - t0;
    if ((rc = df_episode_init(&ep, net, q.obj, err))) goto out;
    int32_t L = ep.L;
    actions = malloc((size_t)L * sizeof *actions);
    s->x = malloc((size_t)L * DF_FEATURES * sizeof *s->x);
    s->mask = malloc((size_t)L * DF_ACTIONS);
    s->target = malloc((size_t)L * sizeof *s->target);
    if (!actions || !s->x || !s->mask || !s->target) {
        rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if ((rc = df_mapping_to_actions(&ep, &m, actions, err))) goto out;
    df_sched sc;
    df_sched_begin(&sc);
    while (sc.t < L) {
        int32_t t = sc.t;
        df_sched_observe(&ep, &sc, &s->x[(size_t)t * DF_FEATURES], &s->mask[(size_t)t * DF_ACTIONS]);
        s->target[t] = actions[t];
        if ((rc = df_sched_apply(&ep, &sc, actions[t]))) {
            df_err_set(err, rc, NULL, "teacher action %d not allowed at layer %d of %s", actions[t], t, q.source);
            goto out;
        }
    }
    s->len = L;
out:
    free(actions);
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
    memset(ds, 0, sizeof *ds);
    if (n < 1) return df_err_set(err, DF_EINVAL, NULL, "dataset needs at least one sample");
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    job jb = {.split = split, .n = n, .max_layers = max_layers, .seed = seed};
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
    int rc = DF_OK;
    for (int32_t i = 0; i < n && !rc; i++)
        if (jb.out[i].rc) {
            rc = jb.out[i].rc;
            if (err) *err = jb.out[i].err;
        }
    if (!rc) {
        ds->n = n;
        ds->off = malloc(((size_t)n + 1) * sizeof *ds->off);
        if (!ds->off)
            rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        else {
            ds->off[0] = 0;
            for (int32_t i = 0; i < n; i++) ds->off[i + 1] = ds->off[i] + jb.out[i].len;
            ds->rows = ds->off[n];
            ds->x = malloc((size_t)ds->rows * DF_FEATURES * sizeof *ds->x);
            ds->mask = malloc((size_t)ds->rows * DF_ACTIONS);
            ds->target = malloc((size_t)ds->rows * sizeof *ds->target);
            if (!ds->x || !ds->mask || !ds->target) rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        }
        for (int32_t i = 0; i < n && !rc; i++) {
            const sample *s = &jb.out[i];
            memcpy(&ds->x[(size_t)ds->off[i] * DF_FEATURES], s->x, (size_t)s->len * DF_FEATURES * sizeof *s->x);
            memcpy(&ds->mask[(size_t)ds->off[i] * DF_ACTIONS], s->mask, (size_t)s->len * DF_ACTIONS);
            memcpy(&ds->target[ds->off[i]], s->target, (size_t)s->len * sizeof *s->target);
            ds->solve_s += s->solve_s;
        }
    }
    for (int32_t i = 0; i < n; i++) {
        free(jb.out[i].x);
        free(jb.out[i].mask);
        free(jb.out[i].target);
    }
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
