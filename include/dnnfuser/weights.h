/* weights.h - the pretrained-weights file: writer and a loader that validates everything first.
 *
 * Layout, all integers and floats little-endian (independent of the host):
 *
 *   offset  bytes        field
 *   0       8            magic "DNNFUSR1"
 *   8       4            u32 version (1 or 2, DF_WEIGHTS_VERSION_LAYOUT)
 *   12      4            u32 endian marker 0x01020304 (bytes 04 03 02 01)
 *   (16     4            version 2 only: u32 action layout, df_action_layout; every later offset is +4)
 *   16      24           i32 F, A, d, L, H, T (df_gpt_config)
 *   40      4            u32 tensor count n (must be DF_GPT_NUM_TENSORS)
 *   44      68 n         tensor table, per tensor: char name[32] (NUL-padded), u32 ndim, u32 dims[4],
 *                        u64 offset (bytes from the start of the data section), u64 count (floats)
 *   .       4 + 8F       feature normalisation: u32 F, f32 mean[F], f32 std[F]
 *   .       20 + len     training metadata: u64 dataset seed, u64 steps, u32 len (<= 1024),
 *                        len bytes of UTF-8 text (no NUL), e.g. the train/held-out split description
 *   .       4 P          f32 parameters, the tensors in table order (P = df_gpt num_params)
 *   end-8   8            u64 FNV-1a 64 of every byte before it
 *
 * The loader (after the llm.c checkpoint header, with GGUF-grade validation, STYLE.md sections 1-2)
 * checks, in order and before trusting anything: size, magic, version (the message names both and
 * gives a HINT), endian marker, the config's ranges, the tensor count, each tensor's name, shape,
 * count and offset against what the config implies, the normalisation and metadata blocks, the exact
 * file size, the checksum, and finally that every parameter is finite. Version 1 has no layout field and
 * is the batch-only layout (the shipped weights): the writer emits version 1 whenever the layout is
 * DF_LAYOUT_BATCH, so such a file is byte-identical to what it was before the field existed. Any failure returns a df_err
 * with one clear line; nothing is allocated or changed on failure. */
#ifndef DNNFUSER_WEIGHTS_H
#define DNNFUSER_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "dnnfuser/common.h"
#include "dnnfuser/gpt.h"

#define DF_WEIGHTS_MAGIC "DNNFUSR1"
#define DF_WEIGHTS_VERSION 1u        /* batch layout, no layout field */
#define DF_WEIGHTS_VERSION_LAYOUT 2u /* a u32 action layout after the endian marker */
#define DF_WEIGHTS_ENDIAN 0x01020304u
#define DF_WEIGHTS_TEXT_MAX 1024
#define DF_WEIGHTS_TENSOR_ENTRY 68 /* bytes per tensor-table entry */
#define DF_WEIGHTS_FIXED_HEADER 44 /* bytes before the tensor table */

/* Per-feature normalisation used in training: the model sees (x - mean) / std. */
typedef struct {
    int32_t F;
    float *mean; /* (F) */
    float *std;  /* (F), every entry > 0 */
} df_feature_norm;

/* What the model's outputs mean (features.h): DF_LAYOUT_BATCH, A = DF_ACTIONS (join / start with a
 * micro-batch slot); DF_LAYOUT_DEPTH_FIRST, A = DF_ACTIONS + DF_CLOSE_SLOTS (the same, then the close
 * decision of a group: whole or one of df_tile_options). */
typedef enum { DF_LAYOUT_BATCH = 0, DF_LAYOUT_DEPTH_FIRST = 1, DF_LAYOUT_COUNT } df_action_layout;

typedef struct {
    uint64_t dataset_seed;
    uint64_t steps;
    char text[DF_WEIGHTS_TEXT_MAX + 1]; /* UTF-8, NUL-terminated, at most DF_WEIGHTS_TEXT_MAX bytes */
    uint32_t layout;                    /* df_action_layout (header field; 0 in a version-1 file) */
} df_train_meta;

/* Identity normalisation (mean 0, std 1) for F features. */
int df_feature_norm_init(df_feature_norm *n, int32_t F, df_err *err);
void df_feature_norm_free(df_feature_norm *n);
/* mean and std of each column of x (rows, F) (population std; a std below 1e-6 becomes 1 so a constant
 * feature maps to 0). n must be initialised with the same F. */
int df_feature_norm_fit(df_feature_norm *n, const float *x, size_t rows, df_err *err);
/* x (rows, F) = (x - mean) / std, in place. */
void df_feature_norm_apply(const df_feature_norm *n, float *x, size_t rows);

/* FNV-1a 64 (Fowler, Noll, Vo; http://www.isthe.com/chongo/tech/comp/fnv/) of len bytes. */
uint64_t df_fnv1a64(const void *data, size_t len);

/* Encodes model + norm + meta into a new malloc'ed buffer (*buf, *len; free with free()).
 * norm NULL = identity normalisation; meta NULL = zero seed/steps and empty text. */
int df_weights_serialize(const df_gpt *model, const df_feature_norm *norm, const df_train_meta *meta, uint8_t **buf,
                         size_t *len, df_err *err);
/* Writes the file atomically (to "<path>.tmp", then rename). */
int df_weights_save(const char *path, const df_gpt *model, const df_feature_norm *norm, const df_train_meta *meta,
                    df_err *err);
/* Validates and decodes a whole file image. On success *model is a newly allocated model (parameters
 * only; df_gpt_free it) and *norm (df_feature_norm_free it) and *meta are filled; either of norm and
 * meta may be NULL. On failure nothing is allocated and the outputs are untouched. */
int df_weights_load_buffer(const uint8_t *buf, size_t len, df_gpt *model, df_feature_norm *norm, df_train_meta *meta,
                           df_err *err);
/* Reads the file (at most 4 GiB + 1 MiB) and calls df_weights_load_buffer. */
int df_weights_load(const char *path, df_gpt *model, df_feature_norm *norm, df_train_meta *meta, df_err *err);

#endif
