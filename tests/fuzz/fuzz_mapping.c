/* fuzz_mapping.c - libFuzzer target for mapping JSON, the "groups" of POST /v1/evaluate
 * (src/core/json.c df_mapping_from_json), and what the daemon does with an accepted mapping: score it
 * (df_mapping_eval: footprints, overflow), build the evaluate reply (srv_eval_reply, inline on the
 * HTTP thread) and write the mapping back; then the check-before-reply repair starting from it.
 *
 * Input: byte 0 picks the net the mapping is for (bits 0-1 workload: a 4-layer chain, resnet18,
 * mobilenetv2, the resnet_block example DAG; bits 2-3 batch 1, 2, 5, 8; bits 4-5 budget 48 KiB,
 * 256 KiB, 1 MiB, 8 MiB; bits 6-7 objective), the rest is the mapping JSON {"groups": [...]}.
 * Invariants: an accepted mapping covers the layers in order with micro-batches in [1, batch], it
 * writes back to the same groups, the reply serialises, repair ends feasible; nothing leaks. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "answer.h"
#include "dnnfuser/json.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"
#include "fuzz_util.h"
#include "request.h"

static const char tiny_json[] =
    "{\"name\":\"tiny\",\"layers\":[{\"name\":\"conv1\",\"type\":\"conv\",\"K\":16,\"C\":3,\"Y\":32,\"X\":32,\"R\":3,"
    "\"pad\":1},{\"name\":\"conv2\",\"type\":\"conv\",\"K\":32,\"C\":16,\"Y\":32,\"X\":32,\"R\":3,\"stride\":2,\"pad\":"
    "1},"
    "{\"name\":\"pool\",\"type\":\"pool\",\"K\":32,\"C\":32,\"Y\":16,\"X\":16,\"R\":2,\"stride\":2},"
    "{\"name\":\"fc\",\"type\":\"fc\",\"K\":10,\"C\":2048}]}";
/* examples/resnet_block.json: a residual block (a DAG with a skip) */
static const char block_json[] =
    "{\"name\":\"block\",\"layers\":[{\"name\":\"stem\",\"type\":\"conv\",\"K\":64,\"C\":3,\"Y\":56,\"X\":56,\"R\":3,"
    "\"pad\":1},"
    "{\"name\":\"a\",\"type\":\"conv\",\"K\":64,\"C\":64,\"Y\":56,\"X\":56,\"R\":3,\"pad\":1},"
    "{\"name\":\"b\",\"type\":\"conv\",\"K\":64,\"C\":64,\"Y\":56,\"X\":56,\"R\":3,\"pad\":1},"
    "{\"name\":\"add\",\"type\":\"add\",\"K\":64,\"C\":64,\"Y\":56,\"X\":56,\"inputs\":[0,2]},"
    "{\"name\":\"fc\",\"type\":\"fc\",\"K\":10,\"C\":200704}]}";

static const int32_t batches[4] = {1, 2, 5, 8};
static const int64_t budgets[4] = {48 << 10, 256 << 10, 1 << 20, 8 << 20};
static srv_eval_req nets[64]; /* [byte & 63]: workload, hardware with budget, batch, net */

static void load_workload(int which, df_workload *w) {
    df_err e;
    if (which == 1 || which == 2) {
        FUZZ_CHECK(df_zoo_build(which == 1 ? "resnet18" : "mobilenetv2", NULL, w, &e) == DF_OK);
        return;
    }
    json_t *j = json_loads(which == 0 ? tiny_json : block_json, 0, NULL);
    FUZZ_CHECK(j != NULL);
    FUZZ_CHECK(df_workload_from_json(j, "", 0, w, &e) == DF_OK);
    json_decref(j);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    json_object_seed(1);
    for (int i = 0; i < 64; i++) {
        srv_map_req *r = &nets[i].base;
        df_err e;
        load_workload(i & 3, &r->w);
        r->have_w = 1;
        FUZZ_CHECK(df_hw_preset("edge", &r->hw, &e) == DF_OK);
        r->hw.buffer_bytes = budgets[(i >> 4) & 3];
        r->batch = batches[(i >> 2) & 3];
        FUZZ_CHECK(df_net_init(&r->net, &r->w, &r->hw, r->batch, &e) == DF_OK);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    srv_eval_req ev = nets[data[0] & 63]; /* shallow copy: the net stays shared */
    ev.base.obj = (df_objective)((data[0] >> 6) % DF_OBJ_COUNT);
    int32_t L = ev.base.w.n_layers, N = ev.base.batch;
    json_error_t je;
    json_t *j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &je);
    if (!j) return 0;
    df_err e;
    int rc = df_mapping_from_json(j, "/mapping", L, N, &ev.map, &e);
    json_decref(j);
    if (rc != DF_OK) {
        FUZZ_CHECK(e.msg[0] != '\0' && ev.map.groups == NULL);
        return 0;
    }
    /* structure */
    FUZZ_CHECK(ev.map.n_groups >= 1 && ev.map.groups[0].first == 0 && ev.map.groups[ev.map.n_groups - 1].last == L - 1);
    for (int32_t g = 0; g < ev.map.n_groups; g++) {
        const df_group *gr = &ev.map.groups[g];
        FUZZ_CHECK(gr->first <= gr->last && gr->micro_batch >= 1 && gr->micro_batch <= N);
        if (g) FUZZ_CHECK(gr->first == ev.map.groups[g - 1].last + 1);
    }
    /* the evaluate reply, as the daemon builds it */
    srv_fail f;
    srv_fail_clear(&f);
    ev.have_map = 1;
    json_t *reply = srv_eval_reply(&ev, &f);
    FUZZ_CHECK(reply != NULL);
    char *s = json_dumps(reply, JSON_COMPACT);
    FUZZ_CHECK(s != NULL);
    free(s);
    json_decref(reply);
    /* write back, read again: same groups */
    json_t *back = df_mapping_to_json(&ev.map);
    FUZZ_CHECK(back != NULL);
    df_mapping m2;
    FUZZ_CHECK(df_mapping_from_json(back, "", L, N, &m2, &e) == DF_OK);
    FUZZ_CHECK(m2.n_groups == ev.map.n_groups &&
               memcmp(m2.groups, ev.map.groups, (size_t)m2.n_groups * sizeof *m2.groups) == 0);
    json_decref(back);
    /* repair from this mapping (budget-checked nets only, as in the daemon) */
    if (df_net_check_budget(ev.base.net, &e) == DF_OK &&
        df_repair(ev.base.net, ev.base.obj, &m2, 50, NULL, &e) == DF_OK) {
        df_metrics met;
        FUZZ_CHECK(df_mapping_eval(ev.base.net, &m2, &met, NULL, &e) == DF_OK);
        FUZZ_CHECK(met.feasible);
    }
    df_mapping_free(&m2);
    df_mapping_free(&ev.map);
    return 0;
}
