/* embedded.c - the shipped weights (weights/dnnfuser.weights) linked into the library, so the CLI and
 * the daemon run on them with no file to find. The assembler's .incbin reads the file at build time
 * (the Makefile makes this object depend on it); the loader validates it like any other file. */
#include "dnnfuser/mapper.h"

__asm__(".section .rodata\n"
        ".balign 64\n"
        "df_weights_blob_start:\n"
        ".incbin \"weights/dnnfuser.weights\"\n"
        "df_weights_blob_end:\n"
        ".previous\n");

extern const uint8_t df_weights_blob_start[], df_weights_blob_end[];

const uint8_t *df_weights_embedded(size_t *len) {
    *len = (size_t)(df_weights_blob_end - df_weights_blob_start);
    return df_weights_blob_start;
}

int df_mapper_load_embedded(df_mapper **out, int32_t max_seqs, df_err *err) {
    df_gpt model;
    df_feature_norm norm;
    df_train_meta meta;
    size_t len;
    const uint8_t *buf = df_weights_embedded(&len);
    *out = NULL;
    int rc = df_weights_load_buffer(buf, len, &model, &norm, &meta, err);
    if (rc) return rc;
    return df_mapper_from_model(out, &model, &norm, &meta, max_seqs, err);
}
