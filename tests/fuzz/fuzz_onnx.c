/* fuzz_onnx.c - libFuzzer target for the ONNX importer (src/core/onnx.c df_onnx_import: the
 * bounds-checked protobuf reader, ModelProto -> workload, shape inference). Built only when
 * include/dnnfuser/onnx.h exists (the Makefile skips it otherwise). Input: the model bytes; seeds are
 * tests/fuzz/corpus/fuzz_onnx/ plus the importer's own fixtures in tests/fixtures/onnx/ (run_fuzz.sh).
 * Invariants: an accepted model is a valid workload (df_workload_validate) whose JSON reads back into
 * the same layers; a refusal says why; the output is safe to free after any return; nothing leaks.
 *
 * Two signatures of df_onnx_import are accepted, chosen at compile time with _Generic: the
 * (buf, len, batch, out, err) one planned in issue #6 and the (buf, len, opts, out, err) one of
 * include/dnnfuser/onnx.h as written; each branch casts to its own type, only the matching one runs. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "dnnfuser/json.h"
#include "dnnfuser/onnx.h"
#include "fuzz_util.h"

typedef int (*onnx_batch_fn)(const uint8_t *, size_t, int, df_workload *, df_err *);
typedef int (*onnx_opts_fn)(const uint8_t *, size_t, const void *, df_workload *, df_err *);

static int import(const uint8_t *buf, size_t len, df_workload *w, df_err *e) {
    return _Generic(&df_onnx_import,
                    onnx_batch_fn: ((onnx_batch_fn)(void (*)(void))&df_onnx_import)(buf, len, 1, w, e),
                    default: ((onnx_opts_fn)(void (*)(void))&df_onnx_import)(buf, len, NULL, w, e));
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    json_object_seed(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    df_workload w;
    df_err e;
    memset(&w, 0, sizeof w);
    df_err_clear(&e);
    if (import(size ? data : NULL, size, &w, &e) != DF_OK) {
        FUZZ_CHECK(e.code != DF_OK && e.msg[0] != '\0');
        df_workload_free(&w);
        return 0;
    }
    FUZZ_CHECK(w.n_layers >= 1);
    df_err e2;
    FUZZ_CHECK(df_workload_validate(&w, 0, &e2) == DF_OK);
    json_t *j = df_workload_to_json(&w);
    FUZZ_CHECK(j != NULL);
    df_workload back;
    FUZZ_CHECK(df_workload_from_json(j, "", 0, &back, &e2) == DF_OK);
    FUZZ_CHECK(back.n_layers == w.n_layers && memcmp(back.layers, w.layers, (size_t)w.n_layers * sizeof *w.layers) == 0);
    df_workload_free(&back);
    json_decref(j);
    df_workload_free(&w);
    return 0;
}
