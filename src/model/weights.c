/* weights.c - writing and validating the weights file (layout in weights.h).
 *
 * The reader walks the image with a bounds-checked cursor: every field read names itself, so a short
 * file reports where it ends; nothing read from the file is used as a size or an offset before it has
 * been checked against the config-implied value and against the bytes actually present. Parameters
 * are decoded only after the checksum matched. */
#include "dnnfuser/weights.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES ((uint64_t)DF_GPT_MAX_PARAMS * 4 + (1u << 20))

/* ---------------------------------------------------------------------------------------------- */
/* normalisation block */

int df_feature_norm_init(df_feature_norm *n, int32_t F, df_err *err) {
    df_err_clear(err);
    memset(n, 0, sizeof *n);
    if (F < 1 || F > DF_GPT_MAX_F)
        return df_err_set(err, DF_EINVAL, NULL, "feature normalisation: F = %d out of range [1, %d]", (int)F,
                          DF_GPT_MAX_F);
    n->mean = calloc((size_t)F, sizeof *n->mean);
    n->std = malloc((size_t)F * sizeof *n->std);
    if (!n->mean || !n->std) {
        free(n->mean);
        free(n->std);
        memset(n, 0, sizeof *n);
        return df_err_set(err, DF_ENOMEM, NULL, "feature normalisation: out of memory");
    }
    for (int32_t i = 0; i < F; i++) n->std[i] = 1.0f;
    n->F = F;
    return DF_OK;
}

void df_feature_norm_free(df_feature_norm *n) {
    if (!n) return;
    free(n->mean);
    free(n->std);
    memset(n, 0, sizeof *n);
}

int df_feature_norm_fit(df_feature_norm *n, const float *x, size_t rows, df_err *err) {
    df_err_clear(err);
    if (!n || !n->mean || rows == 0 || !x)
        return df_err_set(err, DF_EINVAL, NULL, "feature normalisation: nothing to fit");
    int32_t F = n->F;
    for (int32_t j = 0; j < F; j++) {
        double s = 0.0, s2 = 0.0;
        for (size_t r = 0; r < rows; r++) s += x[r * F + j];
        double mu = s / (double)rows;
        for (size_t r = 0; r < rows; r++) {
            double dv = x[r * F + j] - mu;
            s2 += dv * dv;
        }
        double sd = sqrt(s2 / (double)rows);
        if (!isfinite(mu) || !isfinite(sd))
            return df_err_set(err, DF_EINVAL, NULL, "feature normalisation: feature %d is not finite", (int)j);
        n->mean[j] = (float)mu;
        n->std[j] = sd < 1e-6 ? 1.0f : (float)sd;
    }
    return DF_OK;
}

/* 4-float vectors (GCC/Clang vector extensions: SSE on any x86-64, NEON on arm64): the decode step
 * normalises one row of 82 features, and 82 scalar divisions were 1% of a long decode */
typedef float df_v4sf __attribute__((vector_size(16)));

void df_feature_norm_apply(const df_feature_norm *n, float *x, size_t rows) {
    // x (rows, F) = (x - mean) / std per feature; per element the same two IEEE operations either way
    int32_t F = n->F;
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * F;
        int32_t j = 0;
        for (; j + 4 <= F; j += 4) {
            df_v4sf v, m, sd;
            memcpy(&v, row + j, sizeof v);
            memcpy(&m, n->mean + j, sizeof m);
            memcpy(&sd, n->std + j, sizeof sd);
            v = (v - m) / sd;
            memcpy(row + j, &v, sizeof v);
        }
        for (; j < F; j++) row[j] = (row[j] - n->mean[j]) / n->std[j];
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* encoding helpers */

uint64_t df_fnv1a64(const void *data, size_t len) {
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a 64 offset basis
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL; // FNV 64 prime
    }
    return h;
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_f32(uint8_t *p, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(p, v);
}
static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static float get_f32(const uint8_t *p) {
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* Strict UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF), NUL refused.
 * Returns -1 if valid, else the offset of the first bad byte. */
static long utf8_invalid_at(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c == 0) return (long)i;
        if (c < 0x80) {
            i++;
            continue;
        }
        int len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else
            return (long)i;
        if (i + (size_t)len > n) return (long)i;
        for (int k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return (long)(i + k);
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return (long)i;
        i += (size_t)len;
    }
    return -1;
}

