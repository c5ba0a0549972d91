/* fuzz_onnx.c - libFuzzer target for the ONNX importer (src/core/onnx.c: the protobuf wire decoder, the
 * graph walk, shape inference) and the base64 decoder the daemon's JSON "onnx" field goes through.
 * Invariants: an accepted model is a valid workload (it re-validates, has non-negative MACs) that
 * binds to hardware; a refusal always carries a message; nothing leaks. Seeds: the committed
 * fixtures (tests/fixtures/onnx/, added by run_fuzz.sh) and tests/fuzz/corpus/fuzz_onnx/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/base64.h"
#include "dnnfuser/cost.h"
#include "dnnfuser/hw.h"
#include "dnnfuser/onnx.h"
#include "fuzz_util.h"

static df_hw hw_edge;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    FUZZ_CHECK(df_hw_preset("edge", &hw_edge, NULL) == DF_OK);
    return 0;
}

static void import(const uint8_t *data, size_t size) {
    (void)df_onnx_sniff(data, size);
    df_onnx_opts o = {.name = NULL, .max_layers = 4096};
    df_workload w;
    df_err e;
    df_err_clear(&e);
    if (df_onnx_import(data, size, &o, &w, &e) != DF_OK) {
        FUZZ_CHECK(e.code != DF_OK && e.msg[0] != '\0');
        return;
    }
    df_err e2;
    FUZZ_CHECK(df_workload_validate(&w, 4096, &e2) == DF_OK);
    FUZZ_CHECK(w.n_layers >= 1 && df_workload_macs(&w) >= 0);
    df_net *n = NULL;
    if (df_net_init(&n, &w, &hw_edge, 2, &e2) == DF_OK) df_net_free(n);
    df_workload_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    import(data, size);
    /* the same bytes read as base64 text, then imported (the JSON "onnx" field's path) */
    if (size < (1 << 20)) {
        uint8_t *out = NULL;
        size_t n = 0;
        df_err e;
        df_err_clear(&e);
        if (df_base64_decode((const char *)data, size, &out, &n, &e) == DF_OK) {
            FUZZ_CHECK(out != NULL && n <= size);
            import(out, n);
        } else {
            FUZZ_CHECK(e.msg[0] != '\0');
        }
        free(out);
    }
    return 0;
}
