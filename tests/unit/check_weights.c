/* check_weights.c - Check suite "weights": the weights file.
 *
 * Save/load round trip is bit-exact (parameters, config, normalisation, metadata; file and buffer
 * paths; re-serialising gives the same bytes). A table of corrupted images (after GGUF's
 * tests/test-gguf.cpp), each refused with DF_EINVAL and a message containing a specific phrase:
 * truncations at many points, empty, wrong magic/version/endian marker, flipped bytes (data, header
 * metadata, tensor name), absurd config fields, tensor count/offset/shape/count mismatches, bad
 * normalisation and metadata blocks, non-finite data behind a valid checksum. Then every truncation
 * length and random single-byte flips over the whole image are refused, and a missing file or a
 * directory gives DF_EIO. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dnnfuser/gpt.h"
#include "dnnfuser/weights.h"

static const df_gpt_config TINY = {.F = 5, .A = 4, .d = 8, .L = 2, .H = 2, .T = 6};

/* layout offsets (weights.h) for TINY */
#define OFF_VERSION 8
#define OFF_ENDIAN 12
#define OFF_F 16
#define OFF_D 24
#define OFF_H 32
#define OFF_T 36
#define OFF_COUNT 40
#define OFF_TABLE 44
#define ENTRY(i) (OFF_TABLE + 68 * (i))
#define OFF_NORM (OFF_TABLE + 68 * DF_GPT_NUM_TENSORS)
#define OFF_META (OFF_NORM + 4 + 8 * 5)
#define OFF_TEXT (OFF_META + 20)

static const char *TEXT =
    "train: zoo+synthetic, held out: mnasnet, efficientnet_b0, budgets [768 KiB, 1.5 MiB) \xc2\xb5";

typedef struct {
    df_gpt m;
    df_feature_norm norm;
    df_train_meta meta;
    uint8_t *buf;
    size_t len;
} fixture;

static void make_fixture(fixture *f) {
    df_err e;
    ck_assert_int_eq(df_gpt_init(&f->m, &TINY, 5, &e), DF_OK);
    ck_assert_int_eq(df_feature_norm_init(&f->norm, TINY.F, &e), DF_OK);
    for (int j = 0; j < TINY.F; j++) {
        f->norm.mean[j] = 0.25f * j - 1.0f;
        f->norm.std[j] = 0.5f + j;
    }
    memset(&f->meta, 0, sizeof f->meta);
    f->meta.dataset_seed = 0x123456789abcdefULL;
    f->meta.steps = 4242;
    snprintf(f->meta.text, sizeof f->meta.text, "%s", TEXT);
    ck_assert_int_eq(df_weights_serialize(&f->m, &f->norm, &f->meta, &f->buf, &f->len, &e), DF_OK);
}

static void free_fixture(fixture *f) {
    df_gpt_free(&f->m);
    df_feature_norm_free(&f->norm);
    free(f->buf);
}

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void refresh_checksum(uint8_t *b, size_t len) { put64(b + len - 8, df_fnv1a64(b, len - 8)); }

