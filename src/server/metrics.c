/* metrics.c - Prometheus exposition of the daemon's state (see metrics.h). Conventions followed
 * (prometheus.io/docs/instrumenting/exposition_formats, practices/naming and histograms): base units
 * (seconds), _total counters, cumulative buckets in increasing le order ending with +Inf == _count,
 * one HELP and one TYPE line per metric family before its samples. */
#include "metrics.h"
#include "procstat.h"

#include "membudget.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* request latency around the 10 s default deadline; solver runs up to ~100 ms for big nets */
static const double duration_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,   0.5,   1,      2.5,   5,    10,    30};
static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
static const int codes[SRV_METRICS_CODES - 1] = {200, 400, 404, 405, 408, 411, 413, 415, 422, 500, 503, 504};

#define NB(a) ((int)(sizeof a / sizeof a[0]))

void srv_hist_init(srv_hist *h, const double *bounds, int n) {
    if (n > SRV_HIST_MAX_BUCKETS) n = SRV_HIST_MAX_BUCKETS;
    h->bounds = bounds;
    h->n = n;
    for (int i = 0; i <= SRV_HIST_MAX_BUCKETS; i++) atomic_init(&h->counts[i], 0);
    atomic_init(&h->sum_micro, 0);
}

void srv_hist_observe(srv_hist *h, double v) {
    if (!(v >= 0)) v = 0; /* NaN and negatives (clock oddities) count as 0 */
    int i = 0;
    while (i < h->n && v > h->bounds[i]) i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_micro, (uint64_t)(v * 1e6 + 0.5), memory_order_relaxed);
}

uint64_t srv_hist_count(const srv_hist *h) {
    uint64_t c = 0;
    for (int i = 0; i <= h->n; i++) c += atomic_load_explicit(&((srv_hist *)h)->counts[i], memory_order_relaxed);
    return c;
}

void srv_metrics_init(srv_metrics *m, const char *const *routes, int n) {
    memset(m, 0, sizeof *m);
    if (n > SRV_METRICS_MAX_ROUTES) n = SRV_METRICS_MAX_ROUTES;
    m->n_routes = n;
    for (int r = 0; r < n; r++) {
        m->routes[r] = routes[r];
        for (int c = 0; c < SRV_METRICS_CODES; c++) atomic_init(&m->requests[r][c], 0);
        srv_hist_init(&m->duration[r], duration_bounds, NB(duration_bounds));
    }
    srv_hist_init(&m->queue_wait, duration_bounds, NB(duration_bounds));
    srv_hist_init(&m->solve, duration_bounds, NB(duration_bounds));
    srv_hist_init(&m->batch_size, batch_bounds, NB(batch_bounds));
    srv_hist_init(&m->decode_batch, batch_bounds, NB(batch_bounds));
    atomic_init(&m->decode_steps, 0);
    for (int i = 0; i < SRV_PATHS; i++) atomic_init(&m->answers[i], 0);
    atomic_init(&m->queue_depth, 0);
    atomic_init(&m->inflight, 0);
    atomic_init(&m->expired_queued, 0);
    atomic_init(&m->expired_running, 0);
    atomic_init(&m->fallbacks, 0);
    atomic_init(&m->client_gone, 0);
    atomic_init(&m->cancelled, 0);
    atomic_init(&m->log_dropped, 0);
    atomic_init(&m->conn_refused_per_ip, 0);
    for (int i = 0; i < SRV_CUTS; i++) atomic_init(&m->conn_cut[i], 0);
}

const char *const srv_cut_names[SRV_CUTS] = {"none", "header_timeout", "body_too_slow", "idle_at_limit",
                                             "query_too_large"};

const char *const srv_path_names[SRV_PATHS] = {"exact", "ga", "lbl", "transformer", "repaired", "exact-fallback"};

void srv_metrics_answer(srv_metrics *m, const char *path) {
    for (int i = 0; path && i < SRV_PATHS; i++)
        if (strcmp(path, srv_path_names[i]) == 0) atomic_fetch_add(&m->answers[i], 1);
}

static int code_index(int status) {
    for (int i = 0; i < SRV_METRICS_CODES - 1; i++)
        if (codes[i] == status) return i;
    return SRV_METRICS_CODES - 1;
}

void srv_metrics_request(srv_metrics *m, int route, int status, double seconds) {
    if (route < 0 || route >= m->n_routes) return;
    atomic_fetch_add_explicit(&m->requests[route][code_index(status)], 1, memory_order_relaxed);
    srv_hist_observe(&m->duration[route], seconds);
}

uint64_t srv_metrics_requests(const srv_metrics *m, int route, int status) {
    if (route < 0 || route >= m->n_routes) return 0;
    return atomic_load(&((srv_metrics *)m)->requests[route][code_index(status)]);
}

/* ---- text building ---------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} buf;

static void bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(buf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n + 1;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

static void family(buf *b, const char *name, const char *type, const char *help) {
    bprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Samples of one histogram; labels is "" or `key="value"` (no braces). */