/* ---------------------------------------------------------------------------------------------- */
/* writer */

int df_weights_serialize(const df_gpt *model, const df_feature_norm *norm, const df_train_meta *meta, uint8_t **buf,
                         size_t *len, df_err *err) {
    df_err_clear(err);
    *buf = NULL;
    *len = 0;
    if (!model || !model->params_memory) return df_err_set(err, DF_EINVAL, NULL, "save weights: no model");
    const df_gpt_config *c = &model->cfg;
    int rc = df_gpt_config_validate(c, err);
    if (rc) return rc;
    if (norm && norm->F != c->F)
        return df_err_set(err, DF_EINVAL, NULL, "save weights: normalisation has F = %d, model F = %d", (int)norm->F,
                          (int)c->F);
    if (norm)
        for (int32_t j = 0; j < c->F; j++)
            if (!isfinite(norm->mean[j]) || !(norm->std[j] > 0.0f) || !isfinite(norm->std[j]))
                return df_err_set(err, DF_EINVAL, NULL,
                                  "save weights: normalisation feature %d invalid (mean %g, std %g)", (int)j,
                                  norm->mean[j], norm->std[j]);
    size_t text_len = meta ? strnlen(meta->text, sizeof meta->text) : 0;
    if (text_len > DF_WEIGHTS_TEXT_MAX)
        return df_err_set(err, DF_EINVAL, NULL, "save weights: metadata text longer than %d bytes",
                          DF_WEIGHTS_TEXT_MAX);
    if (meta && utf8_invalid_at((const uint8_t *)meta->text, text_len) >= 0)
        return df_err_set(err, DF_EINVAL, NULL, "save weights: metadata text is not valid UTF-8");

    uint32_t layout = meta ? meta->layout : DF_LAYOUT_BATCH;
    if (layout >= DF_LAYOUT_COUNT)
        return df_err_set(err, DF_EINVAL, NULL, "save weights: unknown action layout %u", layout);
    size_t extra = layout != DF_LAYOUT_BATCH ? 4 : 0; /* version 2's layout field */
    size_t header = DF_WEIGHTS_FIXED_HEADER + extra + (size_t)DF_GPT_NUM_TENSORS * DF_WEIGHTS_TENSOR_ENTRY + 4 +
                    8 * (size_t)c->F + 20 + text_len;
    size_t total = header + 4 * model->num_params + 8;
    uint8_t *b = calloc(total, 1);
    if (!b) return df_err_set(err, DF_ENOMEM, NULL, "save weights: cannot allocate %zu bytes", total);
    uint8_t *p = b;
    memcpy(p, DF_WEIGHTS_MAGIC, 8);
    put_u32(p + 8, extra ? DF_WEIGHTS_VERSION_LAYOUT : DF_WEIGHTS_VERSION);
    put_u32(p + 12, DF_WEIGHTS_ENDIAN);
    if (extra) put_u32(p + 16, layout);
    p += extra;
    const int32_t cf[6] = {c->F, c->A, c->d, c->L, c->H, c->T};
    for (int i = 0; i < 6; i++) put_u32(p + 16 + 4 * i, (uint32_t)cf[i]);
    put_u32(p + 40, DF_GPT_NUM_TENSORS);
    p += DF_WEIGHTS_FIXED_HEADER;
    for (int i = 0; i < DF_GPT_NUM_TENSORS; i++) {
        const df_gpt_tensor *t = &model->tensors[i];
        memcpy(p, t->name, strnlen(t->name, DF_GPT_NAME_MAX - 1)); // rest stays NUL
        put_u32(p + 32, (uint32_t)t->ndim);
        for (int k = 0; k < 4; k++) put_u32(p + 36 + 4 * k, (uint32_t)t->dims[k]);
        put_u64(p + 52, (uint64_t)t->offset * 4);
        put_u64(p + 60, (uint64_t)t->count);
        p += DF_WEIGHTS_TENSOR_ENTRY;
    }
    put_u32(p, (uint32_t)c->F);
    p += 4;
    for (int32_t j = 0; j < c->F; j++, p += 4) put_f32(p, norm ? norm->mean[j] : 0.0f);
    for (int32_t j = 0; j < c->F; j++, p += 4) put_f32(p, norm ? norm->std[j] : 1.0f);
    put_u64(p, meta ? meta->dataset_seed : 0);
    put_u64(p + 8, meta ? meta->steps : 0);
    put_u32(p + 16, (uint32_t)text_len);
    p += 20;
    if (text_len) memcpy(p, meta->text, text_len);
    p += text_len;
    for (size_t i = 0; i < model->num_params; i++, p += 4) put_f32(p, model->params_memory[i]);
    put_u64(p, df_fnv1a64(b, total - 8));
    *buf = b;
    *len = total;
    return DF_OK;
}

