/* check_train.c - Check suite "train": the teacher data of dnnfuser-train (src/train/dataset.c).
 * The exact solver's depth-first answers on zoo networks at several budgets, encoded in the
 * depth-first action layout by df_teacher_label, decode back (df_teacher_decode) to the same mapping:
 * groups, micro-batches, tiles and overlap modes; each close target names the teacher's tile in
 * df_tile_options (solve's list, not the features' copy); the recorded masks are the schedule's and
 * allow every target; a close target moved by one slot decodes to a different tile. The batch layout
 * round-trips the same way, and the generated data set is identical for any thread count. Laid out
 * as a training batch (df_batch_fill), the labels give one close decision per teacher group on the
 * row that makes it, and the two-head model (df_gpt_forward_heads) fits its close head to them. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include "../../src/train/dataset.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/tile.h"
#include "dnnfuser/zoo.h"

static void assert_same_mapping(const df_net *n, const df_mapping *a, const df_mapping *b, const char *what) {
    ck_assert_msg(a->n_groups == b->n_groups, "%s: %d groups decoded, teacher %d", what, a->n_groups, b->n_groups);
    for (int32_t g = 0; g < a->n_groups; g++) {
        const df_group *x = &a->groups[g], *y = &b->groups[g];
        ck_assert_msg(x->first == y->first && x->last == y->last && x->micro_batch == y->micro_batch,
                      "%s: group %d [%d, %d] m %d decoded, teacher [%d, %d] m %d", what, g, x->first, x->last,
                      x->micro_batch, y->first, y->last, y->micro_batch);
        ck_assert_int_eq(df_group_is_whole(n, x), df_group_is_whole(n, y));
        if (!df_group_is_whole(n, y))
            ck_assert_msg(x->tile_rows == y->tile_rows && x->tile_cols == y->tile_cols && x->overlap == y->overlap,
                          "%s: group %d tile %dx%d %s decoded, teacher %dx%d %s", what, g, x->tile_rows, x->tile_cols,
                          df_overlap_name((df_overlap)x->overlap), y->tile_rows, y->tile_cols,
                          df_overlap_name((df_overlap)y->overlap));
    }
}

/* does the decoded mapping differ from the teacher's in some group's tile or mode? */
static int tiles_differ(const df_net *n, const df_mapping *a, const df_mapping *b) {
    if (a->n_groups != b->n_groups) return 1;
    for (int32_t g = 0; g < a->n_groups; g++) {
        const df_group *x = &a->groups[g], *y = &b->groups[g];
        if (df_group_is_whole(n, x) != df_group_is_whole(n, y)) return 1;
        if (!df_group_is_whole(n, y) &&
            (x->tile_rows != y->tile_rows || x->tile_cols != y->tile_cols || x->overlap != y->overlap))
            return 1;
    }
    return 0;
}

/* does a teacher group start at layer t? */
static int teacher_starts(const df_mapping *m, int32_t t) {
    for (int32_t g = 0; g < m->n_groups; g++)
        if (m->groups[g].first == t) return 1;
    return 0;
}

static int tiled_total, mutations, whole_closes;

