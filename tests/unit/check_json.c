/* check_json.c - unit tests of src/core/json.c: round trips (workload, hardware, mapping), strict
 * rejections with their JSON pointers, hardware overrides on presets, size fields, the result
 * writers, and the shipped examples (directory from $DF_EXAMPLES, default "examples"). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "dnnfuser/json.h"

static json_t *J(const char *text) {
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    ck_assert_msg(j != NULL, "bad test JSON: %s: %s", text, je.text);
    return j;
}

static void layers_equal(const df_workload *a, const df_workload *b) {
    ck_assert_str_eq(a->name, b->name);
    ck_assert_int_eq(a->n_layers, b->n_layers);
    for (int32_t i = 0; i < a->n_layers; i++) {
        const df_layer *x = &a->layers[i], *y = &b->layers[i];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_int_eq(x->type, y->type);
        ck_assert_int_eq(x->K, y->K);
        ck_assert_int_eq(x->C, y->C);
        ck_assert_int_eq(x->Y, y->Y);
        ck_assert_int_eq(x->X, y->X);
        ck_assert_int_eq(x->R, y->R);
        ck_assert_int_eq(x->S, y->S);
        ck_assert_int_eq(x->stride, y->stride);
        ck_assert_int_eq(x->pad, y->pad);
        ck_assert_int_eq(x->groups, y->groups);
        ck_assert_int_eq(x->P, y->P);
        ck_assert_int_eq(x->Q, y->Q);
        ck_assert_int_eq(x->n_inputs, y->n_inputs);
        for (int32_t k = 0; k < x->n_inputs; k++) ck_assert_int_eq(x->inputs[k], y->inputs[k]);
    }
}

static void hw_equal(const df_hw *a, const df_hw *b) {
    ck_assert_int_eq(a->pe_rows, b->pe_rows);
    ck_assert_int_eq(a->pe_cols, b->pe_cols);
    ck_assert_int_eq(a->dataflow, b->dataflow);
    ck_assert_int_eq(a->buffer_bytes, b->buffer_bytes);
    ck_assert_double_eq(a->dram_bw, b->dram_bw);
    ck_assert_double_eq(a->noc_bw, b->noc_bw);
    ck_assert_double_eq(a->clock_hz, b->clock_hz);
    ck_assert_int_eq(a->elem_bytes, b->elem_bytes);
    ck_assert_double_eq(a->energy.mac, b->energy.mac);
    ck_assert_double_eq(a->energy.rf, b->energy.rf);
    ck_assert_double_eq(a->energy.noc, b->energy.noc);
    ck_assert_double_eq(a->energy.buf, b->energy.buf);
    ck_assert_double_eq(a->energy.dram, b->energy.dram);
}

/* Reads text as a workload under prefix "/workload"; expects rc, the pointer and a message fragment. */
static void wl_err(const char *text, int32_t max_layers, int rc, const char *ptr, const char *needle) {
    json_t *j = J(text);
    df_workload w;
    df_err e;
    int got = df_workload_from_json(j, "/workload", max_layers, &w, &e);
    json_decref(j);
    ck_assert_msg(got == rc, "%s: expected %d, got %d (%s)", text, rc, got, e.msg);
    ck_assert_int_eq(e.code, rc);
    ck_assert_msg(strcmp(e.pointer, ptr) == 0, "%s: pointer '%s', expected '%s' (%s)", text, e.pointer, ptr, e.msg);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "%s: message '%s' lacks '%s'", text, e.msg, needle);
    ck_assert_ptr_null(w.layers); /* nothing left allocated */
    ck_assert_int_eq(w.n_layers, 0);
}

static void wl_ok(const char *text, df_workload *w) {
    json_t *j = J(text);
    df_err e;
    int rc = df_workload_from_json(j, "", 0, w, &e);
    json_decref(j);
    ck_assert_msg(rc == DF_OK, "%s: %s (%s)", text, e.msg, e.pointer);
}

static void hw_err(const char *text, const char *prefix, int rc, const char *ptr, const char *needle) {
    json_t *j = J(text);
    df_hw h;
    df_err e;
    int got = df_hw_from_json(j, prefix, &h, &e);
    json_decref(j);
    ck_assert_msg(got == rc, "%s: expected %d, got %d (%s)", text, rc, got, e.msg);
    ck_assert_msg(strcmp(e.pointer, ptr) == 0, "%s: pointer '%s', expected '%s' (%s)", text, e.pointer, ptr, e.msg);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "%s: message '%s' lacks '%s'", text, e.msg, needle);
}

static df_hw hw_ok(const char *text) {
    json_t *j = J(text);
    df_hw h;
    df_err e;
    int rc = df_hw_from_json(j, "/hardware", &h, &e);
    json_decref(j);
    ck_assert_msg(rc == DF_OK, "%s: %s (%s)", text, e.msg, e.pointer);
    return h;
}

static void map_err(const char *text, int32_t n_layers, int32_t batch, const char *ptr, const char *needle) {
    json_t *j = J(text);
    df_mapping m;
    df_err e;
    int got = df_mapping_from_json(j, "/mapping", n_layers, batch, &m, &e);
    json_decref(j);
    ck_assert_msg(got == DF_EINVAL, "%s: expected DF_EINVAL, got %d (%s)", text, got, e.msg);
    ck_assert_msg(strcmp(e.pointer, ptr) == 0, "%s: pointer '%s', expected '%s' (%s)", text, e.pointer, ptr, e.msg);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "%s: message '%s' lacks '%s'", text, e.msg, needle);
    ck_assert_ptr_null(m.groups);
    ck_assert_int_eq(m.n_groups, 0);
}

/* ---- workloads ---- */

static const char *const dag_text =
    "{\"name\": \"dag\", \"layers\": ["
    "{\"type\": \"conv\", \"K\": 16, \"C\": 3, \"Y\": 32, \"X\": 32, \"R\": 3, \"pad\": 1},"
    "{\"name\": \"dw\", \"type\": \"dwconv\", \"K\": 16, \"C\": 16, \"Y\": 32, \"X\": 32, \"R\": 3, \"S\": 3, "
    "\"stride\": 2, \"pad\": 1},"
    "{\"type\": \"conv\", \"K\": 16, \"C\": 16, \"Y\": 16, \"X\": 16},"
    "{\"type\": \"add\", \"K\": 16, \"C\": 16, \"Y\": 16, \"X\": 16, \"inputs\": [2, 1]},"
    "{\"type\": \"concat\", \"K\": 32, \"C\": 32, \"Y\": 16, \"X\": 16, \"inputs\": [3, 1]},"
    "{\"type\": \"pool\", \"K\": 32, \"C\": 32, \"Y\": 16, \"X\": 16, \"R\": 2, \"stride\": 2},"
    "{\"type\": \"fc\", \"K\": 64, \"C\": 2048},"
    "{\"type\": \"matmul\", \"K\": 8, \"C\": 64, \"Y\": 1}"
    "]}";

