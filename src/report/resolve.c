/* resolve.c - what a request names as its workload, turned into a df_workload, once for every door:
 * a zoo name (prebuilt copies reused, "did you mean" on a typo), an ONNX model's bytes, and for the
 * command line a spec that is a zoo name, a workload JSON file or an ONNX file (by suffix or content;
 * a file that is neither is reported as "not JSON, not ONNX", not as a protobuf field error). */
#include "dnnfuser/answer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dnnfuser/json.h"
#include "dnnfuser/onnx.h"
#include "dnnfuser/zoo.h"

int df_resolve_zoo(const char *name, int32_t seq_len, const df_workload *zoo, int32_t n_zoo, df_workload *out,
                   df_err *err) {
    df_err_clear(err);
    for (int32_t i = 0; seq_len == 0 && zoo && i < n_zoo; i++)
        if (strcmp(name, df_zoo_name(i)) == 0) return df_workload_copy(out, &zoo[i], err);
    df_zoo_opts zo = {.seq_len = seq_len};
    int rc = df_zoo_build(name, &zo, out, err);
    if (rc == DF_ENOTFOUND && err) {
        const char *names[32];
        int n = 0;
        for (int32_t i = 0; i < df_zoo_count() && n < 32; i++) names[n++] = df_zoo_name(i);
        char dym[96];
        df_suggest_text(name, names, n, dym, sizeof dym);
        size_t l = strlen(err->msg);
        if (dym[0] && l + strlen(dym) < sizeof err->msg) snprintf(err->msg + l, sizeof err->msg - l, "%s", dym);
    }
    return rc;
}

/* A ModelProto opens with ir_version (field 1, varint: byte 0x08): bytes that do not, and do not
 * sniff as a model either, are not ONNX at all (a PNG, a JSON text), which says more than the
 * importer's protobuf field error would. A cut or damaged model gets the importer's own message. */
static int protobuf_like(const uint8_t *buf, size_t len) { return len > 0 && buf[0] == 0x08; }

int df_resolve_onnx(const uint8_t *buf, size_t len, const char *name, int32_t max_layers, df_workload *out,
                    df_err *err) {
    if (!protobuf_like(buf, len) && !df_onnx_sniff(buf, len)) {
        int json = len > 0 && (buf[0] == '{' || buf[0] == '[');
        return df_err_set(err, DF_EINVAL, NULL,
                          "not an ONNX model (no ModelProto with a graph, an ir_version and an "
                          "opset_import)%s",
                          json ? "; it looks like JSON" : "");
    }
    df_onnx_opts oo = {.name = name, .max_layers = max_layers};
    return df_onnx_import(buf, len, &oo, out, err);
}

/* err->msg = pre + ": " + err->msg + post (cut to fit). */
static void wrap_msg(df_err *err, const char *pre, const char *post) {
    if (!err) return;
    char m[2 * sizeof err->msg];
    snprintf(m, sizeof m, "%s%s%s%s", pre ? pre : "", pre ? ": " : "", err->msg, post ? post : "");
    memcpy(err->msg, m, sizeof err->msg - 1);
    err->msg[sizeof err->msg - 1] = '\0';
}

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Reads a whole file (at most DF_ONNX_MAX_BYTES + 1 bytes: enough to refuse a larger one). */
static int read_file(const char *path, uint8_t **out, size_t *len, df_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return df_err_set(err, DF_EIO, NULL, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap > DF_ONNX_MAX_BYTES) break;
        uint8_t *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) return df_err_set(err, DF_ENOMEM, NULL, "%s: out of memory reading the file", path);
    if (bad) {
        free(buf);
        return df_err_set(err, DF_EIO, NULL, "%s: read error", path);
    }
    *out = buf;
    *len = n;
    return DF_OK;
}

/* The first non-blank byte opens a JSON object or array. */
static int looks_json(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') continue;
        return b[i] == '{' || b[i] == '[';
    }
    return 0;
}

static int from_json_text(const char *spec, const uint8_t *buf, size_t n, int32_t max_layers, df_workload *out,
                          df_err *err) {
    json_error_t je;
    json_t *doc = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &je);
    if (!doc) return df_err_set(err, DF_EINVAL, NULL, "%s:%d:%d: invalid JSON: %s", spec, je.line, je.column, je.text);
    const json_t *wj = doc;
    const char *prefix = "";
    if (json_is_object(doc) && !json_object_get(doc, "layers") && json_is_object(json_object_get(doc, "workload"))) {
        wj = json_object_get(doc, "workload");
        prefix = "/workload";
    }
    int rc;
    if (!json_is_object(wj)) {
        rc = df_err_set(err, DF_EINVAL, NULL, "%s: not a workload (expected an object with \"layers\")", spec);
    } else {
        rc = df_workload_from_json(wj, prefix, max_layers, out, err);
        if (rc) wrap_msg(err, spec, NULL); /* name the file */
    }
    json_decref(doc);
    return rc;
}

int df_resolve_workload_spec(const char *spec, int32_t seq_len, int32_t max_layers, df_workload *out, int *zoo,
                             df_err *err) {
    df_err_clear(err);
    if (zoo) *zoo = 0;
    if (!spec || !*spec) return df_err_set(err, DF_EINVAL, NULL, "missing workload: a zoo name or a file");
    int rc = df_resolve_zoo(spec, seq_len, NULL, 0, out, err);
    if (rc == DF_OK) {
        if (zoo) *zoo = 1;
        return DF_OK;
    }
    struct stat st;
    int exists = stat(spec, &st) == 0;
    int pathlike = strchr(spec, '/') || has_suffix(spec, ".json") || has_suffix(spec, ".onnx");
    if (rc != DF_ENOTFOUND || (!exists && !pathlike)) {
        if (rc == DF_ENOTFOUND) wrap_msg(err, NULL, ", and not a readable file"); /* no such file either */
        return rc;
    }
    df_err_clear(err);
    uint8_t *buf = NULL;
    size_t n = 0;
    if ((rc = read_file(spec, &buf, &n, err))) return rc;
    const char *base = strrchr(spec, '/');
    base = base ? base + 1 : spec;
    if ((df_onnx_sniff(buf, n) || (protobuf_like(buf, n) && has_suffix(spec, ".onnx"))) && !has_suffix(spec, ".json")) {
        rc = df_resolve_onnx(buf, n, base, max_layers, out, err);
        if (rc) wrap_msg(err, spec, NULL);
    } else if (looks_json(buf, n) || has_suffix(spec, ".json")) {
        rc = from_json_text(spec, buf, n, max_layers, out, err);
    } else if (has_suffix(spec, ".onnx")) {
        rc = df_err_set(err, DF_EINVAL, NULL,
                        "%s: not an ONNX model (no ModelProto with a graph, an ir_version and an opset_import)", spec);
    } else {
        rc = df_err_set(err, DF_EINVAL, NULL,
                        "%s: not a workload: neither JSON (an object with \"layers\") nor an ONNX model", spec);
    }
    free(buf);
    return rc;
}
