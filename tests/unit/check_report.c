/* check_report.c - the answer layer (dnnfuser/answer.h): "did you mean", request parsing from a
 * resolved workload (options that do not apply refused, the sampling seed derived from the request),
 * budget lists, sweep expansion (solve order, carries, an invalid base failing the whole call), the
 * check before reply and the offer of a smaller budget's answer, auto's choice and its predictor,
 * the JSON writer's precision, and monotone sweeps over every zoo network. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/answer.h"
#include "dnnfuser/gpt.h"
#include "dnnfuser/json.h"
#include "dnnfuser/zoo.h"
#include "testutil.h"

static json_t *js(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "test JSON: %s", e.text);
    return j;
}

START_TEST(test_suggest) {
    static const char *const names[] = {"resnet18", "resnet50", "mobilenetv2", "batch", "budget"};
    ck_assert_str_eq(df_suggest("resnt50", names, 5), "resnet50");
    ck_assert_str_eq(df_suggest("bacth", names, 5), "batch");
    ck_assert_str_eq(df_suggest("Budget", names, 5), "budget");
    ck_assert_ptr_null(df_suggest("zzzzzz", names, 5));
    ck_assert_ptr_null(df_suggest("batch", names, 5)); /* the name itself: nothing to suggest */
    char buf[64];
    ck_assert_str_eq(df_suggest_text("mobilenet", names, 5, buf, sizeof buf), " (did you mean \"mobilenetv2\"?)");
    ck_assert_str_eq(df_suggest_text("qqq", names, 5, buf, sizeof buf), "");
}
END_TEST

START_TEST(test_request_from_workload) {
    df_workload w;
    df_err e;
    ck_assert_int_eq(df_resolve_zoo("resnet18", 0, NULL, 0, &w, &e), DF_OK);
    json_t *j = js("{\"hardware\":\"edge\",\"budget\":\"1MiB\",\"batch\":8.0}");
    df_request_limits lim;
    df_request_limits_default(&lim);
    df_request_src src = {.root = j, .prefix = "", .workload = &w, .workload_zoo = 1};
    df_request r;
    df_fail f;
    ck_assert_msg(df_request_parse(&src, &lim, &r, &f) == 0, "%s", f.detail);
    ck_assert_int_eq(r.batch, 8); /* 8.0 is an integer */
    ck_assert_int_eq(r.solver, DF_SOLVER_AUTO);
    ck_assert_int_eq(r.hw.buffer_bytes, 1 << 20);
    ck_assert_str_eq(r.hw.name, "edge"); /* the budget does not make it "custom" */
    ck_assert(r.from_zoo);
    uint64_t seed = r.seed;
    df_request_free(&r);
    /* the same question spelt differently: the same seed */
    json_decref(j);
    j = js("{\"hardware\":{\"preset\":\"edge\"},\"budget\":1048576,\"batch\":8}");
    src.root = j;
    ck_assert_msg(df_request_parse(&src, &lim, &r, &f) == 0, "%s", f.detail);
    ck_assert(r.seed == seed);
    df_request_free(&r);
    json_decref(j);
    /* another batch: another seed; a given seed is taken */
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"budget\":\"1MiB\",\"batch\":4}", &r, &f), 0);
    ck_assert(r.seed != seed);
    df_request_free(&r);
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"seed\":42}", &r, &f), 0);
    ck_assert(r.seed == 42 && r.seed_given);
    df_request_free(&r);
    /* a workload given twice */
    j = js("{\"workload\":\"resnet50\"}");
    src.root = j;
    ck_assert_int_eq(df_request_parse(&src, &lim, &r, &f), -1);
    ck_assert_int_eq(f.kind, DF_FAIL_REQUEST);
    json_decref(j);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_not_onnx) {
    df_workload w;
    df_err e;
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ck_assert_int_eq(df_resolve_onnx(png, sizeof png, "x", 0, &w, &e), DF_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "not an ONNX model"));
    static const uint8_t json[] = "{\"layers\": []}";
    ck_assert_int_eq(df_resolve_onnx(json, sizeof json - 1, "x", 0, &w, &e), DF_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "looks like JSON"));
}
END_TEST