START_TEST(test_workload_defaults) {
    df_workload w;
    wl_ok(dag_text, &w);
    ck_assert_str_eq(w.name, "dag");
    ck_assert_int_eq(w.n_layers, 8);
    const df_layer *l = w.layers;
    ck_assert_str_eq(l[0].name, "L0");
    ck_assert_int_eq(l[0].n_inputs, 1);
    ck_assert_int_eq(l[0].inputs[0], -1);
    ck_assert_int_eq(l[0].R, 3);
    ck_assert_int_eq(l[0].S, 3); /* only R given: square kernel */
    ck_assert_int_eq(l[0].stride, 1);
    ck_assert_int_eq(l[0].groups, 1);
    ck_assert_int_eq(l[0].P, 32);
    ck_assert_str_eq(l[1].name, "dw");
    ck_assert_int_eq(l[1].groups, 16); /* dwconv: groups = C when absent */
    ck_assert_int_eq(l[1].inputs[0], 0);
    ck_assert_int_eq(l[1].P, 16);
    ck_assert_int_eq(l[2].R, 1);
    ck_assert_int_eq(l[2].S, 1);
    ck_assert_int_eq(l[2].pad, 0);
    ck_assert_int_eq(l[2].inputs[0], 1);
    ck_assert_int_eq(l[3].n_inputs, 2);
    ck_assert_int_eq(l[3].inputs[1], 1);
    ck_assert_int_eq(l[5].P, 8);
    ck_assert_int_eq(l[6].Y, 1);
    ck_assert_int_eq(l[6].X, 1);
    ck_assert_int_eq(df_layer_macs(&l[6]), 64 * 2048);
    ck_assert_int_eq(l[7].X, 1); /* matmul: X = 1 */
    ck_assert_int_eq(l[7].P, 1);
    ck_assert_str_eq(l[7].name, "L7");
    df_workload_free(&w);
    /* no name: empty; S alone makes the kernel square too */
    wl_ok("{\"layers\": [{\"type\": \"conv\", \"K\": 4, \"C\": 4, \"Y\": 8, \"X\": 8, \"S\": 5, \"pad\": 2}]}", &w);
    ck_assert_str_eq(w.name, "");
    ck_assert_int_eq(w.layers[0].R, 5);
    ck_assert_int_eq(w.layers[0].P, 8);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_workload_round_trip) {
    df_workload a, b;
    df_err e;
    wl_ok(dag_text, &a);
    json_t *j = df_workload_to_json(&a);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(df_workload_from_json(j, "", 0, &b, &e), DF_OK);
    layers_equal(&a, &b);
    /* and the text form is stable */
    char *s1 = json_dumps(j, JSON_SORT_KEYS), *s2;
    json_t *j2 = df_workload_to_json(&b);
    s2 = json_dumps(j2, JSON_SORT_KEYS);
    ck_assert_str_eq(s1, s2);
    free(s1);
    free(s2);
    json_decref(j);
    json_decref(j2);
    df_workload_free(&a);
    df_workload_free(&b);
    /* random realistic DAGs */
    df_rng r;
    df_rng_seed(&r, 7);
    for (int k = 0; k < 30; k++) {
        tu_random_workload(&a, &r, 3 + df_rng_range(&r, 30), k % 2);
        j = df_workload_to_json(&a);
        ck_assert_int_eq(df_workload_from_json(j, "", 0, &b, &e), DF_OK);
        layers_equal(&a, &b);
        json_decref(j);
        df_workload_free(&a);
        df_workload_free(&b);
    }
}
END_TEST

START_TEST(test_workload_type_errors) {
    wl_err("[]", 0, DF_EINVAL, "/workload", "object");
    wl_err("{\"name\": \"x\"}", 0, DF_EINVAL, "/workload/layers", "missing");
    wl_err("{\"layers\": []}", 0, DF_EINVAL, "/workload/layers", "no layers");
    wl_err("{\"layers\": {}}", 0, DF_EINVAL, "/workload/layers", "array");
    wl_err("{\"layers\": [[1]]}", 0, DF_EINVAL, "/workload/layers/0", "object");
    wl_err("{\"name\": 5, \"layers\": []}", 0, DF_EINVAL, "/workload/name", "string");
    wl_err("{\"nmae\": \"x\", \"layers\": []}", 0, DF_EINVAL, "/workload/nmae", "did you mean \"name\"");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": \"16\", \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/K", "must be an integer, got a string");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 3.5, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/K", "must be an integer, got 3.5");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 16.0, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/K", "must be an integer");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 1e30, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/K", "must be an integer");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": true, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/K", "boolean");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": null, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/K", "null");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 2147483648, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/K", "out of range");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": -2147483649}]}", 0, DF_EINVAL,
           "/workload/layers/0/X", "out of range");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8, \"pad\": 0.5}]}", 0, DF_EINVAL,
           "/workload/layers/0/pad", "integer");
    wl_err("{\"layers\": [{\"type\": 1, \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/type", "string");
}
END_TEST

