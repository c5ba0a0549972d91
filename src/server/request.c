/* request.c - the daemon's side of request parsing (see request.h): the body text as JSON, and the
 * answer layer's failures as problems. The fields themselves are read by the answer layer
 * (src/report/request.c), the same code the CLI's requests go through. */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const srv_problem kinds[] = {
    [DF_FAIL_NONE] = SRV_PROB_NONE,
    [DF_FAIL_REQUEST] = SRV_PROB_INVALID_REQUEST,
    [DF_FAIL_WORKLOAD] = SRV_PROB_INVALID_WORKLOAD,
    [DF_FAIL_HARDWARE] = SRV_PROB_INVALID_HARDWARE,
    [DF_FAIL_MAPPING] = SRV_PROB_INVALID_MAPPING,
    [DF_FAIL_PARAMETER] = SRV_PROB_INVALID_PARAMETER,
    [DF_FAIL_BUDGET] = SRV_PROB_BUDGET_TOO_SMALL,
    [DF_FAIL_SOLVER] = SRV_PROB_SOLVER_UNAVAILABLE,
    [DF_FAIL_LIMIT] = SRV_PROB_LIMIT_EXCEEDED,
    [DF_FAIL_DEADLINE] = SRV_PROB_DEADLINE,
    [DF_FAIL_INTERNAL] = SRV_PROB_INTERNAL,
};

void srv_fail_from_answer(srv_fail *f, const df_fail *af) {
    srv_fail_clear(f);
    if (af->kind == DF_FAIL_NONE) return;
    f->kind = (size_t)af->kind < sizeof kinds / sizeof kinds[0] ? kinds[af->kind] : SRV_PROB_INTERNAL;
    f->why = *af;
}

int srv_parse_body(const char *body, size_t len, json_t **out, srv_fail *f) {
    *out = NULL;
    if (!body || len == 0) return srv_fail_set(f, SRV_PROB_MALFORMED_JSON, NULL, "empty body: expected a JSON object");
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) return srv_fail_set(f, SRV_PROB_MALFORMED_JSON, NULL, "line %d column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(j)) {
        srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "", "the body must be a JSON object, got %s", df_json_kind(j));
        json_decref(j);
        return -1;
    }
    *out = j;
    return 0;
}

/* Returns rc after turning af into *f on failure. */
static int done(int rc, const df_fail *af, srv_fail *f) {
    if (rc)
        srv_fail_from_answer(f, af);
    else
        srv_fail_clear(f);
    return rc;
}

int srv_parse_map(const json_t *root, const char *prefix, const srv_req_limits *lim, srv_map_req *out, srv_fail *f) {
    df_fail af;
    df_request_src src = {.root = root, .prefix = prefix};
    return done(df_request_parse(&src, lim, out, &af), &af, f);
}

int srv_parse_map_onnx(const json_t *query, const uint8_t *model, size_t len, const srv_req_limits *lim,
                       srv_map_req *out, srv_fail *f) {
    memset(out, 0, sizeof *out);
    df_fail af;
    json_t *root;
    if (df_request_query_object(query, &root, &af)) return done(-1, &af, f);
    /* unknown parameters are named by the map-request key check, as "query parameter"s */
    df_request_src src = {.root = root, .prefix = "", .onnx = model ? model : (const uint8_t *)"", .onnx_len = len};
    int rc = df_request_parse(&src, lim, out, &af);
    json_decref(root);
    return done(rc, &af, f);
}

void srv_map_req_free(srv_map_req *r) { df_request_free(r); }

int srv_parse_evaluate(const json_t *root, const srv_req_limits *lim, srv_eval_req *out, srv_fail *f) {
    df_fail af;
    return done(df_eval_request_parse(root, lim, out, &af), &af, f);
}

void srv_eval_req_free(srv_eval_req *r) { df_eval_request_free(r); }

void srv_batch_req_free(srv_batch_req *r) {
    if (!r) return;
    df_batch_request_free(&r->b);
    free(r->fails);
    memset(r, 0, sizeof *r);
}

int srv_parse_batch(const json_t *root, const srv_req_limits *lim, srv_batch_req *out, srv_fail *f) {
    memset(out, 0, sizeof *out);
    df_fail af;
    if (df_batch_request_parse(root, lim, NULL, &out->b, &af)) return done(-1, &af, f);
    out->fails = calloc((size_t)out->b.n, sizeof *out->fails);
    if (!out->fails) {
        df_batch_request_free(&out->b);
        return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    }
    for (int32_t i = 0; i < out->b.n; i++) srv_fail_from_answer(&out->fails[i], &out->b.fails[i]);
    out->n = out->b.n;
    out->items = out->b.items;
    out->deadline_ms = out->b.deadline_ms;
    srv_fail_clear(f);
    return 0;
}
