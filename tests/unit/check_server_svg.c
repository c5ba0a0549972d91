/* check_server_svg.c - unit tests of src/server/svgreply.c (format=svg): the query parameter, which
 * batch bodies can be drawn (base + grid over budgets, one hardware) and the pictures drawn from real
 * answers (srv_run_map, df_sweep_point_of: no JSON reply is read back), a failing grid item becoming
 * a gap, the exact optimum series for a non-exact solver, and hostile workload names coming out
 * escaped. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/answer.h"
#include "../../src/server/request.h"
#include "../../src/server/svgreply.h"

static const srv_req_limits LIM = {.max_layers = 4096, .max_batch = 4096, .max_batch_items = 16};

static json_t *js(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "test JSON: %s", e.text);
    return j;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

START_TEST(test_format_parameter) {
    srv_fail f;
    srv_fail_clear(&f);
    ck_assert_int_eq(srv_svg_wanted(NULL, &f), 0);
    ck_assert_int_eq(srv_svg_wanted("json", &f), 0);
    ck_assert_int_eq(srv_svg_wanted("svg", &f), 1);
    ck_assert_int_eq(srv_svg_wanted("png", &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_INVALID_REQUEST);
    ck_assert(strstr(f.why.detail, "json or svg") != NULL);
}
END_TEST

static srv_fail budgets_fail(const char *body, const char *pointer) {
    json_t *j = js(body);
    int64_t *b = NULL;
    int32_t n = 0;
    srv_fail f;
    srv_fail_clear(&f);
    ck_assert_int_eq(srv_svg_batch_budgets(j, &b, &n, &f), -1);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(f.kind, SRV_PROB_INVALID_REQUEST);
    ck_assert_str_eq(f.why.pointer, pointer);
    json_decref(j);
    return f;
}

START_TEST(test_drawable_batches) {
    budgets_fail("{\"requests\":[{\"workload\":\"resnet18\"}]}", "/requests");
    budgets_fail("{\"base\":{\"workload\":\"resnet18\"},\"grid\":{\"hardware\":[\"edge\"]}}", "/grid/budgets");
    budgets_fail(
        "{\"base\":{\"workload\":\"resnet18\"},\"grid\":{\"budgets\":[\"1MiB\"],\"hardware\":[\"edge\",\"cloud\"]}}",
        "/grid/hardware");
    json_t *j = js("{\"base\":{\"workload\":\"resnet18\"},\"grid\":{\"budgets\":[\"1MiB\",65536,\"junk\"],\"hardware\":"
                   "[\"edge\"]}}");
    int64_t *b = NULL;
    int32_t n = 0;
    srv_fail f;
    srv_fail_clear(&f);
    ck_assert_int_eq(srv_svg_batch_budgets(j, &b, &n, &f), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(b[0], 1 << 20);
    ck_assert_int_eq(b[1], 65536);
    ck_assert_int_eq(b[2], 0); /* that item fails on its own; the picture leaves it out */
    free(b);
    json_decref(j);
}
END_TEST

/* The answer for a request body, as the worker makes it. */
static void map_answer(const char *body, srv_map_req *r, srv_map_result *res) {
    json_t *j = js(body);
    srv_fail f;
    ck_assert_msg(srv_parse_map(j, "", &LIM, r, &f) == 0, "%s", f.why.detail);
    json_decref(j);
    ck_assert_msg(srv_run_map(r, NULL, res, &f) == 0, "%s", f.why.detail);
}

