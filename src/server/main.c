/* main.c - dnnfuserd: settings, start-up, signals and the graceful drain.
 *
 * Signals are blocked in every thread (the mask is set before any thread starts) and taken here with
 * sigwait, as in the PLATFORM.md prototype:
 *   SIGHUP          re-read the settings; apply the reloadable ones (limits, log level), keep serving;
 *                   and reload the transformer weights off the loop (swapped in between steps)
 *   SIGTERM/SIGINT  drain: readyz -> 503, STOPPING=1, stop accepting (MHD_quiesce_daemon), close the
 *                   queue (new jobs 503), let queued and running jobs finish (each connection is
 *                   resumed), wait for in-flight responses (drain-timeout-ms), stop MHD, exit 0.
 *                   A second SIGTERM/SIGINT during the drain exits at once with status 1.
 * Exit status: 0 after a drain, 1 on a start-up failure or forced stop, 2 on bad settings. */
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batcher.h"
#include "clock.h"
#include "config.h"
#include "dnnfuser/common.h"
#include "dnnfuser/mapper.h"
#include "http.h"
#include "membudget.h"
#include "notify.h"
#include "routes.h"
#include "server.h"

extern char **environ;

/* Longest wait at exit for queued log lines to reach stderr. */
#define LOG_FLUSH_MS 1000

static void on_change(void *ctx, const srv_conf_opt *o, const char *old_value, const char *new_value, int applied) {
    srv *s = ctx;
    if (applied)
        srv_log(&s->log, SRV_LOG_INFO, "config_change", "key=%s old=%s new=%s", o->name, SRV_LOGV(old_value),
                SRV_LOGV(new_value));
    else
        srv_log(&s->log, SRV_LOG_WARN, "config_change", "key=%s old=%s new=%s applied=no reason=restart_required",
                o->name, SRV_LOGV(old_value), SRV_LOGV(new_value));
}

/* SIGHUP: the loop loads the weights (--weights, else the shipped ones) off the loop thread and swaps
 * them in between decode steps once no sequence is active; a bad file keeps the old weights. */
static void reload_weights(srv *s) {
    const char *path = s->cfg.weights;
    srv_log(&s->log, SRV_LOG_INFO, "weights_reload", "requested=yes source=%s", SRV_LOGV(path[0] ? path : "embedded"));
    if (srv_batcher_reload_weights(s->batcher, path))
        srv_log(&s->log, SRV_LOG_WARN, "weights_reload", "skipped=yes reason=closed");
}

/* SIGHUP: the whole file, environment and flags are read into a scratch copy and checked (a damaged
 * or empty file is refused: srv_config_load_reload) before anything live changes; then the reloadable
 * values are copied and published to the request threads as one snapshot (srv_limits_load). */
static void reload(srv *s, int argc, char **argv) {
    srv_config fresh;
    srv_conf_file_info info;
    char err[512];
    if (srv_config_load_reload(&fresh, argc, argv, environ, &info, err, sizeof err)) {
        srv_log(&s->log, SRV_LOG_WARN, "reload_failed", "error=%s kept=previous", SRV_LOGV(err));
        return;
    }
    if (info.read && info.settings == 0)
        srv_log(&s->log, SRV_LOG_WARN, "config_empty",
                "config=%s settings=0 effect=\"every setting the file held returns to its default\"",
                SRV_LOGV(fresh.config_path));
    int n = srv_config_apply_reload(&s->cfg, &fresh, on_change, s);
    srv_limits_load(&s->lim, &s->cfg);
    srv_batcher_set_depth(s->batcher, s->cfg.queue_depth);
    srv_mem_set_budget(&s->mem, s->cfg.memory_budget);
    srv_log_set_level(&s->log, (srv_log_level)s->cfg.log_level);
    reload_weights(s);
    srv_log(&s->log, SRV_LOG_INFO, "reload", "applied=%d config=%s", n,
            SRV_LOGV(s->cfg.config_path[0] ? s->cfg.config_path : "-"));
}

/* Waits up to ms for a signal in set; returns it, or 0 on timeout. */
static int wait_signal(const sigset_t *set, long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);
    return sig > 0 ? sig : 0;
}

