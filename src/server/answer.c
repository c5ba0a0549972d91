/* answer.c - the daemon's calls into the answer layer (see answer.h), failures turned into problems. */
#include "answer.h"

int srv_wants_decode(const srv_map_req *r) {
    return df_request_effective_solver(r, 1, NULL, 0) == DF_SOLVER_TRANSFORMER;
}

int srv_run_map(const srv_map_req *r, const atomic_int *cancel, srv_map_result *res, srv_fail *f) {
    df_fail af;
    int rc = srv_wants_decode(r) ? df_answer_check_decoded(r, cancel, DF_EIO, NULL, 0, NULL, res, &af)
                                 : df_answer_solve(r, NULL, cancel, res, &af);
    if (rc)
        srv_fail_from_answer(f, &af);
    else
        srv_fail_clear(f);
    return rc;
}

int srv_check_decoded(const srv_map_req *r, const atomic_int *cancel, int decode_status, const df_mapping *decoded,
                      double decode_ms, srv_map_result *res, srv_fail *f) {
    char why[sizeof res->note];
    df_request_effective_solver(r, 1, why, sizeof why);
    df_fail af;
    int rc = df_answer_check_decoded(r, cancel, decode_status, decoded, decode_ms, why, res, &af);
    if (rc)
        srv_fail_from_answer(f, &af);
    else
        srv_fail_clear(f);
    return rc;
}

void srv_map_result_free(srv_map_result *res) { df_answer_free(res); }

json_t *srv_workload_summary(const df_workload *w) { return df_workload_summary_json(w); }

json_t *srv_map_reply(const srv_map_req *r, const srv_map_result *res, double queue_ms, double total_ms) {
    return df_answer_json(r, res, queue_ms, total_ms);
}

json_t *srv_eval_reply(const srv_eval_req *r, srv_fail *f) {
    df_fail af;
    df_fail_clear(&af);
    json_t *j = df_eval_json(r, &af);
    if (!j) srv_fail_from_answer(f, &af);
    return j;
}
