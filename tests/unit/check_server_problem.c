/* check_server_problem.c - unit tests of src/server/problem.c: the one error table (statuses, unique
 * type URIs and titles) and the RFC 9457 bodies with their extension members. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/problem.h"

START_TEST(test_table) {
    ck_assert_ptr_null(srv_problem_get(SRV_PROB_NONE));
    ck_assert_ptr_null(srv_problem_get(SRV_PROB_COUNT));
    for (int i = 1; i < SRV_PROB_COUNT; i++) {
        const srv_problem_info *a = srv_problem_get((srv_problem)i);
        ck_assert_ptr_nonnull(a);
        ck_assert_int_ge(a->status, 400);
        ck_assert_int_le(a->status, 599);
        ck_assert_ptr_nonnull(a->title);
        /* slug: lower-case letters and '-' only */
        for (const char *p = a->slug; *p; p++) ck_assert(*p == '-' || (*p >= 'a' && *p <= 'z'));
        for (int j = 1; j < i; j++) {
            const srv_problem_info *b = srv_problem_get((srv_problem)j);
            ck_assert_str_ne(a->slug, b->slug);
            ck_assert_str_ne(a->title, b->title);
        }
    }
}
END_TEST

static const struct {
    srv_problem p;
    int status;
    const char *slug;
} expected[] = {
    {SRV_PROB_MALFORMED_JSON, 400, "malformed-json"},
    {SRV_PROB_INVALID_REQUEST, 400, "invalid-request"},
    {SRV_PROB_NOT_FOUND, 404, "not-found"},
    {SRV_PROB_UNKNOWN_WORKLOAD, 404, "unknown-workload"},
    {SRV_PROB_METHOD_NOT_ALLOWED, 405, "method-not-allowed"},
    {SRV_PROB_LENGTH_REQUIRED, 411, "length-required"},
    {SRV_PROB_BODY_TOO_LARGE, 413, "body-too-large"},
    {SRV_PROB_UNSUPPORTED_MEDIA, 415, "unsupported-media-type"},
    {SRV_PROB_INVALID_WORKLOAD, 422, "invalid-workload"},
    {SRV_PROB_INVALID_HARDWARE, 422, "invalid-hardware"},
    {SRV_PROB_BUDGET_TOO_SMALL, 422, "budget-too-small"},
    {SRV_PROB_SOLVER_UNAVAILABLE, 422, "solver-unavailable"},
    {SRV_PROB_QUEUE_FULL, 503, "queue-full"},
    {SRV_PROB_DRAINING, 503, "draining"},
    {SRV_PROB_DEADLINE, 504, "deadline-exceeded"},
    {SRV_PROB_INTERNAL, 500, "internal"},
};

START_TEST(test_statuses) {
    ck_assert_int_eq(srv_problem_status(expected[_i].p), expected[_i].status);
    ck_assert_str_eq(srv_problem_get(expected[_i].p)->slug, expected[_i].slug);
}
END_TEST

START_TEST(test_body_members) {
    srv_fail f;
    srv_fail_clear(&f);
    ck_assert_int_eq(f.why.layer, -1);
    ck_assert_int_eq(srv_fail_set(&f, SRV_PROB_INVALID_WORKLOAD, "/workload/layers/3/K", "layer 3: K = %d", -1), -1);
    json_t *o = srv_problem_json(&f, "42");
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string_value(json_object_get(o, "type")), "https://dnnfuser.dev/problems/invalid-workload");
    ck_assert_str_eq(json_string_value(json_object_get(o, "title")), "Invalid workload");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "status")), 422);
    ck_assert_str_eq(json_string_value(json_object_get(o, "detail")), "layer 3: K = -1");
    ck_assert_str_eq(json_string_value(json_object_get(o, "pointer")), "/workload/layers/3/K");
    ck_assert_str_eq(json_string_value(json_object_get(o, "request_id")), "42");
    ck_assert_str_eq(json_string_value(json_object_get(o, "instance")), "urn:dnnfuser:request:42");
    ck_assert_ptr_null(json_object_get(o, "need_bytes"));
    json_decref(o);
}
END_TEST

START_TEST(test_budget_members) {
    srv_fail f;
    srv_fail_clear(&f);
    srv_fail_set(&f, SRV_PROB_BUDGET_TOO_SMALL, "/budget", "budget too small");
    f.why.layer = 5;
    snprintf(f.why.layer_name, sizeof f.why.layer_name, "conv1");
    f.why.need_bytes = 123456;
    size_t len;
    char *s = srv_problem_body(&f, NULL, &len);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq((int)len, (int)strlen(s));
    ck_assert_ptr_nonnull(strstr(s, "\"layer\":5"));
    ck_assert_ptr_nonnull(strstr(s, "\"layer_name\":\"conv1\""));
    ck_assert_ptr_nonnull(strstr(s, "\"need_bytes\":123456"));
    ck_assert_ptr_null(strstr(s, "request_id"));
    free(s);
}
END_TEST

START_TEST(test_bad_utf8_detail) {
    srv_fail f;
    srv_fail_clear(&f);
    srv_fail_set(&f, SRV_PROB_NOT_FOUND, NULL, "no route for /\xff\xfe");
    json_t *o = srv_problem_json(&f, "1");
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string_value(json_object_get(o, "detail")), "Not found"); /* falls back to the title */
    json_decref(o);
    srv_fail_set(&f, SRV_PROB_QUEUE_FULL, NULL, "full");
    f.retry_after = 1;
    o = srv_problem_json(&f, "2");
    ck_assert_int_eq(json_integer_value(json_object_get(o, "retry_after_seconds")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "status")), 503);
    json_decref(o);
}
END_TEST

static Suite *problem_suite(void) {
    Suite *s = suite_create("server_problem");
    TCase *tc = tcase_create("problem");
    tcase_add_test(tc, test_table);
    tcase_add_loop_test(tc, test_statuses, 0, (int)(sizeof expected / sizeof expected[0]));
    tcase_add_test(tc, test_body_members);
    tcase_add_test(tc, test_budget_members);
    tcase_add_test(tc, test_bad_utf8_detail);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(problem_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