/* Returns 0 after a clean drain, 1 when a second signal forced the stop. */
static int drain(srv *s, const sigset_t *set, int sig) {
    atomic_store(&s->draining, 1);
    srv_log(&s->log, SRV_LOG_INFO, "draining", "signal=%s inflight=%lld queued=%lld", strsignal(sig),
            (long long)atomic_load(&s->metrics.inflight), (long long)srv_batcher_waiting(s->batcher));
    srv_notify_stopping("draining");
    srv_http_quiesce(s);
    srv_batcher_close(s->batcher);
    /* queued and running jobs finish and their connections are resumed */
    while (!srv_batcher_done(s->batcher)) {
        int again = wait_signal(set, 10);
        if (again == SIGTERM || again == SIGINT) {
            srv_log(&s->log, SRV_LOG_WARN, "forced_stop", "signal=%s stage=jobs", strsignal(again));
            return 1;
        }
    }
    srv_batcher_join(s->batcher);
    /* resumed requests still have their responses to send */
    double until = srv_now_ms() + (double)atomic_load(&s->lim.drain_timeout_ms);
    while (atomic_load(&s->metrics.inflight) > 0 && srv_now_ms() < until) {
        int again = wait_signal(set, 5);
        if (again == SIGTERM || again == SIGINT) {
            srv_log(&s->log, SRV_LOG_WARN, "forced_stop", "signal=%s stage=responses", strsignal(again));
            return 1;
        }
    }
    long long left = (long long)atomic_load(&s->metrics.inflight);
    if (left > 0) srv_log(&s->log, SRV_LOG_WARN, "drain_timeout", "inflight=%lld", left);
    srv_http_stop(s);
    return 0;
}

