/* check_server_reply.c - unit tests of src/server/reply.c: a problem reply carries the table's status,
 * application/problem+json, the request id and Retry-After; a JSON reply is the compact text at the
 * answers' precision and takes the tree; a NULL tree is a 500 problem, never an empty 200. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/reply.h"

START_TEST(test_problem) {
    srv_fail f;
    srv_fail_clear(&f);
    srv_fail_set(&f, SRV_PROB_QUEUE_FULL, NULL, "full");
    f.retry_after = 3;
    srv_reply r;
    srv_reply_problem(&r, &f, "req-7");
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.content_type, "application/problem+json");
    ck_assert_int_eq(r.retry_after, 3);
    ck_assert_ptr_nonnull(r.body);
    ck_assert_uint_eq(r.len, strlen(r.body));
    ck_assert_ptr_nonnull(strstr(r.body, "\"status\":503"));
    ck_assert_ptr_nonnull(strstr(r.body, "req-7"));
    ck_assert_ptr_null(r.read);
    ck_assert_int_eq(r.persistent, 0);
    free(r.body);
}
END_TEST

START_TEST(test_json) {
    srv_reply r;
    srv_reply_json(&r, 201, json_pack("{s:f, s:s}", "x", 1.0 / 3.0, "k", "v"), "id");
    ck_assert_int_eq(r.status, 201);
    ck_assert_ptr_null(r.content_type); /* application/json */
    ck_assert_str_eq(r.body, "{\"x\":0.3333333333,\"k\":\"v\"}");
    ck_assert_uint_eq(r.len, strlen(r.body));
    free(r.body);
}
END_TEST

START_TEST(test_json_null_is_500) {
    srv_reply r;
    srv_reply_json(&r, 200, NULL, "id-null");
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(r.content_type, "application/problem+json");
    ck_assert_ptr_nonnull(strstr(r.body, "out of memory"));
    free(r.body);
}
END_TEST

static Suite *reply_suite(void) {
    Suite *s = suite_create("server_reply");
    TCase *tc = tcase_create("reply");
    tcase_add_test(tc, test_problem);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_json_null_is_500);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(reply_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
