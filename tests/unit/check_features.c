/* check_features.c - Check suite "features": the transformer's action space and feasibility mask.
 * Random decoding through the mask always yields a feasible mapping (feasible by construction, no
 * dead ends); the exact solver's answers become teacher actions that the mask allows at every step
 * and that round-trip to the same mapping when every micro-batch has a slot; features are finite; the
 * decode loop's cached observation (with and without a group memo) equals the plain one, and the
 * decode's own group sums equal df_mapping_eval of the decoded mapping bit for bit. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dnnfuser/features.h"
#include "dnnfuser/solve.h"

static df_net *random_net(df_rng *r, df_workload *w, int32_t N, double budget_factor) {
    tu_random_workload(w, r, 6 + df_rng_range(r, 10), df_rng_range(r, 2));
    df_hw h = tu_hw(4 + df_rng_range(r, 13), 4 + df_rng_range(r, 13), (df_dataflow)df_rng_range(r, 3), 1, 8, 32, 1);
    df_net *n;
    df_err e;
    ck_assert_int_eq(df_net_init(&n, w, &h, N, &e), DF_OK);
    ck_assert_int_eq(df_net_check_budget(n, &e), DF_EINFEASIBLE);
    df_net_free(n);
    h.buffer_bytes = (int64_t)(e.need_bytes * budget_factor);
    ck_assert_int_eq(df_net_init(&n, w, &h, N, &e), DF_OK);
    return n;
}

START_TEST(test_slots) {
    df_workload w;
    df_rng r;
    df_rng_seed(&r, 1);
    df_net *n = random_net(&r, &w, 8, 2.0);
    df_episode ep;
    ck_assert_int_eq(df_episode_init(&ep, n, DF_OBJ_LATENCY, NULL), DF_OK);
    /* N = 8: n_micro 1..8 give m = 8,4,3,2,2,2,2,1 -> distinct 8,4,3,2,1; larger n_micro clamp to 1 */
    int32_t want[DF_MB_SLOTS] = {8, 4, 3, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int k = 0; k < DF_MB_SLOTS; k++) ck_assert_int_eq(ep.slot_m[k], want[k]);
    df_episode_free(&ep);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_random_decoding_always_feasible) {
    df_rng r;
    df_rng_seed(&r, 42);
    int decoded = 0;
    for (int c = 0; c < 60; c++) {
        df_workload w;
        int32_t N = 1 + df_rng_range(&r, 40);
        df_net *n = random_net(&r, &w, N, 1.0 + 6 * df_rng_uniform(&r));
        df_episode ep;
        ck_assert_int_eq(df_episode_init(&ep, n, (df_objective)(c % DF_OBJ_COUNT), NULL), DF_OK);
        df_sched s;
        df_sched_begin(&s);
        int32_t actions[64];
        float x[DF_FEATURES];
        uint8_t mask[DF_ACTIONS];
        df_group_memo *memo = NULL; /* c % 4 == 3: the open group grown through a memo, as the mapper does */
        if (c % 4 == 3) ck_assert_int_eq(df_group_memo_new(n, &memo), DF_OK);
        while (s.t < ep.L) {
            if (c % 2) { /* the decode loop's form keeps the open group's evaluation: same features and mask */
                float x2[DF_FEATURES];
                uint8_t mask2[DF_ACTIONS];
                df_sched_observe(&ep, &s, x2, mask2);
                if (memo)
                    df_sched_observe_step_memo(&ep, &s, memo, x, mask);
                else
                    df_sched_observe_step(&ep, &s, x, mask);
                ck_assert(memcmp(x, x2, sizeof x) == 0 && memcmp(mask, mask2, sizeof mask) == 0);
            } else {
                df_sched_observe(&ep, &s, x, mask);
            }
            for (int i = 0; i < DF_FEATURES; i++) ck_assert_msg(isfinite(x[i]), "feature %d not finite", i);
            int allowed[DF_ACTIONS], na = 0;
            for (int a = 0; a < DF_ACTIONS; a++)
                if (mask[a]) allowed[na++] = a;
            if (na == 0) {
                df_group_cost g1;
                df_group_eval(n, s.t, s.t, 1, &g1);
                ck_abort_msg("dead end at layer %d of %d: N %d, largest single-layer m %d, budget %lld, "
                             "footprint at m=1 %lld",
                             s.t, ep.L, N, ep.max_single_m[s.t], (long long)df_net_hw(n)->buffer_bytes,
                             (long long)g1.footprint_bytes);
            }
            if (s.t == 0) ck_assert(!mask[0]);
            int a = allowed[df_rng_range(&r, na)];
            actions[s.t] = a;
            ck_assert_int_eq(df_sched_apply(&ep, &s, a), DF_OK);
        }
        df_group_memo_free(memo);
        df_mapping m;
        df_mapping_init(&m, 8);
        ck_assert_int_eq(df_sched_actions_to_mapping(&ep, actions, &m, NULL), DF_OK);
        df_metrics mt;
        df_err e;
        ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_OK);
        ck_assert(mt.feasible);
        /* the decode's own sums are the mapping's metrics, bit for bit */
        df_metrics ms;
        df_sched_metrics(&ep, &s, &ms);
        ck_assert(ms.feasible);
        ck_assert(ms.latency_cycles == mt.latency_cycles && ms.energy_pj == mt.energy_pj &&
                  ms.dram_bytes == mt.dram_bytes && ms.latency_s == mt.latency_s && ms.edp == mt.edp);
        for (int o = 0; o < DF_OBJ_COUNT; o++)
            ck_assert(df_objective_value((df_objective)o, &ms) == df_objective_value((df_objective)o, &mt));
        decoded++;
        df_mapping_free(&m);
        df_episode_free(&ep);
        df_net_free(n);
        df_workload_free(&w);
    }
    ck_assert_int_eq(decoded, 60);
}
END_TEST