static void make_tmpdir(char *dir, size_t n) {
    snprintf(dir, n, "/tmp/check_weights.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

START_TEST(test_round_trip) {
    fixture f;
    make_fixture(&f);
    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model.bin", dir);
    df_err e;
    ck_assert_int_eq(df_weights_save(path, &f.m, &f.norm, &f.meta, &e), DF_OK);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_ne(access(tmp, F_OK), 0); // renamed into place
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq((size_t)st.st_size, f.len);
    ck_assert_uint_eq(f.len, (size_t)OFF_TEXT + strlen(TEXT) + 4 * f.m.num_params + 8);

    df_gpt m2;
    df_feature_norm n2;
    df_train_meta meta2;
    ck_assert_int_eq(df_weights_load(path, &m2, &n2, &meta2, &e), DF_OK);
    ck_assert(memcmp(&m2.cfg, &f.m.cfg, sizeof m2.cfg) == 0);
    ck_assert_uint_eq(m2.num_params, f.m.num_params);
    ck_assert(memcmp(m2.params_memory, f.m.params_memory, f.m.num_params * sizeof(float)) == 0);
    ck_assert_ptr_eq(m2.params.w_head, m2.params_memory + m2.tensors[17].offset);
    ck_assert_int_eq(n2.F, TINY.F);
    ck_assert(memcmp(n2.mean, f.norm.mean, TINY.F * sizeof(float)) == 0);
    ck_assert(memcmp(n2.std, f.norm.std, TINY.F * sizeof(float)) == 0);
    ck_assert(meta2.dataset_seed == f.meta.dataset_seed && meta2.steps == f.meta.steps);
    ck_assert_str_eq(meta2.text, TEXT);
    /* re-serialising the loaded model gives the same bytes */
    uint8_t *b2;
    size_t l2;
    ck_assert_int_eq(df_weights_serialize(&m2, &n2, &meta2, &b2, &l2, &e), DF_OK);
    ck_assert_uint_eq(l2, f.len);
    ck_assert(memcmp(b2, f.buf, l2) == 0);
    free(b2);
    /* special float values that are finite survive (denormal, -0) */
    m2.params_memory[0] = -0.0f;
    m2.params_memory[1] = 1e-42f;
    m2.params_memory[2] = 3.4e38f;
    ck_assert_int_eq(df_weights_serialize(&m2, NULL, NULL, &b2, &l2, &e), DF_OK);
    df_gpt m3;
    df_feature_norm n3;
    df_train_meta meta3;
    ck_assert_int_eq(df_weights_load_buffer(b2, l2, &m3, &n3, &meta3, &e), DF_OK);
    ck_assert(memcmp(m3.params_memory, m2.params_memory, m2.num_params * sizeof(float)) == 0);
    ck_assert(n3.mean[2] == 0.0f && n3.std[4] == 1.0f && meta3.steps == 0 && meta3.text[0] == '\0');
    /* norm and meta outputs are optional */
    df_gpt m4;
    ck_assert_int_eq(df_weights_load_buffer(b2, l2, &m4, NULL, NULL, &e), DF_OK);
    df_gpt_free(&m4);
    free(b2);
    df_gpt_free(&m3);
    df_feature_norm_free(&n3);
    df_gpt_free(&m2);
    df_feature_norm_free(&n2);
    unlink(path);
    rmdir(dir);
    free_fixture(&f);
}
END_TEST

/* the action-layout field: absent (version 1) for the batch layout, so such a file keeps its bytes;
 * version 2 carries it after the endian marker; an unknown layout is refused */
START_TEST(test_layout_field) {
    fixture f;
    make_fixture(&f);
    df_err e;
    ck_assert_uint_eq(get32(f.buf + OFF_VERSION), 1);
    df_train_meta got;
    df_gpt m2;
    ck_assert_int_eq(df_weights_load_buffer(f.buf, f.len, &m2, NULL, &got, &e), DF_OK);
    ck_assert_uint_eq(got.layout, DF_LAYOUT_BATCH);
    df_gpt_free(&m2);
    df_train_meta meta = f.meta;
    meta.layout = DF_LAYOUT_DEPTH_FIRST;
    uint8_t *b;
    size_t len;
    ck_assert_int_eq(df_weights_serialize(&f.m, &f.norm, &meta, &b, &len, &e), DF_OK);
    ck_assert_uint_eq(len, f.len + 4);
    ck_assert_uint_eq(get32(b + OFF_VERSION), 2);
    ck_assert_uint_eq(get32(b + 16), DF_LAYOUT_DEPTH_FIRST);
    ck_assert(memcmp(b + 20, f.buf + 16, f.len - 16 - 8) == 0); /* the rest shifted by the field */
    ck_assert_int_eq(df_weights_load_buffer(b, len, &m2, NULL, &got, &e), DF_OK);
    ck_assert_uint_eq(got.layout, DF_LAYOUT_DEPTH_FIRST);
    ck_assert_str_eq(got.text, TEXT);
    ck_assert(memcmp(m2.params_memory, f.m.params_memory, f.m.num_params * sizeof(float)) == 0);
    df_gpt_free(&m2);
    put32(b + 16, 7);
    refresh_checksum(b, len);
    ck_assert_int_eq(df_weights_load_buffer(b, len, &m2, NULL, &got, &e), DF_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "action layout 7 is unknown"));
    ck_assert_int_eq(df_weights_load_buffer(b, 18, &m2, NULL, &got, &e), DF_EINVAL); /* truncated in the field */
    meta.layout = 7;
    free(b);
    ck_assert_int_eq(df_weights_serialize(&f.m, &f.norm, &meta, &b, &len, &e), DF_EINVAL);
    free_fixture(&f);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* the corruption table */

typedef struct {
    const char *name;
    void (*mutate)(uint8_t *b, size_t *len); /* may shorten or lengthen (buffer has 64 spare bytes) */
    int fix_checksum;                        /* recompute the checksum after mutating */
    const char *expect;                      /* phrase the error message must contain */
} corruption;

static void m_empty(uint8_t *b, size_t *len) {
    (void)b;
    *len = 0;
}
static void m_trunc_magic(uint8_t *b, size_t *len) {
    (void)b;
    *len = 5;
}
static void m_trunc_version(uint8_t *b, size_t *len) {
    (void)b;
    *len = 10;
}
static void m_trunc_endian(uint8_t *b, size_t *len) {
    (void)b;
    *len = 14;
}
static void m_trunc_config(uint8_t *b, size_t *len) {
    (void)b;
    *len = 30;
}
static void m_trunc_count(uint8_t *b, size_t *len) {
    (void)b;
    *len = 42;
}
static void m_trunc_table(uint8_t *b, size_t *len) {
    (void)b;
    *len = ENTRY(7) + 20;
}
static void m_trunc_norm(uint8_t *b, size_t *len) {
    (void)b;
    *len = OFF_NORM + 9;
}
static void m_trunc_meta(uint8_t *b, size_t *len) {
    (void)b;
    *len = OFF_META + 12;
}
static void m_trunc_text(uint8_t *b, size_t *len) {
    (void)b;
    *len = OFF_TEXT + 10;
}
static void m_trunc_data(uint8_t *b, size_t *len) {
    (void)b;
    *len -= 1000;
}
static void m_trunc_checksum(uint8_t *b, size_t *len) {
    (void)b;
    *len -= 1;
}
static void m_trailing(uint8_t *b, size_t *len) {
    memset(b + *len, 0xAB, 16);
    *len += 16;
}
static void m_magic(uint8_t *b, size_t *len) {
    (void)len;
    memcpy(b, "GGUF\3\0\0\0", 8);
}
static void m_version(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_VERSION, 3);
}
static void m_endian(uint8_t *b, size_t *len) {
    (void)len;
    b[12] = 1;
    b[13] = 2;
    b[14] = 3;
    b[15] = 4;
}
static void m_flip_data(uint8_t *b, size_t *len) { b[*len - 8 - 4 * 100 + 2] ^= 0x10; }
static void m_flip_seed(uint8_t *b, size_t *len) {
    (void)len;
    b[OFF_META + 3] ^= 0x01;
}
static void m_flip_text(uint8_t *b, size_t *len) {
    (void)len;
    b[OFF_TEXT + 2] ^= 0x01;
} /* 'a' -> '`' */
static void m_flip_name(uint8_t *b, size_t *len) {
    (void)len;
    b[ENTRY(5) + 1] ^= 0x20;
} /* "qkv.w" -> "qKv.w" */
static void m_huge_d(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_D, 1u << 30);
}
static void m_zero_h(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_H, 0);
}
static void m_h_not_divisor(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_H, 3);
}
static void m_negative_f(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_F, 0xFFFFFFFFu);
}
static void m_other_t(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_T, 5);
}
static void m_count_low(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_COUNT, DF_GPT_NUM_TENSORS - 1);
}
static void m_count_huge(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_COUNT, 0xFFFFFFFFu);
}
static void m_offset(uint8_t *b, size_t *len) {
    (void)len;
    b[ENTRY(3) + 52] += 4;
}
static void m_dims(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + ENTRY(5) + 36 + 8, 4 * 8);
}
static void m_ndim(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + ENTRY(1) + 32, 2);
}
static void m_tcount(uint8_t *b, size_t *len) {
    (void)len;
    b[ENTRY(0) + 60] += 1;
}
static void m_name_unterminated(uint8_t *b, size_t *len) {
    (void)len;
    memset(b + ENTRY(2), 'x', 32);
}
/* found by tests/fuzz/fuzz_weights.c: garbage after the name's NUL was accepted */
static void m_name_padding(uint8_t *b, size_t *len) {
    (void)len;
    b[ENTRY(8) + 27] = 0xFF;
}
static void m_norm_f(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_NORM, 6);
}
static void m_norm_std(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_NORM + 4 + 4 * 5 + 4 * 2, 0);
}
static void m_norm_nan(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_NORM + 4 + 4, 0x7fc00000u);
}
static void m_text_len(uint8_t *b, size_t *len) {
    (void)len;
    put32(b + OFF_META + 16, 5000);
}
static void m_text_utf8(uint8_t *b, size_t *len) {
    (void)len;
    b[OFF_TEXT + 4] = 0xFF;
}
static void m_data_nan(uint8_t *b, size_t *len) {
    size_t head = *len - 8 - 4 * (size_t)get32(b + ENTRY(DF_GPT_NUM_TENSORS - 1) + 60); /* last tensor: head.b */
    put32(b + head, 0x7f800000u);                                                       /* +inf in head.b[0] */
}

