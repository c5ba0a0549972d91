/* check_tiled.c - Check suite "tiled": the depth-first half of the cost model (df_group_eval_tiled,
 * docs/COST_MODEL.md "Depth-first tiles"). A whole tile is today's batch-only fusion to the last bit
 * on every zoo network; tiles let a group fit that does not fit whole and then save DRAM traffic;
 * recompute does extra MACs, cache_all none; the prepared form equals the one-shot form; per-layer
 * footprints agree with the group's; bad tile fields are input errors. */
#include <math.h>
#include <stdlib.h>

#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"
#include "testutil.h"

static void same_cost(const df_group_cost *a, const df_group_cost *b) {
    ck_assert_int_eq(a->feasible, b->feasible);
    ck_assert_int_eq(a->weights_resident, b->weights_resident);
    ck_assert_int_eq(a->footprint_bytes, b->footprint_bytes);
    ck_assert_int_eq(a->peak_layer, b->peak_layer);
    ck_assert(a->latency_cycles == b->latency_cycles);
    ck_assert(a->energy_pj == b->energy_pj);
    ck_assert(a->dram_bytes == b->dram_bytes);
    ck_assert(a->macs == b->macs);
}

/* Every zoo network, three mappings (lbl, groups of three layers, everything in one group), every
 * overlap mode, the tile given as 0 x 0 and as the last layer's P x Q: bit-identical metrics, group
 * costs and per-layer footprints. */
