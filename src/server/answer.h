/* answer.h - turning validated requests into replies: runs the chosen solver, the check before
 * reply (every answer re-scored with df_mapping_eval; infeasible or worse than layer-by-layer for the
 * objective -> the exact solver, path "exact-fallback"), and builds the reply objects of /v1/map and
 * /v1/evaluate. Pure functions over the core library: callable from any thread, no HTTP. */
#ifndef DNNFUSER_SERVER_ANSWER_H
#define DNNFUSER_SERVER_ANSWER_H

#include <jansson.h>

#include "problem.h"
#include "request.h"

typedef struct {
    const char *path;       /* "exact", "ga", "lbl", "transformer", "repaired", "exact-fallback" */
    const char *note;       /* why the path is what it is (NULL = nothing to say) */
    df_mapping map;
    df_metrics met;
    df_group_cost *gc;      /* [map.n_groups] */
    df_mapping base;        /* layer-by-layer baseline */
    df_metrics base_met;
    double solve_ms, check_ms;
} srv_map_result;

/* Solves and checks. On failure f says why (500 internal: the library failed unexpectedly; 504 when
 * cancel was raised). cancel (nullable) is polled by the solvers (df_solve_stats.cancel).
 * A transformer request never comes here (it is decoded on the loop, then srv_check_decoded). */
int srv_run_map(const srv_map_req *r, const atomic_int *cancel, srv_map_result *res, srv_fail *f);
/* The check before reply of a transformer answer decoded on the loop: decode_status DF_OK with
 * decoded filled, or the admission failure (DF_EINVAL: longer than the model's context) -> exact.
 * Infeasible or worse than layer-by-layer -> df_repair (path "repaired"), still worse -> exact
 * ("exact-fallback"). decode_ms is the inference time. */
int srv_check_decoded(const srv_map_req *r, const atomic_int *cancel, int decode_status, const df_mapping *decoded, double decode_ms,
                      srv_map_result *res, srv_fail *f);
void srv_map_result_free(srv_map_result *res);

/* {"name", "layers", "macs"} (macs per sample). */
json_t *srv_workload_summary(const df_workload *w);

/* The /v1/map reply; queue_ms and total_ms are the caller's measurements. NULL on allocation failure. */
json_t *srv_map_reply(const srv_map_req *r, const srv_map_result *res, double queue_ms, double total_ms);

/* Scores the mapping of an evaluate request and builds its reply (200 also when infeasible: then
 * "feasible": false and "overflow" names the first group over the budget). NULL + f on failure. */
json_t *srv_eval_reply(const srv_eval_req *r, srv_fail *f);

#endif
