/* check_server_request.c - unit tests of src/server/request.c and answer.c: body parsing (400 with
 * jansson's line/column), type errors (400 + pointer), value errors (422 + pointer), budget too small
 * (layer, layer_name, need_bytes), solver availability, limits, /v1/evaluate and /v1/map/batch
 * parsing (requests list and grid expansion), and the check before reply of srv_run_map. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/answer.h"
#include "../../src/server/request.h"

static const srv_req_limits LIM = {.max_layers = 4096, .max_batch = 4096, .max_batch_items = 16};

#define TINY                                                                                             \
    "{\"name\":\"tiny\",\"layers\":["                                                                    \
    "{\"name\":\"c1\",\"type\":\"conv\",\"K\":16,\"C\":3,\"Y\":32,\"X\":32,\"R\":3,\"S\":3,\"pad\":1},"  \
    "{\"name\":\"c2\",\"type\":\"conv\",\"K\":16,\"C\":16,\"Y\":32,\"X\":32,\"R\":3,\"S\":3,\"pad\":1}," \
    "{\"name\":\"c3\",\"type\":\"conv\",\"K\":32,\"C\":16,\"Y\":32,\"X\":32,\"R\":3,\"S\":3,\"pad\":1,\"stride\":2}]}"

static json_t *js(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "test JSON: %s", e.text);
    return j;
}

/* Parses a map request and expects failure with the kind and pointer. */
static srv_fail map_fails(const char *text, srv_problem kind, const char *pointer) {
    json_t *j = js(text);
    srv_map_req r;
    srv_fail f;
    int rc = srv_parse_map(j, "", &LIM, &r, &f);
    json_decref(j);
    ck_assert_msg(rc == -1, "accepted: %s", text);
    ck_assert_msg(f.kind == kind, "%s: kind %d, want %d (%s)", text, f.kind, kind, f.why.detail);
    ck_assert_msg(strcmp(f.why.pointer, pointer) == 0, "%s: pointer '%s', want '%s' (%s)", text, f.why.pointer, pointer,
                  f.why.detail);
    ck_assert_ptr_null(r.net);
    return f;
}