START_TEST(test_workload_field_errors) {
    /* a typo must not be silently ignored */
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8},"
           "{\"type\": \"conv\", \"K\": 8, \"C\": 8, \"Y\": 8, \"X\": 8, \"R\": 3, \"strdie\": 2}]}",
           0, DF_EINVAL, "/workload/layers/1/strdie", "did you mean \"stride\"");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8, \"P\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/P", "unknown field");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8, \"a/b~c\": 1}]}", 0, DF_EINVAL,
           "/workload/layers/0/a~1b~0c", "unknown field");
    wl_err("{\"layers\": [{\"type\": \"conv3d\", \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/type", "conv3d");
    wl_err("{\"layers\": [{\"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL, "/workload/layers/0/type",
           "missing");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL, "/workload/layers/0/K",
           "missing");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 3, \"C\": 3, \"Y\": 8}]}", 0, DF_EINVAL, "/workload/layers/0/X",
           "missing");
    wl_err("{\"layers\": [{\"type\": \"matmul\", \"K\": 3, \"C\": 3}]}", 0, DF_EINVAL, "/workload/layers/0/Y",
           "missing");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"name\": \"\", \"K\": 3, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0, DF_EINVAL,
           "/workload/layers/0/name", "empty");
    /* 47 characters fit, 48 do not */
    df_workload w;
    wl_ok("{\"layers\": [{\"type\": \"conv\", \"name\": \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefg\","
          "\"K\": 3, \"C\": 3, \"Y\": 8, \"X\": 8}]}",
          &w);
    ck_assert_int_eq(strlen(w.layers[0].name), 47);
    df_workload_free(&w);
    wl_err("{\"layers\": [{\"type\": \"conv\", \"name\": \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh\","
           "\"K\": 3, \"C\": 3, \"Y\": 8, \"X\": 8}]}",
           0, DF_EINVAL, "/workload/layers/0/name", "48 bytes");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 3, \"C\": 3, \"Y\": 8, \"X\": 8, \"inputs\": -1}]}", 0, DF_EINVAL,
           "/workload/layers/0/inputs", "array");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 3, \"C\": 3, \"Y\": 8, \"X\": 8, \"inputs\": []}]}", 0, DF_EINVAL,
           "/workload/layers/0/inputs", "0 entries");
    { /* DF_MAX_INPUTS (64) inputs at most: 65 are refused */
        char big[1024];
        int k = snprintf(big, sizeof big,
                         "{\"layers\": [{\"type\": \"add\", \"K\": 3, \"C\": 3, \"Y\": 8, \"X\": 8, \"inputs\": [");
        for (int j = 0; j <= DF_MAX_INPUTS; j++) k += snprintf(big + k, sizeof big - (size_t)k, "%s-1", j ? "," : "");
        snprintf(big + k, sizeof big - (size_t)k, "]}]}");
        wl_err(big, 0, DF_EINVAL, "/workload/layers/0/inputs", "65 entries");
    }
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 3, \"C\": 3, \"Y\": 8, \"X\": 8, \"inputs\": [\"input\"]}]}", 0,
           DF_EINVAL, "/workload/layers/0/inputs/0", "integer");
}
END_TEST

START_TEST(test_workload_validation_prefixed) {
    /* errors found by df_workload_validate carry the caller's prefix and the layer index */
    json_t *j = J("{\"layers\": [{\"type\": \"conv\", \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8},"
                  "{\"type\": \"conv\", \"K\": 0, \"C\": 8, \"Y\": 8, \"X\": 8}]}");
    df_workload w;
    df_err e;
    ck_assert_int_eq(df_workload_from_json(j, "/requests/3/workload", 0, &w, &e), DF_EINVAL);
    ck_assert_str_eq(e.pointer, "/requests/3/workload/layers/1/K");
    ck_assert_int_eq(e.layer, 1);
    ck_assert_ptr_null(w.layers);
    json_decref(j);
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 16, \"C\": 3, \"Y\": 8, \"X\": 8},"
           "{\"type\": \"conv\", \"K\": 8, \"C\": 32, \"Y\": 8, \"X\": 8}]}",
           0, DF_EINVAL, "/workload/layers/1/inputs/0", "does not match");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 16, \"C\": 3, \"Y\": 8, \"X\": 8, \"inputs\": [0]}]}", 0,
           DF_EINVAL, "/workload/layers/0/inputs/0", "earlier");
    wl_err("{\"layers\": [{\"type\": \"conv\", \"K\": 16, \"C\": 3, \"Y\": 8, \"X\": 8, \"R\": 11}]}", 0, DF_EINVAL,
           "/workload/layers/0/R", "R = 11");
    wl_err("{\"layers\": [{\"type\": \"dwconv\", \"K\": 16, \"C\": 16, \"Y\": 8, \"X\": 8, \"groups\": 4}]}", 0,
           DF_EINVAL, "/workload/layers/0/groups", "groups == C");
    /* prefix "" gives bare pointers */
    j = J("{\"layers\": [{\"type\": \"conv\", \"K\": -4, \"C\": 3, \"Y\": 8, \"X\": 8}]}");
    ck_assert_int_eq(df_workload_from_json(j, "", 0, &w, &e), DF_EINVAL);
    ck_assert_str_eq(e.pointer, "/layers/0/K");
    ck_assert_int_eq(df_workload_from_json(j, NULL, 0, &w, &e), DF_EINVAL);
    ck_assert_str_eq(e.pointer, "/layers/0/K");
    json_decref(j);
}
END_TEST

START_TEST(test_workload_layer_limit) {
    const char *four = "{\"layers\": [{\"type\": \"conv\", \"K\": 4, \"C\": 4, \"Y\": 4, \"X\": 4},"
                       "{\"type\": \"conv\", \"K\": 4, \"C\": 4, \"Y\": 4, \"X\": 4},"
                       "{\"type\": \"conv\", \"K\": 4, \"C\": 4, \"Y\": 4, \"X\": 4},"
                       "{\"type\": \"conv\", \"K\": 4, \"C\": 4, \"Y\": 4, \"X\": 4}]}";
    wl_err(four, 3, DF_ELIMIT, "/workload/layers", "limit is 3");
    /* the limit is checked before any layer is looked at */
    wl_err("{\"layers\": [1, 2, 3, 4, 5]}", 3, DF_ELIMIT, "/workload/layers", "5 layers");
    json_t *j = J(four);
    df_workload w;
    df_err e;
    ck_assert_int_eq(df_workload_from_json(j, "", 4, &w, &e), DF_OK);
    ck_assert_int_eq(w.n_layers, 4);
    df_workload_free(&w);
    json_decref(j);
    /* the default limit applies when max_layers <= 0 */
    j = json_pack("{s:[]}", "layers");
    json_t *arr = json_object_get(j, "layers");
    for (int i = 0; i <= DF_DEFAULT_MAX_LAYERS; i++) json_array_append_new(arr, json_integer(i));
    ck_assert_int_eq(df_workload_from_json(j, "", 0, &w, &e), DF_ELIMIT);
    ck_assert_ptr_null(w.layers);
    json_decref(j);
}
END_TEST