static void hist_samples(buf *b, const char *name, const char *labels, const srv_hist *h) {
    uint64_t cum = 0;
    const char *sep = *labels ? "," : "";
    for (int i = 0; i < h->n; i++) {
        cum += atomic_load_explicit(&((srv_hist *)h)->counts[i], memory_order_relaxed);
        bprintf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, h->bounds[i], (unsigned long long)cum);
    }
    cum += atomic_load_explicit(&((srv_hist *)h)->counts[h->n], memory_order_relaxed);
    bprintf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)cum);
    double sum = (double)atomic_load_explicit(&((srv_hist *)h)->sum_micro, memory_order_relaxed) / 1e6;
    if (*labels) {
        bprintf(b, "%s_sum{%s} %.6f\n", name, labels, sum);
        bprintf(b, "%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
    } else {
        bprintf(b, "%s_sum %.6f\n", name, sum);
        bprintf(b, "%s_count %llu\n", name, (unsigned long long)cum);
    }
}

char *srv_metrics_render(const srv_metrics *m, const char *version, double uptime_s, size_t *len) {
    buf b = {malloc(8192), 0, 8192, 0};
    if (!b.p) return NULL;
    srv_metrics *mm = (srv_metrics *)m; /* atomics are read through non-const pointers */

    family(&b, "dnnfuser_requests_total", "counter", "HTTP requests answered, by route and status code.");
    for (int r = 0; r < m->n_routes; r++)
        for (int c = 0; c < SRV_METRICS_CODES; c++) {
            uint64_t v = atomic_load_explicit(&mm->requests[r][c], memory_order_relaxed);
            if (!v) continue;
            if (c < SRV_METRICS_CODES - 1)
                bprintf(&b, "dnnfuser_requests_total{route=\"%s\",code=\"%d\"} %llu\n", m->routes[r], codes[c],
                        (unsigned long long)v);
            else
                bprintf(&b, "dnnfuser_requests_total{route=\"%s\",code=\"other\"} %llu\n", m->routes[r],
                        (unsigned long long)v);
        }

    family(&b, "dnnfuser_request_duration_seconds", "histogram",
           "Time from the request's arrival to its response being queued, by route.");
    for (int r = 0; r < m->n_routes; r++) {
        if (srv_hist_count(&m->duration[r]) == 0) continue;
        char labels[96];
        snprintf(labels, sizeof labels, "route=\"%s\"", m->routes[r]);
        hist_samples(&b, "dnnfuser_request_duration_seconds", labels, &m->duration[r]);
    }

    family(&b, "dnnfuser_queue_wait_seconds", "histogram", "Time a job waited in the queue before a worker took it.");
    hist_samples(&b, "dnnfuser_queue_wait_seconds", "", &m->queue_wait);
    family(&b, "dnnfuser_solve_seconds", "histogram", "Worker time of one job (solver, check and reply).");
    hist_samples(&b, "dnnfuser_solve_seconds", "", &m->solve);
    family(&b, "dnnfuser_batch_size", "histogram", "Jobs taken from the queue per loop wake-up.");
    hist_samples(&b, "dnnfuser_batch_size", "", &m->batch_size);
    family(&b, "dnnfuser_decode_batch_size", "histogram", "Sequences advanced per transformer decode step.");
    hist_samples(&b, "dnnfuser_decode_batch_size", "", &m->decode_batch);

    family(&b, "dnnfuser_queue_depth", "gauge",
           "Jobs admitted and not yet on a worker (waiting, decoding or decoded).");
    bprintf(&b, "dnnfuser_queue_depth %lld\n", (long long)atomic_load(&mm->queue_depth));
    family(&b, "dnnfuser_inflight", "gauge", "Requests received and not yet completed.");
    bprintf(&b, "dnnfuser_inflight %lld\n", (long long)atomic_load(&mm->inflight));
    if (m->mem) { /* the memory budget (membudget.h) */
        srv_mem *mem = (srv_mem *)m->mem;
        family(&b, "dnnfuser_memory_inflight_bytes", "gauge",
               "Reply bytes being built or not yet read by their clients.");
        bprintf(&b, "dnnfuser_memory_inflight_bytes %lld\n", (long long)atomic_load(&mem->used));
        family(&b, "dnnfuser_memory_budget_bytes", "gauge", "The memory budget for replies in flight (0 = none).");
        bprintf(&b, "dnnfuser_memory_budget_bytes %lld\n", (long long)atomic_load(&mem->budget));
        family(&b, "dnnfuser_memory_refused_total", "counter", "Requests answered 503 for the memory budget.");
        bprintf(&b, "dnnfuser_memory_refused_total %llu\n", (unsigned long long)atomic_load(&mem->refused));
        family(&b, "dnnfuser_memory_trims_total", "counter", "Heap trims (malloc_trim) after a burst.");
        bprintf(&b, "dnnfuser_memory_trims_total %llu\n", (unsigned long long)atomic_load(&mem->trims));
    }
    family(&b, "dnnfuser_deadline_exceeded_total", "counter", "Jobs answered 504, by the stage they were in.");
    bprintf(&b, "dnnfuser_deadline_exceeded_total{stage=\"queued\"} %llu\n",
            (unsigned long long)atomic_load(&mm->expired_queued));
    bprintf(&b, "dnnfuser_deadline_exceeded_total{stage=\"running\"} %llu\n",
            (unsigned long long)atomic_load(&mm->expired_running));
    family(&b, "dnnfuser_check_fallback_total", "counter",
           "Answers the check before reply replaced with the exact solver's.");
    bprintf(&b, "dnnfuser_check_fallback_total %llu\n", (unsigned long long)atomic_load(&mm->fallbacks));
    family(&b, "dnnfuser_client_gone_total", "counter",
           "Requests dropped because the client closed its connection first.");
    bprintf(&b, "dnnfuser_client_gone_total %llu\n", (unsigned long long)atomic_load(&mm->client_gone));
    family(&b, "dnnfuser_solver_cancelled_total", "counter",
           "Running solvers told to stop (deadline passed or client gone).");
    bprintf(&b, "dnnfuser_solver_cancelled_total %llu\n", (unsigned long long)atomic_load(&mm->cancelled));
    family(&b, "dnnfuser_decode_steps_total", "counter",
           "Transformer decode steps (one layer of every active sequence).");
    bprintf(&b, "dnnfuser_decode_steps_total %llu\n", (unsigned long long)atomic_load(&mm->decode_steps));
    family(&b, "dnnfuser_answers_total", "counter", "Map answers by the path that produced them.");
    for (int i = 0; i < SRV_PATHS; i++)
        bprintf(&b, "dnnfuser_answers_total{path=\"%s\"} %llu\n", srv_path_names[i],
                (unsigned long long)atomic_load(&mm->answers[i]));
    family(&b, "dnnfuser_log_dropped_total", "counter",
           "Log lines dropped because the log queue was full (the reader of stderr is too slow).");
    bprintf(&b, "dnnfuser_log_dropped_total %llu\n", (unsigned long long)atomic_load(&mm->log_dropped));
    family(&b, "dnnfuser_connections_refused_total", "counter",
           "Connections refused at accept, by reason (per_ip: over the per-address connection cap).");
    bprintf(&b, "dnnfuser_connections_refused_total{reason=\"per_ip\"} %llu\n",
            (unsigned long long)atomic_load(&mm->conn_refused_per_ip));
    family(&b, "dnnfuser_connections_cut_total", "counter",
           "Connections the daemon closed early, by reason (too slow, idle at the connection limit, query too large).");
    for (int i = 1; i < SRV_CUTS; i++)
        bprintf(&b, "dnnfuser_connections_cut_total{reason=\"%s\"} %llu\n", srv_cut_names[i],
                (unsigned long long)atomic_load(&mm->conn_cut[i]));
    family(&b, "dnnfuser_build_info", "gauge", "Build information; the value is always 1.");
    bprintf(&b, "dnnfuser_build_info{version=\"%s\"} 1\n", version ? version : "");
    family(&b, "dnnfuser_uptime_seconds", "gauge", "Seconds since the daemon started.");
    bprintf(&b, "dnnfuser_uptime_seconds %.3f\n", uptime_s);

    /* the process collector of the Prometheus client libraries (procstat.h) */
    srv_procstat ps;
    srv_procstat_read(&ps);
    static const struct {
        unsigned bit;
        const char *name, *type, *help;
        int decimals;
    } pm[] = {
        {SRV_PROC_CPU, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", 2},
        {SRV_PROC_RSS, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", 0},
        {SRV_PROC_VSIZE, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", 0},
        {SRV_PROC_FDS, "process_open_fds", "gauge", "Number of open file descriptors.", 0},
        {SRV_PROC_MAXFDS, "process_max_fds", "gauge", "Maximum number of open file descriptors.", 0},
        {SRV_PROC_START, "process_start_time_seconds", "gauge",
         "Start time of the process since unix epoch in seconds.", 2},
    };
    const double pv[] = {ps.cpu_seconds, ps.resident_bytes, ps.virtual_bytes,
                         ps.open_fds,    ps.max_fds,        ps.start_time_seconds};
    for (size_t i = 0; i < sizeof pm / sizeof pm[0]; i++) {
        if (!(ps.have & pm[i].bit)) continue;
        family(&b, pm[i].name, pm[i].type, pm[i].help);
        bprintf(&b, "%s %.*f\n", pm[i].name, pm[i].decimals, pv[i]);
    }

    if (b.oom) {
        free(b.p);
        return NULL;
    }
    if (len) *len = b.len;
    return b.p;
}