START_TEST(test_map_picture) {
    srv_map_req r;
    srv_map_result res;
    map_answer(
        "{\"workload\":{\"name\":\"<b>&amp;\",\"layers\":["
        "{\"name\":\"c<1>\",\"type\":\"conv\",\"K\":16,\"C\":3,\"Y\":32,\"X\":32,\"R\":3,\"S\":3,\"pad\":1},"
        "{\"name\":\"c'2\\\"\",\"type\":\"conv\",\"K\":16,\"C\":16,\"Y\":32,\"X\":32,\"R\":3,\"S\":3,\"pad\":1}]},"
        "\"budget\":\"64KiB\",\"batch\":4,\"solver\":\"exact\"}",
        &r, &res);
    char *body = NULL;
    size_t len = 0;
    srv_fail f;
    srv_fail_clear(&f);
    ck_assert_int_eq(srv_svg_map(&r, &res, &body, &len, &f), 0);
    ck_assert_ptr_nonnull(body);
    ck_assert_int_eq(len, strlen(body));
    ck_assert(strncmp(body, "<?xml", 5) == 0 && strstr(body, "</svg>\n") != NULL);
    ck_assert_int_eq(count(body, "class=\"group\""), res.map.n_groups);
    ck_assert(strstr(body, "id=\"budget\"") != NULL);
    ck_assert(strstr(body, "&lt;b&gt;&amp;amp;") != NULL && strstr(body, "<b>") == NULL);
    ck_assert(strstr(body, "c&lt;1&gt;") != NULL && strstr(body, "c&#39;2&quot;") != NULL);
    ck_assert(strstr(body, "exact mapping") != NULL && strstr(body, "speedup") != NULL);
    free(body);
    srv_map_result_free(&res);
    srv_map_req_free(&r);
}
END_TEST

/* Parses a grid batch and makes each item's sweep point from its answer, as the worker does. */
static df_sweep_point *batch_points(const char *body, srv_batch_req *b, int64_t **budgets, int32_t *nb) {
    json_t *j = js(body);
    srv_fail f;
    ck_assert_msg(srv_parse_batch(j, &LIM, b, &f) == 0, "%s", f.why.detail);
    ck_assert_int_eq(srv_svg_batch_budgets(j, budgets, nb, &f), 0);
    json_decref(j);
    df_sweep_point *pts = calloc((size_t)b->n, sizeof *pts);
    ck_assert_ptr_nonnull(pts);
    for (int32_t i = 0; i < b->n; i++) {
        if (b->fails[i].kind != SRV_PROB_NONE) continue;
        srv_map_result res;
        ck_assert_msg(srv_run_map(&b->items[i], NULL, &res, &f) == 0, "%s", f.why.detail);
        ck_assert_int_eq(df_sweep_point_of(&b->items[i], &res, srv_svg_want_optimum(b), NULL, &pts[i]), DF_OK);
        srv_map_result_free(&res);
    }
    return pts;
}

START_TEST(test_sweep_picture) {
    /* solver ga: three series (layer-by-layer, the optimum solved here, ga); 1 KiB is too small */
    srv_batch_req b;
    int64_t *budgets;
    int32_t nb;
    df_sweep_point *o = batch_points("{\"base\":{\"workload\":\"resnet18\",\"batch\":2,\"solver\":\"ga\",\"ga\":{"
                                     "\"population\":8,\"generations\":4}},\"grid\":{\"budgets\":[\"1KiB\",\"256KiB\","
                                     "\"1MiB\",\"4MiB\"]}}",
                                     &b, &budgets, &nb);
    ck_assert(srv_svg_want_optimum(&b));
    ck_assert(o[2].have_optimum && o[2].optimum.latency_s <= o[2].answer.latency_s * (1 + 1e-9));
    char *body = NULL;
    size_t len = 0;
    srv_fail f;
    srv_fail_clear(&f);
    ck_assert_int_eq(srv_svg_batch(&b, budgets, nb, o, &body, &len, &f), 0);
    ck_assert_int_eq(len, strlen(body));
    ck_assert(strstr(body, "resnet18: latency and energy") != NULL);
    ck_assert_int_eq(count(body, "class=\"series\""), 6);
    ck_assert(strstr(body, "optimum (exact)") != NULL && strstr(body, ">ga<") != NULL);
    ck_assert(strstr(body, "1 budget failed") != NULL);
    ck_assert(strstr(body, "no feasible mapping") != NULL); /* the 1 KiB point is shaded */
    /* the same reply draws the same bytes */
    char *again = NULL;
    size_t len2 = 0;
    ck_assert_int_eq(srv_svg_batch(&b, budgets, nb, o, &again, &len2, &f), 0);
    ck_assert(len == len2 && memcmp(body, again, len) == 0);
    free(again);
    free(body);
    free(budgets);
    free(o);
    srv_batch_req_free(&b);

    /* solver exact: two series, the answers are the optimum */
    o = batch_points(
        "{\"base\":{\"workload\":\"resnet18\",\"solver\":\"exact\"},\"grid\":{\"budgets\":[\"256KiB\",\"1MiB\"]}}", &b,
        &budgets, &nb);
    ck_assert(!srv_svg_want_optimum(&b) && !o[0].have_optimum);
    ck_assert_int_eq(srv_svg_batch(&b, budgets, nb, o, &body, &len, &f), 0);
    ck_assert_int_eq(count(body, "class=\"series\""), 4);
    ck_assert(strstr(body, "failed") == NULL);
    free(body);
    free(budgets);
    free(o);
    srv_batch_req_free(&b);
}
END_TEST