/* ---- hardware ---- */

START_TEST(test_hw_presets_and_round_trip) {
    for (int32_t i = 0; i < df_hw_preset_count(); i++) {
        df_hw p, a, b;
        df_err e;
        const char *name = df_hw_preset_name(i);
        ck_assert_int_eq(df_hw_preset(name, &p, &e), DF_OK);
        json_t *s = json_string(name);
        ck_assert_int_eq(df_hw_from_json(s, "/hardware", &a, &e), DF_OK);
        json_decref(s);
        hw_equal(&a, &p);
        ck_assert_str_eq(a.name, name);
        json_t *j = df_hw_to_json(&p);
        ck_assert_ptr_nonnull(j);
        ck_assert_int_eq(df_hw_from_json(j, "/hardware", &b, &e), DF_OK);
        hw_equal(&b, &p);
        ck_assert_str_eq(b.name, name);
        json_decref(j);
    }
    /* a hand-made description with odd energies survives exactly */
    df_hw h = tu_hw(7, 9, DF_DATAFLOW_OS, 123457, 3.25, 17.5, 4), r;
    h.energy = (df_energy){0.1, 0.3, 0.7, 1.0 / 3.0, 1234.5678, 0};
    h.clock_hz = 733.3e6;
    json_t *j = df_hw_to_json(&h);
    df_err e;
    ck_assert_int_eq(df_hw_from_json(j, "", &r, &e), DF_OK);
    hw_equal(&r, &h);
    ck_assert_str_eq(r.name, "custom");
    json_decref(j);
    /* {} is the edge preset */
    df_hw edge, d = hw_ok("{}");
    df_hw_preset("edge", &edge, NULL);
    hw_equal(&d, &edge);
    ck_assert_str_eq(d.name, "edge");
}
END_TEST

START_TEST(test_hw_overrides) {
    df_hw edge;
    df_hw_preset("edge", &edge, NULL);
    /* a bigger buffer keeps the preset's PE array; the buffer energy follows the new size */
    df_hw h = hw_ok("{\"preset\": \"edge\", \"buffer\": \"1MiB\"}");
    ck_assert_int_eq(h.pe_rows, 16);
    ck_assert_int_eq(h.pe_cols, 16);
    ck_assert_int_eq(h.dataflow, DF_DATAFLOW_WS);
    ck_assert_int_eq(h.buffer_bytes, 1048576);
    ck_assert_double_eq(h.clock_hz, 500e6);
    ck_assert_double_eq_tol(h.energy.buf, 12.5, 1e-12);
    ck_assert(h.energy.buf > edge.energy.buf);
    ck_assert_double_eq(h.energy.mac, edge.energy.mac);
    ck_assert_str_eq(h.name, "custom");
    /* element size recomputes the per-element energies */
    h = hw_ok("{\"preset\": \"mobile\", \"elem_bytes\": 2}");
    ck_assert_int_eq(h.pe_rows, 32);
    ck_assert_double_eq_tol(h.energy.mac, 1.5, 1e-12);
    ck_assert_double_eq_tol(h.energy.dram, 320.0, 1e-12);
    /* an explicit energy wins; the others stay at their defaults */
    h = hw_ok("{\"buffer\": 65536, \"energy_pj\": {\"mac\": 0.5, \"dram\": 100}}");
    ck_assert_double_eq(h.energy.mac, 0.5);
    ck_assert_double_eq(h.energy.dram, 100.0);
    ck_assert_double_eq_tol(h.energy.rf, 0.23, 1e-12);
    ck_assert_double_eq_tol(h.energy.buf, 2.5, 1e-12);
    /* PE arrays */
    h = hw_ok("{\"pes\": 256}");
    ck_assert_int_eq(h.pe_rows, 16);
    ck_assert_int_eq(h.pe_cols, 16);
    h = hw_ok("{\"preset\": \"cloud\", \"pes\": \"8x4\"}");
    ck_assert_int_eq(h.pe_rows, 8);
    ck_assert_int_eq(h.pe_cols, 4);
    ck_assert_int_eq(h.elem_bytes, 2);
    h = hw_ok("{\"pe_rows\": 8}");
    ck_assert_int_eq(h.pe_rows, 8);
    ck_assert_int_eq(h.pe_cols, 16);
    h = hw_ok("{\"pe_rows\": 12, \"pe_cols\": 14, \"dataflow\": \"rs\", \"dram_bw\": 2.5, \"noc_bw\": 40,"
              " \"clock_hz\": 1000000000, \"elem_bytes\": 4, \"buffer\": \"64kB\"}");
    ck_assert_int_eq(h.pe_rows, 12);
    ck_assert_int_eq(h.pe_cols, 14);
    ck_assert_int_eq(h.dataflow, DF_DATAFLOW_RS);
    ck_assert_double_eq(h.dram_bw, 2.5);
    ck_assert_double_eq(h.noc_bw, 40);
    ck_assert_double_eq(h.clock_hz, 1e9);
    ck_assert_int_eq(h.elem_bytes, 4);
    ck_assert_int_eq(h.buffer_bytes, 65536); /* sizes are binary: 64kB = 64 KiB */
    ck_assert_double_eq_tol(h.energy.mac, 4.6, 1e-12);
    /* overriding with the preset's own values keeps its name */
    h = hw_ok("{\"preset\": \"eyeriss\", \"pes\": \"12x14\", \"buffer\": \"108KiB\"}");
    ck_assert_str_eq(h.name, "eyeriss");
}
END_TEST