START_TEST(test_disallowed_action_refused) {
    df_rng r;
    df_rng_seed(&r, 5);
    df_workload w;
    df_net *n = random_net(&r, &w, 4, 1.0);
    df_episode ep;
    ck_assert_int_eq(df_episode_init(&ep, n, DF_OBJ_LATENCY, NULL), DF_OK);
    df_sched s;
    df_sched_begin(&s);
    ck_assert_int_eq(df_sched_apply(&ep, &s, 0), DF_EINVAL);          /* layer 0 cannot join */
    ck_assert_int_eq(df_sched_apply(&ep, &s, DF_ACTIONS), DF_EINVAL); /* out of range */
    ck_assert_int_eq(df_sched_apply(&ep, &s, 1 + 5), DF_EINVAL);      /* slot n_micro 6: duplicate of m = 1 */
    ck_assert_int_eq(s.t, 0);
    df_episode_free(&ep);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_teacher_actions_allowed_and_round_trip) {
    df_rng r;
    df_rng_seed(&r, 9);
    for (int c = 0; c < 40; c++) {
        df_workload w;
        int32_t N = 1 + df_rng_range(&r, 8); /* every micro-batch has a slot when N <= 8 */
        df_net *n = random_net(&r, &w, N, 1.0 + 10 * df_rng_uniform(&r));
        df_objective obj = (df_objective)(c % DF_OBJ_COUNT);
        df_mapping m, back;
        df_mapping_init(&m, 8);
        df_mapping_init(&back, 8);
        df_err e;
        ck_assert_int_eq(df_solve_exact(n, obj, &m, NULL, &e), DF_OK);
        df_episode ep;
        ck_assert_int_eq(df_episode_init(&ep, n, obj, NULL), DF_OK);
        int32_t actions[64];
        ck_assert_int_eq(df_mapping_to_actions(&ep, &m, actions, &e), DF_OK);
        df_sched s;
        df_sched_begin(&s);
        float x[DF_FEATURES];
        uint8_t mask[DF_ACTIONS];
        while (s.t < ep.L) {
            if (c % 2) { /* the decode loop's form keeps the open group's evaluation: same features and mask */
                float x2[DF_FEATURES];
                uint8_t mask2[DF_ACTIONS];
                df_sched_observe(&ep, &s, x2, mask2);
                df_sched_observe_step(&ep, &s, x, mask);
                ck_assert(memcmp(x, x2, sizeof x) == 0 && memcmp(mask, mask2, sizeof mask) == 0);
            } else {
                df_sched_observe(&ep, &s, x, mask);
            }
            ck_assert_msg(mask[actions[s.t]], "teacher action %d masked at layer %d", actions[s.t], s.t);
            ck_assert_int_eq(df_sched_apply(&ep, &s, actions[s.t]), DF_OK);
        }
        ck_assert_int_eq(df_sched_actions_to_mapping(&ep, actions, &back, &e), DF_OK);
        ck_assert_int_eq(back.n_groups, m.n_groups);
        for (int32_t g = 0; g < m.n_groups; g++) {
            ck_assert_int_eq(back.groups[g].first, m.groups[g].first);
            ck_assert_int_eq(back.groups[g].last, m.groups[g].last);
            ck_assert_int_eq(back.groups[g].micro_batch, m.groups[g].micro_batch);
        }
        df_mapping_free(&m);
        df_mapping_free(&back);
        df_episode_free(&ep);
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

/* ---- depth-first layout ---------------------------------------------------------------------- */

/* When set, df_close_one checks every close mask against the solvers' list: slot 1+i names the i-th
 * of df_tile_options(last) (df_close_group's tile), and a slot is allowed exactly when the cost model
 * finds that group feasible (slot 0: df_group_eval of the whole tensor; a tile: df_group_eval_tiled);
 * slots past the list are never allowed. slots_checked counts the tile slots compared. */
static int check_slots;
static int64_t slots_checked, join_checked, join_refused;

static void assert_close_slots(const df_episode *ep, const df_sched *s, int32_t last, const uint8_t *cmask) {
    df_tile_option opt[DF_MAX_TILE_OPTIONS];
    int32_t no = df_tile_options(df_net_workload(ep->net), last, opt);
    ck_assert_int_eq(ep->n_opts[last], no);
    df_group_cost gc, cost[DF_CLOSE_SLOTS];
    int okv[DF_CLOSE_SLOTS] = {0};
    okv[0] = df_group_eval(ep->net, s->gstart, last, s->gm, &cost[0]) == DF_OK && cost[0].feasible;
    for (int c = 1; c <= no; c++) {
        df_group g;
        df_close_group(ep, s->gstart, last, s->gm, c, &g);
        okv[c] = df_group_eval_tiled(ep->net, &g, &cost[c]) == DF_OK && cost[c].feasible;
    }
    /* the close rule (features.h): refused when another feasible slot is cheaper by more than the margin
     * in the objective's per-group cost (EDP: in latency and in energy) */
    int exp_ok[DF_CLOSE_SLOTS] = {0}, any = 0;
    for (int c = 0; c <= no; c++) {
        exp_ok[c] = okv[c];
        for (int b = 0; b <= no && exp_ok[c]; b++) {
            if (!okv[b] || b == c) continue;
            double lb = cost[b].latency_cycles, lc = cost[c].latency_cycles, eb = cost[b].energy_pj,
                   ec = cost[c].energy_pj, m = ep->close_margin;
            int beats = ep->obj == DF_OBJ_ENERGY ? eb * m < ec
                        : ep->obj == DF_OBJ_DRAM ? cost[b].dram_bytes * m < cost[c].dram_bytes
                        : ep->obj == DF_OBJ_EDP  ? lb * m < lc && eb * m < ec
                                                 : lb * m < lc;
            if (beats) exp_ok[c] = 0;
        }
        any |= exp_ok[c];
    }
    int feasible_any = 0;
    for (int c = 0; c <= no; c++) feasible_any |= okv[c];
    ck_assert_int_eq(any, feasible_any); /* the least-cost feasible slot always stays */
    ck_assert_int_eq(cmask[0], exp_ok[0]);
    for (int c = 1; c < DF_CLOSE_SLOTS; c++) {
        df_group g;
        df_close_group(ep, s->gstart, last, s->gm, c, &g);
        ck_assert(g.first == s->gstart && g.last == last && g.micro_batch == s->gm);
        if (c > no) {
            ck_assert_msg(!cmask[c], "slot %d past the %d tile options of layer %d allowed", c, no, last);
            continue;
        }
        const df_tile_option *o = &opt[c - 1];
        ck_assert(g.tile_rows == o->rows && g.tile_cols == o->cols && g.overlap == o->overlap);
        int ok = df_group_eval_tiled(ep->net, &g, &gc) == DF_OK && gc.feasible;
        ck_assert_int_eq(ok, okv[c]);
        ok = exp_ok[c];
        ck_assert_msg(cmask[c] == ok, "slot %d (%dx%d %s) of [%d, %d] at m %d: mask %d, cost model + rule %d", c,
                      o->rows, o->cols, df_overlap_name((df_overlap)o->overlap), s->gstart, last, s->gm, cmask[c], ok);
        slots_checked++;
    }
}

/* the objective's per-group cost k (0 latency, 1 energy, 2 DRAM) of the best feasible close of
 * [first, last] at m, by the cost model directly (INFINITY: none) */
static double brute_best(const df_episode *ep, int32_t first, int32_t last, int32_t m, int k) {
    df_tile_option opt[DF_MAX_TILE_OPTIONS];
    int32_t no = df_tile_options(df_net_workload(ep->net), last, opt);
    double b = INFINITY;
    df_group_cost gc;
    for (int c = 0; c <= no; c++) {
        df_group g = {.first = first, .last = last, .micro_batch = m};
        if (c > 0) {
            g.tile_rows = opt[c - 1].rows;
            g.tile_cols = opt[c - 1].cols;
            g.overlap = opt[c - 1].overlap;
        }
        if ((c == 0 ? df_group_eval(ep->net, first, last, m, &gc) : df_group_eval_tiled(ep->net, &g, &gc)) ||
            !gc.feasible)
            continue;
        double v = k == 0 ? gc.latency_cycles : k == 1 ? gc.energy_pj : gc.dram_bytes;
        if (v < b) b = v;
    }
    return b;
}

/* the join rule (features.h) recomputed: df_sched_join_ratio and the join mask bit of layer s->t */
static void assert_join_rule(const df_episode *ep, const df_sched *s, const uint8_t *mask) {
    int32_t t = s->t;
    if (t == 0 || !s->open) return;
    int ks[2] = {ep->obj == DF_OBJ_ENERGY ? 1 : ep->obj == DF_OBJ_DRAM ? 2 : 0, 1}, nk = ep->obj == DF_OBJ_EDP ? 2 : 1;
    double want = INFINITY;
    int any = isfinite(brute_best(ep, s->gstart, t, s->gm, 0));
    for (int i = 0; i < nk; i++) {
        double alone = INFINITY;
        for (int k = 0; k < DF_MB_SLOTS; k++)
            if (ep->slot_m[k]) alone = fmin(alone, brute_best(ep, t, t, ep->slot_m[k], ks[i]));
        double j = brute_best(ep, s->gstart, t, s->gm, ks[i]),
               now = brute_best(ep, s->gstart, t - 1, s->gm, ks[i]) + alone;
        double r = isfinite(j) && isfinite(now) && now > 0 ? j / now : 0;
        if (r == 0) {
            want = 0;
            break;
        }
        want = fmin(want, r);
    }
    double got = df_sched_join_ratio(ep, s);
    ck_assert_msg(fabs(got - want) <= 1e-9 * fmax(1, want), "join ratio at layer %d: %g, recomputed %g", t, got, want);
    ck_assert_int_eq(mask[0], any && want <= ep->join_margin);
    join_checked++;
    join_refused += any && want > ep->join_margin;
}

/* closes the open group ending at `last` with a random allowed slot (or the teacher's, checked allowed) */
static void df_close_one(const df_episode *ep, df_rng *r, const int32_t *t_close, int32_t *closes, int32_t last,
                         df_sched *s) {
    uint8_t cmask[DF_CLOSE_SLOTS];
    ck_assert_int_eq(df_sched_close_mask(ep, s, cmask), 1);
    if (check_slots) assert_close_slots(ep, s, last, cmask);
    if (s->t < ep->L) ck_assert_int_eq(df_sched_apply(ep, s, 1), DF_EINVAL); /* a start needs it closed */
    int ok[DF_CLOSE_SLOTS], nc = 0;
    for (int c = 0; c < DF_CLOSE_SLOTS; c++)
        if (cmask[c]) ok[nc++] = c;
    ck_assert_msg(nc > 0, "no close slot for the group ending at %d", last);
    int c = t_close ? t_close[last] : ok[df_rng_range(r, nc)];
    ck_assert_msg(cmask[c], "close slot %d masked for the group ending at %d", c, last);
    ck_assert_int_eq(df_sched_close(ep, s, c), DF_OK);
    ck_assert_int_eq(df_sched_close(ep, s, c), DF_EINVAL); /* closed once */
    ck_assert_int_eq(df_sched_close_mask(ep, s, cmask), 0);
    closes[last] = c;
}

/* one depth-first schedule: random allowed actions and close slots (or `teacher` ones, checked allowed) */
static void df_decode(const df_episode *ep, df_rng *r, int cached, const int32_t *t_act, const int32_t *t_close,
                      int32_t *actions, int32_t *closes, df_sched *s) {
    df_sched_begin(s);
    float x[DF_FEATURES];
    uint8_t mask[DF_ACTIONS];
    while (s->t < ep->L) {
        if (cached) {
            float x2[DF_FEATURES];
            uint8_t mask2[DF_ACTIONS];
            df_sched_observe(ep, s, x2, mask2);
            df_sched_observe_step(ep, s, x, mask);
            ck_assert(memcmp(x, x2, sizeof x) == 0 && memcmp(mask, mask2, sizeof mask) == 0);
        } else {
            df_sched_observe(ep, s, x, mask);
        }
        for (int i = 0; i < DF_FEATURES; i++) ck_assert_msg(isfinite(x[i]), "feature %d not finite", i);
        if (check_slots) assert_join_rule(ep, s, mask);
        int allowed[DF_ACTIONS], na = 0;
        for (int a = 0; a < DF_ACTIONS; a++)
            if (mask[a]) allowed[na++] = a;
        ck_assert_msg(na > 0, "dead end at layer %d of %d", s->t, ep->L);
        int a = t_act ? t_act[s->t] : allowed[df_rng_range(r, na)];
        ck_assert_msg(mask[a], "action %d masked at layer %d", a, s->t);
        actions[s->t] = a;
        if (a > 0 && s->t > 0) { /* a start closes the open group */
            df_close_one(ep, r, t_close, closes, s->t - 1, s);
            ck_assert_int_eq(df_sched_apply(ep, s, a), DF_OK);
        } else {
            ck_assert_int_eq(df_sched_apply(ep, s, a), DF_OK);
        }
        if (s->t == ep->L) df_close_one(ep, r, t_close, closes, ep->L - 1, s); /* the final group */
    }
}

START_TEST(test_close_slots_are_tile_options) {
    df_rng r;
    df_rng_seed(&r, 18);
    int decoded = 0;
    check_slots = 1;
    slots_checked = join_checked = join_refused = 0;
    for (int c = 0; c < 16; c++) {
        df_workload w;
        df_net *n = random_net(&r, &w, 1 + df_rng_range(&r, 8), 0.3 + 3 * df_rng_uniform(&r));
        df_episode ep;
        ck_assert_int_eq(df_episode_init_layout(&ep, n, (df_objective)(c % DF_OBJ_COUNT), DF_LAYOUT_DEPTH_FIRST, NULL),
                         DF_OK);
        if (c % 4 == 3) ep.join_margin = ep.close_margin = 1; /* tight margins: refusals, and still no dead end */
        int startable = 1;
        for (int32_t t = 0; t < ep.L; t++) startable &= ep.start_ok[t] != 0;
        if (startable) {
            df_sched s;
            int32_t actions[64], closes[64];
            df_decode(&ep, &r, c % 2, NULL, NULL, actions, closes, &s);
            decoded++;
        }
        df_episode_free(&ep);
        df_net_free(n);
        df_workload_free(&w);
    }
    check_slots = 0;
    ck_assert_int_ge(decoded, 8);
    ck_assert_int_gt(slots_checked, 200);
    ck_assert_int_gt(join_checked, 10);
    ck_assert_int_gt(join_refused, 0);
}
END_TEST

START_TEST(test_df_random_decoding_always_feasible) {
    df_rng r;
    df_rng_seed(&r, 1814);
    int decoded = 0, tiled = 0, below_batch = 0;
    for (int c = 0; c < 48; c++) {
        df_workload w;
        int32_t N = 1 + df_rng_range(&r, 40);
        /* budgets from below the batch space's minimum (only tiles fit) to 6x it */
        df_net *n = random_net(&r, &w, N, 0.3 + 5.7 * df_rng_uniform(&r));
        df_episode ep;
        ck_assert_int_eq(df_episode_init_layout(&ep, n, (df_objective)(c % DF_OBJ_COUNT), DF_LAYOUT_DEPTH_FIRST, NULL),
                         DF_OK);
        int startable = 1;
        for (int32_t t = 0; t < ep.L; t++) startable &= ep.start_ok[t] != 0;
        if (!startable) { /* no mapping of the space fits: the exact solver agrees */
            df_mapping m;
            df_mapping_init(&m, 8);
            ck_assert_int_eq(df_solve_exact_in(n, ep.obj, DF_SPACE_DEPTH_FIRST, &m, NULL, NULL), DF_EINFEASIBLE);
            df_mapping_free(&m);
            df_episode_free(&ep);
            df_net_free(n);
            df_workload_free(&w);
            continue;
        }
        below_batch += df_net_check_budget(n, NULL) != DF_OK;
        df_sched s;
        int32_t actions[64], closes[64];
        df_decode(&ep, &r, c % 2, NULL, NULL, actions, closes, &s);
        df_mapping m;
        df_mapping_init(&m, 8);
        df_err e;
        ck_assert_int_eq(df_sched_actions_to_mapping_df(&ep, actions, closes, &m, &e), DF_OK);
        for (int32_t g = 0; g < m.n_groups; g++) tiled += !df_group_is_whole(n, &m.groups[g]);
        df_metrics mt, ms;
        ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_OK);
        ck_assert(mt.feasible);
        df_sched_metrics(&ep, &s, &ms);
        ck_assert(ms.feasible);
        ck_assert(ms.latency_cycles == mt.latency_cycles && ms.energy_pj == mt.energy_pj &&
                  ms.dram_bytes == mt.dram_bytes && ms.latency_s == mt.latency_s && ms.edp == mt.edp);
        decoded++;
        df_mapping_free(&m);
        df_episode_free(&ep);
        df_net_free(n);
        df_workload_free(&w);
    }
    ck_assert_int_ge(decoded, 30);
    ck_assert_int_gt(tiled, 20);
    ck_assert_int_gt(below_batch, 0);
}
END_TEST

START_TEST(test_df_teacher_round_trip) {
    df_rng r;
    df_rng_seed(&r, 1815);
    int tiled = 0, rounds = 0;
    for (int c = 0; c < 30; c++) {
        df_workload w;
        int32_t N = 1 + df_rng_range(&r, 8); /* every micro-batch has a slot when N <= 8 */
        df_net *n = random_net(&r, &w, N, 0.5 + 6 * df_rng_uniform(&r));
        df_objective obj = (df_objective)(c % DF_OBJ_COUNT);
        df_mapping m, back;
        df_mapping_init(&m, 8);
        df_mapping_init(&back, 8);
        df_err e;
        if (df_solve_exact_in(n, obj, DF_SPACE_DEPTH_FIRST, &m, NULL, &e) == DF_OK) {
            df_episode ep;
            ck_assert_int_eq(df_episode_init_layout(&ep, n, obj, DF_LAYOUT_DEPTH_FIRST, NULL), DF_OK);
            int32_t ta[64], tc[64], actions[64], closes[64];
            ck_assert_int_eq(df_mapping_to_actions_df(&ep, &m, ta, tc, &e), DF_OK);
            df_sched s;
            df_decode(&ep, &r, c % 2, ta, tc, actions, closes, &s);
            ck_assert_int_eq(df_sched_actions_to_mapping_df(&ep, actions, closes, &back, &e), DF_OK);
            ck_assert_int_eq(back.n_groups, m.n_groups);
            for (int32_t g = 0; g < m.n_groups; g++) {
                const df_group *a = &back.groups[g], *b = &m.groups[g];
                ck_assert(a->first == b->first && a->last == b->last && a->micro_batch == b->micro_batch);
                ck_assert_int_eq(df_group_is_whole(n, a), df_group_is_whole(n, b));
                if (!df_group_is_whole(n, b)) {
                    ck_assert(a->tile_rows == b->tile_rows && a->tile_cols == b->tile_cols && a->overlap == b->overlap);
                    tiled++;
                }
            }
            df_metrics me, ms;
            ck_assert_int_eq(df_mapping_eval(n, &m, &me, NULL, &e), DF_OK);
            df_sched_metrics(&ep, &s, &ms);
            ck_assert(df_objective_value(obj, &ms) == df_objective_value(obj, &me));
            rounds++;
            df_episode_free(&ep);
        }
        df_mapping_free(&m);
        df_mapping_free(&back);
        df_net_free(n);
        df_workload_free(&w);
    }
    ck_assert_int_ge(rounds, 20);
    ck_assert_int_gt(tiled, 0);
}
END_TEST

/* The episode's per-layer figures (largest feasible micro-batch alone, best single-layer latency,
 * energy and DRAM) equal a direct df_group_eval of every layer at every slot bit for bit, on zoo
 * networks whose repeated layers take an earlier layer's figures (df_layer_alone_key) and on one
 * without repeats, at two budgets */
START_TEST(test_episode_layer_figures_direct) {
    const char *nets[] = {"gpt2_small", "vit_b_16", "llama7b_block_decode", "resnet50", "fsrcnn"};
    const int64_t budgets[] = {256 << 10, 2 << 20};
    for (size_t z = 0; z < sizeof nets / sizeof nets[0]; z++)
        for (int bu = 0; bu < 2; bu++) {
            df_net *n = tu_zoo_net(nets[z], budgets[bu], 8, NULL);
            df_episode ep;
            ck_assert_int_eq(df_episode_init(&ep, n, DF_OBJ_LATENCY, NULL), DF_OK);
            for (int32_t t = 0; t < ep.L; t++) {
                int32_t ms = 0;
                double best[3] = {INFINITY, INFINITY, INFINITY};
                for (int k = 0; k < DF_MB_SLOTS; k++) {
                    df_group_cost g;
                    if (!ep.slot_m[k]) continue;
                    ck_assert_int_eq(df_group_eval(n, t, t, ep.slot_m[k], &g), DF_OK);
                    if (!g.feasible) continue;
                    if (ep.slot_m[k] > ms) ms = ep.slot_m[k];
                    if (g.latency_cycles < best[0]) best[0] = g.latency_cycles;
                    if (g.energy_pj < best[1]) best[1] = g.energy_pj;
                    if (g.dram_bytes < best[2]) best[2] = g.dram_bytes;
                }
                ck_assert_int_eq(ep.max_single_m[t], ms);
                ck_assert_msg(memcmp(&ep.lbl_cost[(size_t)t * 3], best, sizeof best) == 0, "%s layer %d", nets[z], t);
            }
            df_episode_free(&ep);
            df_net_free(n);
        }
}
END_TEST

static Suite *features_suite(void) {
    Suite *s = suite_create("features");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_slots);
    tcase_add_test(tc, test_episode_layer_figures_direct);
    tcase_add_test(tc, test_random_decoding_always_feasible);
    tcase_add_test(tc, test_disallowed_action_refused);
    tcase_add_test(tc, test_teacher_actions_allowed_and_round_trip);
    tcase_add_test(tc, test_close_slots_are_tile_options);
    tcase_add_test(tc, test_df_random_decoding_always_feasible);
    tcase_add_test(tc, test_df_teacher_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(features_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
