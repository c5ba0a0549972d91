/* reply.c - the reply builders (reply.h): a problem, a JSON tree. */
#include "reply.h"

#include <string.h>

#include "dnnfuser/answer.h"
#include "dnnfuser/jsonout.h"

void srv_reply_problem(srv_reply *out, const srv_fail *f, const char *request_id) {
    memset(out, 0, sizeof *out);
    out->status = srv_problem_status(f->kind);
    out->content_type = "application/problem+json";
    out->body = srv_problem_body(f, request_id, &out->len);
    out->retry_after = f->retry_after;
}

void srv_reply_json(srv_reply *out, int status, json_t *j, const char *request_id) {
    memset(out, 0, sizeof *out);
    char *b = j ? df_json_dumps(j) : NULL; /* json_dumps(DF_ANSWER_JSON_FLAGS) byte for byte: one precision */
    json_decref(j);
    if (!b) {
        srv_fail f;
        srv_fail_clear(&f);
        srv_fail_set(&f, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
        srv_reply_problem(out, &f, request_id);
        return;
    }
    out->status = status;
    out->body = b;
    out->len = strlen(b);
}

void srv_reply_fail(srv_reply *out, srv_problem kind, const char *pointer, const char *request_id, const char *detail) {
    srv_fail f;
    srv_fail_clear(&f);
    srv_fail_set(&f, kind, pointer, "%s", detail);
    if (kind == SRV_PROB_QUEUE_FULL || kind == SRV_PROB_DRAINING || kind == SRV_PROB_OVERLOADED)
        f.retry_after = SRV_RETRY_AFTER_S;
    srv_reply_problem(out, &f, request_id);
}