START_TEST(test_hw_errors) {
    hw_err("\"tpu\"", "/hardware", DF_ENOTFOUND, "/hardware", "tpu");
    hw_err("{\"preset\": \"tpu\"}", "/hardware", DF_ENOTFOUND, "/hardware/preset", "eyeriss");
    hw_err("{\"preset\": 3}", "/hardware", DF_EINVAL, "/hardware/preset", "string");
    hw_err("[16, 16]", "/hardware", DF_EINVAL, "/hardware", "preset name or an object");
    hw_err("42", "/hardware", DF_EINVAL, "/hardware", "preset name or an object");
    hw_err("{\"bufer\": 1024}", "/hardware", DF_EINVAL, "/hardware/bufer", "did you mean \"buffer\"");
    hw_err("{\"buffer_bytes\": 1024}", "/hardware", DF_EINVAL, "/hardware/buffer_bytes", "unknown field");
    hw_err("{\"pes\": 255}", "/hardware", DF_EINVAL, "/hardware/pes", "perfect square");
    hw_err("{\"pes\": \"0x4\"}", "/hardware", DF_EINVAL, "/hardware/pes", "0x4");
    hw_err("{\"pes\": \"16x16x\"}", "/hardware", DF_EINVAL, "/hardware/pes", "16x16x");
    hw_err("{\"pes\": -16}", "/hardware", DF_EINVAL, "/hardware/pes", "-16");
    hw_err("{\"pes\": true}", "/hardware", DF_EINVAL, "/hardware/pes", "boolean");
    hw_err("{\"pes\": \"4x4\", \"pe_rows\": 4}", "/hardware", DF_EINVAL, "/hardware/pes", "not both");
    hw_err("{\"pes\": \"4096x4096\"}", "/hardware", DF_EINVAL, "/hardware/pes", "PEs");
    hw_err("{\"pe_rows\": 5000}", "/hardware", DF_EINVAL, "/hardware/pe_rows", "pe_rows = 5000");
    hw_err("{\"pe_cols\": 0}", "/hardware", DF_EINVAL, "/hardware/pe_cols", "pe_cols = 0");
    hw_err("{\"pe_cols\": 1.5}", "/hardware", DF_EINVAL, "/hardware/pe_cols", "integer");
    hw_err("{\"dataflow\": \"xs\"}", "/hardware", DF_EINVAL, "/hardware/dataflow", "xs");
    hw_err("{\"dataflow\": 1}", "/hardware", DF_EINVAL, "/hardware/dataflow", "string");
    hw_err("{\"buffer\": 0}", "/hardware", DF_EINVAL, "/hardware/buffer", "at least 1");
    hw_err("{\"buffer\": -4096}", "/hardware", DF_EINVAL, "/hardware/buffer", "-4096");
    hw_err("{\"buffer\": 1024.5}", "/hardware", DF_EINVAL, "/hardware/buffer", "whole number");
    hw_err("{\"buffer\": \"12 parsecs\"}", "/hardware", DF_EINVAL, "/hardware/buffer", "parsecs");
    hw_err("{\"buffer\": [1]}", "/hardware", DF_EINVAL, "/hardware/buffer", "array");
    hw_err("{\"buffer\": 2199023255552}", "/hardware", DF_EINVAL, "/hardware/buffer", "2199023255552");
    hw_err("{\"dram_bw\": \"fast\"}", "/hardware", DF_EINVAL, "/hardware/dram_bw", "number");
    hw_err("{\"dram_bw\": 0}", "/hardware", DF_EINVAL, "/hardware/dram_bw", "dram_bw");
    hw_err("{\"noc_bw\": 1e7}", "/hardware", DF_EINVAL, "/hardware/noc_bw", "noc_bw");
    hw_err("{\"clock_hz\": -1}", "/hardware", DF_EINVAL, "/hardware/clock_hz", "clock_hz");
    hw_err("{\"clock_hz\": 1e12}", "/hardware", DF_EINVAL, "/hardware/clock_hz", "clock_hz");
    hw_err("{\"elem_bytes\": 3}", "/hardware", DF_EINVAL, "/hardware/elem_bytes", "elem_bytes = 3");
    hw_err("{\"elem_bytes\": 2.0}", "/hardware", DF_EINVAL, "/hardware/elem_bytes", "integer");
    hw_err("{\"energy_pj\": 5}", "/hardware", DF_EINVAL, "/hardware/energy_pj", "object");
    hw_err("{\"energy_pj\": {\"mac\": -1}}", "/hardware", DF_EINVAL, "/hardware/energy_pj/mac", "mac");
    hw_err("{\"energy_pj\": {\"sram\": 1}}", "/hardware", DF_EINVAL, "/hardware/energy_pj/sram", "unknown field");
    hw_err("{\"energy_pj\": {\"dram\": \"lots\"}}", "/hardware", DF_EINVAL, "/hardware/energy_pj/dram", "number");
    /* pointers follow the caller's prefix */
    hw_err("{\"dram_bw\": 0}", "", DF_EINVAL, "/dram_bw", "dram_bw");
    hw_err("{\"dram_bw\": 0}", NULL, DF_EINVAL, "/dram_bw", "dram_bw");
    hw_err("{\"energy_pj\": {\"rf\": -2}}", "/points/4/hw", DF_EINVAL, "/points/4/hw/energy_pj/rf", "rf");
    hw_err("\"nope\"", "/points/4/hw", DF_ENOTFOUND, "/points/4/hw", "nope");
}
END_TEST