/* labels one teacher answer, checks every row, decodes it back and mutates each tile target by +-1 */
static void check_round_trip(const df_net *n, const df_episode *ep, const df_mapping *teacher, const char *what) {
    df_err e;
    df_teacher_seq sq;
    ck_assert_msg(df_teacher_label(ep, teacher, &sq, &e) == DF_OK, "%s: %s", what, e.msg);
    int32_t L = ep->L;
    int df = ep->layout == DF_LAYOUT_DEPTH_FIRST;
    ck_assert_int_eq(sq.len, L);
    /* the recorded features and masks are the schedule's, and every target is allowed by them */
    df_sched s;
    df_sched_begin(&s);
    float x[DF_FEATURES];
    uint8_t mask[DF_ACTIONS], cmask[DF_CLOSE_SLOTS];
    while (s.t < L) {
        int32_t t = s.t;
        df_sched_observe(ep, &s, x, mask);
        ck_assert(memcmp(x, &sq.x[(size_t)t * DF_FEATURES], sizeof x) == 0);
        ck_assert(memcmp(mask, &sq.mask[(size_t)t * DF_ACTIONS], sizeof mask) == 0);
        int a = sq.target[t];
        ck_assert_msg(a >= 0 && a < DF_ACTIONS && mask[a], "%s: target %d masked at %d", what, a, t);
        ck_assert_int_eq(a > 0, t == 0 || teacher_starts(teacher, t));
        if (df) {
            const uint8_t *rm = &sq.cmask[(size_t)t * DF_CLOSE_SLOTS];
            if (a > 0 && t > 0) {
                ck_assert_int_eq(df_sched_close_mask(ep, &s, cmask), 1);
                ck_assert(memcmp(cmask, rm, sizeof cmask) == 0);
                ck_assert_msg(sq.ctarget[t] >= 0 && rm[sq.ctarget[t]], "%s: close %d masked", what, sq.ctarget[t]);
                ck_assert_int_eq(df_sched_close(ep, &s, sq.ctarget[t]), DF_OK);
            } else {
                ck_assert_int_eq(sq.ctarget[t], -1);
                for (int c = 0; c < DF_CLOSE_SLOTS; c++) ck_assert_int_eq(rm[c], 0);
            }
        }
        ck_assert_int_eq(df_sched_apply(ep, &s, a), DF_OK);
    }
    if (df) {
        ck_assert_int_eq(df_sched_close_mask(ep, &s, cmask), 1);
        ck_assert(memcmp(cmask, sq.emask, sizeof cmask) == 0);
        ck_assert(sq.etarget >= 0 && sq.emask[sq.etarget]);
        ck_assert_int_eq(df_sched_close(ep, &s, sq.etarget), DF_OK);
    }
    /* the decode's own sums are the teacher's objective value */
    df_metrics me, ms;
    ck_assert_int_eq(df_mapping_eval(n, teacher, &me, NULL, &e), DF_OK);
    df_sched_metrics(ep, &s, &ms);
    ck_assert_msg(df_objective_value(ep->obj, &ms) == df_objective_value(ep->obj, &me), "%s: %.17g vs %.17g", what,
                  df_objective_value(ep->obj, &ms), df_objective_value(ep->obj, &me));

    df_mapping back;
    df_mapping_init(&back, 8);
    ck_assert_msg(df_teacher_decode(ep, sq.target, sq.ctarget, sq.etarget, &back, &e) == DF_OK, "%s: %s", what, e.msg);
    assert_same_mapping(n, &back, teacher, what);
    df_mapping_free(&back);
    if (!df) {
        df_teacher_seq_free(&sq);
        return;
    }

    /* each close target, read against solve's df_tile_options of the group's last layer */
    df_tile_option opt[DF_MAX_TILE_OPTIONS];
    for (int32_t g = 0; g < teacher->n_groups; g++) {
        const df_group *gr = &teacher->groups[g];
        int32_t last = gr->last, *slot = last == L - 1 ? &sq.etarget : &sq.ctarget[last + 1];
        int32_t no = df_tile_options(df_net_workload(n), last, opt);
        if (df_group_is_whole(n, gr)) {
            ck_assert_int_eq(*slot, 0);
            whole_closes++;
            continue;
        }
        tiled_total++;
        ck_assert_msg(*slot >= 1 && *slot <= no, "%s: group %d close slot %d of %d options", what, g, *slot, no);
        const df_tile_option *o = &opt[*slot - 1];
        ck_assert_msg(o->rows == gr->tile_rows && o->cols == gr->tile_cols && o->overlap == gr->overlap,
                      "%s: group %d slot %d names %dx%d %s, teacher %dx%d %s", what, g, *slot, o->rows, o->cols,
                      df_overlap_name((df_overlap)o->overlap), gr->tile_rows, gr->tile_cols,
                      df_overlap_name((df_overlap)gr->overlap));
        /* a target off by one slot decodes to another tile (or is refused) */
        int32_t keep = *slot;
        for (int d = -1; d <= 1; d += 2) {
            *slot = keep + d;
            df_mapping_init(&back, 8);
            int rc = df_teacher_decode(ep, sq.target, sq.ctarget, sq.etarget, &back, NULL);
            ck_assert_msg(rc != DF_OK || tiles_differ(n, &back, teacher), "%s: slot %d decodes like slot %d", what,
                          keep + d, keep);
            mutations++;
            df_mapping_free(&back);
        }
        *slot = keep;
    }
    df_teacher_seq_free(&sq);
}