START_TEST(test_refused_options) {
    df_request r;
    df_fail f;
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"solver\":\"exact\",\"candidates\":2}", &r, &f), -1);
    ck_assert_int_eq(f.kind, DF_FAIL_PARAMETER);
    ck_assert_str_eq(f.pointer, "/candidates");
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"solver\":\"lbl\",\"ga\":{}}", &r, &f), -1);
    ck_assert_str_eq(f.pointer, "/ga");
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"solver\":\"auto\",\"candidates\":4,\"seed\":1}", &r, &f),
                     0);
    df_request_free(&r);
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"solver\":\"ga\",\"ga\":{\"population\":4}}", &r, &f), 0);
    df_request_free(&r);
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"budget\":1024}", &r, &f), -1);
    ck_assert_int_eq(f.kind, DF_FAIL_BUDGET);
    ck_assert_int_eq(r.hw.buffer_bytes, 1024); /* the hardware that was too small is kept */
    ck_assert_int_gt(f.need_bytes, 1024);
}
END_TEST

START_TEST(test_budgets) {
    int64_t *v;
    int32_t n;
    df_err e;
    ck_assert_int_eq(df_budgets_parse("64KiB..1MiB", 100, &v, &n, &e), DF_OK);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(v[0], 65536);
    ck_assert_int_eq(v[4], 1 << 20);
    free(v);
    ck_assert_int_eq(df_budgets_parse("1MiB..4MiB:3", 100, &v, &n, &e), DF_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(v[1], 2 << 20); /* log-spaced: the geometric middle */
    free(v);
    ck_assert_int_eq(df_budgets_parse("128KiB,512K,2MiB", 100, &v, &n, &e), DF_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(v[1], 512 * 1024);
    free(v);
    /* one rule for sizes: binary, whatever the spelling */
    static const char *const same[] = {"512KiB", "512KB", "512kb", "512k", "512K", "0.5MiB", "0.5mb", "524288"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        int64_t x = 0;
        ck_assert_int_eq(df_parse_size(same[i], &x), DF_OK);
        ck_assert_msg(x == 524288, "%s = %lld", same[i], (long long)x);
    }
    int64_t x;
    ck_assert_int_eq(df_parse_size("512 kbit", &x), DF_EINVAL);
    ck_assert_int_eq(df_parse_size("1.5KB", &x), DF_OK);
    ck_assert_int_eq(x, 1536);
    ck_assert_int_eq(df_budgets_parse("1MiB..64KiB", 100, &v, &n, &e), DF_EINVAL);
    ck_assert_int_eq(df_budgets_parse("1KiB,,2KiB", 100, &v, &n, &e), DF_EINVAL);
    ck_assert_int_eq(df_budgets_parse("1KiB..1MiB:0", 100, &v, &n, &e), DF_EINVAL);
    ck_assert_int_eq(df_budgets_parse("1KiB..1GiB", 5, &v, &n, &e), DF_ELIMIT);
}
END_TEST

START_TEST(test_grid) {
    df_request_limits lim;
    df_request_limits_default(&lim);
    df_batch_request b;
    df_fail f;
    /* budgets out of order: solved ascending per hardware row; each carries the next smaller */
    json_t *j = js("{\"base\":{\"workload\":\"resnet18\",\"batch\":2,\"solver\":\"exact\"},"
                   "\"grid\":{\"budgets\":[\"8MiB\",\"1KiB\",\"1MiB\",\"4MiB\"],\"hardware\":[\"edge\",\"mobile\"]}}");
    ck_assert_msg(df_batch_request_parse(j, &lim, NULL, &b, &f) == 0, "%s", f.detail);
    json_decref(j);
    ck_assert_int_eq(b.n, 8);
    ck_assert(b.grid);
    ck_assert_int_eq(b.fails[1].kind, DF_FAIL_BUDGET); /* 1 KiB: that point's answer, not the call's */
    ck_assert_str_eq(b.fails[1].pointer, "/grid/budgets/1");
    static const int32_t order[8] = {1, 2, 3, 0, 5, 6, 7, 4};
    static const int32_t carry[8] = {3, -1, -1, 2, 7, -1, -1, 6};
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(b.order[i], order[i]);
        ck_assert_int_eq(b.carry[i], carry[i]);
    }
    df_batch_request_free(&b);
    /* an invalid base fails the whole call, pointing into the base */
    j = js("{\"base\":{\"workload\":\"resnet18\",\"batch\":\"two\"},\"grid\":{\"budgets\":[\"1MiB\",\"2MiB\"]}}");
    ck_assert_int_eq(df_batch_request_parse(j, &lim, NULL, &b, &f), -1);
    ck_assert_int_eq(f.kind, DF_FAIL_REQUEST);
    ck_assert_str_eq(f.pointer, "/base/batch");
    json_decref(j);
    j = js("{\"base\":{\"workload\":\"nosuchnet\"},\"grid\":{\"budgets\":[\"1MiB\"]}}");
    ck_assert_int_eq(df_batch_request_parse(j, &lim, NULL, &b, &f), -1);
    ck_assert_int_eq(f.kind, DF_FAIL_WORKLOAD);
    json_decref(j);
    /* a bad grid point fails only itself */
    j = js("{\"base\":{\"workload\":\"resnet18\"},\"grid\":{\"budgets\":[\"1MiB\",\"lots\"]}}");
    ck_assert_msg(df_batch_request_parse(j, &lim, NULL, &b, &f) == 0, "%s", f.detail);
    ck_assert_int_eq(b.fails[1].kind, DF_FAIL_PARAMETER);
    ck_assert_str_eq(b.fails[1].pointer, "/grid/budgets/1");
    df_batch_request_free(&b);
    json_decref(j);
}
END_TEST

START_TEST(test_check_and_offer) {
    df_request r;
    df_fail f;
    ck_assert_int_eq(
        tu_parse("{\"workload\":\"resnet18\",\"budget\":\"512KiB\",\"batch\":8,\"solver\":\"transformer\"}", &r, &f),
        0);
    /* a decoded answer worse than layer-by-layer (everything in one group, streamed) is not sent as is */
    df_mapping m;
    ck_assert_int_eq(df_mapping_init(&m, 4), DF_OK);
    ck_assert_int_eq(df_mapping_push(&m, 0, r.w.n_layers - 1, 8), DF_OK);
    df_answer a;
    ck_assert_msg(df_answer_check_decoded(&r, NULL, DF_OK, &m, 1.0, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_msg(strcmp(a.path, "repaired") == 0 || strcmp(a.path, "exact-fallback") == 0, "%s", a.path);
    ck_assert(a.met.feasible);
    ck_assert(df_objective_value(r.obj, &a.met) <= df_objective_value(r.obj, &a.base_met) * (1 + 1e-9));
    ck_assert_str_ne(a.note, "");
    /* offer: the layer-by-layer mapping is no better: not taken; the exact optimum is, when better */
    ck_assert_int_eq(df_answer_offer(&r, &a.base, 1024, &a), 0);
    df_answer_free(&a);
    df_mapping lbl;
    ck_assert_int_eq(df_mapping_init(&lbl, 4), DF_OK);
    df_err e;
    ck_assert_int_eq(df_solve_lbl(r.net, r.obj, &lbl, NULL, &e), DF_OK);
    ck_assert_msg(df_answer_check_decoded(&r, NULL, DF_OK, &lbl, 1.0, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_str_eq(a.path, "transformer");
    df_mapping opt;
    ck_assert_int_eq(df_mapping_init(&opt, 4), DF_OK);
    ck_assert_int_eq(df_solve_exact(r.net, r.obj, &opt, NULL, &e), DF_OK);
    double before = a.met.latency_cycles;
    int taken = df_answer_offer(&r, &opt, 256 * 1024, &a);
    ck_assert_int_eq(taken, a.met.latency_cycles < before);
    if (taken) {
        ck_assert_str_eq(a.path, "carried");
        ck_assert_ptr_nonnull(strstr(a.note, "256 KiB"));
    }
    df_answer_free(&a);
    df_mapping_free(&opt);
    df_mapping_free(&lbl);
    df_mapping_free(&m);
    df_request_free(&r);
}
END_TEST

START_TEST(test_auto) {
    df_request r;
    df_fail f;
    char why[200];
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"budget\":\"256KiB\"}", &r, &f), 0);
    ck_assert_int_eq(df_answer_auto_pick(&r, 1, why, sizeof why), DF_SOLVER_EXACT);
    ck_assert_ptr_nonnull(strstr(why, "predicted time"));
    double small = df_answer_exact_predict_ms(r.net, r.obj);
    df_request_free(&r);
    ck_assert_int_eq(tu_parse("{\"workload\":\"efficientnet_b0\",\"budget\":\"16MiB\",\"batch\":32}", &r, &f), 0);
    ck_assert_int_eq(df_answer_auto_pick(&r, 1, why, sizeof why), DF_SOLVER_TRANSFORMER);
    ck_assert(df_answer_exact_predict_ms(r.net, r.obj) > 10 * small);
    ck_assert_int_eq(df_answer_auto_pick(&r, 0, why, sizeof why), DF_SOLVER_EXACT); /* no transformer */
    df_request_free(&r);
    /* a tight deadline moves the line */
    ck_assert_int_eq(
        tu_parse("{\"workload\":\"mobilenetv2\",\"budget\":\"2MiB\",\"batch\":8,\"deadline_ms\":5}", &r, &f), 0);
    ck_assert_int_eq(df_answer_auto_pick(&r, 1, why, sizeof why), DF_SOLVER_TRANSFORMER);
    df_request_free(&r);
    /* solved without a mapper, auto never needs one when it picks exact */
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"budget\":\"256KiB\"}", &r, &f), 0);
    df_answer a;
    ck_assert_msg(df_answer_solve(&r, NULL, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_str_eq(a.path, "exact");
    ck_assert_ptr_nonnull(strstr(a.note, "auto: exact"));
    /* the JSON: solver auto, path exact, fixed precision, timings to the microsecond */
    json_t *j = df_answer_json(&r, &a, 0.1234567, 1.00000049);
    char *text = df_answer_dumps(j, 0);
    ck_assert_ptr_nonnull(strstr(text, "\"solver\":\"auto\""));
    ck_assert_ptr_nonnull(strstr(text, "\"path\":\"exact\""));
    ck_assert_ptr_nonnull(strstr(text, "\"mac\":0.23,"));
    ck_assert_ptr_nonnull(strstr(text, "\"queue_ms\":0.123,"));
    ck_assert_ptr_nonnull(strstr(text, "\"total_ms\":1.0}"));
    /* no float noise: no number with more than 10 significant digits after its point (leading zeros
     * of a value below 1 are not significant) */
    for (const char *p = text; (p = strchr(p, '.')); p++) {
        size_t zeros = p[-1] == '0' ? strspn(p + 1, "0") : 0;
        size_t digits = strspn(p + 1, "0123456789") - zeros;
        ck_assert_msg(digits <= 10, "noise at ...%.30s", p - 5);
    }
    free(text);
    json_decref(j);
    df_answer_free(&a);
    df_request_free(&r);
}
END_TEST

/* A sweep over budgets answered as the daemon and the CLI answer it: in the solve order, each point
 * offered the answer of the next smaller budget. Returns the latencies in budget order. */
static void sweep(const char *net, int32_t batch, const char *solver, const char *budgets, df_mapper *mp, double *lat,
                  int64_t *bud, int *n_out) {
    char text[512];
    snprintf(text, sizeof text,
             "{\"base\":{\"workload\":\"%s\",\"batch\":%d,\"hardware\":\"edge\",\"solver\":\"%s\"},"
             "\"grid\":{\"budgets\":[%s]}}",
             net, batch, solver, budgets);
    json_t *j = js(text);
    df_request_limits lim;
    df_request_limits_default(&lim);
    df_batch_request b;
    df_fail f;
    ck_assert_msg(df_batch_request_parse(j, &lim, NULL, &b, &f) == 0, "%s: %s", net, f.detail);
    json_decref(j);
    df_mapping *keep = calloc((size_t)b.n, sizeof *keep);
    int n = 0;
    for (int32_t k = 0; k < b.n; k++) {
        int32_t i = b.order[k];
        ck_assert_int_eq(df_mapping_init(&keep[i], 8), DF_OK);
        if (b.fails[i].kind != DF_FAIL_NONE) continue;
        df_answer a;
        ck_assert_msg(df_answer_solve(&b.items[i], mp, NULL, &a, &f) == 0, "%s: %s", net, f.detail);
        int32_t c = b.carry[i];
        if (c >= 0 && keep[c].n_groups > 0) df_answer_offer(&b.items[i], &keep[c], b.items[c].hw.buffer_bytes, &a);
        ck_assert_int_eq(df_mapping_copy(&keep[i], &a.map), DF_OK);
        lat[n] = a.met.latency_cycles;
        bud[n] = b.items[i].hw.buffer_bytes;
        n++;
        df_answer_free(&a);
    }
    for (int32_t i = 0; i < b.n; i++) df_mapping_free(&keep[i]);
    free(keep);
    df_batch_request_free(&b);
    *n_out = n;
}

/* Monotone sweeps: a larger budget of the same sweep never answers worse (every zoo network, the
 * transformer and auto); the daemon's old case: resnet50, batch 8, edge, 4 MiB -> 8 MiB. */
START_TEST(test_monotone_sweeps) {
    df_mapper *mp;
    df_err e;
    ck_assert_int_eq(df_mapper_load_embedded(&mp, 16, &e), DF_OK);
    static const char *const budgets =
        "\"8MiB\",\"64KiB\",\"128KiB\",\"256KiB\",\"512KiB\",\"1MiB\",\"2MiB\",\"4MiB\",\"16MiB\",\"3MiB\"";
    static const char *const solvers[] = {"transformer", "auto"};
    for (int32_t z = 0; z < df_zoo_count(); z++)
        for (int s = 0; s < 2; s++) {
            double lat[16];
            int64_t bud[16];
            int n;
            sweep(df_zoo_name(z), 8, solvers[s], budgets, mp, lat, bud, &n);
            ck_assert_msg(n >= 5, "%s: only %d feasible budgets", df_zoo_name(z), n);
            for (int i = 1; i < n; i++) {
                ck_assert_msg(bud[i] > bud[i - 1], "%s: budgets not ascending", df_zoo_name(z));
                ck_assert_msg(lat[i] <= lat[i - 1], "%s %s: %lld B -> %.0f cycles, %lld B -> %.0f cycles",
                              df_zoo_name(z), solvers[s], (long long)bud[i - 1], lat[i - 1], (long long)bud[i], lat[i]);
            }
        }
    double lat[4];
    int64_t bud[4];
    int n;
    sweep("resnet50", 8, "transformer", "\"4MiB\",\"8MiB\"", mp, lat, bud, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_msg(lat[1] <= lat[0], "resnet50 b8: 4 MiB %.0f, 8 MiB %.0f cycles", lat[0], lat[1]);
    df_mapper_free(mp);
}
END_TEST

/* The best value of r's own space, the exact solver's. */
static double exact_value(const df_request *r) {
    df_mapping m;
    df_metrics mt;
    df_err e;
    ck_assert_int_eq(df_mapping_init(&m, 8), DF_OK);
    ck_assert_int_eq(df_solve_exact_in(r->net, r->obj, r->space, &m, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapping_eval(r->net, &m, &mt, NULL, &e), DF_OK);
    df_mapping_free(&m);
    return df_objective_value(r->obj, &mt);
}

/* Issue 18: the transformer decodes a request in the space its weights' layout covers; a request of
 * the other space is answered exactly (exact-fallback, the note names the weights' space), with batch
 * weights and with depth-first weights, for the transformer and for auto's pick of it. */
START_TEST(test_space_and_weights) {
    ck_assert(df_answer_layout_covers(DF_LAYOUT_BATCH, DF_SPACE_BATCH));
    ck_assert(!df_answer_layout_covers(DF_LAYOUT_BATCH, DF_SPACE_DEPTH_FIRST));
    ck_assert(df_answer_layout_covers(DF_LAYOUT_DEPTH_FIRST, DF_SPACE_DEPTH_FIRST));
    ck_assert(!df_answer_layout_covers(DF_LAYOUT_DEPTH_FIRST, DF_SPACE_BATCH));
    df_request r;
    df_fail f;
    df_answer a;
    df_err e;
    /* lbl has no tiles: refused; the transformer is not (it was before issue 18) */
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"space\":\"depth_first\",\"solver\":\"lbl\"}", &r, &f), -1);
    ck_assert_int_eq(f.kind, DF_FAIL_PARAMETER);
    ck_assert_str_eq(f.pointer, "/space");
    df_mapper *dfm = tu_df_layout_mapper(), *bm;
    ck_assert_int_eq(df_mapper_load_embedded(&bm, 16, &e), DF_OK);
    ck_assert_int_eq(df_mapper_layout(bm), DF_LAYOUT_BATCH);
    static const char *const df_req =
        "{\"workload\":\"resnet18\",\"budget\":\"256KiB\",\"objective\":\"energy\",\"space\":\"depth_first\","
        "\"solver\":\"transformer\"}";
    static const char *const batch_req =
        "{\"workload\":\"resnet18\",\"budget\":\"256KiB\",\"objective\":\"energy\",\"solver\":\"transformer\"}";
    /* depth-first weights, depth-first request: decoded (the direct decode's mapping when it passes
     * the check), never the note of another space */
    ck_assert_int_eq(tu_parse(df_req, &r, &f), 0);
    ck_assert_msg(df_answer_solve(&r, dfm, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_ptr_null(strstr(a.note, "weights decode"));
    ck_assert(a.met.feasible);
    df_mapping dec;
    ck_assert_int_eq(df_mapping_init(&dec, 8), DF_OK);
    ck_assert_int_eq(df_solve_transformer(dfm, r.net, r.obj, 1, &dec, NULL, &e), DF_OK);
    if (strcmp(a.path, "transformer") == 0) {
        ck_assert_int_eq(a.map.n_groups, dec.n_groups);
        for (int32_t g = 0; g < dec.n_groups; g++) {
            ck_assert_int_eq(a.map.groups[g].last, dec.groups[g].last);
            ck_assert_int_eq(a.map.groups[g].tile_rows, dec.groups[g].tile_rows);
        }
    } else {
        ck_assert_msg(strcmp(a.path, "repaired") == 0 || strcmp(a.path, "exact-fallback") == 0, "%s", a.path);
        ck_assert_ptr_nonnull(strstr(a.note, "chosen by the cost model"));
    }
    df_mapping_free(&dec);
    df_answer_free(&a);
    /* batch weights, depth-first request: exact over depth-first, said so */
    ck_assert_msg(df_answer_solve(&r, bm, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_str_eq(a.path, "exact-fallback");
    ck_assert_ptr_nonnull(strstr(a.note, "weights decode the batch space, not depth_first"));
    ck_assert(df_objective_value(r.obj, &a.met) == exact_value(&r));
    df_answer_free(&a);
    df_request_free(&r);
    /* depth-first weights, batch request: exact over batch (no tile), said so; batch weights decode it */
    ck_assert_int_eq(tu_parse(batch_req, &r, &f), 0);
    ck_assert_msg(df_answer_solve(&r, dfm, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_str_eq(a.path, "exact-fallback");
    ck_assert_ptr_nonnull(strstr(a.note, "weights decode the depth_first space, not batch"));
    for (int32_t g = 0; g < a.map.n_groups; g++) ck_assert(df_group_is_whole(r.net, &a.map.groups[g]));
    ck_assert(df_objective_value(r.obj, &a.met) == exact_value(&r));
    df_answer_free(&a);
    ck_assert_msg(df_answer_solve(&r, bm, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_ptr_null(strstr(a.note, "weights decode"));
    df_answer_free(&a);
    /* the daemon's door: the loop reports DF_EUNSUPPORTED, the same answer */
    ck_assert_msg(df_answer_check_decoded(&r, NULL, DF_EUNSUPPORTED, NULL, 0, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_str_eq(a.path, "exact-fallback");
    ck_assert_ptr_nonnull(strstr(a.note, "weights decode the depth_first space, not batch"));
    df_answer_free(&a);
    df_request_free(&r);
    /* auto picking the transformer (a tight deadline) with depth-first weights: both reasons noted */
    ck_assert_int_eq(
        tu_parse("{\"workload\":\"mobilenetv2\",\"budget\":\"2MiB\",\"batch\":8,\"deadline_ms\":5}", &r, &f), 0);
    ck_assert_int_eq(df_request_effective_solver(&r, 1, NULL, 0), DF_SOLVER_TRANSFORMER);
    ck_assert_msg(df_answer_solve(&r, dfm, NULL, &a, &f) == 0, "%s", f.detail);
    ck_assert_str_eq(a.path, "exact-fallback");
    ck_assert_ptr_nonnull(strstr(a.note, "auto: transformer"));
    ck_assert_ptr_nonnull(strstr(a.note, "weights decode the depth_first space, not batch"));
    df_answer_free(&a);
    df_request_free(&r);
    df_mapper_free(dfm);
    df_mapper_free(bm);
}
END_TEST

/* Issue 18: the check before reply of a depth-first decode (both doors' df_answer_check_decoded):
 * planted answers worse than layer-by-layer (one group streamed through the smallest tile), or no
 * worse than it but worse than the batch-only optimum (layer-by-layer itself), are repaired or
 * replaced: every reply no worse than layer-by-layer and the batch-only optimum (the space holds it);
 * an answer as good as the depth-first optimum is kept as decoded; the daemon's cached baseline gives
 * the same answer. */
START_TEST(test_check_depth_first) {
    static const char *const reqs[] = {
        "{\"workload\":\"resnet18\",\"budget\":\"256KiB\",\"batch\":4,\"objective\":\"energy\",\"space\":"
        "\"depth_first\",\"solver\":\"transformer\"}",
        "{\"workload\":\"mobilenetv2\",\"budget\":\"512KiB\",\"batch\":8,\"objective\":\"latency\",\"space\":"
        "\"depth_first\",\"solver\":\"transformer\"}"};
    for (int q = 0; q < 2; q++) {
        df_request r;
        df_fail f;
        df_err e;
        ck_assert_int_eq(tu_parse(reqs[q], &r, &f), 0);
        ck_assert(df_answer_exact_predict_ms(r.net, r.obj) <= 50); /* the check solves the batch-only optimum */
        df_mapping lbl, bx, one;
        df_metrics lm, bm;
        df_mapping_init(&lbl, 8);
        df_mapping_init(&bx, 8);
        df_mapping_init(&one, 2);
        ck_assert_int_eq(df_solve_lbl(r.net, r.obj, &lbl, NULL, &e), DF_OK);
        ck_assert_int_eq(df_solve_exact(r.net, r.obj, &bx, NULL, &e), DF_OK);
        ck_assert_int_eq(df_mapping_eval(r.net, &lbl, &lm, NULL, &e), DF_OK);
        ck_assert_int_eq(df_mapping_eval(r.net, &bx, &bm, NULL, &e), DF_OK);
        double vl = df_objective_value(r.obj, &lm), vbx = df_objective_value(r.obj, &bm);
        ck_assert_msg(vbx < vl * (1 - 1e-6), "%s: layer-by-layer %.6g is the batch optimum", reqs[q], vl);
        /* every layer in one group at micro-batch 1, the last layer's smallest tile */
        df_tile_option opt[DF_MAX_TILE_OPTIONS];
        int32_t L = df_net_layers(r.net), no = df_tile_options(&r.w, L - 1, opt);
        df_group g1 = {.first = 0, .last = L - 1, .micro_batch = 1};
        if (no > 0) {
            g1.tile_rows = opt[no - 1].rows;
            g1.tile_cols = opt[no - 1].cols;
            g1.overlap = opt[no - 1].overlap;
        }
        ck_assert_int_eq(df_mapping_push_group(&one, &g1), DF_OK);
        const df_mapping *planted[] = {&one, &lbl};
        for (int p = 0; p < 2; p++) {
            df_metrics pm;
            ck_assert_int_eq(df_mapping_eval(r.net, planted[p], &pm, NULL, &e), DF_OK);
            if (p == 0) ck_assert(!pm.feasible || df_objective_value(r.obj, &pm) > vl);
            df_answer a, b;
            ck_assert_msg(df_answer_check_decoded(&r, NULL, DF_OK, planted[p], 1.0, NULL, &a, &f) == 0, "%s", f.detail);
            ck_assert_msg(strcmp(a.path, "repaired") == 0 || strcmp(a.path, "exact-fallback") == 0, "%s", a.path);
            ck_assert(a.met.feasible);
            double v = df_objective_value(r.obj, &a.met);
            ck_assert_msg(v <= vl * (1 + 1e-9) && v <= vbx * (1 + 1e-9), "%s planted %d: %.6g, lbl %.6g, batch %.6g",
                          reqs[q], p, v, vl, vbx);
            ck_assert_ptr_nonnull(strstr(a.note, "worse than"));
            /* the daemon's door with a baseline computed before: the same answer */
            df_answer_base base = {0};
            ck_assert_int_eq(df_mapping_init(&base.map, 8), DF_OK);
            ck_assert_int_eq(df_answer_base_compute(&r, &base), DF_OK);
            ck_assert(df_answer_check_decoded_base(&r, NULL, DF_OK, planted[p], 1.0, NULL, &base, &b, &f) == 0);
            ck_assert_str_eq(a.path, b.path);
            ck_assert(df_objective_value(r.obj, &b.met) == v);
            ck_assert(same_groups(&a.map, &b.map));
            df_mapping_free(&base.map);
            df_answer_free(&b);
            df_answer_free(&a);
        }
        /* the batch-only optimum as the decode: not worse than either bar, its groups kept with their
         * best forms (repaired when a tile pays) */
        {
            df_mapping bf;
            df_metrics fm;
            df_mapping_init(&bf, 8);
            df_mapping_copy(&bf, &bx);
            int32_t nf = 0;
            ck_assert_int_eq(df_repair_forms(r.net, r.obj, DF_SPACE_DEPTH_FIRST, &bf, &nf, NULL, &e), DF_OK);
            ck_assert_int_eq(df_mapping_eval(r.net, &bf, &fm, NULL, &e), DF_OK);
            df_answer a;
            ck_assert_msg(df_answer_check_decoded(&r, NULL, DF_OK, &bx, 1.0, NULL, &a, &f) == 0, "%s", f.detail);
            ck_assert_str_eq(a.path, nf > 0 ? "repaired" : "transformer");
            ck_assert(df_objective_value(r.obj, &a.met) == df_objective_value(r.obj, &fm));
            ck_assert(same_groups(&a.map, &bf));
            if (nf > 0) {
                ck_assert_ptr_nonnull(strstr(a.note, "the decoded groups kept"));
                ck_assert_ptr_null(strstr(a.note, "worse than"));
            }
            df_answer_free(&a);
            df_mapping_free(&bf);
        }
        /* the depth-first optimum is kept as decoded */
        df_mapping ex;
        df_mapping_init(&ex, 8);
        ck_assert_int_eq(df_solve_exact_in(r.net, r.obj, DF_SPACE_DEPTH_FIRST, &ex, NULL, &e), DF_OK);
        df_answer a;
        ck_assert_msg(df_answer_check_decoded(&r, NULL, DF_OK, &ex, 1.0, NULL, &a, &f) == 0, "%s", f.detail);
        ck_assert_str_eq(a.path, "transformer");
        ck_assert(same_groups(&a.map, &ex));
        ck_assert(df_objective_value(r.obj, &a.met) == exact_value(&r));
        df_answer_free(&a);
        df_mapping_free(&ex);
        df_mapping_free(&one);
        df_mapping_free(&bx);
        df_mapping_free(&lbl);
        df_request_free(&r);
    }
}
END_TEST

/* A library error names its field by id; report spells today's REST pointer, a schema reader's
 * pointer wins, and df_fail_from_err carries it (issue 12 item 1). */
START_TEST(test_field_pointer) {
    df_err e;
    char buf[128];
    df_err_clear(&e);
    ck_assert_str_eq(df_err_pointer(&e, buf, sizeof buf), "");
    ck_assert_int_eq(df_err_set_field(&e, DF_EINFEASIBLE, DF_FIELD_BUDGET, NULL, "too small %d", 1), DF_EINFEASIBLE);
    ck_assert_str_eq(e.pointer, "");
    ck_assert_str_eq(e.msg, "too small 1");
    ck_assert_str_eq(df_err_pointer(&e, buf, sizeof buf), "/budget");
    df_err_set_field(&e, DF_EINVAL, DF_FIELD_GA, "population", "x");
    ck_assert_str_eq(df_err_pointer(&e, buf, sizeof buf), "/ga/population");
    df_err_at(&e, DF_FIELD_GROUPS, "3");
    ck_assert_str_eq(df_err_pointer(&e, buf, sizeof buf), "/groups/3");
    df_fail f;
    df_fail_clear(&f);
    df_fail_from_err(&f, DF_FAIL_MAPPING, &e, "/other");
    ck_assert_str_eq(f.pointer, "/groups/3");
    df_err_set(&e, DF_EINVAL, "/layers/2/K", "bad K");
    ck_assert_int_eq(e.field, DF_FIELD_NONE);
    ck_assert_str_eq(df_err_pointer(&e, buf, sizeof buf), "/layers/2/K");
    df_err_set_field(&e, DF_EINVAL, DF_FIELD_HARDWARE, "energy_pj/mac", "x"); /* a path: not escaped */
    ck_assert_str_eq(df_err_pointer(&e, buf, sizeof buf), "/hardware/energy_pj/mac");
    const char *want[] = {"",        "/budget",    "/batch", "/candidates", "/seq_len", "/workload",
                          "/layers", "/objective", "/space", "/ga",         "/groups",  "/hardware"};
    ck_assert_int_eq((int)(sizeof want / sizeof want[0]), DF_FIELD_COUNT);
    for (int k = 0; k < DF_FIELD_COUNT; k++) {
        df_err_set_field(&e, DF_EINVAL, k, NULL, "x");
        ck_assert_str_eq(df_err_pointer(&e, buf, sizeof buf), want[k]);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("answer");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_suggest);
    tcase_add_test(tc, test_request_from_workload);
    tcase_add_test(tc, test_refused_options);
    tcase_add_test(tc, test_not_onnx);
    tcase_add_test(tc, test_budgets);
    tcase_add_test(tc, test_grid);
    tcase_add_test(tc, test_check_and_offer);
    tcase_add_test(tc, test_auto);
    tcase_add_test(tc, test_monotone_sweeps);
    tcase_add_test(tc, test_space_and_weights);
    tcase_add_test(tc, test_check_depth_first);
    tcase_add_test(tc, test_field_pointer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
