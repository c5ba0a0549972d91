/* check_mapper.c - Check suite "mapper": batched masked decoding with a randomly initialised model.
 * Every answer is feasible; a job decoded alongside others gives exactly the mapping it gives alone
 * (KV-cache slots are isolated, joining between steps is safe); best-of-k is never worse than greedy;
 * slot accounting and cancellation behave; workloads longer than the context decode by sliding it
 * (feasible, the replay cost as stated, batched equals alone); with the shipped weights the fast
 * kernels decide exactly as the exact-math model on a fixed set of requests. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include "dnnfuser/mapper.h"
#include "dnnfuser/nn.h"
#include "dnnfuser/netbuild.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/synth.h"
#include "dnnfuser/zoo.h"

static df_mapper *tiny_mapper(int32_t max_seqs, int32_t T) {
    df_gpt_config cfg = {DF_FEATURES, DF_ACTIONS, 16, 2, 2, T};
    df_gpt g;
    df_feature_norm norm;
    df_err e;
    ck_assert_int_eq(df_gpt_init(&g, &cfg, 7, &e), DF_OK);
    ck_assert_int_eq(df_feature_norm_init(&norm, DF_FEATURES, &e), DF_OK);
    for (int f = 0; f < DF_FEATURES; f++) norm.std[f] = 8; /* keep random-model inputs moderate */
    df_mapper *m;
    ck_assert_msg(df_mapper_from_model(&m, &g, &norm, NULL, max_seqs, &e) == DF_OK, "%s", e.msg);
    return m;
}

typedef struct {
    df_workload w;
    df_net *net;
} req;

static void make_req(req *q, df_rng *r, int32_t N) {
    df_err e;
    ck_assert_int_eq(df_synth_network(r, df_rng_range(r, 3), 60, &q->w, &e), DF_OK);
    df_hw h = tu_hw(16, 16, (df_dataflow)df_rng_range(r, 3), 1, 16, 64, 1);
    ck_assert_int_eq(df_net_init(&q->net, &q->w, &h, N, &e), DF_OK);
    ck_assert_int_eq(df_net_check_budget(q->net, &e), DF_EINFEASIBLE);
    df_net_free(q->net);
    h.buffer_bytes = (int64_t)(e.need_bytes * (1.0 + 8 * df_rng_uniform(r)));
    ck_assert_int_eq(df_net_init(&q->net, &q->w, &h, N, &e), DF_OK);
}

static void free_req(req *q) {
    df_net_free(q->net);
    df_workload_free(&q->w);
}

START_TEST(test_alone_equals_batched_and_feasible) {
    df_rng r;
    df_rng_seed(&r, 4);
    enum { NQ = 6 };
    req q[NQ];
    for (int i = 0; i < NQ; i++) make_req(&q[i], &r, 1 + df_rng_range(&r, 16));
    df_mapper *m = tiny_mapper(32, 64);
    df_mapping alone[NQ];
    df_err e;
    for (int i = 0; i < NQ; i++) {
        df_mapping_init(&alone[i], 8);
        ck_assert_msg(df_solve_transformer(m, q[i].net, DF_OBJ_LATENCY, 1, &alone[i], NULL, &e) == DF_OK, "%s", e.msg);
        df_metrics mt;
        ck_assert_int_eq(df_mapping_eval(q[i].net, &alone[i], &mt, NULL, &e), DF_OK);
        ck_assert(mt.feasible);
    }
    ck_assert_int_eq(df_mapper_active(m), 0);
    /* now all together, admitted at different steps, with other best-of-3 jobs interleaved */
    df_mapper_job *jobs[NQ] = {0}, *extra[NQ] = {0};
    int admitted = 0, finished = 0, steps = 0;
    while (finished < 2 * NQ) {
        if (admitted < NQ && steps % 3 == 0) {
            ck_assert_int_eq(
                df_mapper_admit(m, q[admitted].net, DF_OBJ_LATENCY, 1, 1, &jobs[admitted], &jobs[admitted], &e), DF_OK);
            ck_assert_int_eq(
                df_mapper_admit(m, q[admitted].net, DF_OBJ_LATENCY, 3, 99, &extra[admitted], &extra[admitted], &e),
                DF_OK);
            admitted++;
        }
        int32_t fin;
        ck_assert_int_eq(df_mapper_step(m, &fin, &e), DF_OK);
        steps++;
        df_mapper_job *j;
        while ((j = df_mapper_pop_done(m))) {
            finished++;
            (void)j; /* results read below, after all are done */
        }
        ck_assert_int_lt(steps, 10000);
    }
    for (int i = 0; i < NQ; i++) {
        df_mapping b, k3;
        df_mapping_init(&b, 8);
        df_mapping_init(&k3, 8);
        double vb, v3;
        ck_assert_int_eq(df_mapper_job_result(jobs[i], &b, &vb, NULL, &e), DF_OK);
        ck_assert_int_eq(df_mapper_job_result(extra[i], &k3, &v3, NULL, &e), DF_OK);
        ck_assert_int_eq(b.n_groups, alone[i].n_groups);
        for (int32_t g = 0; g < b.n_groups; g++) {
            ck_assert_int_eq(b.groups[g].last, alone[i].groups[g].last);
            ck_assert_int_eq(b.groups[g].micro_batch, alone[i].groups[g].micro_batch);
        }
        ck_assert(v3 <= vb * (1 + 1e-12)); /* candidate 0 of a best-of-3 is the same greedy decode */
        df_mapping_free(&b);
        df_mapping_free(&k3);
        df_mapper_job_free(m, jobs[i]);
        df_mapper_job_free(m, extra[i]);
        df_mapping_free(&alone[i]);
        free_req(&q[i]);
    }
    ck_assert_int_eq(df_mapper_free_slots(m), 32);
    df_mapper_free(m);
}
END_TEST

