/* load.c - turns what the user named into library objects: workloads (zoo name, JSON or ONNX file,
 * resolved by the answer layer: df_resolve_workload_spec),
 * hardware (preset or JSON file, with the --buffer/--pes/--dataflow/--bw overrides applied through
 * the library's own hardware reader, so they are validated and energies follow the final buffer),
 * and the bound df_net with its budget check. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

json_t *cli_load_json(const char *path) {
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (j) return j;
    if (je.line > 0)
        cli_fail(CLI_EXIT_USAGE, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
    else
        cli_fail(CLI_EXIT_USAGE, "%s: %s", path, je.text);
    return NULL;
}

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* A spec that is not a known name is read as a file when it exists or looks like a path. */
static int looks_like_file(const char *spec) {
    struct stat st;
    return stat(spec, &st) == 0 || strchr(spec, '/') != NULL || has_suffix(spec, ".json") || has_suffix(spec, ".onnx");
}

/* " (did you mean \"edge\"?)" for a preset name, or "". */
static const char *preset_dym(const char *name, char *buf, size_t n) {
    const char *names[16];
    int k = 0;
    for (int32_t i = 0; i < df_hw_preset_count() && k < 16; i++) names[k++] = df_hw_preset_name(i);
    return df_suggest_text(name, names, k, buf, n);
}

