/* task.h - a POST /v1/map or /v1/map/batch request's task: what the suspended connection waits for,
 * and the bodies that run on the worker pool. The handler (routes.c) checks what needs no body
 * (draining, ?format, the memory budget, Accept) and hands the request over:
 *
 *   srv_task_post --(small map body: parsed here)-------------------------+
 *        |                                                                 v
 *        +--> PARSE job (worker: body parsed and validated, under the deadline) --> srv_task_resumed
 *                                                                                        |
 *        SOLVE job (worker, or a decode loop then the check before reply) <------------+
 *             |                         |
 *        srv_task_resumed: the reply    NDJSON: lines written as items finish (stream.h owns the task)
 *
 * Replies are serialised item by item as they finish, charged to the memory budget (membudget.h) and
 * bounded by --max-reply-bytes. The connection owns the task (srv_req.task) until srv_task_free. */
#ifndef DNNFUSER_SERVER_TASK_H
#define DNNFUSER_SERVER_TASK_H

#include "http.h"

typedef enum { SRV_TASK_MAP = 0, SRV_TASK_BATCH } srv_task_kind;

/* Starts the task of request r: svg = ?format=svg, ndjson = the batch reply streamed. Returns
 * SRV_ROUTE_SUSPENDED (r->task set, submitted) or SRV_ROUTE_REPLY with out filled (a problem, or the
 * streamed reply's reader). */
int srv_task_post(srv *s, srv_req *r, srv_task_kind kind, int svg, int ndjson, srv_reply *out);
/* The connection resumed with r->task: fills out (SRV_ROUTE_REPLY; 504 when it expired), or, when the
 * task's validation (run on a worker) succeeded, submits its solve (SRV_ROUTE_SUSPENDED, or a reply on
 * refusal). */
int srv_task_resumed(srv *s, srv_req *r, srv_reply *out);
/* Frees t (NULL ok) and releases its memory charges. */
void srv_task_free(struct srv_task *t);

#endif