START_TEST(test_slots_cancel_and_limits) {
    df_rng r;
    df_rng_seed(&r, 8);
    req q;
    make_req(&q, &r, 4);
    df_mapper *m = tiny_mapper(4, 64);
    df_err e;
    df_mapper_job *a, *b;
    ck_assert_int_eq(df_mapper_admit(m, q.net, DF_OBJ_ENERGY, 3, 1, NULL, &a, &e), DF_OK);
    ck_assert_int_eq(df_mapper_free_slots(m), 1);
    ck_assert_int_eq(df_mapper_admit(m, q.net, DF_OBJ_ENERGY, 2, 1, NULL, &b, &e), DF_ELIMIT);
    ck_assert_int_eq(df_mapper_admit(m, q.net, DF_OBJ_ENERGY, 0, 1, NULL, &b, &e), DF_EINVAL);
    ck_assert_int_eq(df_mapper_step(m, NULL, &e), DF_OK);
    df_mapper_job_free(m, a); /* cancel mid-decode */
    ck_assert_int_eq(df_mapper_free_slots(m), 4);
    ck_assert_int_eq(df_mapper_active(m), 0);
    ck_assert_int_eq(df_mapper_step(m, NULL, &e), DF_OK); /* nothing active: a no-op */
    df_mapper_free(m);
    free_req(&q);
}
END_TEST

/* Lifecycles (mapper.h): states after admit, through a slide (REPLAYING), at the end and after pop;
 * a dead end (forced with df_mapper_job_fault) ends that row only: the step succeeds, the slot comes
 * back at once, the job's other candidates and the other jobs in the batch decode exactly as without
 * it, the job's answer is its best finished candidate; with every candidate dead the answer names the
 * dead end. */