static void preset_names(char *buf, size_t n) {
    size_t len = 0;
    buf[0] = '\0';
    for (int32_t i = 0; i < df_hw_preset_count() && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", df_hw_preset_name(i));
}

int cli_load_workload(const char *spec, int32_t seq_len, df_workload *out, int *zoo) {
    if (!spec || !*spec) return cli_fail(CLI_EXIT_USAGE, "missing workload: use -w NAME|FILE (see 'dnnfuser zoo')");
    df_err e;
    if (df_resolve_workload_spec(spec, seq_len, DF_DEFAULT_MAX_LAYERS, out, zoo, &e) == DF_OK) return 0;
    return cli_fail_err(NULL, &e);
}

json_t *cli_workload_ref(const df_workload *w, int zoo, int32_t seq_len) {
    if (zoo && seq_len == 0) return json_string(w->name);
    return df_workload_to_json(w);
}

/* Sets key to v (stolen) in obj; returns 0 or -1 on allocation failure. */
static int put(json_t *obj, const char *key, json_t *v) { return v ? json_object_set_new(obj, key, v) : -1; }

json_t *cli_hw_overridden(const json_t *base, const cli_opts *o) {
    if (!o || (!o->have_pes && !o->have_dataflow && !o->have_bw)) return json_incref((json_t *)base);
    json_t *h = json_is_string(base)   ? json_pack("{s:O}", "preset", base)
                : json_is_object(base) ? json_deep_copy(base)
                                       : NULL;
    if (!h) return json_is_string(base) || json_is_object(base) ? NULL : json_incref((json_t *)base);
    int bad = 0;
    if (o->have_pes) {
        char pes[48];
        snprintf(pes, sizeof pes, "%dx%d", o->pe_rows, o->pe_cols);
        json_object_del(h, "pe_rows");
        json_object_del(h, "pe_cols");
        bad |= put(h, "pes", json_string(pes));
    }
    if (o->have_dataflow) bad |= put(h, "dataflow", json_string(df_dataflow_name(o->dataflow)));
    if (o->have_bw) bad |= put(h, "dram_bw", json_real(o->dram_bw));
    if (bad) {
        json_decref(h);
        return NULL;
    }
    return h;
}

int cli_hw_from_base(const json_t *base, const char *where, const char *prefix, const cli_opts *o,
                     int64_t budget_override, df_hw *out) {
    df_err e;
    df_err_clear(&e);
    json_t *obj;
    if (!base) {
        obj = json_pack("{s:s}", "preset", "edge");
    } else if (json_is_string(base)) {
        df_hw probe;
        if (df_hw_preset(json_string_value(base), &probe, &e)) {
            char names[256], dym[96];
            preset_names(names, sizeof names);
            return cli_fail(CLI_EXIT_USAGE, "%s: unknown hardware preset '%s'%s (known: %s)", where,
                            json_string_value(base), preset_dym(json_string_value(base), dym, sizeof dym), names);
        }
        obj = json_pack("{s:O}", "preset", base);
    } else if (json_is_object(base)) {
        obj = json_deep_copy(base);
    } else {
        return cli_fail(CLI_EXIT_USAGE, "%s: hardware must be a preset name or an object%s%s", where,
                        prefix && *prefix ? " at " : "", prefix ? prefix : "");
    }
    json_t *ov = obj ? cli_hw_overridden(obj, o) : NULL; /* an object: always a new one with overrides */
    json_decref(obj);
    obj = ov;
    if (!obj) return cli_fail(CLI_EXIT_USAGE, "out of memory");
    int bad = 0;
    if (o && o->have_buffer) {
        json_object_del(obj, "buffer_bytes");
        bad |= put(obj, "buffer", json_integer(o->buffer));
    }
    if (budget_override > 0) {
        json_object_del(obj, "buffer_bytes");
        bad |= put(obj, "buffer", json_integer(budget_override));
    }
    if (bad) {
        json_decref(obj);
        return cli_fail(CLI_EXIT_USAGE, "out of memory");
    }
    int rc = df_hw_from_json(obj, prefix ? prefix : "", out, &e);
    json_decref(obj);
    if (rc) return cli_fail_err(where, &e);
    return 0;
}

int cli_hw_spec(const char *spec, json_t **doc, const json_t **base, const char **prefix) {
    df_hw probe;
    df_err e;
    df_err_clear(&e);
    *doc = NULL;
    *base = NULL;
    *prefix = "";
    if (df_hw_preset(spec, &probe, &e) == DF_OK) {
        *doc = json_string(spec);
        *base = *doc;
        return *doc ? 0 : cli_fail(CLI_EXIT_USAGE, "out of memory");
    }
    if (!looks_like_file(spec)) {
        char names[256], dym[96];
        preset_names(names, sizeof names);
        return cli_fail(CLI_EXIT_USAGE, "--hw: unknown hardware preset '%s'%s (known: %s) and not a readable file",
                        spec, preset_dym(spec, dym, sizeof dym), names);
    }
    *doc = cli_load_json(spec);
    if (!*doc) return CLI_EXIT_USAGE;
    *base = *doc;
    if (json_is_object(*doc) && json_object_get(*doc, "hardware")) { /* e.g. a `map --json` answer */
        *base = json_object_get(*doc, "hardware");
        *prefix = "/hardware";
    }
    return 0;
}

int cli_load_hw(const cli_opts *o, df_hw *out) {
    const char *spec = o->hw ? o->hw : "edge";
    json_t *doc;
    const json_t *base;
    const char *prefix;
    int rc = cli_hw_spec(spec, &doc, &base, &prefix);
    if (rc) return rc;
    rc = cli_hw_from_base(base, json_is_string(doc) ? "--hw" : spec, prefix, o, 0, out);
    json_decref(doc);
    return rc;
}

int cli_make_net(const df_workload *w, const df_hw *hw, int32_t batch, int check_budget, df_net **net, int64_t *need) {
    df_err e;
    df_err_clear(&e);
    *net = NULL;
    if (need) *need = 0;
    if (df_net_init(net, w, hw, batch, &e)) return cli_fail_err(NULL, &e);
    if (check_budget && df_net_check_budget(*net, &e)) {
        if (need) *need = e.need_bytes;
        df_net_free(*net);
        *net = NULL;
        if (e.code == DF_EINFEASIBLE) return cli_fail(CLI_EXIT_USAGE, "%s", e.msg);
        return cli_fail_err(NULL, &e);
    }
    return 0;
}