static const corruption CORRUPTIONS[] = {
    {"empty file", m_empty, 0, "empty"},
    {"truncated in magic", m_trunc_magic, 0, "ends inside the magic"},
    {"truncated in version", m_trunc_version, 0, "ends inside the version"},
    {"truncated in endian marker", m_trunc_endian, 0, "ends inside the endian marker"},
    {"truncated in config", m_trunc_config, 0, "ends inside the model config"},
    {"truncated in tensor count", m_trunc_count, 0, "ends inside the tensor count"},
    {"truncated in tensor table", m_trunc_table, 0, "ends inside the tensor table"},
    {"truncated in normalisation", m_trunc_norm, 0, "ends inside the normalisation block"},
    {"truncated in metadata", m_trunc_meta, 0, "ends inside the training metadata"},
    {"truncated in metadata text", m_trunc_text, 0, "ends inside the training metadata text"},
    {"truncated in data", m_trunc_data, 0, "the header implies"},
    {"truncated checksum", m_trunc_checksum, 0, "the header implies"},
    {"trailing bytes", m_trailing, 0, "16 trailing bytes"},
    {"wrong magic", m_magic, 0, "not a dnnfuser weights file"},
    {"wrong version", m_version, 0, "version 3 is not supported, this build reads versions 1 and 2. HINT"},
    {"wrong endian marker", m_endian, 0, "endian marker is 0x04030201"},
    {"flipped byte in data", m_flip_data, 0, "checksum mismatch"},
    {"flipped byte in header (seed)", m_flip_seed, 0, "checksum mismatch"},
    {"flipped byte in header (text)", m_flip_text, 0, "checksum mismatch"},
    {"flipped byte in tensor name", m_flip_name, 0, "is named \"qKv.w\", expected \"qkv.w\""},
    {"absurd d = 2^30", m_huge_d, 0, "d (model width) = 1073741824 out of range"},
    {"H = 0", m_zero_h, 0, "H (heads) = 0 out of range"},
    {"d % H != 0", m_h_not_divisor, 0, "d = 8 is not a multiple of H = 3"},
    {"negative F", m_negative_f, 0, "F (input features) = -1 out of range"},
    {"config T disagrees with table", m_other_t, 0,
     "\"wpe\" has shape [6, 8] (ndim 2), the model config implies [5, 8]"},
    {"tensor count mismatch", m_count_low, 0, "tensor count is 18, the model config implies 19"},
    {"huge tensor count", m_count_huge, 0, "tensor count is 4294967295"},
    {"wrong offset", m_offset, 0, "\"ln1.w\" offset is"},
    {"wrong dims", m_dims, 0, "\"qkv.w\" has shape [2, 8, 32]"},
    {"wrong ndim", m_ndim, 0, "\"in.b\" has shape"},
    {"wrong element count", m_tcount, 0, "\"in.w\" count is 41, its shape implies 40"},
    {"unterminated tensor name", m_name_unterminated, 0, "not NUL-terminated"},
    {"garbage after a tensor name", m_name_padding, 1, "tensor 8: name is not NUL-padded (byte 27 is ff)"},
    {"normalisation F mismatch", m_norm_f, 0, "normalisation block has F = 6"},
    {"normalisation std 0", m_norm_std, 0, "feature 2 is invalid"},
    {"normalisation NaN mean", m_norm_nan, 0, "feature 1 is invalid"},
    {"metadata text too long", m_text_len, 0, "1024"},
    {"metadata text not UTF-8", m_text_utf8, 0, "not valid UTF-8 (byte 4)"},
    {"non-finite parameter, valid checksum", m_data_nan, 1, "\"head.b\" element 0 is not finite"},
};

