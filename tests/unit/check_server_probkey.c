/* check_server_probkey.c - unit tests of src/server/probkey.c: a problem key matches a separately
 * built net of the same problem and nothing that differs in one layer field, the hardware, the batch,
 * the objective or the layer count; an empty key matches nothing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/probkey.h"
#include "testutil.h"

static void one_channel_more(df_workload *w) { w->layers[w->n_layers / 2].K += 1; }
static void one_layer_less(df_workload *w) { w->n_layers -= 1; }

START_TEST(test_probkey_matches_content) {
    df_net *a = tu_zoo_net("resnet18", 512 << 10, 8, NULL);
    df_net *same = tu_zoo_net("resnet18", 512 << 10, 8, NULL);
    df_net *budget = tu_zoo_net("resnet18", 1 << 20, 8, NULL);
    df_net *batch = tu_zoo_net("resnet18", 512 << 10, 4, NULL);
    df_net *layer = tu_zoo_net("resnet18", 512 << 10, 8, one_channel_more);
    df_net *shorter = tu_zoo_net("resnet18", 512 << 10, 8, one_layer_less);
    df_net *other = tu_zoo_net("mobilenetv2", 512 << 10, 8, NULL);
    srv_probkey k;
    ck_assert_int_eq(srv_probkey_set(&k, a, DF_OBJ_LATENCY), DF_OK);
    ck_assert(srv_probkey_eq(&k, a, DF_OBJ_LATENCY));
    ck_assert(srv_probkey_eq(&k, same, DF_OBJ_LATENCY)); /* built separately: only content compares */
    ck_assert(!srv_probkey_eq(&k, a, DF_OBJ_ENERGY));
    ck_assert(!srv_probkey_eq(&k, budget, DF_OBJ_LATENCY));
    ck_assert(!srv_probkey_eq(&k, batch, DF_OBJ_LATENCY));
    ck_assert(!srv_probkey_eq(&k, layer, DF_OBJ_LATENCY));
    ck_assert(!srv_probkey_eq(&k, shorter, DF_OBJ_LATENCY));
    ck_assert(!srv_probkey_eq(&k, other, DF_OBJ_LATENCY));
    srv_probkey_free(&k);
    ck_assert_ptr_null(k.layers);
    ck_assert(!srv_probkey_eq(&k, a, DF_OBJ_LATENCY)); /* empty: matches nothing */
    srv_probkey_free(&k);                              /* freeing an empty key again is harmless */
    df_net *all[] = {a, same, budget, batch, layer, shorter, other};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) df_net_free(all[i]);
}
END_TEST

int main(void) {
    Suite *s = suite_create("server_probkey");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_probkey_matches_content);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