START_TEST(test_df_teacher_round_trip_zoo) {
    static const char *nets[] = {"resnet18", "mobilenetv2", "fsrcnn", "yolov5s_backbone", "resnet18_512"};
    static const int64_t budgets[] = {64 << 10, 256 << 10, 1 << 20};
    static const df_objective objs[] = {DF_OBJ_LATENCY, DF_OBJ_ENERGY, DF_OBJ_DRAM};
    int rounds = 0, infeasible = 0, c = 0;
    tiled_total = mutations = whole_closes = 0;
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++)
        for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++, c++) {
            int32_t N = c % 3 == 2 ? 4 : 1; /* every micro-batch has a slot when N <= 8 */
            df_net *n = tu_zoo_net(nets[i], budgets[b], N, NULL);
            df_objective obj = objs[c % 3];
            df_mapping m;
            df_mapping_init(&m, 16);
            char what[96];
            snprintf(what, sizeof what, "%s %lld B batch %d %s", nets[i], (long long)budgets[b], N,
                     df_objective_name(obj));
            if (df_solve_exact_in(n, obj, DF_SPACE_DEPTH_FIRST, &m, NULL, NULL) == DF_OK) {
                df_episode ep;
                ck_assert_int_eq(df_episode_init_layout(&ep, n, obj, DF_LAYOUT_DEPTH_FIRST, NULL), DF_OK);
                check_round_trip(n, &ep, &m, what);
                df_episode_free(&ep);
                rounds++;
            } else {
                infeasible++;
            }
            df_mapping_free(&m);
            df_net_free(n);
        }
    ck_assert_int_ge(rounds, 11);
    ck_assert_int_gt(tiled_total, 10);
    ck_assert_int_gt(whole_closes, 10);
    ck_assert_int_eq(mutations, 2 * tiled_total);
}
END_TEST

START_TEST(test_batch_teacher_round_trip_zoo) {
    static const char *nets[] = {"resnet18", "mobilenetv2", "vgg16"};
    for (size_t i = 0; i < sizeof nets / sizeof *nets; i++)
        for (int32_t N = 1; N <= 8; N *= 8) {
            df_net *n = tu_zoo_net(nets[i], 1 << 20, N, NULL);
            df_mapping m;
            df_mapping_init(&m, 16);
            ck_assert_int_eq(df_solve_exact(n, DF_OBJ_LATENCY, &m, NULL, NULL), DF_OK);
            df_episode ep;
            ck_assert_int_eq(df_episode_init(&ep, n, DF_OBJ_LATENCY, NULL), DF_OK);
            df_teacher_seq sq;
            ck_assert_int_eq(df_teacher_label(&ep, &m, &sq, NULL), DF_OK);
            ck_assert(sq.cmask == NULL && sq.ctarget == NULL);
            df_teacher_seq_free(&sq);
            check_round_trip(n, &ep, &m, nets[i]);
            df_episode_free(&ep);
            df_mapping_free(&m);
            df_net_free(n);
        }
}
END_TEST

/* a mapping whose tile is not among the close options is refused, not labelled as another tile */
START_TEST(test_df_label_refuses_foreign_tile) {
    df_net *n = tu_zoo_net("resnet18_512", 256 << 10, 1, NULL);
    df_mapping m;
    df_mapping_init(&m, 16);
    ck_assert_int_eq(df_solve_exact_in(n, DF_OBJ_ENERGY, DF_SPACE_DEPTH_FIRST, &m, NULL, NULL), DF_OK);
    int32_t g = 0;
    while (g < m.n_groups && df_group_is_whole(n, &m.groups[g])) g++;
    ck_assert_int_lt(g, m.n_groups); /* the teacher tiles a group here (docs/depth_first_results.md) */
    m.groups[g].tile_rows += 1;      /* not a candidate of df_tile_candidates */
    df_episode ep;
    ck_assert_int_eq(df_episode_init_layout(&ep, n, DF_OBJ_ENERGY, DF_LAYOUT_DEPTH_FIRST, NULL), DF_OK);
    df_teacher_seq sq;
    df_err e;
    ck_assert_int_eq(df_teacher_label(&ep, &m, &sq, &e), DF_EINVAL);
    ck_assert_ptr_null(sq.x);
    df_episode_free(&ep);
    df_mapping_free(&m);
    df_net_free(n);
}
END_TEST