START_TEST(test_corruption_table) {
    fixture f;
    make_fixture(&f);
    size_t n = sizeof CORRUPTIONS / sizeof CORRUPTIONS[0];
    for (size_t i = 0; i < n; i++) {
        const corruption *c = &CORRUPTIONS[i];
        uint8_t *b = malloc(f.len + 64);
        memcpy(b, f.buf, f.len);
        size_t len = f.len;
        c->mutate(b, &len);
        if (c->fix_checksum) refresh_checksum(b, len);
        df_gpt m;
        memset(&m, 0x5A, sizeof m); // must stay untouched on failure
        df_gpt before = m;
        df_feature_norm nrm = {0};
        df_err e;
        int rc = df_weights_load_buffer(b, len, &m, &nrm, NULL, &e);
        printf("  %-38s -> %s\n", c->name, e.msg);
        ck_assert_msg(rc == DF_EINVAL, "%s: accepted or wrong code %d (%s)", c->name, rc, e.msg);
        ck_assert_int_eq(e.code, DF_EINVAL);
        ck_assert_msg(strstr(e.msg, c->expect) != NULL, "%s: message \"%s\" lacks \"%s\"", c->name, e.msg, c->expect);
        ck_assert_msg(memcmp(&m, &before, sizeof m) == 0, "%s: output model touched", c->name);
        ck_assert_ptr_null(nrm.mean);
        free(b);
    }
    free_fixture(&f);
}
END_TEST

