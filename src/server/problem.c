/* problem.c - the error table and RFC 9457 problem rendering (see problem.h). The table is the only
 * place where an error kind meets an HTTP status; docs/SERVER.md and api/openapi.yaml list it too
 * (tests/unit/check_server_problem.c keeps the slugs unique and the statuses valid). */
#include "problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const srv_problem_info table[SRV_PROB_COUNT] = {
    [SRV_PROB_NONE] = {0, NULL, NULL},
    [SRV_PROB_MALFORMED_JSON] = {400, "malformed-json", "Malformed JSON"},
    [SRV_PROB_INVALID_REQUEST] = {400, "invalid-request", "Invalid request"},
    [SRV_PROB_NOT_FOUND] = {404, "not-found", "Not found"},
    [SRV_PROB_UNKNOWN_WORKLOAD] = {404, "unknown-workload", "Unknown workload"},
    [SRV_PROB_METHOD_NOT_ALLOWED] = {405, "method-not-allowed", "Method not allowed"},
    [SRV_PROB_LENGTH_REQUIRED] = {411, "length-required", "Length required"},
    [SRV_PROB_BODY_TOO_LARGE] = {413, "body-too-large", "Request body too large"},
    [SRV_PROB_UNSUPPORTED_MEDIA] = {415, "unsupported-media-type", "Unsupported media type"},
    [SRV_PROB_INVALID_WORKLOAD] = {422, "invalid-workload", "Invalid workload"},
    [SRV_PROB_INVALID_HARDWARE] = {422, "invalid-hardware", "Invalid hardware"},
    [SRV_PROB_INVALID_MAPPING] = {422, "invalid-mapping", "Invalid mapping"},
    [SRV_PROB_INVALID_PARAMETER] = {422, "invalid-parameter", "Invalid parameter"},
    [SRV_PROB_BUDGET_TOO_SMALL] = {422, "budget-too-small", "On-chip budget too small"},
    [SRV_PROB_SOLVER_UNAVAILABLE] = {422, "solver-unavailable", "Solver not available"},
    [SRV_PROB_LIMIT_EXCEEDED] = {422, "limit-exceeded", "Limit exceeded"},
    [SRV_PROB_QUEUE_FULL] = {503, "queue-full", "Queue full"},
    [SRV_PROB_DRAINING] = {503, "draining", "Shutting down"},
    [SRV_PROB_NOT_READY] = {503, "not-ready", "Not ready"},
    [SRV_PROB_DEADLINE] = {504, "deadline-exceeded", "Deadline exceeded"},
    [SRV_PROB_INTERNAL] = {500, "internal", "Internal error"},
    [SRV_PROB_REPLY_TOO_LARGE] = {413, "reply-too-large", "Reply too large"},
    [SRV_PROB_OVERLOADED] = {503, "overloaded", "Memory budget reached"},
};

const srv_problem_info *srv_problem_get(srv_problem p) {
    if (p <= SRV_PROB_NONE || p >= SRV_PROB_COUNT) return NULL;
    return &table[p];
}

int srv_problem_status(srv_problem p) {
    const srv_problem_info *i = srv_problem_get(p);
    return i ? i->status : 500;
}

void srv_fail_clear(srv_fail *f) {
    f->kind = SRV_PROB_NONE;
    df_fail_clear(&f->why);
    f->retry_after = 0;
}

int srv_fail_set(srv_fail *f, srv_problem kind, const char *pointer, const char *fmt, ...) {
    if (!f) return -1;
    f->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    df_fail_vset(&f->why, DF_FAIL_NONE, pointer, fmt, ap);
    va_end(ap);
    return -1;
}

json_t *srv_problem_json(const srv_fail *f, const char *request_id) {
    const srv_problem_info *info = srv_problem_get(f->kind);
    if (!info) info = &table[SRV_PROB_INTERNAL];
    char type[128];
    snprintf(type, sizeof type, SRV_PROBLEM_BASE "%s", info->slug);
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = json_object_set_new(o, "type", json_string(type));
    bad |= json_object_set_new(o, "title", json_string(info->title));
    bad |= json_object_set_new(o, "status", json_integer(info->status));
    /* json_string refuses invalid UTF-8 (a detail may quote client bytes): fall back to the title */
    json_t *d = json_string(f->why.detail[0] ? f->why.detail : info->title);
    bad |= json_object_set_new(o, "detail", d ? d : json_string(info->title));
    if (request_id) {
        char inst[96];
        snprintf(inst, sizeof inst, "urn:dnnfuser:request:%s", request_id);
        bad |= json_object_set_new(o, "instance", json_string(inst));
        bad |= json_object_set_new(o, "request_id", json_string(request_id));
    }
    if (f->why.pointer[0]) {
        json_t *p = json_string(f->why.pointer);
        if (p) bad |= json_object_set_new(o, "pointer", p);
    }
    if (f->kind == SRV_PROB_BUDGET_TOO_SMALL) {
        if (f->why.layer >= 0) {
            bad |= json_object_set_new(o, "layer", json_integer(f->why.layer));
            json_t *n = json_string(f->why.layer_name);
            if (n) bad |= json_object_set_new(o, "layer_name", n);
        }
        bad |= json_object_set_new(o, "need_bytes", json_integer(f->why.need_bytes));
    }
    if (f->retry_after > 0) bad |= json_object_set_new(o, "retry_after_seconds", json_integer(f->retry_after));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *srv_problem_body(const srv_fail *f, const char *request_id, size_t *len) {
    json_t *o = srv_problem_json(f, request_id);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {
        /* last resort, no allocation-heavy path: a fixed body */
        static const char fixed[] =
            "{\"type\":\"" SRV_PROBLEM_BASE "internal\",\"title\":\"Internal error\",\"status\":500}";
        s = strdup(fixed);
    }
    if (len) *len = s ? strlen(s) : 0;
    return s;
}
