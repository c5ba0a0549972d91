/* fuzz_weights.c - libFuzzer target for the weights-file loader, from memory
 * (src/model/weights.c df_weights_load_buffer: header, config ranges, tensor table, normalisation and
 * metadata blocks, exact size, checksum, finite parameters), and for a model it accepted: the mapper
 * built from it (df_mapper_from_model: F and A must match this build) decodes a 4-layer workload.
 *
 * Input: byte 0 bit 0 set = recompute the FNV-1a checksum over the rest before loading (so mutations
 * reach the checks behind the checksum); the rest is the file image. Invariants: a file the loader
 * accepts serialises back to the same bytes; a model the mapper accepts decodes a feasible mapping;
 * nothing leaks or reads out of bounds. Seeds: tests/fuzz/mkweights.c. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/json.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/weights.h"
#include "fuzz_util.h"

static df_workload tiny;
static df_net *net;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    static const char js[] =
        "{\"name\":\"tiny\",\"layers\":[{\"type\":\"conv\",\"K\":16,\"C\":3,\"Y\":32,\"X\":32,\"R\":3,\"pad\":1},"
        "{\"type\":\"conv\",\"K\":32,\"C\":16,\"Y\":32,\"X\":32,\"R\":3,\"stride\":2,\"pad\":1},"
        "{\"type\":\"pool\",\"K\":32,\"C\":32,\"Y\":16,\"X\":16,\"R\":2,\"stride\":2},{\"type\":\"fc\",\"K\":10,\"C\":"
        "2048}]}";
    json_t *j = json_loads(js, 0, NULL);
    df_err e;
    df_hw hw;
    FUZZ_CHECK(j && df_workload_from_json(j, "", 0, &tiny, &e) == DF_OK);
    json_decref(j);
    FUZZ_CHECK(df_hw_preset("edge", &hw, &e) == DF_OK);
    FUZZ_CHECK(df_net_init(&net, &tiny, &hw, 4, &e) == DF_OK);
    return 0;
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t len = size - 1;
    /* an exact-size copy, so ASan sees any read past the image */
    uint8_t *buf = malloc(len ? len : 1);
    FUZZ_CHECK(buf != NULL);
    if (len) memcpy(buf, data + 1, len);
    if ((data[0] & 1) && len >= 8) put_u64(buf + len - 8, df_fnv1a64(buf, len - 8));

    df_gpt model;
    df_feature_norm norm;
    df_train_meta meta;
    df_err e;
    int rc = df_weights_load_buffer(len ? buf : NULL, len, &model, &norm, &meta, &e);
    if (rc != DF_OK) {
        FUZZ_CHECK(e.msg[0] != '\0');
        free(buf);
        return 0;
    }
    /* accepted: it writes back byte for byte */
    uint8_t *out = NULL;
    size_t out_len = 0;
    FUZZ_CHECK(df_weights_serialize(&model, &norm, &meta, &out, &out_len, &e) == DF_OK);
    FUZZ_CHECK(out_len == len && memcmp(out, buf, len) == 0);
    free(out);
    free(buf);

    /* the daemon's next step: a mapper over it (takes ownership of model and norm) */
    df_mapper *m = NULL;
    if (df_mapper_from_model(&m, &model, &norm, &meta, 4, &e) == DF_OK) {
        df_mapping map;
        if (df_mapping_init(&map, 4) == DF_OK) {
            if (df_solve_transformer(m, net, DF_OBJ_LATENCY, 2, &map, NULL, &e) == DF_OK) {
                df_metrics met;
                FUZZ_CHECK(df_mapping_eval(net, &map, &met, NULL, &e) == DF_OK && met.feasible);
            }
            df_mapping_free(&map);
        }
        df_mapper_free(m);
    }
    return 0;
}
