/* answer.h - the daemon's side of answering (the answer layer, dnnfuser/answer.h, does the work and
 * is the same for the CLI): solving on a worker with the check before reply, the check of an answer
 * the loop decoded, and the reply objects of /v1/map and /v1/evaluate, with failures as problems. */
#ifndef DNNFUSER_SERVER_ANSWER_H
#define DNNFUSER_SERVER_ANSWER_H

#include <jansson.h>

#include "dnnfuser/answer.h"
#include "problem.h"
#include "request.h"

typedef df_answer srv_map_result;

/* Solves and checks on a worker (no transformer here: a transformer request is decoded on the loop,
 * then srv_check_decoded; one that reaches this function is solved exactly, path "exact-fallback").
 * On failure f says why (500 internal; 504 when cancel was raised). */
int srv_run_map(const srv_map_req *r, const atomic_int *cancel, srv_map_result *res, srv_fail *f);
/* The layer-by-layer baselines of the last problems checked, reused for an identical problem (same
 * layers, hardware, batch, objective): one per server (srv.bases), thread-safe. NULL: out of memory. */
typedef struct srv_base_cache srv_base_cache;
srv_base_cache *srv_base_cache_new(void);
void srv_base_cache_free(srv_base_cache *c);
/* checks whose baseline came from c */
int64_t srv_base_cache_hits(srv_base_cache *c);
/* The check before reply of a transformer answer decoded on the loop (df_answer_check_decoded), its
 * baseline from bc when cached there (bc nullable: computed each time); for an auto request the note
 * keeps auto's reason. */
int srv_check_decoded(srv_base_cache *bc, const srv_map_req *r, const atomic_int *cancel, int decode_status,
                      const df_mapping *decoded, double decode_ms, srv_map_result *res, srv_fail *f);
void srv_map_result_free(srv_map_result *res);
/* 1 when the request is decoded on the loop (transformer, or auto choosing it). */
int srv_wants_decode(const srv_map_req *r);

/* {"name", "layers", "macs"} (macs per sample). */
json_t *srv_workload_summary(const df_workload *w);
/* The /v1/map reply; queue_ms and total_ms are the caller's measurements. NULL on allocation failure. */
json_t *srv_map_reply(const srv_map_req *r, const srv_map_result *res, double queue_ms, double total_ms);
/* Scores the mapping of an evaluate request and builds its reply. NULL + f on failure. */
json_t *srv_eval_reply(const srv_eval_req *r, srv_fail *f);

#endif