START_TEST(test_body) {
    json_t *j;
    srv_fail f;
    srv_fail_clear(&f);
    ck_assert_int_eq(srv_parse_body("", 0, &j, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_MALFORMED_JSON);
    ck_assert_int_eq(srv_parse_body("{\n \"a\": 1,,}", 12, &j, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_MALFORMED_JSON);
    ck_assert_msg(strstr(f.why.detail, "line 2 column") != NULL, "%s", f.why.detail);
    ck_assert_int_eq(srv_parse_body("{\"a\":1,\"a\":2}", 13, &j, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_MALFORMED_JSON);
    ck_assert_int_eq(srv_parse_body("[1]", 3, &j, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_INVALID_REQUEST);
    ck_assert_int_eq(srv_parse_body("{}", 2, &j, &f), 0);
    ck_assert(json_is_object(j));
    json_decref(j);
}
END_TEST

START_TEST(test_map_ok) {
    json_t *j = js("{\"workload\":\"resnet18\",\"hardware\":\"edge\",\"budget\":\"512KiB\",\"batch\":4,"
                   "\"objective\":\"energy\",\"solver\":\"ga\",\"ga\":{\"population\":8,\"generations\":3,\"seed\":5},"
                   "\"deadline_ms\":2500}");
    srv_map_req r;
    srv_fail f;
    ck_assert_msg(srv_parse_map(j, "", &LIM, &r, &f) == 0, "%s", f.why.detail);
    json_decref(j);
    ck_assert_ptr_nonnull(r.net);
    ck_assert_int_eq(r.batch, 4);
    ck_assert_int_eq(r.obj, DF_OBJ_ENERGY);
    ck_assert_int_eq(r.solver, DF_SOLVER_GA);
    ck_assert_int_eq(r.ga.population, 8);
    ck_assert_int_eq(r.ga.generations, 3);
    ck_assert_int_eq((int)r.ga.seed, 5);
    ck_assert_int_eq(r.hw.buffer_bytes, 512 * 1024);
    ck_assert(r.deadline_ms == 2500);
    ck_assert_str_eq(r.w.name, "resnet18");
    srv_map_req_free(&r);
    /* defaults: edge hardware, batch 1, latency, auto with 1 candidate */
    j = js("{\"workload\":" TINY "}");
    ck_assert_msg(srv_parse_map(j, "", &LIM, &r, &f) == 0, "%s", f.why.detail);
    json_decref(j);
    ck_assert_int_eq(r.batch, 1);
    ck_assert_int_eq(r.obj, DF_OBJ_LATENCY);
    ck_assert_int_eq(r.solver, DF_SOLVER_AUTO);
    ck_assert_int_eq(r.candidates, 1);
    ck_assert_int_eq(r.w.n_layers, 3);
    srv_map_req_free(&r);
}
END_TEST

START_TEST(test_map_type_errors) {
    map_fails("{\"workload\":\"resnet18\",\"bogus\":1}", SRV_PROB_INVALID_REQUEST, "/bogus");
    map_fails("{\"workload\":\"resnet18\",\"batch\":\"4\"}", SRV_PROB_INVALID_REQUEST, "/batch");
    map_fails("{\"workload\":\"resnet18\",\"batch\":1.5}", SRV_PROB_INVALID_REQUEST, "/batch");
    srv_fail f = map_fails("{\"workload\":\"resnet18\",\"bacth\":4}", SRV_PROB_INVALID_REQUEST, "/bacth");
    ck_assert_msg(strstr(f.why.detail, "did you mean \"batch\"") != NULL, "%s", f.why.detail);
    map_fails("{\"workload\":5}", SRV_PROB_INVALID_REQUEST, "/workload");
    map_fails("{}", SRV_PROB_INVALID_REQUEST, "/workload");
    map_fails("{\"workload\":\"resnet18\",\"hardware\":7}", SRV_PROB_INVALID_REQUEST, "/hardware");
    map_fails("{\"workload\":\"resnet18\",\"budget\":true}", SRV_PROB_INVALID_REQUEST, "/budget");
    map_fails("{\"workload\":\"resnet18\",\"objective\":1}", SRV_PROB_INVALID_REQUEST, "/objective");
    map_fails("{\"workload\":\"resnet18\",\"solver\":[]}", SRV_PROB_INVALID_REQUEST, "/solver");
    map_fails("{\"workload\":\"resnet18\",\"solver\":\"ga\",\"ga\":3}", SRV_PROB_INVALID_REQUEST, "/ga");
    map_fails("{\"workload\":\"resnet18\",\"solver\":\"ga\",\"ga\":{\"pop\":3}}", SRV_PROB_INVALID_REQUEST, "/ga/pop");
    map_fails("{\"workload\":\"resnet18\",\"deadline_ms\":\"1\"}", SRV_PROB_INVALID_REQUEST, "/deadline_ms");
    map_fails("{\"workload\":\"resnet18\",\"seq_len\":null}", SRV_PROB_INVALID_REQUEST, "/seq_len");
}
END_TEST

START_TEST(test_map_value_errors) {
    srv_fail f;
    map_fails("{\"workload\":\"resnet18\",\"batch\":0}", SRV_PROB_INVALID_PARAMETER, "/batch");
    map_fails("{\"workload\":\"resnet18\",\"batch\":5000}", SRV_PROB_LIMIT_EXCEEDED, "/batch");
    map_fails("{\"workload\":\"nosuchnet\"}", SRV_PROB_INVALID_WORKLOAD, "/workload");
    map_fails("{\"workload\":\"resnet18\",\"hardware\":\"mars\"}", SRV_PROB_INVALID_HARDWARE, "/hardware");
    map_fails("{\"workload\":\"resnet18\",\"hardware\":{\"dataflow\":\"zigzag\"}}", SRV_PROB_INVALID_HARDWARE,
              "/hardware/dataflow");
    map_fails("{\"workload\":\"resnet18\",\"budget\":\"tiny\"}", SRV_PROB_INVALID_PARAMETER, "/budget");
    map_fails("{\"workload\":\"resnet18\",\"objective\":\"speed\"}", SRV_PROB_INVALID_PARAMETER, "/objective");
    map_fails("{\"workload\":\"resnet18\",\"solver\":\"magic\"}", SRV_PROB_INVALID_PARAMETER, "/solver");
    f = map_fails("{\"workload\":\"resnet18\",\"candidates\":17}", SRV_PROB_INVALID_PARAMETER, "/candidates");
    ck_assert_ptr_nonnull(strstr(f.why.detail, "out of range"));
    map_fails("{\"workload\":\"resnet18\",\"candidates\":0}", SRV_PROB_INVALID_PARAMETER, "/candidates");
    map_fails("{\"workload\":\"resnet18\",\"candidates\":\"4\"}", SRV_PROB_INVALID_REQUEST, "/candidates");
    map_fails("{\"workload\":\"resnet18\",\"solver\":\"ga\",\"ga\":{\"population\":1}}", SRV_PROB_INVALID_PARAMETER,
              "/ga/population");
    map_fails("{\"workload\":\"resnet18\",\"solver\":\"ga\",\"ga\":{\"population\":4096,\"generations\":100000}}",
              SRV_PROB_LIMIT_EXCEEDED, "/ga");
    /* options that do not apply to the solver are refused, not ignored */
    f = map_fails("{\"workload\":\"resnet18\",\"ga\":{\"population\":8}}", SRV_PROB_INVALID_PARAMETER, "/ga");
    ck_assert_msg(strstr(f.why.detail, "ga solver") != NULL, "%s", f.why.detail);
    map_fails("{\"workload\":\"resnet18\",\"solver\":\"exact\",\"candidates\":4}", SRV_PROB_INVALID_PARAMETER,
              "/candidates");
    map_fails("{\"workload\":\"resnet18\",\"solver\":\"ga\",\"seed\":4}", SRV_PROB_INVALID_PARAMETER, "/seed");
    /* did you mean, for zoo names, presets and solvers */
    f = map_fails("{\"workload\":\"resnt50\"}", SRV_PROB_INVALID_WORKLOAD, "/workload");
    ck_assert_msg(strstr(f.why.detail, "did you mean \"resnet50\"") != NULL, "%s", f.why.detail);
    f = map_fails("{\"workload\":\"resnet18\",\"hardware\":\"egde\"}", SRV_PROB_INVALID_HARDWARE, "/hardware");
    ck_assert_msg(strstr(f.why.detail, "did you mean \"edge\"") != NULL, "%s", f.why.detail);
    f = map_fails("{\"workload\":\"resnet18\",\"solver\":\"exakt\"}", SRV_PROB_INVALID_PARAMETER, "/solver");
    ck_assert_msg(strstr(f.why.detail, "did you mean \"exact\"") != NULL, "%s", f.why.detail);
    map_fails("{\"workload\":\"resnet18\",\"deadline_ms\":0}", SRV_PROB_INVALID_PARAMETER, "/deadline_ms");
    map_fails("{\"workload\":{\"layers\":[{\"type\":\"conv\",\"K\":-1,\"C\":3,\"Y\":8,\"X\":8}]}}",
              SRV_PROB_INVALID_WORKLOAD, "/workload/layers/0/K");
    map_fails("{\"workload\":{\"layers\":[]}}", SRV_PROB_INVALID_WORKLOAD, "/workload/layers");
}
END_TEST

START_TEST(test_budget_too_small) {
    srv_fail f = map_fails("{\"workload\":\"resnet50\",\"budget\":1024}", SRV_PROB_BUDGET_TOO_SMALL, "/budget");
    ck_assert_int_ge(f.why.layer, 0);
    ck_assert_str_ne(f.why.layer_name, "");
    ck_assert_int_gt(f.why.need_bytes, 1024);
    ck_assert_msg(strstr(f.why.detail, f.why.layer_name) != NULL, "%s", f.why.detail);
    /* without a budget the hardware's buffer is what is too small */
    map_fails("{\"workload\":\"resnet50\",\"hardware\":{\"buffer\":1024}}", SRV_PROB_BUDGET_TOO_SMALL, "/hardware");
}
END_TEST

START_TEST(test_layer_limit) {
    srv_req_limits small = LIM;
    small.max_layers = 2;
    json_t *j = js("{\"workload\":\"resnet18\"}");
    srv_map_req r;
    srv_fail f;
    ck_assert_int_eq(srv_parse_map(j, "", &small, &r, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_LIMIT_EXCEEDED);
    json_decref(j);
    j = js("{\"workload\":" TINY "}");
    ck_assert_int_eq(srv_parse_map(j, "", &small, &r, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_LIMIT_EXCEEDED);
    ck_assert_str_eq(f.why.pointer, "/workload/layers");
    json_decref(j);
}
END_TEST

START_TEST(test_run_map_checked) {
    static const char *const solvers[] = {"exact", "lbl", "ga"};
    for (int s = 0; s < 3; s++) {
        char text[1024];
        snprintf(text, sizeof text, "{\"workload\":" TINY ",\"budget\":\"256KiB\",\"batch\":4,\"solver\":\"%s\"%s}",
                 solvers[s], s == 2 ? ",\"ga\":{\"population\":8,\"generations\":4}" : "");
        json_t *j = js(text);
        srv_map_req r;
        srv_fail f;
        ck_assert_msg(srv_parse_map(j, "", &LIM, &r, &f) == 0, "%s", f.why.detail);
        json_decref(j);
        srv_map_result res;
        ck_assert_msg(srv_run_map(&r, NULL, &res, &f) == 0, "%s", f.why.detail);
        ck_assert(res.met.feasible);
        ck_assert(res.path != NULL);
        /* never worse than layer-by-layer */
        ck_assert(df_objective_value(r.obj, &res.met) <= df_objective_value(r.obj, &res.base_met) * (1 + 1e-9));
        ck_assert_int_eq(res.base.n_groups, 3);
        json_t *rep = srv_map_reply(&r, &res, 1.0, 2.0);
        ck_assert_ptr_nonnull(rep);
        static const char *const req[] = {"feasible",  "solver", "path",    "workload", "hardware", "batch",
                                          "objective", "groups", "metrics", "baseline", "gain",     "timings"};
        for (size_t k = 0; k < sizeof req / sizeof req[0]; k++)
            ck_assert_msg(json_object_get(rep, req[k]) != NULL, "reply has %s", req[k]);
        ck_assert_str_eq(json_string_value(json_object_get(rep, "solver")), solvers[s]);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(rep, "workload"), "layers")), 3);
        ck_assert_ptr_nonnull(json_object_get(json_object_get(rep, "timings"), "check_ms"));
        json_decref(rep);
        srv_map_result_free(&res);
        srv_map_req_free(&r);
    }
}
END_TEST

/* A raised cancel flag stops exact and ga with a deadline-exceeded failure (504), not a 500. */
START_TEST(test_run_map_cancelled) {
    static const char *const solvers[] = {"exact", "ga"};
    for (int s = 0; s < 2; s++) {
        char text[1024];
        snprintf(text, sizeof text, "{\"workload\":" TINY ",\"budget\":\"256KiB\",\"batch\":4,\"solver\":\"%s\"}",
                 solvers[s]);
        json_t *j = js(text);
        srv_map_req r;
        srv_fail f;
        ck_assert_msg(srv_parse_map(j, "", &LIM, &r, &f) == 0, "%s", f.why.detail);
        json_decref(j);
        atomic_int cancel = 1;
        srv_map_result res;
        ck_assert_int_ne(srv_run_map(&r, &cancel, &res, &f), 0);
        ck_assert_int_eq(f.kind, SRV_PROB_DEADLINE);
        srv_map_req_free(&r);
    }
}
END_TEST

/* The check before reply of decoded transformer answers: a poor start is repaired or replaced by
 * exact; an answer that could not be decoded (context too short) is exact with a note. */
START_TEST(test_check_decoded) {
    json_t *j = js("{\"workload\":" TINY ",\"budget\":\"64KiB\",\"batch\":4,\"solver\":\"transformer\"}");
    srv_map_req r;
    srv_fail f;
    ck_assert_msg(srv_parse_map(j, "", &LIM, &r, &f) == 0, "%s", f.why.detail);
    json_decref(j);
    ck_assert_int_eq(r.solver, DF_SOLVER_TRANSFORMER);
    /* the exact answer passes unchanged: path transformer */
    df_mapping m;
    df_err e;
    df_err_clear(&e);
    ck_assert_int_eq(df_mapping_init(&m, 4), DF_OK);
    ck_assert_int_eq(df_solve_exact(r.net, r.obj, &m, NULL, &e), DF_OK);
    srv_map_result res;
    ck_assert_msg(srv_check_decoded(NULL, &r, NULL, DF_OK, &m, 3.0, &res, &f) == 0, "%s", f.why.detail);
    ck_assert_str_eq(res.path, "transformer");
    ck_assert_str_eq(res.note, "");
    json_t *rep = srv_map_reply(&r, &res, 1.0, 5.0);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(rep, "timings"), "inference_ms"));
    json_decref(rep);
    srv_map_result_free(&res);
    /* one group of everything at micro-batch 4: over the budget -> repaired or exact-fallback, feasible */
    m.n_groups = 0;
    ck_assert_int_eq(df_mapping_push(&m, 0, r.w.n_layers - 1, 4), DF_OK);
    ck_assert_msg(srv_check_decoded(NULL, &r, NULL, DF_OK, &m, 3.0, &res, &f) == 0, "%s", f.why.detail);
    ck_assert_msg(strcmp(res.path, "repaired") == 0 || strcmp(res.path, "exact-fallback") == 0, "%s", res.path);
    ck_assert(res.met.feasible);
    ck_assert(df_objective_value(r.obj, &res.met) <= df_objective_value(r.obj, &res.base_met) * (1 + 1e-9));
    srv_map_result_free(&res);
    /* not decoded: exact with a note */
    ck_assert_msg(srv_check_decoded(NULL, &r, NULL, DF_EINVAL, NULL, 0.0, &res, &f) == 0, "%s", f.why.detail);
    ck_assert_str_eq(res.path, "exact-fallback");
    ck_assert_ptr_nonnull(strstr(res.note, "context"));
    ck_assert(res.met.feasible);
    srv_map_result_free(&res);
    df_mapping_free(&m);
    srv_map_req_free(&r);
}
END_TEST

static int same_mapping(const df_mapping *a, const df_mapping *b) {
    if (a->n_groups != b->n_groups) return 0;
    for (int32_t g = 0; g < a->n_groups; g++)
        if (memcmp(&a->groups[g], &b->groups[g], sizeof a->groups[g]) != 0) return 0;
    return 1;
}

/* The baseline cache of srv_check_decoded: requests parsed separately (so only their content can
 * match), two budgets x two objectives x 3 each; every answer (mapping, metrics, baseline and its
 * metrics, path) equals the uncached check's (df_answer_check_decoded), and 8 of the 12 reuse. */
START_TEST(test_check_decoded_base_cache) {
    static const char *const bodies[4] = {
        "{\"workload\":\"resnet18\",\"budget\":\"512KiB\",\"batch\":4,\"solver\":\"transformer\"}",
        "{\"workload\":\"resnet18\",\"budget\":\"1MiB\",\"batch\":4,\"solver\":\"transformer\"}",
        "{\"workload\":\"resnet18\",\"budget\":\"512KiB\",\"batch\":4,\"solver\":\"transformer\","
        "\"objective\":\"energy\"}",
        "{\"workload\":\"resnet18\",\"budget\":\"1MiB\",\"batch\":4,\"solver\":\"transformer\","
        "\"objective\":\"energy\"}"};
    srv_base_cache *bc = srv_base_cache_new();
    ck_assert_ptr_nonnull(bc);
    for (int i = 0; i < 12; i++) {
        json_t *j = js(bodies[i % 4]);
        srv_map_req r;
        srv_fail f;
        ck_assert_msg(srv_parse_map(j, "", &LIM, &r, &f) == 0, "%s", f.why.detail);
        json_decref(j);
        df_mapping m;
        df_err e;
        df_err_clear(&e);
        ck_assert_int_eq(df_mapping_init(&m, 4), DF_OK);
        ck_assert_int_eq(df_solve_exact(r.net, r.obj, &m, NULL, &e), DF_OK);
        srv_map_result got, want;
        df_fail af;
        ck_assert_msg(srv_check_decoded(bc, &r, NULL, DF_OK, &m, 3.0, &got, &f) == 0, "%s", f.why.detail);
        ck_assert_int_eq(df_answer_check_decoded(&r, NULL, DF_OK, &m, 3.0, NULL, &want, &af), 0);
        ck_assert_str_eq(got.path, want.path);
        ck_assert(same_mapping(&got.map, &want.map));
        ck_assert(same_mapping(&got.base, &want.base));
        ck_assert_int_eq(got.have_base, want.have_base);
        ck_assert(memcmp(&got.met, &want.met, sizeof got.met) == 0);
        ck_assert_msg(memcmp(&got.base_met, &want.base_met, sizeof got.base_met) == 0, "request %d baseline", i);
        srv_map_result_free(&got);
        srv_map_result_free(&want);
        df_mapping_free(&m);
        srv_map_req_free(&r);
    }
    ck_assert_int_eq((int)srv_base_cache_hits(bc), 8);
    srv_base_cache_free(bc);
}
END_TEST

START_TEST(test_evaluate) {
    srv_eval_req ev;
    srv_fail f;
    json_t *j = js("{\"workload\":" TINY ",\"budget\":\"64KiB\",\"batch\":2,"
                   "\"groups\":[{\"first\":0,\"last\":2,\"micro_batch\":2}]}");
    ck_assert_msg(srv_parse_evaluate(j, &LIM, &ev, &f) == 0, "%s", f.why.detail);
    json_decref(j);
    json_t *rep = srv_eval_reply(&ev, &f);
    ck_assert_ptr_nonnull(rep);
    ck_assert(json_is_boolean(json_object_get(rep, "feasible")));
    if (!json_is_true(json_object_get(rep, "feasible"))) {
        json_t *ov = json_object_get(rep, "overflow");
        ck_assert(json_is_object(ov));
        ck_assert_int_eq(json_integer_value(json_object_get(ov, "group")), 0);
        ck_assert_ptr_nonnull(json_object_get(ov, "peak_layer_name"));
        ck_assert_int_gt(json_integer_value(json_object_get(ov, "footprint_bytes")), 64 * 1024);
    }
    ck_assert(json_is_array(json_object_get(rep, "groups")));
    ck_assert_ptr_nonnull(json_object_get(json_array_get(json_object_get(rep, "groups"), 0), "feasible"));
    json_decref(rep);
    srv_eval_req_free(&ev);

    /* a surely infeasible one: everything fused at the full batch into 16 KiB */
    j = js("{\"workload\":\"resnet18\",\"budget\":\"16KiB\",\"batch\":8,"
           "\"groups\":[{\"first\":0,\"last\":1,\"micro_batch\":8}]}");
    ck_assert_int_eq(srv_parse_evaluate(j, &LIM, &ev, &f), -1); /* does not cover the layers */
    ck_assert_int_eq(f.kind, SRV_PROB_INVALID_MAPPING);
    ck_assert_msg(strncmp(f.why.pointer, "/groups", 7) == 0, "%s", f.why.pointer);
    json_decref(j);
    j = js("{\"workload\":" TINY ",\"budget\":\"16KiB\",\"batch\":8,"
           "\"groups\":[{\"first\":0,\"last\":2,\"micro_batch\":8}]}");
    ck_assert_msg(srv_parse_evaluate(j, &LIM, &ev, &f) == 0, "%s", f.why.detail);
    json_decref(j);
    rep = srv_eval_reply(&ev, &f);
    ck_assert_ptr_nonnull(rep);
    ck_assert(json_is_false(json_object_get(rep, "feasible")));
    ck_assert(json_is_object(json_object_get(rep, "overflow")));
    json_decref(rep);
    srv_eval_req_free(&ev);

    j = js("{\"workload\":" TINY "}");
    ck_assert_int_eq(srv_parse_evaluate(j, &LIM, &ev, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_INVALID_REQUEST);
    ck_assert_str_eq(f.why.pointer, "/groups");
    json_decref(j);
    j = js("{\"workload\":" TINY ",\"groups\":{}}");
    ck_assert_int_eq(srv_parse_evaluate(j, &LIM, &ev, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_INVALID_REQUEST);
    json_decref(j);
}
END_TEST

START_TEST(test_batch_requests) {
    json_t *j = js("{\"requests\":[{\"workload\":\"resnet18\"},{\"workload\":\"resnet18\",\"batch\":\"x\"},"
                   "{\"workload\":" TINY ",\"deadline_ms\":300}],\"deadline_ms\":500}");
    srv_batch_req b;
    srv_fail f;
    ck_assert_msg(srv_parse_batch(j, &LIM, &b, &f) == 0, "%s", f.why.detail);
    json_decref(j);
    ck_assert_int_eq(b.n, 3);
    ck_assert_int_eq(b.fails[0].kind, SRV_PROB_NONE);
    ck_assert_int_eq(b.fails[1].kind, SRV_PROB_INVALID_REQUEST);
    ck_assert_str_eq(b.fails[1].why.pointer, "/requests/1/batch");
    ck_assert_int_eq(b.fails[2].kind, SRV_PROB_NONE);
    ck_assert(b.deadline_ms == 300);
    srv_batch_req_free(&b);

    j = js("{\"requests\":[]}");
    ck_assert_int_eq(srv_parse_batch(j, &LIM, &b, &f), -1);
    json_decref(j);
    j = js("{\"requests\":{}}");
    ck_assert_int_eq(srv_parse_batch(j, &LIM, &b, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_INVALID_REQUEST);
    json_decref(j);
    j = js("{\"reqs\":[]}");
    ck_assert_int_eq(srv_parse_batch(j, &LIM, &b, &f), -1);
    ck_assert_str_eq(f.why.pointer, "/reqs");
    json_decref(j);
    /* 17 > max_batch_items = 16 */
    char text[2048] = "{\"requests\":[";
    for (int i = 0; i < 17; i++) strcat(text, i ? ",{}" : "{}");
    strcat(text, "]}");
    j = js(text);
    ck_assert_int_eq(srv_parse_batch(j, &LIM, &b, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_LIMIT_EXCEEDED);
    json_decref(j);
}
END_TEST

START_TEST(test_batch_grid) {
    json_t *j = js("{\"base\":{\"workload\":" TINY ",\"batch\":2},"
                   "\"grid\":{\"budgets\":[\"64KiB\",\"oops\",262144],\"hardware\":[\"edge\",\"cloud\"]}}");
    srv_batch_req b;
    srv_fail f;
    ck_assert_msg(srv_parse_batch(j, &LIM, &b, &f) == 0, "%s", f.why.detail);
    json_decref(j);
    ck_assert_int_eq(b.n, 6);
    /* order: hardware-major, budgets inner */
    ck_assert_int_eq(b.fails[0].kind, SRV_PROB_NONE);
    ck_assert_int_eq(b.items[0].hw.buffer_bytes, 64 * 1024);
    ck_assert_int_eq(b.fails[1].kind, SRV_PROB_INVALID_PARAMETER);
    ck_assert_str_eq(b.fails[1].why.pointer, "/grid/budgets/1");
    ck_assert_int_eq(b.fails[4].kind, SRV_PROB_INVALID_PARAMETER);
    ck_assert_int_eq(b.fails[5].kind, SRV_PROB_NONE);
    ck_assert_int_eq(b.items[5].hw.buffer_bytes, 262144);
    ck_assert_int_eq(b.items[5].batch, 2);
    srv_batch_req_free(&b);

    j = js("{\"base\":{\"workload\":\"resnet18\"},\"grid\":{\"hardware\":[\"edge\",\"venus\"]}}");
    ck_assert_int_eq(srv_parse_batch(j, &LIM, &b, &f), 0);
    ck_assert_int_eq(b.n, 2);
    ck_assert_int_eq(b.fails[1].kind, SRV_PROB_INVALID_HARDWARE);
    ck_assert_str_eq(b.fails[1].why.pointer, "/grid/hardware/1");
    srv_batch_req_free(&b);
    json_decref(j);

    j = js("{\"base\":{\"workload\":\"resnet18\"},\"grid\":{\"budgets\":[1,2,3,4,5],\"hardware\":[1,2,3,4]}}");
    ck_assert_int_eq(srv_parse_batch(j, &LIM, &b, &f), -1); /* 20 > 16 */
    ck_assert_int_eq(f.kind, SRV_PROB_LIMIT_EXCEEDED);
    json_decref(j);
    j = js("{\"base\":{\"workload\":\"resnet18\"},\"grid\":{}}");
    ck_assert_int_eq(srv_parse_batch(j, &LIM, &b, &f), -1);
    json_decref(j);
    j = js("{\"requests\":[{}],\"base\":{}}");
    ck_assert_int_eq(srv_parse_batch(j, &LIM, &b, &f), -1);
    json_decref(j);
}
END_TEST

/* issue #17 rows 2 and 4: a batch's items x layers are bounded before anything is bound (grid: the
 * base's layers times the points; requests: the running sum), and a raised cancel flag (the deadline)
 * stops the validation at the next item with a 504 problem. */
START_TEST(test_batch_layers_and_cancel) {
    srv_req_limits lim = LIM;
    lim.max_batch_layers = 5; /* TINY has 3 layers */
    srv_batch_req b;
    srv_fail f;
    json_t *j = js("{\"base\":{\"workload\":" TINY "},\"grid\":{\"budgets\":[\"64KiB\",\"128KiB\"]}}");
    ck_assert_int_eq(srv_parse_batch(j, &lim, &b, &f), -1); /* 2 x 3 > 5 */
    ck_assert_int_eq(f.kind, SRV_PROB_LIMIT_EXCEEDED);
    ck_assert_str_eq(f.why.pointer, "/grid");
    json_decref(j);
    j = js("{\"requests\":[{\"workload\":" TINY "},{\"workload\":" TINY "}]}");
    ck_assert_int_eq(srv_parse_batch(j, &lim, &b, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_LIMIT_EXCEEDED);
    ck_assert_str_eq(f.why.pointer, "/requests");
    lim.max_batch_layers = 6; /* exactly: accepted */
    ck_assert_msg(srv_parse_batch(j, &lim, &b, &f) == 0, "%s", f.why.detail);
    srv_batch_req_free(&b);
    atomic_int cancel;
    atomic_init(&cancel, 1);
    lim.cancel = &cancel;
    ck_assert_int_eq(srv_parse_batch(j, &lim, &b, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_DEADLINE);
    json_decref(j);
    j = js("{\"base\":{\"workload\":" TINY "},\"grid\":{\"budgets\":[\"64KiB\",\"128KiB\"]}}");
    ck_assert_int_eq(srv_parse_batch(j, &lim, &b, &f), -1);
    ck_assert_int_eq(f.kind, SRV_PROB_DEADLINE);
    json_decref(j);
}
END_TEST

static Suite *request_suite(void) {
    Suite *s = suite_create("server_request");
    TCase *tc = tcase_create("request");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_body);
    tcase_add_test(tc, test_map_ok);
    tcase_add_test(tc, test_check_decoded);
    tcase_add_test(tc, test_check_decoded_base_cache);
    tcase_add_test(tc, test_map_type_errors);
    tcase_add_test(tc, test_map_value_errors);
    tcase_add_test(tc, test_budget_too_small);
    tcase_add_test(tc, test_layer_limit);
    tcase_add_test(tc, test_run_map_checked);
    tcase_add_test(tc, test_evaluate);
    tcase_add_test(tc, test_batch_requests);
    tcase_add_test(tc, test_batch_grid);
    tcase_add_test(tc, test_batch_layers_and_cancel);
    tcase_add_test(tc, test_run_map_cancelled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(request_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