START_TEST(test_lifecycle_and_dead_end) {
    df_rng r;
    df_rng_seed(&r, 31);
    req q;
    for (make_req(&q, &r, 8); df_net_layers(q.net) < 12; make_req(&q, &r, 8)) free_req(&q);
    df_mapper *m = tiny_mapper(8, 8);
    df_mapper_set_window(m, 3);
    df_err e;
    df_mapping ref, ref3, got;
    df_mapping_init(&ref, 8);
    df_mapping_init(&ref3, 8);
    df_mapping_init(&got, 8);
    double v3;
    int32_t i3;
    /* references: greedy alone, and best of 3 (candidates 1 and 2 sampled) */
    ck_assert_int_eq(df_solve_transformer(m, q.net, DF_OBJ_LATENCY, 1, &ref, NULL, &e), DF_OK);
    df_mapper_job *j3;
    ck_assert_int_eq(df_mapper_admit(m, q.net, DF_OBJ_LATENCY, 3, 5, NULL, &j3, &e), DF_OK);
    while (df_mapper_active(m) > 0) ck_assert_int_eq(df_mapper_step(m, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapper_job_result(j3, &ref3, &v3, &i3, &e), DF_OK);
    df_mapper_job_free(m, j3);

    /* a: greedy, no fault; b: 3 candidates, candidate 1 dead at layer 4 (index 1 must not answer);
     * c: 1 candidate, dead at layer 6 */
    df_mapper_job *a, *b, *c;
    ck_assert_int_eq(df_mapper_admit(m, q.net, DF_OBJ_LATENCY, 1, 1, NULL, &a, &e), DF_OK);
    ck_assert_int_eq(df_mapper_admit(m, q.net, DF_OBJ_LATENCY, 3, 5, NULL, &b, &e), DF_OK);
    ck_assert_int_eq(df_mapper_admit(m, q.net, DF_OBJ_LATENCY, 1, 9, NULL, &c, &e), DF_OK);
    df_mapper_job_fault(b, 1, 4);
    df_mapper_job_fault(c, 0, 6);
    ck_assert_int_eq(df_mapper_job_state(a), DF_JOB_DECODING);
    ck_assert_int_eq(df_mapper_cand_state(b, 1, NULL), DF_CAND_DECODING);
    ck_assert_int_eq(df_mapper_free_slots(m), 3);
    int replaying = 0, dead_seen_b = 0, dead_seen_c = 0;
    int32_t done_jobs = 0;
    while (df_mapper_active(m) > 0) {
        int32_t fin = 0;
        ck_assert_int_eq(df_mapper_step(m, &fin, &e), DF_OK);
        done_jobs += fin;
        replaying |= df_mapper_cand_state(a, 0, NULL) == DF_CAND_REPLAYING;
        int32_t dl;
        if (!dead_seen_b && df_mapper_cand_state(b, 1, &dl) == DF_CAND_DEAD_END) {
            dead_seen_b = 1;
            ck_assert_int_eq(dl, 4);
            ck_assert_int_eq(df_mapper_cand_state(b, 0, NULL) != DF_CAND_DEAD_END, 1);
        }
        if (!dead_seen_c && df_mapper_cand_state(c, 0, &dl) == DF_CAND_DEAD_END) {
            dead_seen_c = 1;
            ck_assert_int_eq(dl, 6);
            ck_assert_int_eq(df_mapper_job_state(c), DF_JOB_DONE); /* its only candidate: done at once */
        }
        /* every row in a defined state, every slot accounted for */
        int32_t holding = 0;
        df_mapper_job *js[3] = {a, b, c};
        for (int k = 0; k < 3; k++)
            for (int32_t cc = 0; cc < (k == 1 ? 3 : 1); cc++) {
                df_cand_state st = df_mapper_cand_state(js[k], cc, NULL);
                ck_assert(st == DF_CAND_DECODING || st == DF_CAND_REPLAYING || st == DF_CAND_FINISHED ||
                          st == DF_CAND_DEAD_END);
                holding += st == DF_CAND_DECODING || st == DF_CAND_REPLAYING;
            }
        ck_assert_int_eq(holding, df_mapper_active(m));
        ck_assert_int_eq(df_mapper_free_slots(m), 8 - holding);
    }
    ck_assert(replaying); /* the net is longer than the context of 8: the slide went through REPLAYING */
    ck_assert(dead_seen_b && dead_seen_c);
    ck_assert_int_eq(done_jobs, 3);
    ck_assert_int_eq(df_mapper_cand_state(a, 0, NULL), DF_CAND_FINISHED);
    double va;
    ck_assert_int_eq(df_mapper_job_result(a, &got, &va, NULL, &e), DF_OK);
    ck_assert(same_groups(&got, &ref)); /* the dead rows changed nothing for the others */
    double vb;
    int32_t ib;
    ck_assert_int_eq(df_mapper_job_result(b, &got, &vb, &ib, &e), DF_OK);
    ck_assert_int_ne(ib, 1);
    ck_assert(vb <= va);                                          /* candidate 0 (greedy, as a) is still in */
    if (i3 == 0) ck_assert(same_groups(&got, &ref3) && vb == v3); /* (the sampled ones draw in step order) */
    ck_assert_int_eq(df_mapper_job_result(c, &got, NULL, NULL, &e), DF_EINFEASIBLE);
    ck_assert_msg(strstr(e.msg, "dead end at layer 6") != NULL, "%s", e.msg);
    /* the done list holds the three, oldest completion first; popped jobs are TAKEN */
    df_mapper_job *p;
    int popped = 0;
    while ((p = df_mapper_pop_done(m)) != NULL) {
        ck_assert_int_eq(df_mapper_job_state(p), DF_JOB_TAKEN);
        popped++;
    }
    ck_assert_int_eq(popped, 3);
    df_mapper_job_free(m, a);
    df_mapper_job_free(m, b);
    df_mapper_job_free(m, c);
    ck_assert_int_eq(df_mapper_free_slots(m), 8);
    df_mapping_free(&ref);
    df_mapping_free(&ref3);
    df_mapping_free(&got);
    df_mapper_free(m);
    free_req(&q);
}
END_TEST

/* Any length: with a context of 8 positions, workloads of up to 60 layers decode to feasible mappings
 * for windows 0 (chunks), 3 and 7; each slide costs `window` replay steps; a long job decoded among
 * others (sliding at different steps) gives exactly its mapping alone; a workload that fits the
 * context decodes the same whatever the window. */
static int32_t decode_steps(df_mapper *m, const df_net *n, df_mapping *out) {
    df_mapper_job *j;
    df_err e;
    ck_assert_int_eq(df_mapper_admit(m, n, DF_OBJ_LATENCY, 1, 1, NULL, &j, &e), DF_OK);
    while (df_mapper_active(m) > 0) ck_assert_int_eq(df_mapper_step(m, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapper_job_result(j, out, NULL, NULL, &e), DF_OK);
    int32_t steps = df_mapper_job_steps(j);
    df_mapper_job_free(m, j);
    return steps;
}

START_TEST(test_longer_than_context) {
    df_rng r;
    df_rng_seed(&r, 21);
    enum { NQ = 5, T = 8 };
    req q[NQ];
    for (int i = 0; i < NQ; i++) make_req(&q[i], &r, 1 + df_rng_range(&r, 16));
    df_mapper *m = tiny_mapper(8, T);
    ck_assert_int_eq(df_mapper_set_window(m, 100), T - 1); /* clamped */
    ck_assert_int_eq(df_mapper_set_window(m, -1), 0);
    const int32_t windows[] = {0, 3, 7};
    int longer = 0;
    for (int i = 0; i < NQ; i++) {
        int32_t L = df_net_layers(q[i].net);
        longer += L > T;
        df_mapping first;
        df_mapping_init(&first, 8);
        for (int wi = 0; wi < 3; wi++) {
            int32_t w = windows[wi];
            df_mapper_set_window(m, w);
            df_mapping map;
            df_mapping_init(&map, 8);
            int32_t steps = decode_steps(m, q[i].net, &map);
            /* slides happen when T positions are full: after T layers, then every T - w layers */
            int32_t slides = L > T ? 1 + (L - T - 1) / (T - w) : 0;
            ck_assert_msg(steps == L + slides * w, "L %d window %d: %d steps, expected %d", L, w, steps,
                          L + slides * w);
            df_metrics mt;
            df_err e;
            ck_assert_int_eq(df_mapping_eval(q[i].net, &map, &mt, NULL, &e), DF_OK);
            ck_assert(mt.feasible);
            if (wi == 0)
                df_mapping_copy(&first, &map);
            else if (L <= T) /* fits: the window never matters */
                for (int32_t g = 0; g < map.n_groups; g++) ck_assert_int_eq(map.groups[g].last, first.groups[g].last);
            df_mapping_free(&map);
        }
        df_mapping_free(&first);
    }
    ck_assert_int_ge(longer, 3);
    /* batched: every job admitted at a different step, all sliding at different times */
    df_mapper_set_window(m, 3);
    df_mapping alone[NQ];
    for (int i = 0; i < NQ; i++) {
        df_mapping_init(&alone[i], 8);
        decode_steps(m, q[i].net, &alone[i]);
    }
    df_mapper_job *jobs[NQ];
    df_err e;
    int admitted = 0, steps = 0;
    while (admitted < NQ || df_mapper_active(m) > 0) {
        if (admitted < NQ && steps % 2 == 0) {
            ck_assert_int_eq(df_mapper_admit(m, q[admitted].net, DF_OBJ_LATENCY, 1, 1, NULL, &jobs[admitted], &e),
                             DF_OK);
            admitted++;
        }
        ck_assert_int_eq(df_mapper_step(m, NULL, &e), DF_OK);
        ck_assert_int_lt(++steps, 10000);
    }
    for (int i = 0; i < NQ; i++) {
        df_mapping b;
        df_mapping_init(&b, 8);
        ck_assert_int_eq(df_mapper_job_result(jobs[i], &b, NULL, NULL, &e), DF_OK);
        ck_assert_int_eq(b.n_groups, alone[i].n_groups);
        for (int32_t g = 0; g < b.n_groups; g++) {
            ck_assert_int_eq(b.groups[g].last, alone[i].groups[g].last);
            ck_assert_int_eq(b.groups[g].micro_batch, alone[i].groups[g].micro_batch);
        }
        df_mapping_free(&b);
        df_mapping_free(&alone[i]);
        df_mapper_job_free(m, jobs[i]);
        free_req(&q[i]);
    }
    df_mapper_free(m);
}
END_TEST

/* Replay rows are batched: copies of a long job admitted together slide at the same step and replay
 * their windows in the same steps as each other, so the batch finishes in exactly the steps one copy
 * takes alone (L + slides * window), every copy stays in every step (none drops out of the batch while
 * replaying), and each copy's mapping is the one decoded alone. */
START_TEST(test_replay_rows_batched) {
    df_rng r;
    df_rng_seed(&r, 33);
    enum { T = 8, W = 3, COPIES = 6 };
    req q;
    do make_req(&q, &r, 1 + df_rng_range(&r, 16));
    while (df_net_layers(q.net) <= 2 * T && (free_req(&q), 1));
    int32_t L = df_net_layers(q.net), slides = 1 + (L - T - 1) / (T - W);
    df_mapper *m = tiny_mapper(COPIES, T);
    df_mapper_set_window(m, W);
    df_mapping alone;
    df_mapping_init(&alone, 8);
    ck_assert_int_eq(decode_steps(m, q.net, &alone), L + slides * W);
    df_mapper_job *jobs[COPIES];
    df_err e;
    for (int i = 0; i < COPIES; i++)
        ck_assert_int_eq(df_mapper_admit(m, q.net, DF_OBJ_LATENCY, 1, (uint64_t)i, NULL, &jobs[i], &e), DF_OK);
    int32_t steps = 0, replaying_steps = 0;
    while (df_mapper_active(m) > 0) {
        ck_assert_int_eq(df_mapper_active(m), COPIES); /* no row leaves the batch before the end */
        ck_assert_int_eq(df_mapper_step(m, NULL, &e), DF_OK);
        int replaying = 0;
        for (int i = 0; i < COPIES; i++) replaying += df_mapper_cand_state(jobs[i], 0, NULL) == DF_CAND_REPLAYING;
        ck_assert(replaying == 0 || replaying == COPIES); /* all replay in the same steps */
        replaying_steps += replaying > 0;
        ck_assert_int_lt(++steps, 10000);
    }
    ck_assert_int_eq(steps, L + slides * W);
    ck_assert_int_ge(replaying_steps, slides * (W - 1));
    for (int i = 0; i < COPIES; i++) {
        df_mapping b;
        df_mapping_init(&b, 8);
        ck_assert_int_eq(df_mapper_job_result(jobs[i], &b, NULL, NULL, &e), DF_OK);
        ck_assert_int_eq(b.n_groups, alone.n_groups);
        for (int32_t g = 0; g < b.n_groups; g++) {
            ck_assert_int_eq(b.groups[g].last, alone.groups[g].last);
            ck_assert_int_eq(b.groups[g].micro_batch, alone.groups[g].micro_batch);
        }
        df_mapping_free(&b);
        df_mapper_job_free(m, jobs[i]);
    }
    df_mapping_free(&alone);
    free_req(&q);
    df_mapper_free(m);
}
END_TEST

/* depth-first layout (features.h): a tiny random model with DF_DF_OUTPUTS outputs decodes mappings
 * that are feasible and whose decoded value is df_mapping_eval's, at budgets where only tiles fit too */
START_TEST(test_depth_first_layout_decodes_feasible) {
    df_err e;
    df_mapper *m = tu_df_layout_mapper();
    ck_assert_int_eq(df_mapper_layout(m), DF_LAYOUT_DEPTH_FIRST);
    df_rng r;
    df_rng_seed(&r, 18);
    int decoded = 0, tiled = 0, only_tiles = 0;
    for (int i = 0; i < 24; i++) {
        req q;
        ck_assert_int_eq(df_synth_network(&r, df_rng_range(&r, 3), 40, &q.w, &e), DF_OK);
        df_hw h = tu_hw(16, 16, (df_dataflow)df_rng_range(&r, 3), 1, 16, 64, 1);
        int32_t N = 1 + df_rng_range(&r, 16);
        ck_assert_int_eq(df_net_init(&q.net, &q.w, &h, N, &e), DF_OK);
        ck_assert_int_eq(df_net_check_budget(q.net, &e), DF_EINFEASIBLE);
        df_net_free(q.net);
        h.buffer_bytes = (int64_t)(e.need_bytes * (0.4 + 4 * df_rng_uniform(&r)));
        ck_assert_int_eq(df_net_init(&q.net, &q.w, &h, N, &e), DF_OK);
        df_mapping exact;
        df_mapping_init(&exact, 8);
        int feasible = df_solve_exact_in(q.net, DF_OBJ_ENERGY, DF_SPACE_DEPTH_FIRST, &exact, NULL, &e) == DF_OK;
        for (int32_t k = 1; k <= 4; k += 3) {
            df_mapper_job *j;
            int rc = df_mapper_admit(m, q.net, (df_objective)(i % DF_OBJ_COUNT), k, 5 + i, NULL, &j, &e);
            if (!feasible) { /* no mapping of the space fits: refused up front */
                ck_assert_int_eq(rc, DF_EINFEASIBLE);
                continue;
            }
            ck_assert_msg(rc == DF_OK, "%s", e.msg);
            while (df_mapper_job_state(j) == DF_JOB_DECODING) ck_assert_int_eq(df_mapper_step(m, NULL, &e), DF_OK);
            df_mapping out;
            df_mapping_init(&out, 8);
            double v;
            ck_assert_msg(df_mapper_job_result(j, &out, &v, NULL, &e) == DF_OK, "%s", e.msg);
            df_metrics mt;
            ck_assert_int_eq(df_mapping_eval(q.net, &out, &mt, NULL, &e), DF_OK);
            ck_assert(mt.feasible);
            ck_assert(df_objective_value((df_objective)(i % DF_OBJ_COUNT), &mt) == v);
            for (int32_t gi = 0; gi < out.n_groups; gi++) tiled += !df_group_is_whole(q.net, &out.groups[gi]);
            only_tiles += df_net_check_budget(q.net, NULL) != DF_OK;
            decoded++;
            df_mapping_free(&out);
            df_mapper_job_free(m, j);
        }
        df_mapping_free(&exact);
        free_req(&q);
    }
    ck_assert_int_ge(decoded, 20);
    ck_assert_int_gt(tiled, 10);
    ck_assert_int_gt(only_tiles, 0);
    ck_assert_int_eq(df_mapper_free_slots(m), 16);
    df_mapper_free(m);
    /* a batch-layout model is refused as depth-first weights (A does not match) */
    df_gpt_config bcfg = {DF_FEATURES, DF_ACTIONS, 8, 1, 2, 16};
    df_gpt g;
    df_feature_norm norm;
    df_train_meta meta = {0};
    meta.layout = DF_LAYOUT_DEPTH_FIRST;
    ck_assert_int_eq(df_gpt_init(&g, &bcfg, 1, &e), DF_OK);
    ck_assert_int_eq(df_feature_norm_init(&norm, DF_FEATURES, &e), DF_OK);
    ck_assert_int_eq(df_mapper_from_model(&m, &g, &norm, &meta, 4, &e), DF_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "depth_first"));
}
END_TEST

/* df_mapper_episode_clone (the daemon's episode cache) owns every array of a depth-first episode: each
 * a copy at its own address with the same bytes, so the clone and the job free theirs apart (a shared
 * one was freed twice: ASan in test_weights_space.sh), and a job admitted with the clone decodes the
 * same mapping. */
START_TEST(test_episode_clone_depth_first) {
    df_err e;
    df_mapper *m = tu_df_layout_mapper();
    df_net *net = tu_zoo_net("resnet18", 256 << 10, 4, NULL);
    df_mapper_job *j1, *j2;
    ck_assert_msg(df_mapper_admit(m, net, DF_OBJ_LATENCY, 1, 7, NULL, &j1, &e) == DF_OK, "%s", e.msg);
    const df_episode *a = df_mapper_job_episode(j1);
    df_episode c;
    ck_assert_int_eq(df_mapper_episode_clone(&c, a, NULL), DF_OK);
    size_t L = (size_t)a->L;
    const struct {
        const void *x, *y;
        size_t n;
    } arr[] = {{a->max_single_m, c.max_single_m, L * sizeof *a->max_single_m},
               {a->lbl_cost, c.lbl_cost, L * 3 * sizeof *a->lbl_cost},
               {a->static_feat, c.static_feat, L * DF_FEATURES * sizeof *a->static_feat},
               {a->start_ok, c.start_ok, L * sizeof *a->start_ok},
               {a->n_opts, c.n_opts, L * sizeof *a->n_opts},
               {a->opts, c.opts, L * DF_CLOSE_MAX_OPTIONS * sizeof *a->opts},
               {a->alone_cost, c.alone_cost, L * 3 * sizeof *a->alone_cost}};
    for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) {
        ck_assert_msg(arr[i].x != NULL, "array %zu of the depth-first episode is set", i);
        ck_assert_msg(arr[i].y != arr[i].x, "array %zu of the clone is its own", i);
        ck_assert_msg(memcmp(arr[i].x, arr[i].y, arr[i].n) == 0, "array %zu of the clone has the same bytes", i);
    }
    ck_assert_msg(df_mapper_admit_ep(m, net, DF_OBJ_LATENCY, 1, 7, NULL, &c, &j2, &e) == DF_OK, "%s", e.msg);
    while (df_mapper_job_state(j1) == DF_JOB_DECODING || df_mapper_job_state(j2) == DF_JOB_DECODING)
        ck_assert_int_eq(df_mapper_step(m, NULL, &e), DF_OK);
    df_mapping o1, o2;
    df_mapping_init(&o1, 8);
    df_mapping_init(&o2, 8);
    ck_assert_int_eq(df_mapper_job_result(j1, &o1, NULL, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapper_job_result(j2, &o2, NULL, NULL, &e), DF_OK);
    ck_assert_int_eq(o1.n_groups, o2.n_groups);
    for (int32_t g = 0; g < o1.n_groups; g++) {
        ck_assert_int_eq(o1.groups[g].last, o2.groups[g].last);
        ck_assert_int_eq(o1.groups[g].micro_batch, o2.groups[g].micro_batch);
        ck_assert_int_eq(o1.groups[g].tile_rows, o2.groups[g].tile_rows);
        ck_assert_int_eq(o1.groups[g].overlap, o2.groups[g].overlap);
    }
    df_mapper_job_free(m, j1);
    df_mapper_job_free(m, j2);
    df_episode_free(&c);
    df_mapping_free(&o1);
    df_mapping_free(&o2);
    df_net_free(net);
    df_mapper_free(m);
}
END_TEST

START_TEST(test_feature_mismatch_refused) {
    df_gpt_config cfg = {DF_FEATURES + 1, DF_ACTIONS, 8, 1, 2, 16};
    df_gpt g;
    df_feature_norm norm;
    df_err e;
    ck_assert_int_eq(df_gpt_init(&g, &cfg, 1, &e), DF_OK);
    ck_assert_int_eq(df_feature_norm_init(&norm, DF_FEATURES + 1, &e), DF_OK);
    df_mapper *m;
    ck_assert_int_eq(df_mapper_from_model(&m, &g, &norm, NULL, 4, &e), DF_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "make weights"));
}
END_TEST