START_TEST(test_whole_tile_is_batch_fusion_on_the_zoo) {
    for (int32_t z = 0; z < df_zoo_count(); z++) {
        df_workload w;
        df_err e;
        ck_assert_int_eq(df_zoo_build(df_zoo_name(z), NULL, &w, &e), DF_OK);
        df_hw h;
        ck_assert_int_eq(df_hw_preset("edge", &h, &e), DF_OK);
        df_net *n;
        ck_assert_int_eq(df_net_init(&n, &w, &h, 2, &e), DF_OK);
        int32_t L = w.n_layers;
        for (int shape = 0; shape < 3; shape++) {
            df_mapping a, b;
            df_mapping_init(&a, L);
            df_mapping_init(&b, L);
            int32_t step = shape == 0 ? 1 : shape == 1 ? 3 : L;
            for (int32_t i = 0; i < L; i += step)
                df_mapping_push(&a, i, i + step - 1 < L ? i + step - 1 : L - 1, 1 + (i % 2));
            df_metrics ma, mb;
            df_group_cost *ga = calloc((size_t)a.n_groups, sizeof *ga), *gb = calloc((size_t)a.n_groups, sizeof *gb);
            df_layer_footprint *fa = calloc((size_t)L, sizeof *fa), *fb = calloc((size_t)L, sizeof *fb);
            ck_assert_int_eq(df_mapping_eval(n, &a, &ma, ga, &e), DF_OK);
            ck_assert_int_eq(df_mapping_footprints(n, &a, fa, &e), DF_OK);
            for (int form = 0; form < 2; form++)
                for (int o = 0; o < DF_OVERLAP_COUNT; o++) {
                    df_mapping_copy(&b, &a);
                    for (int32_t g = 0; g < b.n_groups; g++) {
                        const df_layer *last = &w.layers[b.groups[g].last];
                        b.groups[g].tile_rows = form ? last->P : 0;
                        b.groups[g].tile_cols = form ? last->Q + 5 * (g % 2) : 0; /* above Q is whole too */
                        b.groups[g].overlap = o;
                        ck_assert(df_group_is_whole(n, &b.groups[g]));
                    }
                    ck_assert_int_eq(df_mapping_eval(n, &b, &mb, gb, &e), DF_OK);
                    ck_assert_int_eq(df_mapping_footprints(n, &b, fb, &e), DF_OK);
                    ck_assert_int_eq(ma.feasible, mb.feasible);
                    ck_assert(ma.latency_cycles == mb.latency_cycles && ma.energy_pj == mb.energy_pj &&
                              ma.dram_bytes == mb.dram_bytes && ma.peak_bytes == mb.peak_bytes && ma.edp == mb.edp);
                    for (int32_t g = 0; g < a.n_groups; g++) {
                        same_cost(&ga[g], &gb[g]);
                        ck_assert_int_eq(gb[g].tiles_y * gb[g].tiles_x, 1);
                    }
                    for (int32_t i = 0; i < L; i++) ck_assert_int_eq(fa[i].bytes, fb[i].bytes);
                }
            free(ga);
            free(gb);
            free(fa);
            free(fb);
            df_mapping_free(&a);
            df_mapping_free(&b);
        }
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

START_TEST(test_tiles_fit_and_save_dram) {
    for (int d = 0; d < 3; d++) {
        df_workload w;
        df_net *n = tu_df_chain4(&w, 128 << 10, (df_dataflow)d);
        df_group_cost whole, band;
        ck_assert_int_eq(df_group_eval(n, 0, 3, 1, &whole), DF_OK);
        ck_assert(!whole.feasible);
        for (int o = 0; o < DF_OVERLAP_COUNT; o++) {
            df_group g = {.first = 0, .last = 3, .micro_batch = 1, .tile_rows = 8, .tile_cols = 0, .overlap = o};
            ck_assert_int_eq(df_group_eval_tiled(n, &g, &band), DF_OK);
            ck_assert_msg(band.feasible, "mode %d footprint %lld", o, (long long)band.footprint_bytes);
            ck_assert_int_eq(band.tiles_y, 8);
            ck_assert_int_eq(band.tiles_x, 1);
            /* weights resident: input read once (+ halo rows in recompute), output written once */
            double io = 2.0 * 32 * 64 * 64, wts = 4.0 * 32 * 32 * 9;
            ck_assert(band.weights_resident);
            if (o == DF_OVERLAP_CACHE_ALL)
                ck_assert(fabs(band.dram_bytes - (io + wts)) < 0.5);
            else
                ck_assert(band.dram_bytes > io + wts);
            /* recompute and cache_rows on full-width bands recompute the halo rows, cache_all does not */
            if (o == DF_OVERLAP_CACHE_ALL)
                ck_assert(band.macs == band.layer_macs);
            else
                ck_assert(band.macs > band.layer_macs);
            /* the best layer-by-layer mapping moves every feature map through DRAM */
            df_mapping lbl;
            df_mapping_init(&lbl, 4);
            df_err e;
            df_metrics ml;
            ck_assert_int_eq(df_solve_lbl(n, DF_OBJ_DRAM, &lbl, NULL, &e), DF_OK);
            ck_assert_int_eq(df_mapping_eval(n, &lbl, &ml, NULL, &e), DF_OK);
            ck_assert(band.dram_bytes < 0.5 * ml.dram_bytes);
            df_mapping_free(&lbl);
            /* the prepared form is the one-shot form */
            df_tiled *t;
            df_group_cost c;
            ck_assert_int_eq(df_tiled_prepare(n, &g, &t), DF_OK);
            ck_assert_int_eq(df_tiled_cost(n, t, 1, &c), DF_OK);
            same_cost(&band, &c);
            ck_assert_int_eq(df_tiled_cost(n, t, 2, &c), DF_EINVAL);
            df_tiled_free(t);
        }
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

/* Per-layer footprints of tiled groups: their max is the group's footprint (one feasibility rule);
 * smaller tiles never need more than larger ones here; 2-D tiles on a residual DAG. */
START_TEST(test_tiled_footprints) {
    df_rng r;
    df_rng_seed(&r, 5);
    for (int c = 0; c < 20; c++) {
        df_workload w;
        df_workload_init(&w, "r");
        tu_random_workload(&w, &r, 6, c % 2);
        df_hw h = tu_hw(8, 8, (df_dataflow)(c % 3), 1 << 20, 4, 32, 1);
        df_net *n;
        df_err e;
        ck_assert_int_eq(df_net_init(&n, &w, &h, 3, &e), DF_OK);
        df_mapping m;
        df_mapping_init(&m, 4);
        df_group g = {.first = 0, .last = 2, .micro_batch = 2, .tile_rows = 3, .tile_cols = 5, .overlap = c % 3};
        df_mapping_push_group(&m, &g);
        g = (df_group){.first = 3, .last = 5, .micro_batch = 3, .tile_rows = 2, .tile_cols = 0, .overlap = (c + 1) % 3};
        df_mapping_push_group(&m, &g);
        df_metrics mt;
        df_group_cost gc[2];
        ck_assert_int_eq(df_mapping_eval(n, &m, &mt, gc, &e), DF_OK);
        df_layer_footprint fp[6];
        ck_assert_int_eq(df_mapping_footprints(n, &m, fp, &e), DF_OK);
        for (int k = 0; k < 2; k++) {
            int64_t mx = 0;
            for (int32_t i = m.groups[k].first; i <= m.groups[k].last; i++) mx = fp[i].bytes > mx ? fp[i].bytes : mx;
            ck_assert_int_eq(mx, gc[k].footprint_bytes);
            ck_assert(gc[k].latency_cycles > 0 && gc[k].energy_pj > 0 && gc[k].dram_bytes > 0);
        }
        df_mapping_free(&m);
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

START_TEST(test_bad_tile_fields) {
    df_workload w;
    df_net *n = tu_df_chain4(&w, 1 << 20, DF_DATAFLOW_WS);
    df_mapping m;
    df_mapping_init(&m, 2);
    df_group g = {.first = 0, .last = 3, .micro_batch = 1, .tile_rows = -1};
    df_mapping_push_group(&m, &g);
    df_metrics mt;
    df_err e;
    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_EINVAL);
    ck_assert_int_eq(e.field, DF_FIELD_GROUPS);
    ck_assert_str_eq(e.sub, "0");
    m.groups[0].tile_rows = 4;
    m.groups[0].overlap = DF_OVERLAP_COUNT;
    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_EINVAL);
    df_layer_footprint fp[4];
    ck_assert_int_eq(df_mapping_footprints(n, &m, fp, &e), DF_EINVAL);
    df_group_cost c;
    ck_assert_int_eq(df_group_eval_tiled(n, &m.groups[0], &c), DF_EINVAL);
    ck_assert(!c.feasible && c.footprint_bytes == INT64_MAX);
    m.groups[0].overlap = DF_OVERLAP_CACHE_ROWS;
    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_OK);
    /* copies keep the tile */
    df_mapping b;
    df_mapping_init(&b, 1);
    df_mapping_copy(&b, &m);
    ck_assert_int_eq(b.groups[0].tile_rows, 4);
    ck_assert_int_eq(b.groups[0].overlap, DF_OVERLAP_CACHE_ROWS);
    df_mapping_free(&b);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* The exact solver's row path (df_tiled_row: shared geometry per axis, sibling rows, memoised outside
 * inputs, precomputed cycles) gives bit for bit what df_group_eval_tiled gives, for every group end,
 * start, tile option and micro-batch of random chains and DAGs; its bound is below every form. */
START_TEST(test_rows_equal_one_shot) {
    df_rng r;
    df_rng_seed(&r, 77);
    int64_t compared = 0;
    for (int c = 0; c < 12; c++) {
        df_workload w;
        df_workload_init(&w, "r");
        tu_random_workload(&w, &r, 7, c % 2);
        df_hw h = tu_hw(4 + c, 8, (df_dataflow)(c % 3), (int64_t)(4 + 8 * c) << 10, 2, 16, 1);
        df_net *n;
        df_err e;
        ck_assert_int_eq(df_net_init(&n, &w, &h, 1 + c % 4, &e), DF_OK);
        int32_t N = df_net_batch(n), mb[8], nm = df_micro_batches(N, mb);
        for (int32_t j = 0; j < w.n_layers; j++) {
            df_tile_option opt[DF_MAX_TILE_OPTIONS];
            int32_t no = df_tile_options(&w, j, opt);
            df_tile_axes *ax;
            ck_assert_int_eq(df_tile_axes_new(&w, j, &ax), DF_OK);
            df_tiled_row *prev = NULL;
            for (int32_t o = 0; o < no; o++) {
                df_tiled_row *row;
                ck_assert_int_eq(
                    df_tiled_row_prepare(n, j, opt[o].rows, opt[o].cols, opt[o].overlap, mb, nm, ax, prev, &row),
                    DF_OK);
                df_tiled_row_free(prev);
                prev = row;
                for (int32_t i = 0; i <= j; i++) {
                    ck_assert_int_eq(df_tiled_row_group(n, row, i), DF_OK);
                    for (int32_t q = 0; q < nm; q++) {
                        df_group g = {.first = i,
                                      .last = j,
                                      .micro_batch = mb[q],
                                      .tile_rows = opt[o].rows,
                                      .tile_cols = opt[o].cols,
                                      .overlap = opt[o].overlap};
                        df_group_cost a, b;
                        ck_assert_int_eq(df_group_eval_tiled(n, &g, &a), DF_OK);
                        ck_assert_int_eq(df_tiled_row_cost(n, row, q, &b), DF_OK);
                        ck_assert_int_eq(a.feasible, b.feasible);
                        ck_assert_int_eq(a.footprint_bytes, b.footprint_bytes);
                        if (!a.feasible) continue; /* the row path stops at feasibility */
                        same_cost(&a, &b);
                        ck_assert(df_tiled_row_bound(row, i, DF_OBJ_LATENCY) <= a.latency_cycles * (1 + 1e-12));
                        ck_assert(df_tiled_row_bound(row, i, DF_OBJ_ENERGY) <= a.energy_pj * (1 + 1e-12));
                        ck_assert(df_tiled_row_bound(row, i, DF_OBJ_DRAM) <= a.dram_bytes * (1 + 1e-12));
                        compared++;
                    }
                }
            }
            df_tiled_row_free(prev);
            df_tile_axes_free(ax);
        }
        df_net_free(n);
        df_workload_free(&w);
    }
    ck_assert(compared > 1000);
}
END_TEST

int main(void) {
    Suite *s = suite_create("tiled");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_whole_tile_is_batch_fusion_on_the_zoo);
    tcase_add_test(t, test_tiles_fit_and_save_dram);
    tcase_add_test(t, test_tiled_footprints);
    tcase_add_test(t, test_bad_tile_fields);
    tcase_add_test(t, test_rows_equal_one_shot);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