START_TEST(test_json_size) {
    df_err e;
    int64_t v = 0;
    struct {
        const char *text;
        int64_t want;
    } ok[] = {
        {"524288", 524288},      {"\"512KiB\"", 524288}, {"\"512K\"", 524288},     {"\"64kB\"", 65536},
        {"\"1.5MiB\"", 1572864}, {"\"4MiB\"", 4194304},  {"\"1GiB\"", 1073741824}, {"1", 1},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        json_t *j = json_loads(ok[k].text, JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(j);
        ck_assert_msg(df_json_size(j, "/b", &v, &e) == DF_OK, "%s: %s", ok[k].text, e.msg);
        ck_assert_int_eq(v, ok[k].want);
        json_decref(j);
    }
    const char *bad[] = {"0",    "-1",   "3.5", "\"\"", "\"0\"",  "\"-4KiB\"", "\"abc\"", "\"12 parsecs\"",
                         "true", "null", "[]",  "{}",   "\"1.3\""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        json_t *j = json_loads(bad[k], JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(j);
        v = -7;
        df_err_clear(&e);
        ck_assert_msg(df_json_size(j, "/x/buffer", &v, &e) == DF_EINVAL, "accepted %s", bad[k]);
        ck_assert_str_eq(e.pointer, "/x/buffer");
        ck_assert_int_eq(v, -7);
        json_decref(j);
    }
    ck_assert_int_eq(df_json_size(NULL, "/y", &v, &e), DF_EINVAL);
    ck_assert_str_eq(e.pointer, "/y");
}
END_TEST

/* ---- mappings ---- */

START_TEST(test_mapping_round_trip) {
    json_t *j = J("{\"groups\": [{\"first\": 0, \"last\": 1, \"micro_batch\": 4},"
                  "{\"first\": 2, \"last\": 2, \"micro_batch\": 1}, {\"first\": 3, \"last\": 5, \"micro_batch\": 8}]}");
    df_mapping m, m2;
    df_err e;
    ck_assert_int_eq(df_mapping_from_json(j, "/mapping", 6, 8, &m, &e), DF_OK);
    ck_assert_int_eq(m.n_groups, 3);
    ck_assert_int_eq(m.groups[0].last, 1);
    ck_assert_int_eq(m.groups[0].micro_batch, 4);
    ck_assert_int_eq(m.groups[1].first, 2);
    ck_assert_int_eq(m.groups[2].first, 3);
    ck_assert_int_eq(m.groups[2].last, 5);
    ck_assert_int_eq(m.groups[2].micro_batch, 8);
    json_t *out = df_mapping_to_json(&m);
    ck_assert(json_equal(out, j));
    ck_assert_int_eq(df_mapping_from_json(out, "", 6, 8, &m2, &e), DF_OK);
    ck_assert_int_eq(m2.n_groups, 3);
    for (int32_t i = 0; i < 3; i++) {
        ck_assert_int_eq(m2.groups[i].first, m.groups[i].first);
        ck_assert_int_eq(m2.groups[i].last, m.groups[i].last);
        ck_assert_int_eq(m2.groups[i].micro_batch, m.groups[i].micro_batch);
    }
    df_mapping_free(&m);
    df_mapping_free(&m2);
    json_decref(j);
    json_decref(out);
    /* single group covering everything */
    j = J("{\"groups\": [{\"first\": 0, \"last\": 0, \"micro_batch\": 1}]}");
    ck_assert_int_eq(df_mapping_from_json(j, "", 1, 1, &m, &e), DF_OK);
    ck_assert_int_eq(m.n_groups, 1);
    df_mapping_free(&m);
    json_decref(j);
}
END_TEST

/* Depth-first fields (issue 14): tile {rows, cols} and overlap read, written back as given, and
 * refused with a pointer when malformed. */
START_TEST(test_mapping_tiles) {
    json_t *j =
        J("{\"groups\": [{\"first\": 0, \"last\": 1, \"micro_batch\": 2, \"tile\": {\"rows\": 8, \"cols\": 4},"
          " \"overlap\": \"cache_all\"}, {\"first\": 2, \"last\": 3, \"micro_batch\": 1, \"tile\": {\"rows\": 3}}]}");
    df_mapping m, m2;
    df_err e;
    ck_assert_int_eq(df_mapping_from_json(j, "", 4, 8, &m, &e), DF_OK);
    ck_assert_int_eq(m.groups[0].tile_rows, 8);
    ck_assert_int_eq(m.groups[0].tile_cols, 4);
    ck_assert_int_eq(m.groups[0].overlap, DF_OVERLAP_CACHE_ALL);
    ck_assert_int_eq(m.groups[1].tile_rows, 3);
    ck_assert_int_eq(m.groups[1].tile_cols, 0);
    ck_assert_int_eq(m.groups[1].overlap, DF_OVERLAP_RECOMPUTE);
    json_t *out = df_mapping_to_json(&m);
    ck_assert_int_eq(df_mapping_from_json(out, "", 4, 8, &m2, &e), DF_OK);
    ck_assert_mem_eq(m.groups, m2.groups, 2 * sizeof *m.groups);
    df_mapping_free(&m);
    df_mapping_free(&m2);
    json_decref(out);
    json_decref(j);
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3, \"micro_batch\": 1, \"tile\": 4}]}", 4, 8,
            "/mapping/groups/0/tile", "{rows, cols}");
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3, \"micro_batch\": 1, \"tile\": {\"rows\": -1}}]}", 4, 8,
            "/mapping/groups/0/tile/rows", "tile rows");
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3, \"micro_batch\": 1, \"tile\": {\"row\": 2}}]}", 4, 8,
            "/mapping/groups/0/tile/row", "did you mean \"rows\"");
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3, \"micro_batch\": 1, \"overlap\": \"cache\"}]}", 4, 8,
            "/mapping/groups/0/overlap", "cache_rows");
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3, \"micro_batch\": 1, \"overlap\": 2}]}", 4, 8,
            "/mapping/groups/0/overlap", "got an integer");
}
END_TEST

START_TEST(test_mapping_errors) {
    const char *g3 = "{\"first\": 0, \"last\": 1, \"micro_batch\": 2}";
    char buf[512];
    map_err("[]", 4, 8, "/mapping", "object");
    map_err("{}", 4, 8, "/mapping/groups", "missing");
    map_err("{\"groups\": []}", 4, 8, "/mapping/groups", "no groups");
    map_err("{\"groups\": {}}", 4, 8, "/mapping/groups", "array");
    map_err("{\"groups\": [1]}", 4, 8, "/mapping/groups/0", "object");
    map_err("{\"grups\": []}", 4, 8, "/mapping/grups", "did you mean \"groups\"");
    /* coverage: a gap, an overlap, not starting at 0, not reaching the end, beyond the end */
    snprintf(buf, sizeof buf, "{\"groups\": [%s, {\"first\": 3, \"last\": 3, \"micro_batch\": 1}]}", g3);
    map_err(buf, 4, 8, "/mapping/groups/1/first", "gap");
    snprintf(buf, sizeof buf, "{\"groups\": [%s, {\"first\": 1, \"last\": 3, \"micro_batch\": 1}]}", g3);
    map_err(buf, 4, 8, "/mapping/groups/1/first", "overlaps");
    map_err("{\"groups\": [{\"first\": 1, \"last\": 3, \"micro_batch\": 1}]}", 4, 8, "/mapping/groups/0/first",
            "layer 0");
    snprintf(buf, sizeof buf, "{\"groups\": [%s, {\"first\": 2, \"last\": 2, \"micro_batch\": 1}]}", g3);
    map_err(buf, 4, 8, "/mapping/groups/1/last", "covers layers 0..2");
    snprintf(buf, sizeof buf, "{\"groups\": [%s, {\"first\": 2, \"last\": 4, \"micro_batch\": 1}]}", g3);
    map_err(buf, 4, 8, "/mapping/groups/1/last", "last = 4");
    map_err("{\"groups\": [{\"first\": 0, \"last\": -1, \"micro_batch\": 1}]}", 4, 8, "/mapping/groups/0/last",
            "last = -1");
    /* micro-batch range */
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3, \"micro_batch\": 0}]}", 4, 8, "/mapping/groups/0/micro_batch",
            "micro_batch = 0");
    snprintf(buf, sizeof buf, "{\"groups\": [%s, {\"first\": 2, \"last\": 3, \"micro_batch\": 9}]}", g3);
    map_err(buf, 4, 8, "/mapping/groups/1/micro_batch", "[1, 8]");
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3, \"micro_batch\": 2.5}]}", 4, 8, "/mapping/groups/0/micro_batch",
            "integer");
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3}]}", 4, 8, "/mapping/groups/0/micro_batch", "missing");
    map_err("{\"groups\": [{\"first\": 0, \"last\": 3, \"microbatch\": 1}]}", 4, 8, "/mapping/groups/0/microbatch",
            "did you mean \"micro_batch\"");
    map_err("{\"groups\": [{\"first\": \"0\", \"last\": 3, \"micro_batch\": 1}]}", 4, 8, "/mapping/groups/0/first",
            "integer");
    map_err("{\"groups\": [{\"first\": 0, \"last\": 4294967296, \"micro_batch\": 1}]}", 4, 8, "/mapping/groups/0/last",
            "out of range");
    /* more groups than layers is caught before reading them */
    map_err("{\"groups\": [1, 2, 3]}", 2, 8, "/mapping/groups", "3 groups");
}
END_TEST