/* every strict prefix of a valid image is refused */
START_TEST(test_every_truncation) {
    fixture f;
    make_fixture(&f);
    for (size_t len = 0; len < f.len; len++) {
        df_gpt m;
        df_err e;
        int rc = df_weights_load_buffer(f.buf, len, &m, NULL, NULL, &e);
        ck_assert_msg(rc == DF_EINVAL, "prefix of %zu bytes accepted", len);
    }
    free_fixture(&f);
}
END_TEST

/* any single flipped bit anywhere is refused (the checksum covers every byte) */
START_TEST(test_random_flips) {
    fixture f;
    make_fixture(&f);
    df_rng r;
    df_rng_seed(&r, 99);
    uint8_t *b = malloc(f.len);
    for (int k = 0; k < 3000; k++) {
        memcpy(b, f.buf, f.len);
        size_t at = (size_t)df_rng_range(&r, (int32_t)f.len);
        b[at] ^= (uint8_t)(1u << df_rng_range(&r, 8));
        df_gpt m;
        df_err e;
        int rc = df_weights_load_buffer(b, f.len, &m, NULL, NULL, &e);
        ck_assert_msg(rc == DF_EINVAL, "flip at byte %zu accepted", at);
    }
    free(b);
    free_fixture(&f);
}
END_TEST