int df_weights_save(const char *path, const df_gpt *model, const df_feature_norm *norm, const df_train_meta *meta,
                    df_err *err) {
    uint8_t *buf;
    size_t len;
    int rc = df_weights_serialize(model, norm, meta, &buf, &len, err);
    if (rc) return rc;
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        free(buf);
        return df_err_set(err, DF_EINVAL, NULL, "save weights: path too long");
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int e = errno;
        free(buf);
        return df_err_set(err, DF_EIO, NULL, "cannot create %s: %s", tmp, strerror(e));
    }
    size_t wrote = fwrite(buf, 1, len, f);
    int e = errno;
    free(buf);
    int bad = wrote != len;
    if (fflush(f) != 0) {
        bad = 1;
        e = errno;
    }
    if (!bad && fsync(fileno(f)) != 0) {
        bad = 1;
        e = errno;
    }
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(tmp);
        return df_err_set(err, DF_EIO, NULL, "cannot write %s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return df_err_set(err, DF_EIO, NULL, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return DF_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* loader */

typedef struct {
    const uint8_t *p; /* current position */
    size_t left;      /* bytes from p to the end of the image */
    size_t len;       /* whole image */
} cursor;

/* takes n bytes for `what`, or fails naming the field the file ends in */
static const uint8_t *take(cursor *c, size_t n, const char *what, df_err *err) {
    if (n > c->left) {
        df_err_set(err, DF_EINVAL, NULL, "weights file truncated: %zu bytes, it ends inside the %s (offset %zu)",
                   c->len, what, c->len - c->left);
        return NULL;
    }
    const uint8_t *r = c->p;
    c->p += n;
    c->left -= n;
    return r;
}

/* puts prefix in front of err->msg, cutting the end of the message if needed */
static void prefix_msg(df_err *err, const char *prefix) {
    if (!err) return;
    size_t pl = strlen(prefix), ml = strlen(err->msg), cap = sizeof err->msg - 1;
    if (pl >= cap) return;
    if (pl + ml > cap) ml = cap - pl;
    memmove(err->msg + pl, err->msg, ml);
    memcpy(err->msg, prefix, pl);
    err->msg[pl + ml] = '\0';
}

static void shape_str(char *s, size_t n, uint32_t ndim, const uint32_t *dims) {
    size_t o = (size_t)snprintf(s, n, "[");
    for (uint32_t k = 0; k < ndim && k < 4 && o < n; k++)
        o += (size_t)snprintf(s + o, n - o, k ? ", %u" : "%u", dims[k]);
    if (o < n) snprintf(s + o, n - o, "]");
}

int df_weights_load_buffer(const uint8_t *buf, size_t len, df_gpt *model, df_feature_norm *norm, df_train_meta *meta,
                           df_err *err) {
    df_err_clear(err);
    if (!model) return df_err_set(err, DF_EINVAL, NULL, "load weights: no model to fill");
    if (!buf || len == 0) return df_err_set(err, DF_EINVAL, NULL, "weights file is empty");
    cursor c = {buf, len, len};
    const uint8_t *q;

    // magic, version, endianness
    if (!(q = take(&c, 8, "magic", err))) return DF_EINVAL;
    if (memcmp(q, DF_WEIGHTS_MAGIC, 8) != 0) {
        char shown[33];
        size_t o = 0;
        for (int i = 0; i < 8; i++) o += (size_t)snprintf(shown + o, sizeof shown - o, "%02x", q[i]);
        return df_err_set(err, DF_EINVAL, NULL, "not a dnnfuser weights file: magic bytes %s, expected \"%s\"", shown,
                          DF_WEIGHTS_MAGIC);
    }
    if (!(q = take(&c, 4, "version", err))) return DF_EINVAL;
    uint32_t version = get_u32(q);
    if (version != DF_WEIGHTS_VERSION && version != DF_WEIGHTS_VERSION_LAYOUT)
        return df_err_set(err, DF_EINVAL, NULL,
                          "weights file version %u is not supported, this build reads versions %u and %u. HINT: "
                          "regenerate the weights with `make weights`",
                          version, DF_WEIGHTS_VERSION, DF_WEIGHTS_VERSION_LAYOUT);
    if (!(q = take(&c, 4, "endian marker", err))) return DF_EINVAL;
    uint32_t endian = get_u32(q);
    if (endian != DF_WEIGHTS_ENDIAN)
        return df_err_set(
            err, DF_EINVAL, NULL,
            "weights file endian marker is 0x%08x, expected 0x%08x (not a little-endian dnnfuser file, or "
            "corrupt)",
            endian, DF_WEIGHTS_ENDIAN);
    uint32_t layout = DF_LAYOUT_BATCH;
    if (version == DF_WEIGHTS_VERSION_LAYOUT) {
        if (!(q = take(&c, 4, "action layout", err))) return DF_EINVAL;
        layout = get_u32(q);
        if (layout >= DF_LAYOUT_COUNT)
            return df_err_set(err, DF_EINVAL, NULL,
                              "weights file action layout %u is unknown, this build knows 0 (batch) and 1 "
                              "(depth_first)",
                              layout);
    }

    // model config
    if (!(q = take(&c, 24, "model config", err))) return DF_EINVAL;
    df_gpt_config cfg;
    cfg.F = (int32_t)get_u32(q);
    cfg.A = (int32_t)get_u32(q + 4);
    cfg.d = (int32_t)get_u32(q + 8);
    cfg.L = (int32_t)get_u32(q + 12);
    cfg.H = (int32_t)get_u32(q + 16);
    cfg.T = (int32_t)get_u32(q + 20);
    int rc = df_gpt_config_validate(&cfg, err);
    if (rc) {
        prefix_msg(err, "weights file ");
        return rc;
    }
    df_gpt_tensor want[DF_GPT_NUM_TENSORS];
    size_t num_params = df_gpt_tensor_table(&cfg, want);

    // tensor table
    if (!(q = take(&c, 4, "tensor count", err))) return DF_EINVAL;
    uint32_t n_tensors = get_u32(q);
    if (n_tensors != DF_GPT_NUM_TENSORS)
        return df_err_set(err, DF_EINVAL, NULL, "weights file tensor count is %u, the model config implies %d",
                          n_tensors, DF_GPT_NUM_TENSORS);
    uint64_t expect_offset = 0;
    for (int i = 0; i < DF_GPT_NUM_TENSORS; i++) {
        if (!(q = take(&c, DF_WEIGHTS_TENSOR_ENTRY, "tensor table", err))) return DF_EINVAL;
        const df_gpt_tensor *w = &want[i];
        char name[DF_GPT_NAME_MAX + 1];
        memcpy(name, q, DF_GPT_NAME_MAX);
        name[DF_GPT_NAME_MAX] = '\0';
        const uint8_t *nul = memchr(q, 0, DF_GPT_NAME_MAX);
        if (nul == NULL)
            return df_err_set(err, DF_EINVAL, NULL, "weights file tensor %d: name is not NUL-terminated", i);
        for (const uint8_t *z = nul; z < q + DF_GPT_NAME_MAX; z++) // the format says NUL-padded: one spelling per file
            if (*z != 0)
                return df_err_set(err, DF_EINVAL, NULL,
                                  "weights file tensor %d: name is not NUL-padded (byte %d is %02x)", i, (int)(z - q),
                                  *z);
        for (char *s = name; *s; s++)
            if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) *s = '?'; // printable in the message
        if (strcmp(name, w->name) != 0)
            return df_err_set(err, DF_EINVAL, NULL, "weights file tensor %d is named \"%s\", expected \"%s\"", i, name,
                              w->name);
        uint32_t ndim = get_u32(q + 32), dims[4];
        for (int k = 0; k < 4; k++) dims[k] = get_u32(q + 36 + 4 * k);
        int shape_ok = ndim == (uint32_t)w->ndim;
        for (int k = 0; k < 4 && shape_ok; k++) shape_ok = dims[k] == (uint32_t)w->dims[k];
        if (!shape_ok) {
            char got[96], exp[96];
            uint32_t wd[4] = {(uint32_t)w->dims[0], (uint32_t)w->dims[1], (uint32_t)w->dims[2], (uint32_t)w->dims[3]};
            shape_str(got, sizeof got, ndim > 4 ? 4 : ndim, dims);
            shape_str(exp, sizeof exp, (uint32_t)w->ndim, wd);
            return df_err_set(err, DF_EINVAL, NULL,
                              "weights file tensor \"%s\" has shape %s (ndim %u), the model config implies %s", w->name,
                              got, ndim, exp);
        }
        uint64_t offset = get_u64(q + 52), count = get_u64(q + 60);
        if (count != (uint64_t)w->count)
            return df_err_set(err, DF_EINVAL, NULL, "weights file tensor \"%s\" count is %llu, its shape implies %llu",
                              w->name, (unsigned long long)count, (unsigned long long)w->count);
        if (offset != expect_offset)
            return df_err_set(
                err, DF_EINVAL, NULL,
                "weights file tensor \"%s\" offset is %llu, expected %llu (tensors are contiguous in table "
                "order)",
                w->name, (unsigned long long)offset, (unsigned long long)expect_offset);
        expect_offset += count * 4;
    }

    // feature normalisation
    if (!(q = take(&c, 4, "normalisation block", err))) return DF_EINVAL;
    uint32_t nF = get_u32(q);
    if (nF != (uint32_t)cfg.F)
        return df_err_set(err, DF_EINVAL, NULL, "weights file normalisation block has F = %u, the model config F = %d",
                          nF, (int)cfg.F);
    const uint8_t *norm_data = take(&c, 8 * (size_t)cfg.F, "normalisation block", err);
    if (!norm_data) return DF_EINVAL;
    for (int32_t j = 0; j < cfg.F; j++) {
        float mu = get_f32(norm_data + 4 * (size_t)j), sd = get_f32(norm_data + 4 * ((size_t)cfg.F + j));
        if (!isfinite(mu) || !isfinite(sd) || !(sd > 0.0f))
            return df_err_set(err, DF_EINVAL, NULL,
                              "weights file normalisation feature %d is invalid (mean %g, std %g; std must be > 0)",
                              (int)j, mu, sd);
    }

    // training metadata
    if (!(q = take(&c, 20, "training metadata", err))) return DF_EINVAL;
    uint64_t seed = get_u64(q), steps = get_u64(q + 8);
    uint32_t text_len = get_u32(q + 16);
    if (text_len > DF_WEIGHTS_TEXT_MAX)
        return df_err_set(err, DF_EINVAL, NULL, "weights file metadata text is %u bytes, the limit is %d", text_len,
                          DF_WEIGHTS_TEXT_MAX);
    const uint8_t *text = take(&c, text_len, "training metadata text", err);
    if (!text) return DF_EINVAL;
    long bad = utf8_invalid_at(text, text_len);
    if (bad >= 0)
        return df_err_set(err, DF_EINVAL, NULL, "weights file metadata text is not valid UTF-8 (byte %ld)", bad);

    // exact size: the data section and the checksum, nothing more
    uint64_t need = (uint64_t)num_params * 4 + 8;
    if ((uint64_t)c.left != need) {
        size_t header_end = len - c.left;
        if ((uint64_t)c.left < need)
            return df_err_set(err, DF_EINVAL, NULL,
                              "weights file truncated: %zu bytes, the header implies %llu (%zu parameters + checksum)",
                              len, (unsigned long long)(header_end + need), num_params);
        return df_err_set(err, DF_EINVAL, NULL,
                          "weights file has %llu trailing bytes: %zu bytes, the header implies %llu",
                          (unsigned long long)(c.left - need), len, (unsigned long long)(header_end + need));
    }
    uint64_t stored = get_u64(buf + len - 8), computed = df_fnv1a64(buf, len - 8);
    if (stored != computed)
        return df_err_set(err, DF_EINVAL, NULL,
                          "weights file checksum mismatch: stored %016llx, computed %016llx (the file is corrupt)",
                          (unsigned long long)stored, (unsigned long long)computed);
    const uint8_t *data = c.p;
    for (size_t i = 0; i < num_params; i++) {
        float v = get_f32(data + 4 * i);
        if (!isfinite(v)) {
            int t = 0;
            while (t + 1 < DF_GPT_NUM_TENSORS && want[t + 1].offset <= i) t++;
            return df_err_set(err, DF_EINVAL, NULL, "weights file tensor \"%s\" element %zu is not finite",
                              want[t].name, i - want[t].offset);
        }
    }

    // everything checked: build the outputs
    df_gpt m;
    if ((rc = df_gpt_alloc(&m, &cfg, err))) return rc;
    df_feature_norm nrm = {0};
    if (norm && (rc = df_feature_norm_init(&nrm, cfg.F, err))) {
        df_gpt_free(&m);
        return rc;
    }
    for (size_t i = 0; i < num_params; i++) m.params_memory[i] = get_f32(data + 4 * i);
    if (norm) {
        for (int32_t j = 0; j < cfg.F; j++) {
            nrm.mean[j] = get_f32(norm_data + 4 * (size_t)j);
            nrm.std[j] = get_f32(norm_data + 4 * ((size_t)cfg.F + j));
        }
        *norm = nrm;
    }
    if (meta) {
        memset(meta, 0, sizeof *meta);
        meta->dataset_seed = seed;
        meta->steps = steps;
        meta->layout = layout;
        memcpy(meta->text, text, text_len);
        meta->text[text_len] = '\0';
    }
    *model = m;
    return DF_OK;
}