int main(int argc, char **argv) {
    /* no glibc fastbins: a reply builds and frees hundreds of small jansson nodes on a worker, and the
     * first larger allocation after them (the per-group costs, the reply text) then consolidated
     * them (malloc_consolidate, ~3% of the daemon's CPU at 64 clients). Measured side by side
     * (bench_daemon_ab.sh, ResNet-50 transformer, 64 clients, medians of 5 rounds): 1.14x and 1.26x
     * mappings/s in two runs. The tcache still serves small sizes. */
    mallopt(M_MXFAST, 0);
    /* no heap trimming on free below SRV_MEM_TRIM_BYTES of free top: the decode loops' and workers'
     * arenas otherwise give their top back with madvise on nearly every request and fault the pages
     * in again on the next (perf at 64 clients: madvise 2%, page faults 5%, TLB shootdowns, memset of
     * fresh pages). membudget.c still returns a burst's memory (malloc_trim). Measured side by side
     * (bench_daemon_ab.sh, ResNet-50 transformer, 64 clients, 5 alternating rounds, shared machine):
     * daemon CPU per mapping 0.80x, mappings/s 1.13x. */
    mallopt(M_TRIM_THRESHOLD, (int)SRV_MEM_TRIM_BYTES);
    srv_config cfg;
    srv_conf_action action;
    char err[512];
    if (srv_config_load(&cfg, argc, argv, environ, &action, err, sizeof err)) {
        fprintf(stderr, "dnnfuserd: %s\n", err);
        return 2;
    }
    /* --help and --print-config leave in one write(2) (they are a few KiB), so a reader that stops at
     * its first match (`dnnfuserd --help | grep -q ...` under pipefail) does not kill us with SIGPIPE */
    static char outbuf[1 << 16];
    if (action != SRV_CONF_RUN) setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    switch (action) {
    case SRV_CONF_HELP: srv_config_help(stdout, "dnnfuserd"); return 0;
    case SRV_CONF_VERSION: printf("dnnfuserd %s\n", DF_VERSION); return 0;
    case SRV_CONF_PRINT: srv_config_print(stdout, &cfg); return 0;
    case SRV_CONF_RUN: break;
    }

    /* every thread started from here inherits this mask; main takes the signals with sigwait */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* the libuv pool is sized once, at its first use (on the loop thread) */
    char nw[16];
    snprintf(nw, sizeof nw, "%lld", (long long)cfg.workers);
    setenv("UV_THREADPOOL_SIZE", nw, 1);
    json_object_seed(0); /* before any thread uses jansson (PLATFORM.md pitfall 9) */

    srv *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "dnnfuserd: out of memory\n");
        return 1;
    }
    s->cfg = cfg;
    s->t_start = srv_now_ms();
    srv_log_init(&s->log, 2, (srv_log_level)cfg.log_level);
    srv_limits_load(&s->lim, &cfg);
    const char *labels[SRV_METRICS_MAX_ROUTES];
    int nl;
    srv_route_labels(labels, &nl);
    srv_metrics_init(&s->metrics, labels, nl);
    srv_mem_init(&s->mem, cfg.memory_budget);
    s->metrics.mem = &s->mem;
    /* from here on no thread waits for the reader of stderr: lines go through the logger's queue and
     * its own thread (a full queue drops and counts them: dnnfuser_log_dropped_total) */
    if (srv_log_start(&s->log, SRV_LOG_QUEUE_BYTES, &s->metrics.log_dropped))
        srv_log(&s->log, SRV_LOG_WARN, "log_queue", "started=no reason=\"out of memory or threads\" mode=direct");
    atomic_init(&s->draining, 0);
    atomic_init(&s->next_id, 0);
    srv_reqid_instance(s->instance);
    int rc = 1;

    /* A --weights file is checked here, before anything starts (the loop loads it again, off the loop):
     * a file that cannot be loaded stops the start-up, or with weights-optional 1 is reported and the
     * transformer requests are answered by the exact solver. The shipped weights are part of the binary. */
    if (cfg.weights[0]) {
        df_mapper *m = NULL;
        df_err e;
        if (df_mapper_load(&m, cfg.weights, 16, &e) != DF_OK) {
            if (!cfg.weights_optional) {
                srv_log(&s->log, SRV_LOG_ERROR, "startup_failed",
                        "weights=%s error=%s hint=\"fix or remove --weights, or set weights-optional = 1 to serve with "
                        "the exact solver\"",
                        SRV_LOGV(cfg.weights), SRV_LOGV(e.msg));
                goto out;
            }
            snprintf(s->weights_error, sizeof s->weights_error, "%s", e.msg);
            srv_log(&s->log, SRV_LOG_WARN, "weights_unavailable", "weights=%s error=%s serving=exact-fallback",
                    SRV_LOGV(cfg.weights), SRV_LOGV(e.msg));
        }
        df_mapper_free(m);
    }

    if (srv_routes_init(s, err, sizeof err)) {
        srv_log(&s->log, SRV_LOG_ERROR, "startup_failed", "error=%s", SRV_LOGV(err));
        goto out;
    }
    srv_batcher_opts bo = {
        .workers = (int)cfg.workers,
        .queue_depth = cfg.queue_depth,
        .suspend = srv_http_suspend,
        .resume = srv_http_resume,
        .gone = srv_http_gone,
        .heartbeat = srv_notify_watchdog,
        .heartbeat_ms = srv_notify_watchdog_ms(),
        .decode_slots = (int32_t)cfg.decode_slots,
        .decode_loops = (int32_t)cfg.decode_loops,
        .metrics = &s->metrics,
        .log = &s->log,
    };
    if (!(s->bases = srv_base_cache_new())) {
        srv_log(&s->log, SRV_LOG_ERROR, "startup_failed", "error=\"out of memory\"");
        rc = 1;
        goto out;
    }
    if ((rc = srv_batcher_start(&s->batcher, &bo)) != 0) {
        srv_log(&s->log, SRV_LOG_ERROR, "startup_failed", "error=\"cannot start the work loop (%d)\"", rc);
        rc = 1;
        goto out;
    }
    /* a file a SIGHUP would refuse (empty, last line without newline) is served at start, with a warning */
    if (cfg.config_path[0]) {
        srv_config again;
        srv_conf_file_info info;
        if (srv_config_load_reload(&again, argc, argv, environ, &info, err, sizeof err)) {
            srv_log(&s->log, SRV_LOG_WARN, "config_warning", "error=%s accepted=at_start reload=would_keep_previous",
                    SRV_LOGV(err));
        }
    }
    /* the weights load off the loop; /readyz is 503 until they are in */
    srv_batcher_reload_weights(s->batcher, cfg.weights);
    if (srv_http_start(s, srv_routes_table(), err, sizeof err)) {
        srv_log(&s->log, SRV_LOG_ERROR, "startup_failed", "error=%s", SRV_LOGV(err));
        rc = 1;
        goto out;
    }
    srv_log(&s->log, SRV_LOG_INFO, "listening",
            "on %s version=%s mhd_threads=%lld workers=%lld queue_depth=%lld "
            "deadline_ms=%lld max_body=%lld watchdog_ms=%llu pid=%ld",
            s->listen_addr, DF_VERSION, (long long)cfg.mhd_threads, (long long)cfg.workers, (long long)cfg.queue_depth,
            (long long)cfg.deadline_ms, (long long)cfg.max_body, (unsigned long long)bo.heartbeat_ms, (long)getpid());
    char status[128];
    snprintf(status, sizeof status, "serving on %s", s->listen_addr);
    srv_notify_ready(status);

    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            srv_log(&s->log, SRV_LOG_INFO, "signal", "name=SIGHUP action=reload");
            reload(s, argc, argv);
            continue;
        }
        rc = drain(s, &set, sig);
        break;
    }
    if (rc == 0)
        srv_log(&s->log, SRV_LOG_INFO, "stopped", "uptime_s=%.3f requests=%llu", (srv_now_ms() - s->t_start) / 1e3,
                (unsigned long long)atomic_load(&s->next_id));
    if (rc != 0) {
        /* forced: threads may still run; leave without freeing what they use (a short flush: the log
         * thread dies with the process) */
        srv_log_flush(&s->log, LOG_FLUSH_MS);
        return rc;
    }
out:
    if (s->http) srv_http_stop(s);
    if (s->batcher) srv_batcher_free(s->batcher);
    srv_base_cache_free(s->bases);
    srv_routes_free(s);
    srv_log_stop(&s->log, LOG_FLUSH_MS); /* a stuck stderr reader costs at most this at exit */
    free(s);
    return rc;
}