/* ---- result writers ---- */

static void load_file_workload(const char *file, df_workload *w);

START_TEST(test_metrics_json) {
    df_metrics m = {.feasible = 1,
                    .latency_cycles = 1000,
                    .latency_s = 2e-6,
                    .throughput_sps = 4e6,
                    .energy_pj = 55.5,
                    .dram_bytes = 4096,
                    .edp = 55.5 * 2e-6,
                    .peak_bytes = 123456,
                    .macs = 9e9,
                    .compute_cycles = 900,
                    .utilization = 0.75};
    json_t *j = df_metrics_to_json(&m);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_object_size(j), 10);
    ck_assert(json_is_true(json_object_get(j, "feasible")));
    ck_assert_double_eq(json_number_value(json_object_get(j, "latency_cycles")), 1000);
    ck_assert_double_eq(json_number_value(json_object_get(j, "latency_s")), 2e-6);
    ck_assert_double_eq(json_number_value(json_object_get(j, "throughput_sps")), 4e6);
    ck_assert_double_eq(json_number_value(json_object_get(j, "energy_pj")), 55.5);
    ck_assert_double_eq(json_number_value(json_object_get(j, "dram_bytes")), 4096);
    ck_assert_double_eq(json_number_value(json_object_get(j, "edp")), 55.5 * 2e-6);
    ck_assert(json_is_integer(json_object_get(j, "peak_buffer_bytes")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "peak_buffer_bytes")), 123456);
    ck_assert_double_eq(json_number_value(json_object_get(j, "macs")), 9e9);
    ck_assert_double_eq(json_number_value(json_object_get(j, "utilization")), 0.75);
    json_decref(j);
    /* non-finite figures (an infeasible answer) become null instead of breaking the document */
    m.feasible = 0;
    m.latency_cycles = INFINITY;
    m.edp = NAN;
    j = df_metrics_to_json(&m);
    ck_assert_ptr_nonnull(j);
    ck_assert(json_is_false(json_object_get(j, "feasible")));
    ck_assert(json_is_null(json_object_get(j, "latency_cycles")));
    ck_assert(json_is_null(json_object_get(j, "edp")));
    char *s = json_dumps(j, 0);
    ck_assert_ptr_nonnull(s);
    free(s);
    json_decref(j);
}
END_TEST

START_TEST(test_groups_json) {
    df_workload w;
    load_file_workload("tiny_workload.json", &w);
    df_hw hw;
    df_err e;
    ck_assert_int_eq(df_hw_preset("edge", &hw, &e), DF_OK);
    df_net *net;
    ck_assert_int_eq(df_net_init(&net, &w, &hw, 4, &e), DF_OK);
    df_mapping m;
    ck_assert_int_eq(df_mapping_init(&m, 2), DF_OK);
    ck_assert_int_eq(df_mapping_push(&m, 0, 1, 2), DF_OK);
    ck_assert_int_eq(df_mapping_push(&m, 2, 3, 4), DF_OK);
    df_metrics mt;
    df_group_cost gc[2];
    ck_assert_int_eq(df_mapping_eval(net, &m, &mt, gc, &e), DF_OK);
    json_t *j = df_groups_to_json(net, &m, gc);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_array_size(j), 2);
    json_t *g1 = json_array_get(j, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(g1, "first")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(g1, "last")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(g1, "micro_batch")), 4);
    ck_assert_str_eq(json_string_value(json_object_get(g1, "first_name")), "pool");
    ck_assert_str_eq(json_string_value(json_object_get(g1, "last_name")), "fc");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "first_name")), "conv1");
    ck_assert_int_eq(json_integer_value(json_object_get(g1, "footprint_bytes")), gc[1].footprint_bytes);
    ck_assert(json_is_boolean(json_object_get(g1, "weights_resident")));
    ck_assert_int_eq(json_is_true(json_object_get(g1, "weights_resident")), gc[1].weights_resident != 0);
    ck_assert_double_eq(json_number_value(json_object_get(g1, "latency_cycles")), gc[1].latency_cycles);
    ck_assert_double_eq(json_number_value(json_object_get(g1, "energy_pj")), gc[1].energy_pj);
    ck_assert_double_eq(json_number_value(json_object_get(g1, "dram_bytes")), gc[1].dram_bytes);
    ck_assert(gc[1].latency_cycles > 0);
    /* without the cost array the figures are computed: the same document */
    json_t *j2 = df_groups_to_json(net, &m, NULL);
    ck_assert(json_equal(j, j2));
    /* the figures both answer writers take: the whole output for tile 0, a tile clipped to P x Q, the
     * cost given or evaluated, tiles x recompute; a group outside the network is refused */
    df_group_report r;
    const df_layer *l0 = &df_net_workload(net)->layers[1];
    ck_assert_int_eq(df_group_report_of(net, &m.groups[0], &gc[0], &r), DF_OK);
    ck_assert(r.rows == l0->P && r.cols == l0->Q && r.tiles == 1 && r.recompute == 1);
    ck_assert(r.cost.latency_cycles == gc[0].latency_cycles);
    df_group tg = m.groups[0];
    tg.tile_rows = l0->P + 5;
    tg.tile_cols = 1;
    ck_assert_int_eq(df_group_report_of(net, &tg, NULL, &r), DF_OK);
    ck_assert_int_eq(r.rows, l0->P);
    ck_assert_int_eq(r.cols, 1);
    ck_assert_int_eq(r.tiles, (int64_t)r.cost.tiles_y * r.cost.tiles_x);
    ck_assert_int_eq(r.tiles, l0->Q);
    tg.last = 4;
    ck_assert_int_eq(df_group_report_of(net, &tg, NULL, &r), DF_EINVAL);
    tg = m.groups[0];
    tg.first = -1;
    ck_assert_int_eq(df_group_report_of(net, &tg, NULL, &r), DF_EINVAL);
    /* an answer's groups can be sent back as a mapping */
    json_t *back = json_pack("{s:O}", "groups", j);
    df_mapping m2;
    ck_assert_int_eq(df_mapping_from_json(back, "", 4, 4, &m2, &e), DF_OK);
    ck_assert_int_eq(m2.n_groups, 2);
    ck_assert_int_eq(m2.groups[1].micro_batch, 4);
    df_mapping_free(&m2);
    json_decref(back);
    json_decref(j);
    json_decref(j2);
    df_mapping_free(&m);
    df_net_free(net);
    df_workload_free(&w);
}
END_TEST