static void ds_equal(const df_dataset *a, const df_dataset *b) {
    ck_assert_int_eq(a->n, b->n);
    ck_assert_int_eq(a->rows, b->rows);
    ck_assert_int_eq(a->layout, b->layout);
    ck_assert(memcmp(a->off, b->off, ((size_t)a->n + 1) * sizeof *a->off) == 0);
    ck_assert(memcmp(a->x, b->x, (size_t)a->rows * DF_FEATURES * sizeof *a->x) == 0);
    ck_assert(memcmp(a->mask, b->mask, (size_t)a->rows * DF_ACTIONS) == 0);
    ck_assert(memcmp(a->target, b->target, (size_t)a->rows * sizeof *a->target) == 0);
    ck_assert(memcmp(a->cmask, b->cmask, (size_t)a->rows * DF_CLOSE_SLOTS) == 0);
    ck_assert(memcmp(a->ctarget, b->ctarget, (size_t)a->rows * sizeof *a->ctarget) == 0);
    ck_assert(memcmp(a->emask, b->emask, (size_t)a->n * DF_CLOSE_SLOTS) == 0);
    ck_assert(memcmp(a->etarget, b->etarget, (size_t)a->n * sizeof *a->etarget) == 0);
    ck_assert(memcmp(&a->st, &b->st, sizeof a->st) == 0);
}

START_TEST(test_df_dataset_deterministic) {
    df_dataset a, b;
    df_err e;
    ck_assert_msg(df_dataset_generate_in(&a, DF_SPLIT_TRAIN, DF_SPACE_DEPTH_FIRST, 6, 18, 24, 1, NULL, NULL, &e) ==
                      DF_OK,
                  "%s", e.msg);
    ck_assert_int_eq(df_dataset_generate_in(&b, DF_SPLIT_TRAIN, DF_SPACE_DEPTH_FIRST, 6, 18, 24, 2, NULL, NULL, &e),
                     DF_OK);
    ds_equal(&a, &b);
    ck_assert_int_eq(a.layout, DF_LAYOUT_DEPTH_FIRST);
    /* one close per group: the starts after layer 0 and the final one, each allowed by its mask */
    int64_t closes = 0;
    for (int32_t i = 0; i < a.n; i++) {
        for (int64_t r = a.off[i]; r < a.off[i + 1]; r++) {
            int start = a.target[r] > 0 && r > a.off[i];
            ck_assert_int_eq(a.ctarget[r] >= 0, start);
            if (start) ck_assert(a.cmask[(size_t)r * DF_CLOSE_SLOTS + a.ctarget[r]]);
            closes += start;
        }
        ck_assert(a.etarget[i] >= 0 && a.emask[(size_t)i * DF_CLOSE_SLOTS + a.etarget[i]]);
        closes++;
    }
    ck_assert_int_eq(closes, a.st.groups);
    int64_t modes = 0;
    for (int o = 0; o < DF_OVERLAP_COUNT; o++) modes += a.st.by_mode[o];
    ck_assert_int_eq(modes, a.st.tiled);
    df_dataset_free(&a);
    df_dataset_free(&b);
    /* the batch space: no close fields */
    ck_assert_int_eq(df_dataset_generate_in(&a, DF_SPLIT_TRAIN, DF_SPACE_BATCH, 3, 18, 24, 1, NULL, NULL, &e), DF_OK);
    ck_assert(a.layout == DF_LAYOUT_BATCH && a.cmask == NULL && a.ctarget == NULL && a.st.tiled == 0);
    df_dataset_free(&a);
}
END_TEST

/* A training batch of depth-first labels (df_batch_fill): sequences padded to the longest, one close
 * decision per teacher group on the row whose token makes it (the final one on the last row), each
 * under its recorded mask; df_gpt_forward_heads takes it, and a small two-head model fitted to it
 * for 80 AdamW steps brings the close head's loss below a quarter of its first value. */
