/* metrics.h - the daemon's counters, gauges and histograms, updated lock-free (C11 atomics) from the
 * HTTP threads, the loop and the workers, and rendered in the Prometheus text format 0.0.4:
 *
 *   dnnfuser_requests_total{route,code}             counter
 *   dnnfuser_request_duration_seconds{route}        histogram (first byte in -> response queued)
 *   dnnfuser_queue_wait_seconds                     histogram (submitted -> taken by a worker / expired)
 *   dnnfuser_solve_seconds                          histogram (worker run time of one job)
 *   dnnfuser_batch_size                             histogram (jobs taken per loop wake-up)
 *   dnnfuser_queue_depth, dnnfuser_inflight         gauges (jobs admitted, not on a worker; requests being served)
 *   dnnfuser_deadline_exceeded_total{stage}         counter (queued | running)
 *   dnnfuser_check_fallback_total                   counter (answers replaced by the exact solver)
 *   dnnfuser_client_gone_total                      counter (requests dropped: the client hung up first)
 *   dnnfuser_solver_cancelled_total                 counter (running solvers told to stop: deadline or hang-up)
 *   dnnfuser_decode_batch_size                      histogram (sequences per transformer decode step)
 *   dnnfuser_decode_steps_total                     counter (transformer decode steps)
 *   dnnfuser_answers_total{path}                    counter (map answers by the path that produced them)
 *   dnnfuser_log_dropped_total                      counter (log lines dropped: the log's reader is too slow)
 *   dnnfuser_connections_refused_total{reason}      counter (per_ip: over the per-address connection cap)
 *   dnnfuser_connections_cut_total{reason}          counter (header_timeout, body_too_slow, idle_at_limit,
 *                                                   query_too_large: see connguard.h and http.c)
 *   dnnfuser_memory_inflight_bytes, _budget_bytes   gauges (reply bytes built or unread; membudget.h)
 *   dnnfuser_memory_refused_total, _trims_total     counters (work refused for the budget; heap trims)
 *   dnnfuser_build_info{version} 1, dnnfuser_uptime_seconds
 *   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
 *   process_open_fds, process_max_fds, process_start_time_seconds   (procstat.h, read at render time)
 *
 * The struct lives inside the server (no globals). Route names are given at init. */
#ifndef DNNFUSER_SERVER_METRICS_H
#define DNNFUSER_SERVER_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_METRICS_MAX_ROUTES 16
#define SRV_HIST_MAX_BUCKETS 24
#define SRV_PATHS 6          /* answer paths, see srv_path_names */
#define SRV_CUTS 5           /* connection cut reasons incl. none, see srv_cut_names */
#define SRV_METRICS_CODES 13 /* the statuses the daemon answers, see metrics.c, plus "other" */

typedef struct {
    const double *bounds;                                   /* le upper bounds, ascending */
    int n;                                                  /* number of bounds (+Inf is implicit) */
    atomic_uint_least64_t counts[SRV_HIST_MAX_BUCKETS + 1]; /* per bucket, not cumulative; [n] = above all */
    atomic_uint_least64_t sum_micro;                        /* sum of observations x 1e6 */
} srv_hist;

void srv_hist_init(srv_hist *h, const double *bounds, int n);
void srv_hist_observe(srv_hist *h, double v);
uint64_t srv_hist_count(const srv_hist *h);

typedef struct {
    int n_routes;
    const char *routes[SRV_METRICS_MAX_ROUTES];
    atomic_uint_least64_t requests[SRV_METRICS_MAX_ROUTES][SRV_METRICS_CODES];
    srv_hist duration[SRV_METRICS_MAX_ROUTES];
    srv_hist queue_wait, solve, batch_size, decode_batch;
    atomic_uint_least64_t decode_steps;
    atomic_uint_least64_t answers[SRV_PATHS];
    atomic_int_least64_t queue_depth, inflight;
    atomic_uint_least64_t expired_queued, expired_running, fallbacks;
    atomic_uint_least64_t client_gone, cancelled;
    atomic_uint_least64_t log_dropped; /* counted by the logger (srv_log_start) */
    atomic_uint_least64_t conn_refused_per_ip;
    atomic_uint_least64_t conn_cut[SRV_CUTS]; /* by srv_cut_reason (connguard.h); [0] unused */
    const struct srv_mem_s *mem;              /* nullable: the memory budget's gauges (membudget.h) */
} srv_metrics;

/* none, header_timeout, body_too_slow, idle_at_limit, query_too_large (srv_cut_reason's order) */
extern const char *const srv_cut_names[SRV_CUTS];

/* exact, ga, lbl, transformer, repaired, exact-fallback */
extern const char *const srv_path_names[SRV_PATHS];
/* Counts one answer by its path (unknown names ignored). */
void srv_metrics_answer(srv_metrics *m, const char *path);

/* routes: n (<= SRV_METRICS_MAX_ROUTES) label values; the strings must outlive m. */
void srv_metrics_init(srv_metrics *m, const char *const *routes, int n);
/* One finished request: route index (out of range -> ignored), HTTP status, duration in seconds. */
void srv_metrics_request(srv_metrics *m, int route, int status, double seconds);
uint64_t srv_metrics_requests(const srv_metrics *m, int route, int status);

/* The exposition text (malloc'ed, free()); NULL on allocation failure. */
char *srv_metrics_render(const srv_metrics *m, const char *version, double uptime_s, size_t *len);

#endif
