/* problem.h - every error the daemon answers, from ONE table: internal kind -> HTTP status, RFC 9457
 * type URI (https://dnnfuser.dev/problems/<slug>) and title. Bodies are application/problem+json:
 *
 *   {"type", "title", "status", "detail", "instance": "urn:dnnfuser:request:<id>",
 *    "request_id", "pointer"?, ...extension members (layer, layer_name, need_bytes, index)}
 *
 * srv_fail carries a problem from where it is found (request parsing, the batcher) to where it is
 * rendered: its HTTP kind, and the answer layer's failure record (df_fail, report/fail.c) for the detail,
 * pointer and the optional members. */
#ifndef DNNFUSER_SERVER_PROBLEM_H
#define DNNFUSER_SERVER_PROBLEM_H

#include <jansson.h>
#include <stdint.h>

#include "dnnfuser/answer.h"

#define SRV_PROBLEM_BASE "https://dnnfuser.dev/problems/"

typedef enum {
    SRV_PROB_NONE = 0,
    SRV_PROB_MALFORMED_JSON,     /* 400: the body is not JSON (line/column in detail) */
    SRV_PROB_INVALID_REQUEST,    /* 400: wrong JSON type, unknown or missing field */
    SRV_PROB_NOT_FOUND,          /* 404: no such route */
    SRV_PROB_UNKNOWN_WORKLOAD,   /* 404: GET /v1/workloads/{name} with an unknown name */
    SRV_PROB_METHOD_NOT_ALLOWED, /* 405 + Allow */
    SRV_PROB_LENGTH_REQUIRED,    /* 411: POST without Content-Length or chunked body */
    SRV_PROB_BODY_TOO_LARGE,     /* 413 */
    SRV_PROB_UNSUPPORTED_MEDIA,  /* 415: POST not application/json */
    SRV_PROB_INVALID_WORKLOAD,   /* 422: df_workload / zoo error */
    SRV_PROB_INVALID_HARDWARE,   /* 422: df_hw error */
    SRV_PROB_INVALID_MAPPING,    /* 422: /v1/evaluate groups do not form a mapping */
    SRV_PROB_INVALID_PARAMETER,  /* 422: a value of the right type but out of range / unknown name */
    SRV_PROB_BUDGET_TOO_SMALL,   /* 422: layer, layer_name, need_bytes */
    SRV_PROB_SOLVER_UNAVAILABLE, /* 422: e.g. "transformer" in this build */
    SRV_PROB_LIMIT_EXCEEDED,     /* 422: max-layers, max-batch, max-batch-items */
    SRV_PROB_QUEUE_FULL,         /* 503 + Retry-After */
    SRV_PROB_DRAINING,           /* 503 + Retry-After: shutting down */
    SRV_PROB_NOT_READY,          /* 503: /readyz while not ready */
    SRV_PROB_DEADLINE,           /* 504 */
    SRV_PROB_INTERNAL,           /* 500 */
    SRV_PROB_REPLY_TOO_LARGE,    /* 413: the reply passed --max-reply-bytes while it was built */
    SRV_PROB_OVERLOADED,         /* 503 + Retry-After: --memory-budget reached */
    SRV_PROB_COUNT
} srv_problem;

typedef struct {
    int status;
    const char *slug; /* type URI = SRV_PROBLEM_BASE slug */
    const char *title;
} srv_problem_info;

const srv_problem_info *srv_problem_get(srv_problem p); /* NULL for NONE or out of range */
int srv_problem_status(srv_problem p);                  /* 500 for unknown */

typedef struct {
    srv_problem kind; /* SRV_PROB_NONE = no failure */
    df_fail why;      /* detail, pointer, layer, layer_name, need_bytes; why.kind is the answer layer's
                       * kind when the failure came from it (srv_fail_from_answer), else DF_FAIL_NONE */
    int retry_after;  /* seconds, 503 only (0 = none) */
} srv_fail;

void srv_fail_clear(srv_fail *f);
/* Sets kind, pointer (nullable) and a printf detail; returns -1 for `return srv_fail_set(...)`. */
int srv_fail_set(srv_fail *f, srv_problem kind, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The problem object (new reference, NULL on allocation failure). request_id may be NULL. */
json_t *srv_problem_json(const srv_fail *f, const char *request_id);
/* Same, serialised compactly (malloc'ed, free()); *len gets the length. */
char *srv_problem_body(const srv_fail *f, const char *request_id, size_t *len);

#endif