START_TEST(test_df_batch_trains_close_head) {
    df_dataset ds;
    df_err e;
    ck_assert_msg(df_dataset_generate_in(&ds, DF_SPLIT_TRAIN, DF_SPACE_DEPTH_FIRST, 6, 18, 24, 2, NULL, NULL, &e) ==
                      DF_OK,
                  "%s", e.msg);
    df_feature_norm norm;
    ck_assert_int_eq(df_feature_norm_init(&norm, DF_FEATURES, &e), DF_OK);
    ck_assert_int_eq(df_feature_norm_fit(&norm, ds.x, (size_t)ds.rows, &e), DF_OK);
    df_feature_norm_apply(&norm, ds.x, (size_t)ds.rows);
    const size_t B = 4;
    df_batch bb;
    ck_assert_int_eq(df_batch_alloc(&bb, B, 24, &e), DF_OK);
    const int32_t pick[4] = {2, 0, 5, 2}; /* a sequence twice */
    memcpy(bb.pick, pick, sizeof pick);
    int32_t Tb = df_batch_fill(&bb, &ds, B), longest = 0, groups = 0, k = 0;
    for (size_t b = 0; b < B; b++) {
        int64_t o0 = ds.off[pick[b]];
        int32_t len = (int32_t)(ds.off[pick[b] + 1] - o0);
        longest = len > longest ? len : longest;
        for (int32_t t = 0; t < Tb; t++) {
            size_t row = b * Tb + t;
            ck_assert_int_eq(bb.tg[row], t < len ? ds.target[o0 + t] : -1);
            if (t < len && ds.ctarget[o0 + t] >= 0) { /* the close this token makes, on its own row */
                ck_assert_int_eq(bb.crow[k], (int32_t)row);
                ck_assert_int_eq(bb.ctg[k], ds.ctarget[o0 + t]);
                ck_assert(memcmp(&bb.cmk[(size_t)k * DF_CLOSE_SLOTS], &ds.cmask[(size_t)(o0 + t) * DF_CLOSE_SLOTS],
                                 DF_CLOSE_SLOTS) == 0);
                k++;
                groups++;
            }
        }
        ck_assert_int_eq(bb.crow[k], (int32_t)(b * Tb + len - 1)); /* the final close, on the last row */
        ck_assert_int_eq(bb.ctg[k], ds.etarget[pick[b]]);
        k++;
        groups++;
    }
    ck_assert_int_eq(Tb, longest);
    ck_assert_int_eq(bb.n_close, k);
    for (int32_t i = 0; i < bb.n_close; i++) ck_assert(bb.cmk[(size_t)i * DF_CLOSE_SLOTS + bb.ctg[i]]);
    /* the depth-first model's two heads train on it */
    const df_gpt_config cfg = {.F = DF_FEATURES, .A = DF_DF_OUTPUTS, .d = 16, .L = 1, .H = 2, .T = 24};
    df_gpt m;
    ck_assert_int_eq(df_gpt_init(&m, &cfg, 7, &e), DF_OK);
    ck_assert_int_eq(df_gpt_train_alloc(&m, (int)B, &e), DF_OK);
    df_gpt_heads h = {.A1 = DF_ACTIONS,
                      .targets = bb.tg,
                      .mask = bb.mk,
                      .n = bb.n_close,
                      .row = bb.crow,
                      .target = bb.ctg,
                      .mask2 = bb.cmk,
                      .weight = 1.0f};
    df_adamw_opts opt = df_adamw_defaults();
    opt.lr = 1e-2f;
    float loss, l1, l2, first = 0, gn;
    for (int step = 0; step < 80; step++) {
        df_gpt_zero_grad(&m);
        ck_assert_msg(df_gpt_forward_heads(&m, bb.x, &h, (int)B, Tb, &loss, &l1, &l2, &e) == DF_OK, "%s", e.msg);
        if (step == 0) first = l2;
        ck_assert_int_eq(m.head_n2, bb.n_close);
        ck_assert_int_eq(df_gpt_backward(&m, &e), DF_OK);
        ck_assert_int_eq(df_gpt_update(&m, &opt, &gn, &e), DF_OK);
    }
    ck_assert_int_eq(df_gpt_forward_heads(&m, bb.x, &h, (int)B, Tb, &loss, &l1, &l2, &e), DF_OK);
    printf("  batch of %d sequences (%d rows each), %d close decisions: close loss %.4f -> %.4f in 80 steps\n", (int)B,
           Tb, bb.n_close, first, l2);
    ck_assert_msg(first > 0.5f && l2 < 0.25f * first, "close loss %.4f -> %.4f", first, l2);
    df_gpt_free(&m);
    df_batch_free(&bb);
    df_feature_norm_free(&norm);
    df_dataset_free(&ds);
}
END_TEST

static Suite *train_suite(void) {
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_df_teacher_round_trip_zoo);
    tcase_add_test(tc, test_batch_teacher_round_trip_zoo);
    tcase_add_test(tc, test_df_label_refuses_foreign_tile);
    tcase_add_test(tc, test_df_dataset_deterministic);
    tcase_add_test(tc, test_df_batch_trains_close_head);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(train_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