START_TEST(test_embedded_weights_decode_zoo) {
    size_t len;
    const uint8_t *blob = df_weights_embedded(&len);
    ck_assert(len > 1000);
    ck_assert_int_eq(memcmp(blob, DF_WEIGHTS_MAGIC, 8), 0);
    df_mapper *m;
    df_err e;
    ck_assert_msg(df_mapper_load_embedded(&m, 4, &e) == DF_OK, "%s", e.msg);
    df_workload w;
    df_hw h;
    ck_assert_int_eq(df_zoo_build("resnet50", NULL, &w, &e), DF_OK);
    ck_assert_int_eq(df_hw_preset("edge", &h, &e), DF_OK);
    df_net *n;
    ck_assert_int_eq(df_net_init(&n, &w, &h, 8, &e), DF_OK);
    df_mapping map, lbl;
    df_mapping_init(&map, 16);
    df_mapping_init(&lbl, 16);
    ck_assert_int_eq(df_solve_transformer(m, n, DF_OBJ_LATENCY, 2, &map, NULL, &e), DF_OK);
    ck_assert_int_eq(df_solve_lbl(n, DF_OBJ_LATENCY, &lbl, NULL, &e), DF_OK);
    df_metrics mt, ml;
    ck_assert_int_eq(df_mapping_eval(n, &map, &mt, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapping_eval(n, &lbl, &ml, NULL, &e), DF_OK);
    ck_assert(mt.feasible);
    ck_assert(mt.latency_cycles < 1.5 * ml.latency_cycles); /* a trained model, not noise */
    df_net_free(n);
    df_workload_free(&w);
    /* a 300-layer network (longer than the 192-position context): decoded by sliding, feasible, and
     * close to the exact optimum (the bench measures 1.000-1.01 on 208-400 layer networks) */
    df_netbuild b;
    df_workload_init(&w, "chain300");
    df_nb_init(&b, &w, 64, 1, 1);
    int32_t x = -1;
    for (int i = 0; i < 300; i++) x = df_nb_fc(&b, "fc", x, 32 + 32 * (i % 7));
    ck_assert_int_eq(df_nb_finish(&b, &e), DF_OK);
    h.buffer_bytes = 64 << 10;
    h.energy = df_energy_default(h.elem_bytes, h.buffer_bytes);
    ck_assert_int_eq(df_net_init(&n, &w, &h, 4, &e), DF_OK);
    df_mapping ex;
    df_mapping_init(&ex, 16);
    ck_assert_msg(df_solve_transformer(m, n, DF_OBJ_LATENCY, 1, &map, NULL, &e) == DF_OK, "%s", e.msg);
    ck_assert_int_eq(df_solve_exact(n, DF_OBJ_LATENCY, &ex, NULL, &e), DF_OK);
    df_metrics mx;
    ck_assert_int_eq(df_mapping_eval(n, &map, &mt, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapping_eval(n, &ex, &mx, NULL, &e), DF_OK);
    ck_assert(mt.feasible);
    printf("  300-layer chain, shipped weights: transformer / exact latency %.4f\n",
           mt.latency_cycles / mx.latency_cycles);
    ck_assert(mt.latency_cycles <= 1.05 * mx.latency_cycles);
    df_mapping_free(&ex);
    df_mapping_free(&map);
    df_mapping_free(&lbl);
    df_net_free(n);
    df_workload_free(&w);
    df_mapper_free(m);
}
END_TEST

/* Visits the fixed set: every zoo network x (edge, cloud) x (256 KiB, 2 MiB) x (latency, energy) at
 * batch 8, then 60 requests sampled from the three splits in turn (seed 2027, up to 192 layers). */
typedef void (*fixed_case_fn)(void *ctx, const df_net *n, df_objective o, const char *what);

static void for_each_fixed_case(fixed_case_fn fn, void *ctx) {
    const char *presets[] = {"edge", "cloud"};
    const int64_t budgets[] = {256 << 10, 2 << 20};
    df_err e;
    for (int32_t z = 0; z < df_zoo_count(); z++)
        for (int p = 0; p < 2; p++)
            for (int bu = 0; bu < 2; bu++)
                for (int o = 0; o < 2; o++) {
                    df_workload w;
                    df_hw h;
                    df_net *n;
                    ck_assert_int_eq(df_zoo_build(df_zoo_name(z), NULL, &w, &e), DF_OK);
                    ck_assert_int_eq(df_hw_preset(presets[p], &h, &e), DF_OK);
                    h.buffer_bytes = budgets[bu];
                    h.energy = df_energy_default(h.elem_bytes, h.buffer_bytes);
                    ck_assert_int_eq(df_net_init(&n, &w, &h, 8, &e), DF_OK);
                    char what[96];
                    snprintf(what, sizeof what, "%s %s %lld B %s", df_zoo_name(z), presets[p], (long long)budgets[bu],
                             o ? "energy" : "latency");
                    fn(ctx, n, o ? DF_OBJ_ENERGY : DF_OBJ_LATENCY, what);
                    df_net_free(n);
                    df_workload_free(&w);
                }
    df_rng r;
    df_rng_seed(&r, 2027);
    for (int i = 0; i < 60; i++) {
        df_request_sample q;
        ck_assert_int_eq(df_sample_request(&r, (df_split)(i % DF_SPLIT_COUNT), 192, &q, &e), DF_OK);
        df_net *n;
        ck_assert_int_eq(df_net_init(&n, &q.w, &q.hw, q.batch, &e), DF_OK);
        char what[64];
        snprintf(what, sizeof what, "sampled request %d", i);
        fn(ctx, n, q.obj, what);
        df_net_free(n);
        df_workload_free(&q.w);
    }
}

static double objective_of(const df_net *n, df_objective o, const df_mapping *m) {
    df_metrics me;
    df_err e;
    ck_assert_int_eq(df_mapping_eval(n, m, &me, NULL, &e), DF_OK);
    return df_objective_value(o, &me);
}

/* Greedy decisions of mapper `test` against the exact-math model on each case: the same outcome; a
 * mapping where they differ is counted and printed with its objective relative to the exact-math
 * model's (df_mapping_eval). */
typedef struct {
    df_mapper *test, *exact;
    const char *label;
    int count, differ;
} decide_tally;

static void decide_both(void *ctx, const df_net *n, df_objective o, const char *what) {
    decide_tally *t = ctx;
    df_mapping a, b;
    df_err e;
    df_mapping_init(&a, 16);
    df_mapping_init(&b, 16);
    int ra = df_solve_transformer(t->test, n, o, 1, &a, NULL, &e);
    int rb = df_solve_transformer(t->exact, n, o, 1, &b, NULL, &e);
    ck_assert_int_eq(ra, rb);
    if (ra == DF_OK) {
        t->count++;
        if (!same_groups(&a, &b)) {
            t->differ++;
            double va = objective_of(n, o, &a), vb = objective_of(n, o, &b);
            printf("  %s differs: %s: %d vs %d groups, objective %s / exact %.6f\n", t->label, what, a.n_groups,
                   b.n_groups, t->label, va / vb);
        }
    }
    df_mapping_free(&a);
    df_mapping_free(&b);
}

/* t->test and t->exact: the shipped weights, the second with exact math */
static void tally_load(decide_tally *t) {
    df_err e;
    ck_assert_msg(df_mapper_load_embedded(&t->test, 4, &e) == DF_OK, "%s", e.msg);
    ck_assert_msg(df_mapper_load_embedded(&t->exact, 4, &e) == DF_OK, "%s", e.msg);
    df_mapper_set_exact_math(t->exact, 1);
}

/* The fast kernels (vectorised layernorm and GELU, fused attention with an online softmax) take the
 * same greedy decisions as the exact-math model (reference kernels in double) with the shipped
 * weights, on the fixed set (for_each_fixed_case). */
START_TEST(test_fast_kernels_decide_as_exact_math) {
    decide_tally t = {.label = "fast kernels"};
    tally_load(&t);
    for_each_fixed_case(decide_both, &t);
    ck_assert_int_ge(t.count, 100);
    printf("  fast kernels vs exact-math model: %d of %d greedy mappings identical\n", t.count - t.differ, t.count);
    ck_assert_msg(t.differ == 0, "fast kernels decide differently from the exact-math model in %d cases", t.differ);
    df_mapper_free(t.test);
    df_mapper_free(t.exact);
}
END_TEST

/* The binary16 weight panels (df_mapper_set_f16) against the exact-math model on the same fixed set:
 * the test asserts they all decide alike. Beyond this set they do not always
 * (tests/bench/bench_f16_decide: 10 of 3000 sampled requests), which is why binary16 is off by default. */
START_TEST(test_f16_weights_decide_as_exact_math) {
    decide_tally t = {.label = "f16"};
    tally_load(&t);
    if (!df_mapper_set_f16(t.test, 1)) {
        printf("  no avx512f: binary16 weight panels not available, test skipped\n");
        df_mapper_free(t.test);
        df_mapper_free(t.exact);
        return;
    }
    for_each_fixed_case(decide_both, &t);
    printf("  binary16 weight panels vs exact-math model: %d of %d greedy mappings identical\n", t.count - t.differ,
           t.count);
    ck_assert_int_ge(t.count, 100);
    ck_assert_int_eq(t.differ, 0);
    df_mapper_free(t.test);
    df_mapper_free(t.exact);
}
END_TEST

/* The shipped weights with their six packed matrices rounded to binary16 (df_gpt_round_f16; a no-op
 * on weights that already are binary16 values), as a mapper */
static df_mapper *load_rounded(void) {
    size_t len;
    const uint8_t *buf = df_weights_embedded(&len);
    df_gpt model;
    df_feature_norm norm;
    df_train_meta meta;
    df_mapper *mp;
    df_err e;
    ck_assert_msg(df_weights_load_buffer(buf, len, &model, &norm, &meta, &e) == DF_OK, "%s", e.msg);
    df_gpt_round_f16(&model, NULL);
    ck_assert(df_gpt_f16_lossless(&model));
    ck_assert_msg(df_mapper_from_model(&mp, &model, &norm, &meta, 4, &e) == DF_OK, "%s", e.msg);
    return mp;
}

/* Weights rounded to binary16: the mapper reports them lossless and has the binary16 panels on by
 * default (avx512f), and its greedy decisions on the fixed set are those of the same weights on the
 * float panels, every one (the products are equal bit for bit: check_gpt). */
START_TEST(test_f16_rounded_decides_as_float_panels) {
    decide_tally t = {.label = "binary16 panels"};
    t.test = load_rounded();
    t.exact = load_rounded();
    ck_assert(df_mapper_f16_lossless(t.test));
    ck_assert_int_eq(df_mapper_f16(t.test), df_linear_packed_ok());
    ck_assert_int_eq(df_mapper_set_f16(t.exact, 0), 0);
    for_each_fixed_case(decide_both, &t);
    printf("  rounded weights, binary16 panels %s vs float panels: %d of %d greedy mappings identical\n",
           df_mapper_f16(t.test) ? "(default)" : "(unavailable)", t.count - t.differ, t.count);
    ck_assert_int_ge(t.count, 100);
    ck_assert_int_eq(t.differ, 0);
    df_mapper_free(t.test);
    df_mapper_free(t.exact);
}
END_TEST

/* The shipped weights are binary16 values (v3.2: dnnfuser-train --round-f16), so they load with the
 * binary16 panels on (where the CPU has avx512f). */
START_TEST(test_shipped_weights_f16_default) {
    df_mapper *mp;
    df_err e;
    ck_assert_msg(df_mapper_load_embedded(&mp, 4, &e) == DF_OK, "%s", e.msg);
    ck_assert_msg(df_mapper_f16_lossless(mp), "shipped weights not binary16 values (HINT: dnnfuser-train --round-f16 "
                                              "--from weights/dnnfuser.weights --out ...)");
    ck_assert_int_eq(df_mapper_f16(mp), df_linear_packed_ok());
    df_mapper_free(mp);
}
END_TEST

static Suite *mapper_suite(void) {
    Suite *s = suite_create("mapper");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_alone_equals_batched_and_feasible);
    tcase_add_test(tc, test_slots_cancel_and_limits);
    tcase_add_test(tc, test_lifecycle_and_dead_end);
    tcase_add_test(tc, test_longer_than_context);
    tcase_add_test(tc, test_replay_rows_batched);
    tcase_add_test(tc, test_feature_mismatch_refused);
    tcase_add_test(tc, test_depth_first_layout_decodes_feasible);
    tcase_add_test(tc, test_embedded_weights_decode_zoo);
    tcase_add_test(tc, test_fast_kernels_decide_as_exact_math);
    tcase_add_test(tc, test_f16_weights_decide_as_exact_math);
    tcase_add_test(tc, test_f16_rounded_decides_as_float_panels);
    tcase_add_test(tc, test_shipped_weights_f16_default);
    tcase_add_test(tc, test_episode_clone_depth_first);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(mapper_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
