/* check_server_membudget.c - unit tests of src/server/membudget.c: charges within the budget pass and
 * one past it is refused whole (nothing charged) and counted; admission refuses only once the budget is
 * used up; a budget of 0 refuses nothing; a SIGHUP budget applies at once; after a burst past
 * SRV_MEM_TRIM_BYTES the release that brings the bytes in flight under an eighth of the high mark trims
 * the heap once, and a small burst never does. */
#include <check.h>
#include <stdlib.h>

#include "../../src/server/membudget.h"

START_TEST(test_charge_and_refuse) {
    srv_mem m;
    srv_mem_init(&m, 1000);
    ck_assert_int_eq(srv_mem_charge(&m, 600), 0);
    ck_assert_int_eq(srv_mem_admit(&m), 1);
    ck_assert_int_eq(srv_mem_charge(&m, 500), -1); /* 1,100 > 1,000: refused, nothing charged */
    ck_assert_int_eq((int)atomic_load(&m.used), 600);
    ck_assert_int_eq(srv_mem_charge(&m, 400), 0); /* exactly the budget */
    ck_assert_int_eq(srv_mem_admit(&m), 0);       /* used up: new work waits */
    ck_assert_int_eq((int)atomic_load(&m.refused), 2);
    srv_mem_release(&m, 1000);
    ck_assert_int_eq((int)atomic_load(&m.used), 0);
    ck_assert_int_eq(srv_mem_admit(&m), 1);
}
END_TEST

START_TEST(test_no_budget_and_reload) {
    srv_mem m;
    srv_mem_init(&m, 0);
    ck_assert_int_eq(srv_mem_charge(&m, 1LL << 40), 0);
    ck_assert_int_eq(srv_mem_admit(&m), 1);
    srv_mem_set_budget(&m, 1 << 20); /* SIGHUP: already over the new budget */
    ck_assert_int_eq(srv_mem_admit(&m), 0);
    ck_assert_int_eq(srv_mem_charge(&m, 1), -1);
    srv_mem_release(&m, 1LL << 40);
    ck_assert_int_eq(srv_mem_admit(&m), 1);
}
END_TEST

START_TEST(test_trim_after_burst) {
    srv_mem m;
    srv_mem_init(&m, 0);
    /* a small burst: no trim */
    ck_assert_int_eq(srv_mem_charge(&m, 1 << 20), 0);
    srv_mem_release(&m, 1 << 20);
    ck_assert_int_eq((int)atomic_load(&m.trims), 0);
    /* a large one: the release under an eighth of the high mark trims, once */
    for (int i = 0; i < 64; i++) ck_assert_int_eq(srv_mem_charge(&m, 1 << 20), 0);
    srv_mem_release(&m, 32 << 20); /* 32 MiB left of 64: no trim yet */
    ck_assert_int_eq((int)atomic_load(&m.trims), 0);
    srv_mem_release(&m, 28 << 20); /* 4 MiB left <= 64 / 8: trim */
    ck_assert_int_eq((int)atomic_load(&m.trims), 1);
    srv_mem_release(&m, 4 << 20);
    ck_assert_int_eq((int)atomic_load(&m.trims), 1); /* the high mark was reset by the trim */
    ck_assert_int_eq((int)atomic_load(&m.used), 0);
}
END_TEST

static Suite *membudget_suite(void) {
    Suite *s = suite_create("server_membudget");
    TCase *tc = tcase_create("membudget");
    tcase_add_test(tc, test_charge_and_refuse);
    tcase_add_test(tc, test_no_budget_and_reload);
    tcase_add_test(tc, test_trim_after_burst);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(membudget_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