/* ---- shipped examples ---- */

static json_t *load_example(const char *file) {
    const char *dir = getenv("DF_EXAMPLES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "examples", file);
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    ck_assert_msg(j != NULL, "%s: %s (line %d)", path, je.text, je.line);
    return j;
}

static void load_file_workload(const char *file, df_workload *w) {
    json_t *j = load_example(file);
    df_err e;
    int rc = df_workload_from_json(j, "", 0, w, &e);
    json_decref(j);
    ck_assert_msg(rc == DF_OK, "%s: %s (%s)", file, e.msg, e.pointer);
}

START_TEST(test_example_eyeriss) {
    json_t *j = load_example("eyeriss.json");
    df_hw h, ey;
    df_err e;
    ck_assert_int_eq(df_hw_from_json(j, "", &h, &e), DF_OK);
    json_decref(j);
    ck_assert_int_eq(df_hw_preset("eyeriss", &ey, &e), DF_OK);
    hw_equal(&h, &ey);
    ck_assert_int_eq(h.pe_rows * h.pe_cols, 168);
    ck_assert_int_eq(h.dataflow, DF_DATAFLOW_RS);
    ck_assert_int_eq(h.buffer_bytes, 108 * 1024);
    ck_assert_double_eq(h.clock_hz, 200e6);
    ck_assert_int_eq(h.elem_bytes, 2);
    ck_assert_int_eq(df_hw_validate(&h, &e), DF_OK);
}
END_TEST

START_TEST(test_example_tiny) {
    df_workload w;
    load_file_workload("tiny_workload.json", &w);
    ck_assert_int_eq(w.n_layers, 4);
    for (int32_t i = 1; i < 4; i++) { /* a chain */
        ck_assert_int_eq(w.layers[i].n_inputs, 1);
        ck_assert_int_eq(w.layers[i].inputs[0], i - 1);
    }
    ck_assert_int_eq(w.layers[1].P, 16);
    ck_assert_int_eq(w.layers[2].P, 8);
    ck_assert_int_eq(w.layers[2].Q, 8);
    ck_assert_int_eq(df_layer_macs(&w.layers[3]), 20480);
    ck_assert_int_eq(df_workload_macs(&w), 16LL * 1024 * 27 + 32LL * 256 * 144 + 20480);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_example_resnet_block) {
    df_workload w;
    load_file_workload("resnet_block.json", &w);
    ck_assert_int_eq(w.n_layers, 3);
    ck_assert_int_eq(w.layers[0].type, DF_LAYER_CONV);
    ck_assert_int_eq(w.layers[1].type, DF_LAYER_CONV);
    const df_layer *add = &w.layers[2];
    ck_assert_int_eq(add->type, DF_LAYER_ADD);
    ck_assert_int_eq(add->n_inputs, 2);
    ck_assert_int_eq(add->inputs[0], 1);
    ck_assert_int_eq(add->inputs[1], -1); /* the shortcut */
    ck_assert_int_eq(add->P, 56);
    ck_assert_int_eq(df_workload_macs(&w), 2LL * 64 * 56 * 56 * 64 * 9);
    /* it maps on the eyeriss example hardware */
    json_t *j = load_example("eyeriss.json");
    df_hw h;
    df_err e;
    ck_assert_int_eq(df_hw_from_json(j, "", &h, &e), DF_OK);
    json_decref(j);
    df_net *net;
    ck_assert_int_eq(df_net_init(&net, &w, &h, 1, &e), DF_OK);
    df_net_free(net);
    df_workload_free(&w);
}
END_TEST

static Suite *json_suite(void) {
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_workload_defaults);
    tcase_add_test(tc, test_mapping_tiles);
    tcase_add_test(tc, test_workload_round_trip);
    tcase_add_test(tc, test_workload_type_errors);
    tcase_add_test(tc, test_workload_field_errors);
    tcase_add_test(tc, test_workload_validation_prefixed);
    tcase_add_test(tc, test_workload_layer_limit);
    tcase_add_test(tc, test_hw_presets_and_round_trip);
    tcase_add_test(tc, test_hw_overrides);
    tcase_add_test(tc, test_hw_errors);
    tcase_add_test(tc, test_json_size);
    tcase_add_test(tc, test_mapping_round_trip);
    tcase_add_test(tc, test_mapping_errors);
    tcase_add_test(tc, test_metrics_json);
    tcase_add_test(tc, test_groups_json);
    tcase_add_test(tc, test_example_eyeriss);
    tcase_add_test(tc, test_example_tiny);
    tcase_add_test(tc, test_example_resnet_block);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(json_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
