/* check_reply.c - unit tests of df_answer_text (src/report/reply.c): the /v1/map answer written
 * directly is byte for byte the tree's dump, df_json_dumps(df_answer_json(...)), over every zoo
 * network x solvers x budgets, on a custom (non-preset) hardware, with a note, without a baseline and
 * with timings that are not finite. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/answer.h"
#include "dnnfuser/jsonout.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/zoo.h"
#include "testutil.h"

/* Compares both writers on one answer; returns 1. */
static int same(const df_request *r, const df_answer *a, double q, double t, const char *what) {
    json_t *j = df_answer_json(r, a, q, t);
    ck_assert_msg(j != NULL, "%s: no tree", what);
    char *want = df_json_dumps(j);
    json_decref(j);
    size_t len = 0;
    char *got = df_answer_text(r, a, q, t, &len);
    ck_assert_ptr_nonnull(want);
    ck_assert_msg(got != NULL, "%s: no text", what);
    ck_assert_uint_eq(len, strlen(got));
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i]) i++;
        ck_abort_msg("%s: differs at byte %zu: tree ...%.60s, text ...%.60s", what, i, want + (i > 20 ? i - 20 : 0),
                     got + (i > 20 ? i - 20 : 0));
    }
    free(got);
    free(want);
    return 1;
}

/* Solves text (a map request) and compares; returns the number of answers compared (0: refused). */
static int check_one(const char *text, df_mapper *mp, double q, double t) {
    df_request r;
    df_fail f;
    if (tu_parse(text, &r, &f) != 0) return 0; /* e.g. a budget no layer fits: no answer to write */
    df_answer a;
    int n = 0;
    if (df_answer_solve(&r, mp, NULL, &a, &f) == 0) {
        n = same(&r, &a, q, t, text);
        df_answer_free(&a);
    }
    df_request_free(&r);
    return n;
}

START_TEST(test_zoo_identical) {
    df_mapper *mp;
    df_err e;
    ck_assert_int_eq(df_mapper_load_embedded(&mp, 16, &e), DF_OK);
    static const char *const solvers[] = {"transformer", "exact", "lbl", "auto"};
    static const char *const budgets[] = {"64KiB", "256KiB", "512KiB", "2MiB", "16MiB"};
    static const char *const objs[] = {"latency", "energy"};
    int n = 0, tried = 0;
    for (int32_t z = 0; z < df_zoo_count(); z++)
        for (int s = 0; s < 4; s++)
            for (int b = 0; b < 5; b++) {
                char text[256];
                snprintf(text, sizeof text,
                         "{\"workload\":\"%s\",\"hardware\":\"%s\",\"budget\":\"%s\",\"batch\":%d,\"solver\":\"%s\","
                         "\"objective\":\"%s\"}",
                         df_zoo_name(z), b % 2 ? "edge" : "cloud", budgets[b], 1 << (b % 4), solvers[s],
                         objs[(z + b) % 2]);
                tried++;
                n += check_one(text, mp, 0.1234567 * b, 1.00000049 + z);
            }
    ck_assert_msg(n >= tried / 2, "only %d of %d answers compared", n, tried);
    /* a custom hardware (no preset key), the depth-first space, a GA answer, timings not finite */
    n = check_one("{\"workload\":\"resnet18\",\"hardware\":{\"preset\":\"edge\",\"pe_rows\":8},\"budget\":\"256KiB\","
                  "\"solver\":\"exact\"}",
                  mp, 0, 0);
    n += check_one("{\"workload\":\"resnet18\",\"budget\":\"32KiB\",\"space\":\"depth_first\",\"solver\":\"exact\"}",
                   mp, NAN, INFINITY);
    n += check_one("{\"workload\":\"mobilenetv2\",\"budget\":\"512KiB\",\"batch\":4,\"solver\":\"ga\"}", mp, -0.0,
                   1e300);
    ck_assert_int_eq(n, 3);
    df_mapper_free(mp);
}
END_TEST

/* Hand-made answers: no baseline, a note with characters to escape, a gain over a zero figure. */
START_TEST(test_edges) {
    df_request r;
    df_fail f;
    ck_assert_int_eq(tu_parse("{\"workload\":\"resnet18\",\"budget\":\"1MiB\",\"solver\":\"exact\"}", &r, &f), 0);
    df_answer a;
    ck_assert_msg(df_answer_solve(&r, NULL, NULL, &a, &f) == 0, "%s", f.detail);
    snprintf(a.note, sizeof a.note, "a \"quoted\"\tnote\\ with \x01 control");
    same(&r, &a, 2.0005, 3.4994999, "note");
    a.met.dram_bytes = 0; /* ratio over zero: null */
    a.met.utilization = NAN;
    same(&r, &a, 1, 2, "zero dram");
    a.have_base = 0;
    same(&r, &a, 1, 2, "no baseline");
    a.solver = "transformer"; /* inference_ms first */
    a.solve_ms = 0.0004999;
    same(&r, &a, 1, 2, "inference");
    /* what the tree cannot hold, the text refuses too */
    const char *p = a.path;
    a.path = NULL;
    ck_assert_ptr_null(df_answer_text(&r, &a, 1, 2, NULL));
    a.path = p;
    char *t = df_answer_text(&r, &a, 1e308, 2, NULL); /* 1e308 * 1e3 overflows: json_real(inf) fails */
    json_t *j = df_answer_json(&r, &a, 1e308, 2);
    ck_assert_ptr_null(t);
    ck_assert_ptr_null(j);
    df_answer_free(&a);
    df_request_free(&r);
}
END_TEST

int main(void) {
    Suite *s = suite_create("reply");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_zoo_identical);
    tcase_add_test(tc, test_edges);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
