/* request.h - request bodies on the daemon's HTTP threads, before anything is queued: the body text
 * -> JSON (400 malformed-json), then the answer layer (dnnfuser/answer.h: the same parser the CLI
 * uses) -> a ready-to-solve request with its df_net bound and its budget checked, or a srv_fail
 * naming the problem and the JSON pointer of the offending field:
 *
 *   400 invalid-request    wrong JSON type, unknown or missing field
 *   422 invalid-*          a value of the right type that the library rejects (df_err message)
 *   422 budget-too-small   the budget cannot hold some layer alone (layer, layer_name, need_bytes)
 *   422 limit-exceeded     max-layers, max-batch, max-batch-items
 *
 * Nothing here touches HTTP or the queue; tests/unit/check_server_request.c drives it directly. */
#ifndef DNNFUSER_SERVER_REQUEST_H
#define DNNFUSER_SERVER_REQUEST_H

#include <jansson.h>

#include "dnnfuser/answer.h"
#include "dnnfuser/cost.h"
#include "dnnfuser/solve.h"
#include "problem.h"

#define SRV_MAX_CANDIDATES DF_MAX_CANDIDATES

typedef df_request_limits srv_req_limits;
typedef df_request srv_map_req;       /* POST /v1/map (also one item of /v1/map/batch) */
typedef df_eval_request srv_eval_req; /* POST /v1/evaluate */

/* POST /v1/map/batch: n items; item i is valid when fails[i].kind == SRV_PROB_NONE. */
typedef struct {
    int32_t n;
    srv_map_req *items; /* = b.items */
    srv_fail *fails;    /* [n] the items' failures as problems */
    double deadline_ms; /* smallest deadline_ms given anywhere, 0 = none */
    df_batch_request b; /* the parsed batch: solve order and monotone carries of a sweep */
} srv_batch_req;

/* Parses a body that must be one JSON object. 400 malformed-json (jansson's line, column and text in
 * the detail) or 400 invalid-request when it is valid JSON but not an object. *out is a new reference. */
int srv_parse_body(const char *body, size_t len, json_t **out, srv_fail *f);

/* prefix: JSON pointer of the request object inside the body ("" at top level, "/requests/3" in a batch).
 * The workload is "workload" (zoo name or object) or "onnx" (an ONNX model as base64 text). */
int srv_parse_map(const json_t *root, const char *prefix, const srv_req_limits *lim, srv_map_req *out, srv_fail *f);
/* POST /v1/map with an application/onnx body: model[0..len) is the ONNX model, query an object of the
 * URL's query parameters as strings (the map request's other fields: batch, candidates, seq_len, seed
 * and deadline_ms are converted to numbers; ga, workload and onnx are refused). */
int srv_parse_map_onnx(const json_t *query, const uint8_t *model, size_t len, const srv_req_limits *lim,
                       srv_map_req *out, srv_fail *f);
void srv_map_req_free(srv_map_req *r);

int srv_parse_evaluate(const json_t *root, const srv_req_limits *lim, srv_eval_req *out, srv_fail *f);
void srv_eval_req_free(srv_eval_req *r);

/* Either {"requests": [...]} or {"base": {...}, "grid": {"budgets": [...], "hardware": [...]}} (the
 * cross product; pointers of grid-made items point into the grid). A failing item does not fail the
 * batch; a malformed envelope, an invalid base or too many items does. */
int srv_parse_batch(const json_t *root, const srv_req_limits *lim, srv_batch_req *out, srv_fail *f);
void srv_batch_req_free(srv_batch_req *r);

/* The problem of an answer-layer failure (kind mapped onto the problem table, members copied). */
void srv_fail_from_answer(srv_fail *f, const df_fail *af);

#endif
