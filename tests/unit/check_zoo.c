/* check_zoo.c - Check suite "zoo": every network's per-sample conv+fc(+matmul) MACs equal the exact
 * count of its reference definition and lie within 0.5% of the published figure; layer counts,
 * residual edges, BERT's closed form in seq_len, unknown names and bad options. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dnnfuser/zoo.h"

static const struct {
    const char *name;
    int64_t macs;       /* exact, from the reference layer shapes */
    double published;   /* GMAC, as published (issue 2 table) */
    int32_t layers;
} want[] = {
    {"resnet18", 1814073344LL, 1.814, 31},   {"resnet50", 4089184256LL, 4.089, 72},
    {"mobilenetv2", 300774272LL, 0.301, 64}, {"mnasnet", 314415872LL, 0.314, 64},
    {"vgg16", 15470264320LL, 15.470, 21},    {"efficientnet_b0", 385814752LL, 0.386, 108},
};

START_TEST(test_macs_match_reference_and_published) {
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        df_workload w;
        df_err e;
        ck_assert_msg(df_zoo_build(want[i].name, NULL, &w, &e) == DF_OK, "%s: %s", want[i].name, e.msg);
        int64_t macs = df_workload_macs(&w);
        ck_assert_msg(macs == want[i].macs, "%s: %lld MACs, expected %lld", want[i].name, (long long)macs,
                      (long long)want[i].macs);
        ck_assert_msg(fabs(macs / 1e9 - want[i].published) <= 0.005 * want[i].published, "%s: %.4f G vs published %.3f",
                      want[i].name, macs / 1e9, want[i].published);
        ck_assert_int_eq(w.n_layers, want[i].layers);
        df_workload_free(&w);
    }
}
END_TEST

static int32_t find(const df_workload *w, const char *name) {
    for (int32_t i = 0; i < w->n_layers; i++)
        if (strcmp(w->layers[i].name, name) == 0) return i;
    return -1;
}

START_TEST(test_resnet_shortcuts) {
    df_workload w;
    ck_assert_int_eq(df_zoo_build("resnet50", NULL, &w, NULL), DF_OK);
    /* first block of layer2: add(conv3, downsample), downsample reads the block input */
    int32_t add = find(&w, "layer2.0.add"), c3 = find(&w, "layer2.0.conv3"), ds = find(&w, "layer2.0.downsample");
    int32_t in = find(&w, "layer1.2.add"), c1 = find(&w, "layer2.0.conv1");
    ck_assert(add >= 0 && c3 >= 0 && ds >= 0 && in >= 0);
    ck_assert_int_eq(w.layers[add].n_inputs, 2);
    ck_assert_int_eq(w.layers[add].inputs[0], c3);
    ck_assert_int_eq(w.layers[add].inputs[1], ds);
    ck_assert_int_eq(w.layers[ds].inputs[0], in);
    ck_assert_int_eq(w.layers[c1].inputs[0], in);
    ck_assert_int_eq(w.layers[ds].stride, 2);
    ck_assert_int_eq(w.layers[find(&w, "layer2.0.conv2")].stride, 2); /* v1.5: stride on the 3x3 */
    /* identity shortcut: second block's add takes the first block's add */
    int32_t add1 = find(&w, "layer2.1.add");
    ck_assert_int_eq(w.layers[add1].inputs[1], add);
    df_workload_free(&w);
    ck_assert_int_eq(df_zoo_build("resnet18", NULL, &w, NULL), DF_OK);
    ck_assert_int_eq(w.layers[find(&w, "layer1.0.add")].inputs[1], find(&w, "maxpool"));
    ck_assert_int_eq(find(&w, "layer1.0.downsample"), -1);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_bert_closed_form) {
    int32_t lens[] = {128, 384};
    for (int i = 0; i < 2; i++) {
        df_workload w;
        df_zoo_opts o = {.seq_len = lens[i]};
        ck_assert_int_eq(df_zoo_build("bert_base", &o, &w, NULL), DF_OK);
        int64_t T = lens[i], d = 768, ff = 3072;
        /* per layer: 4 T d^2 (q, k, v, out) + 2 T^2 d (scores, context) + 2 T d ff */
        int64_t per = 4 * T * d * d + 2 * T * T * d + 2 * T * d * ff;
        ck_assert_int_eq(df_workload_macs(&w), 12 * per);
        ck_assert_int_eq(w.n_layers, 120);
        df_workload_free(&w);
    }
}
END_TEST

START_TEST(test_unknown_and_bad_options) {
    df_workload w;
    df_err e;
    ck_assert_int_eq(df_zoo_build("resnet51", NULL, &w, &e), DF_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(e.msg, "resnet50"));
    df_zoo_opts o = {.seq_len = 5000};
    ck_assert_int_eq(df_zoo_build("bert_base", &o, &w, &e), DF_EINVAL);
    ck_assert_int_eq(df_zoo_count(), 7);
    for (int32_t i = 0; i < df_zoo_count(); i++) {
        ck_assert_int_eq(df_zoo_build(df_zoo_name(i), NULL, &w, &e), DF_OK);
        ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
        ck_assert_ptr_nonnull(df_zoo_description(i));
        df_workload_free(&w);
    }
    ck_assert_ptr_null(df_zoo_name(7));
}
END_TEST

static Suite *zoo_suite(void) {
    Suite *s = suite_create("zoo");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_macs_match_reference_and_published);
    tcase_add_test(tc, test_resnet_shortcuts);
    tcase_add_test(tc, test_bert_closed_form);
    tcase_add_test(tc, test_unknown_and_bad_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(zoo_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