START_TEST(test_file_errors) {
    df_gpt m;
    df_err e;
    ck_assert_int_eq(df_weights_load("/nonexistent/dir/model.bin", &m, NULL, NULL, &e), DF_EIO);
    ck_assert_ptr_nonnull(strstr(e.msg, "cannot open weights file /nonexistent/dir/model.bin"));
    ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
    char dir[64], path[128];
    make_tmpdir(dir, sizeof dir);
    ck_assert_int_eq(df_weights_load(dir, &m, NULL, NULL, &e), DF_EIO);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a regular file"));
    /* an empty file on disk: the message names the path and says why */
    snprintf(path, sizeof path, "%s/empty.bin", dir);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    ck_assert_int_eq(df_weights_load(path, &m, NULL, NULL, &e), DF_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, path));
    ck_assert_ptr_nonnull(strstr(e.msg, "empty"));
    unlink(path);
    /* saving into a missing directory fails cleanly */
    fixture f;
    make_fixture(&f);
    ck_assert_int_eq(df_weights_save("/nonexistent/dir/model.bin", &f.m, NULL, NULL, &e), DF_EIO);
    /* the writer refuses what the reader would refuse */
    df_feature_norm bad;
    ck_assert_int_eq(df_feature_norm_init(&bad, TINY.F + 1, &e), DF_OK);
    uint8_t *b;
    size_t len;
    ck_assert_int_eq(df_weights_serialize(&f.m, &bad, NULL, &b, &len, &e), DF_EINVAL);
    df_feature_norm_free(&bad);
    df_train_meta meta;
    memset(&meta, 0, sizeof meta);
    memcpy(meta.text, "\xff\xfe", 2);
    ck_assert_int_eq(df_weights_serialize(&f.m, NULL, &meta, &b, &len, &e), DF_EINVAL);
    free_fixture(&f);
    rmdir(dir);
}
END_TEST

START_TEST(test_norm_helpers) {
    df_feature_norm n;
    df_err e;
    ck_assert_int_eq(df_feature_norm_init(&n, 3, &e), DF_OK);
    float x[4 * 3] = {1, 5, 7, 3, 5, -1, 5, 5, 7, 7, 5, -1};
    ck_assert_int_eq(df_feature_norm_fit(&n, x, 4, &e), DF_OK);
    ck_assert(fabsf(n.mean[0] - 4.0f) < 1e-6f && fabsf(n.std[0] - sqrtf(5.0f)) < 1e-6f);
    ck_assert(n.mean[1] == 5.0f && n.std[1] == 1.0f); // constant feature: std 1
    ck_assert(fabsf(n.mean[2] - 3.0f) < 1e-6f && fabsf(n.std[2] - 4.0f) < 1e-6f);
    df_feature_norm_apply(&n, x, 4);
    ck_assert(x[1] == 0.0f && fabsf(x[2] - 1.0f) < 1e-6f && fabsf(x[11] + 1.0f) < 1e-6f);
    df_feature_norm_free(&n);
    /* the vector loop gives every element the scalar (x - mean) / std bit for bit (F 82 as shipped,
     * and F 1..9 for the tails), over 3 rows */
    for (int32_t F = 1; F <= 82; F = F < 9 ? F + 1 : F == 9 ? 82 : 83) {
        ck_assert_int_eq(df_feature_norm_init(&n, F, &e), DF_OK);
        float xv[3 * 82], xs[3 * 82];
        for (int32_t j = 0; j < F; j++) {
            n.mean[j] = 0.37f * (float)j - 3.1f;
            n.std[j] = 0.11f + 0.07f * (float)j;
        }
        for (int32_t i = 0; i < 3 * F; i++) xv[i] = xs[i] = (float)((i * 7919) % 1000) / 37.0f - 11.0f;
        df_feature_norm_apply(&n, xv, 3);
        for (int32_t i = 0; i < 3 * F; i++) {
            float want = (xs[i] - n.mean[i % F]) / n.std[i % F];
            ck_assert_msg(memcmp(&xv[i], &want, sizeof want) == 0, "F %d element %d: %.9g, scalar %.9g", F, i, xv[i],
                          want);
        }
        df_feature_norm_free(&n);
    }
    ck_assert_int_eq(df_feature_norm_init(&n, 0, &e), DF_EINVAL);
    ck_assert_ptr_null(n.mean);
    /* FNV-1a 64 reference values (draft-eastlake-fnv test vectors) */
    ck_assert(df_fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    ck_assert(df_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    ck_assert(df_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
}
END_TEST

static Suite *weights_suite(void) {
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_layout_field);
    tcase_add_test(tc, test_corruption_table);
    tcase_add_test(tc, test_every_truncation);
    tcase_add_test(tc, test_random_flips);
    tcase_add_test(tc, test_file_errors);
    tcase_add_test(tc, test_norm_helpers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(weights_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
