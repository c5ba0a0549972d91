/* check_jsonout.c - unit tests of src/core/jsonout.c: every real, integer, string and tree written
 * byte for byte as json_dumps(JSON_COMPACT | JSON_REAL_PRECISION(10)) writes it, over edge cases
 * (zero, signs, powers of ten, the %g switch points, halves at the 10th digit, the extremes) and
 * many random values of every magnitude. */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "dnnfuser/jsonout.h"

#define FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(10))

/* jansson's text of [v] without the brackets, into ref */
static void ref_real(double v, char *ref, size_t n) {
    json_t *a = json_array();
    json_array_append_new(a, json_real(v));
    char *s = json_dumps(a, FLAGS);
    ck_assert_ptr_nonnull(s);
    size_t l = strlen(s);
    ck_assert_uint_ge(l, 3);
    ck_assert_uint_lt(l - 2, n);
    memcpy(ref, s + 1, l - 2);
    ref[l - 2] = '\0';
    free(s);
    json_decref(a);
}

static void same_real(double v) {
    if (!isfinite(v)) return; /* json_real holds none */
    char ref[64], got[64];
    ref_real(v, ref, sizeof ref);
    int n = df_json_real_text(v, got);
    ck_assert_msg(n == (int)strlen(got) && strcmp(ref, got) == 0, "%.17g: jansson \"%s\", ours \"%s\" (%d)", v, ref,
                  got, n);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void) { /* xorshift64 */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

START_TEST(test_real_edges) {
    const double v[] = {0.0,
                        -0.0,
                        1,
                        -1,
                        0.5,
                        0.1,
                        0.2,
                        0.3,
                        1.5,
                        2.5,
                        10,
                        100,
                        1e9,
                        1e10,
                        1e11,
                        9999999999.0,
                        99999999995.0,
                        9999999999.5,
                        999999999.95,
                        1.0000000005,
                        1.00000000049,
                        1.00000000051,
                        0.0001,
                        0.00001,
                        0.000123456789012,
                        1.234567890123e-5,
                        1e-4,
                        9.9999999995e-5,
                        1e-13,
                        1e-14,
                        1e-22,
                        1e22,
                        1e23,
                        1e31,
                        1e32,
                        1e300,
                        1e-300,
                        DBL_MAX,
                        -DBL_MAX,
                        DBL_MIN,
                        DBL_TRUE_MIN,
                        4.9406564584124654e-324,
                        123456789012345678.0,
                        0.1 + 0.2,
                        1.0 / 3,
                        2.0 / 3,
                        M_PI,
                        M_E,
                        12345.678901234,
                        0.5e-4,
                        5e-5,
                        1.25,
                        3.0e8,
                        2.5e-7,
                        1048576.0,
                        0.999999999949,
                        0.99999999995,
                        0.9999999999500001,
                        9.5,
                        95,
                        950,
                        9.99999999949999,
                        1234567890.4999999,
                        1234567890.5,
                        1234567891.5,
                        4503599627370496.0,
                        9007199254740993.0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        same_real(v[i]);
        same_real(-v[i]);
    }
    for (int e = -330; e <= 310; e++) { /* powers of ten and their neighbours */
        double p = pow(10, e);
        same_real(p);
        same_real(nextafter(p, 0));
        same_real(nextafter(p, INFINITY));
        same_real(p * 5);
        same_real(p * 9.9999999995);
    }
    char got[64];
    ck_assert_int_eq(df_json_real_text(INFINITY, got), -1);
    ck_assert_int_eq(df_json_real_text(NAN, got), -1);
}
END_TEST

START_TEST(test_real_random) {
    for (int i = 0; i < 60000; i++) { /* any bit pattern: every magnitude */
        uint64_t b = next();
        double v;
        memcpy(&v, &b, sizeof v);
        if (isfinite(v)) same_real(v);
    }
    for (int i = 0; i < 60000; i++) { /* the replies' range: cycles, pJ, bytes, ratios, ms */
        double m = (double)(next() >> 11) / 9007199254740992.0;
        int e = (int)(next() % 40) - 12;
        same_real(m * pow(10, e));
    }
    for (int i = 0; i < 40000; i++) { /* short decimals and exact halves at the 10th and 11th digit */
        int64_t k = (int64_t)(next() % 100000000000ULL);
        int e = (int)(next() % 24) - 12;
        same_real((double)k * pow(10, e));
        same_real(((double)k + 0.5) / 1e3);
        same_real(round((double)(next() % 1000000000) * 1e3) / 1e3); /* jms(): to the microsecond */
    }
}
END_TEST

static void same_tree(json_t *j) {
    char *ref = json_dumps(j, FLAGS), *got = df_json_dumps(j);
    ck_assert_ptr_nonnull(ref);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, ref);
    free(ref);
    free(got);
    json_decref(j);
}

START_TEST(test_tree) {
    same_tree(json_object());
    same_tree(json_array());
    same_tree(json_pack("{s:i, s:I, s:I, s:I, s:b, s:b, s:n, s:f, s:[], s:{}}", "a", 0, "big", (json_int_t)INT64_MAX,
                        "small", (json_int_t)INT64_MIN, "neg", (json_int_t)-42, "t", 1, "f", 0, "z", "r", 1.5, "ea",
                        "eo"));
    /* insertion order kept, keys and strings escaped as jansson does */
    json_t *o = json_object();
    json_object_set_new(o, "zeta", json_integer(1));
    json_object_set_new(o, "alpha", json_string("q\"u\\o/te\b\f\n\r\t\x01\x1f\x7f end"));
    json_object_set_new(o, "k\"ey\n", json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    json_object_set_new(o, "", json_string(""));
    json_object_set_new(o, "m", json_pack("[i, f, s, [f, [], {}], {s:{s:[n]}}]", 3, -0.0, "x", 1e-7, "a", "b"));
    same_tree(o);
    json_t *a = json_array(); /* a reply-sized array of groups */
    for (int g = 0; g < 300; g++) {
        double v = (double)(next() % 1000000) * 1.37;
        json_array_append_new(a, json_pack("{s:i, s:i, s:i, s:f, s:f, s:f, s:s}", "first", g, "last", g + 2,
                                           "micro_batch", g % 8 + 1, "latency_cycles", v, "energy_pj", v * 31.7, "ms",
                                           round(v) / 1e3, "name", "layer3.0.conv2"));
    }
    same_tree(a);
    ck_assert_ptr_null(df_json_dumps(NULL));
    json_t *s = json_string("bare");
    ck_assert_ptr_null(df_json_dumps(s)); /* as json_dumps without JSON_ENCODE_ANY */
    json_decref(s);
}
END_TEST

static Suite *jsonout_suite(void) {
    Suite *s = suite_create("jsonout");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_real_edges);
    tcase_add_test(tc, test_real_random);
    tcase_add_test(tc, test_tree);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(jsonout_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
