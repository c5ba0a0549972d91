/* routes.h - the route table and the endpoint handlers.
 *
 *   POST /v1/map               solve (queued: worker pool)        -> map reply
 *   POST /v1/map/batch         many map requests (queued, one job) -> {"results": [...]}
 *   POST /v1/evaluate          cost model only (answered inline)
 *   GET  /v1/workloads         zoo catalog          GET /v1/workloads/{name}?seq_len=N
 *   GET  /v1/hardware/presets  GET /v1/info         GET /healthz   GET /livez   GET /readyz
 *   GET  /metrics
 *
 * The table is handed to the HTTP layer at start (srv_routes_table -> srv_http_start; http.c includes
 * no routes.h): a handler either fills a srv_reply (SRV_ROUTE_REPLY) or submits a task to the batcher
 * and returns SRV_ROUTE_SUSPENDED; the resumed connection then takes the task's reply (task.h; the
 * table's resumed = srv_task_resumed, task_free = srv_task_free). */
#ifndef DNNFUSER_SERVER_ROUTES_H
#define DNNFUSER_SERVER_ROUTES_H

#include "http.h"

/* What the daemon serves: the route table and the task callbacks, for srv_http_start. */
const srv_http_table *srv_routes_table(void);
/* Labels for srv_metrics_init: the routes' labels then "unmatched" (n + 1 entries). */
void srv_route_labels(const char **labels, int *n);

/* Builds the immutable catalog bodies (zoo, presets) into s. */
int srv_routes_init(srv *s, char *err, size_t errlen);
void srv_routes_free(srv *s);

#endif