int df_weights_load(const char *path, df_gpt *model, df_feature_norm *norm, df_train_meta *meta, df_err *err) {
    df_err_clear(err);
    if (!path) return df_err_set(err, DF_EINVAL, NULL, "load weights: no path");
    FILE *f = fopen(path, "rb");
    if (!f) return df_err_set(err, DF_EIO, NULL, "cannot open weights file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return df_err_set(err, DF_EIO, NULL, "weights file %s is not a regular file", path);
    }
    if ((uint64_t)st.st_size > MAX_FILE_BYTES) {
        fclose(f);
        return df_err_set(err, DF_EINVAL, NULL, "weights file %s is %lld bytes, larger than any valid weights file",
                          path, (long long)st.st_size);
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        fclose(f);
        return df_err_set(err, DF_ENOMEM, NULL, "cannot allocate %zu bytes to read %s", len, path);
    }
    size_t got = fread(buf, 1, len, f);
    int rerr = ferror(f);
    fclose(f);
    if (got != len || rerr) {
        free(buf);
        return df_err_set(err, DF_EIO, NULL, "cannot read weights file %s: read %zu of %zu bytes", path, got, len);
    }
    int rc = df_weights_load_buffer(buf, len, model, norm, meta, err);
    free(buf);
    if (rc) { // name the file once
        char prefix[160];
        snprintf(prefix, sizeof prefix, "%.140s: ", path);
        prefix_msg(err, prefix);
    }
    return rc;
}