/* issue 14: a depth-first request: the map picture draws the tiles; a ga sweep's optimum is the
 * exact one over the depth-first space (never worse than the ga answer, better than the batch-only
 * optimum where tiles pay) and says so */
START_TEST(test_depth_first_pictures) {
    srv_map_req r;
    srv_map_result res;
    map_answer("{\"workload\":\"resnet18\",\"budget\":\"64KiB\",\"solver\":\"exact\",\"space\":\"depth_first\"}", &r,
               &res);
    char *body = NULL;
    size_t len = 0;
    srv_fail f;
    srv_fail_clear(&f);
    ck_assert_int_eq(srv_svg_map(&r, &res, &body, &len, &f), 0);
    ck_assert(strstr(body, "exact depth-first mapping") != NULL);
    ck_assert_int_gt(count(body, "class=\"tile-grid\""), 0);
    ck_assert(strstr(body, "tiles per sample") != NULL);
    free(body);
    srv_map_result_free(&res);
    srv_map_req_free(&r);

    srv_batch_req b;
    int64_t *budgets;
    int32_t nb;
    df_sweep_point *o = batch_points("{\"base\":{\"workload\":\"resnet18\",\"solver\":\"ga\",\"space\":\"depth_first\","
                                     "\"ga\":{\"population\":8,\"generations\":4}},\"grid\":{\"budgets\":[\"64KiB\","
                                     "\"256KiB\"]}}",
                                     &b, &budgets, &nb);
    ck_assert(srv_svg_want_optimum(&b));
    int better = 0;
    for (int32_t i = 0; i < b.n; i++) {
        ck_assert(o[i].have_optimum && o[i].optimum.latency_s <= o[i].answer.latency_s * (1 + 1e-9));
        df_mapping em;
        df_metrics bm;
        df_err e;
        ck_assert_int_eq(df_mapping_init(&em, 8), DF_OK);
        ck_assert_int_eq(df_solve_exact(b.items[i].net, b.items[i].obj, &em, NULL, &e), DF_OK);
        ck_assert_int_eq(df_mapping_eval(b.items[i].net, &em, &bm, NULL, &e), DF_OK);
        ck_assert(o[i].optimum.latency_s <= bm.latency_s * (1 + 1e-9));
        better += o[i].optimum.latency_s < bm.latency_s * (1 - 1e-6);
        df_mapping_free(&em);
    }
    ck_assert_int_gt(better, 0);
    ck_assert_int_eq(srv_svg_batch(&b, budgets, nb, o, &body, &len, &f), 0);
    ck_assert(strstr(body, "optimum (exact, depth-first)") != NULL && strstr(body, "depth-first space") != NULL);
    free(body);
    free(budgets);
    free(o);
    srv_batch_req_free(&b);
}
END_TEST

static Suite *svg_suite(void) {
    Suite *s = suite_create("server_svg");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_format_parameter);
    tcase_add_test(tc, test_drawable_batches);
    tcase_add_test(tc, test_map_picture);
    tcase_add_test(tc, test_sweep_picture);
    tcase_add_test(tc, test_depth_first_pictures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(svg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
