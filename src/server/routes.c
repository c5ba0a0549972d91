/* routes.c - the endpoints (see routes.h): the route table, the GET handlers, /v1/evaluate (answered
 * inline) and the POST handlers that hand a request to its task (task.h: parsed, validated and solved
 * on the worker pool). */
#include "routes.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "answer.h"
#include "clock.h"
#include "membudget.h"
#include "svgreply.h"
#include "task.h"
#include "dnnfuser/jsonout.h" /* df_json_dumps: json_dumps(DF_ANSWER_JSON_FLAGS) byte for byte */
#include "dnnfuser/zoo.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

static void reply_persistent(srv_reply *out, const char *body, size_t len) {
    out->status = 200;
    out->body = (char *)body;
    out->len = len;
    out->persistent = 1;
}

/* Accept: application/x-ndjson (the batch reply streamed one item per line). */
static int wants_ndjson(srv_req *r) {
    const char *a = srv_http_header(r, "Accept");
    return a && strstr(a, "application/x-ndjson") != NULL;
}

/* The JSON body as *root; for an application/onnx request, its query parameters instead. */
static int parse_body(srv *s, srv_req *r, srv_reply *out, json_t **root, srv_req_limits *lim) {
    srv_limits_snapshot(&s->lim, lim);
    lim->zoo = s->zoo;
    lim->n_zoo = s->n_zoo;
    srv_fail f;
    srv_fail_clear(&f);
    if (r->onnx ? !(*root = srv_http_query(r, &f)) : srv_parse_body(r->body, r->len, root, &f)) {
        srv_reply_problem(out, &f, r->id_str);
        return -1;
    }
    return 0;
}

static int draining(srv *s, srv_req *r, srv_reply *out) {
    if (!atomic_load(&s->draining)) return 0;
    srv_reply_fail(out, SRV_PROB_DRAINING, NULL, r->id_str, "the server is shutting down; retry on another instance");
    return 1;
}

/* ?format=json|svg: 0 or 1, or -1 after answering 400. */
static int format_svg(srv_req *r, srv_reply *out) {
    srv_fail f;
    srv_fail_clear(&f);
    int svg = srv_svg_wanted(srv_http_arg(r, "format"), &f);
    if (svg < 0) srv_reply_problem(out, &f, r->id_str);
    return svg;
}

/* ---- POST handlers ----------------------------------------------------------------------------- */

/* POST /v1/map and /v1/map/batch: not draining, ?format, the memory budget, Accept; then the task
 * (task.h) parses the body here (a small map body) or in a PARSE job on a worker, under the deadline. */
static int post_task(srv *s, srv_req *r, srv_reply *out, srv_task_kind kind) {
    if (draining(s, r, out)) return SRV_ROUTE_REPLY;
    int svg = format_svg(r, out);
    if (svg < 0) return SRV_ROUTE_REPLY;
    if (!srv_mem_admit(&s->mem)) {
        char d[160];
        snprintf(d, sizeof d, "the memory budget for replies in flight (%lld bytes) is reached; retry later",
                 (long long)atomic_load(&s->mem.budget));
        srv_reply_fail(out, SRV_PROB_OVERLOADED, NULL, r->id_str, d);
        return SRV_ROUTE_REPLY;
    }
    return srv_task_post(s, r, kind, svg, kind == SRV_TASK_BATCH && !svg && wants_ndjson(r), out);
}

static int h_map(srv *s, srv_req *r, srv_reply *out) { return post_task(s, r, out, SRV_TASK_MAP); }

static int h_map_batch(srv *s, srv_req *r, srv_reply *out) { return post_task(s, r, out, SRV_TASK_BATCH); }

static int h_evaluate(srv *s, srv_req *r, srv_reply *out) {
    json_t *root;
    srv_req_limits lim;
    if (parse_body(s, r, out, &root, &lim)) return SRV_ROUTE_REPLY;
    srv_eval_req ev;
    srv_fail f;
    srv_fail_clear(&f);
    int rc = srv_parse_evaluate(root, &lim, &ev, &f);
    json_decref(root);
    if (rc) {
        srv_reply_problem(out, &f, r->id_str);
        return SRV_ROUTE_REPLY;
    }
    json_t *j = srv_eval_reply(&ev, &f);
    srv_eval_req_free(&ev);
    if (!j)
        srv_reply_problem(out, &f, r->id_str);
    else
        srv_reply_json(out, 200, j, r->id_str);
    return SRV_ROUTE_REPLY;
}

/* ---- GET handlers ------------------------------------------------------------------------------ */

static int h_workloads(srv *s, srv_req *r, srv_reply *out) {
    (void)r;
    reply_persistent(out, s->workloads_body, s->workloads_len);
    return SRV_ROUTE_REPLY;
}

static int h_workload(srv *s, srv_req *r, srv_reply *out) {
    (void)s;
    const char *name = r->url + strlen("/v1/workloads/");
    df_zoo_opts zo = {0};
    const char *sl = srv_http_arg(r, "seq_len");
    if (sl) {
        char *end;
        long v = strtol(sl, &end, 10);
        if (!*sl || *end || v < 1 || v > 4096) {
            srv_reply_fail(out, SRV_PROB_INVALID_PARAMETER, NULL, r->id_str,
                           "query parameter seq_len must be an integer in [1, 4096]");
            return SRV_ROUTE_REPLY;
        }
        zo.seq_len = (int32_t)v;
    }
    df_workload w;
    df_err e;
    df_err_clear(&e);
    int rc = df_zoo_build(name, &zo, &w, &e);
    if (rc == DF_ENOTFOUND) {
        srv_reply_fail(out, SRV_PROB_UNKNOWN_WORKLOAD, NULL, r->id_str, e.msg);
        return SRV_ROUTE_REPLY;
    }
    if (rc != DF_OK) {
        srv_reply_fail(out, rc == DF_ENOMEM ? SRV_PROB_INTERNAL : SRV_PROB_INVALID_PARAMETER, NULL, r->id_str, e.msg);
        return SRV_ROUTE_REPLY;
    }
    srv_reply_json(out, 200, df_workload_to_json(&w), r->id_str);
    df_workload_free(&w);
    return SRV_ROUTE_REPLY;
}

static int h_presets(srv *s, srv_req *r, srv_reply *out) {
    (void)r;
    reply_persistent(out, s->presets_body, s->presets_len);
    return SRV_ROUTE_REPLY;
}

/* {"loaded": bool, "source", "config": {d, L, H, T, F, A}, "metadata", ...} of the weights in use. */
static json_t *weights_json(srv *s) {
    srv_weights_info wi;
    if (!srv_batcher_weights(s->batcher, &wi)) {
        if (s->weights_error[0]) /* weights-optional: none could be loaded at start */
            return json_pack("{s:b, s:I, s:s, s:s}", "loaded", 0, "decode_slots", (json_int_t)s->cfg.decode_slots,
                             "fallback", "exact", "error", s->weights_error);
        return json_pack("{s:b, s:I}", "loaded", 0, "decode_slots", (json_int_t)s->cfg.decode_slots);
    }
    return json_pack("{s:b, s:s, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:s, s:I, s:I, s:I, s:s, s:b, s:b}", "loaded", 1,
                     "source", wi.source, "config", "d", (int)wi.cfg.d, "L", (int)wi.cfg.L, "H", (int)wi.cfg.H, "T",
                     (int)wi.cfg.T, "F", (int)wi.cfg.F, "A", (int)wi.cfg.A, "metadata", wi.text, "train_steps",
                     (json_int_t)wi.steps, "decode_slots", (json_int_t)wi.slots, "generation",
                     (json_int_t)wi.generation, "space", df_space_name(wi.space), "f16_lossless", wi.f16_lossless,
                     "f16_panels", wi.f16);
}

static int h_info(srv *s, srv_req *r, srv_reply *out) {
    srv_req_limits lim;
    srv_limits_snapshot(&s->lim, &lim);
    json_t *j = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, "
        "s:{s:I, s:I}, s:[s,s,s,s,s], s:s, s:[s,s,s,s], s:f, s:s}",
        "name", "dnnfuserd", "version", DF_VERSION, "build", "date", __DATE__ " " __TIME__, "compiler", __VERSION__,
        "libmicrohttpd", srv_http_lib_version(), "libuv", uv_version_string(), "jansson", JANSSON_VERSION, "systemd",
#ifdef HAVE_LIBSYSTEMD
        1,
#else
        0,
#endif
        "limits", "max_body_bytes", (json_int_t)atomic_load(&s->lim.max_body), "max_layers", (json_int_t)lim.max_layers,
        "max_batch", (json_int_t)lim.max_batch, "max_batch_items", (json_int_t)lim.max_batch_items, "max_connections",
        (json_int_t)s->cfg.max_connections, "queue_depth", (json_int_t)srv_batcher_depth(s->batcher), "deadline_ms",
        (json_int_t)atomic_load(&s->lim.deadline_ms), "conn_memory_bytes", (json_int_t)s->cfg.conn_memory,
        "conn_timeout_s", (json_int_t)s->cfg.conn_timeout, "drain_timeout_ms",
        (json_int_t)atomic_load(&s->lim.drain_timeout_ms), "port", (json_int_t)s->port, "threads", "http",
        (json_int_t)s->cfg.mhd_threads, "workers", (json_int_t)s->cfg.workers, "solvers", "auto", "transformer",
        "exact", "ga", "lbl", "default_solver", "auto", "objectives", "latency", "energy", "edp", "dram",
        "uptime_seconds", (srv_now_ms() - s->t_start) / 1e3, "listen", s->listen_addr);
    if (j) json_object_set_new(j, "weights", weights_json(s));
    srv_reply_json(out, 200, j, r->id_str);
    return SRV_ROUTE_REPLY;
}

static const char healthz_body[] = "{\"status\":\"ok\"}";
static const char readyz_body[] = "{\"status\":\"ready\"}";

static int h_healthz(srv *s, srv_req *r, srv_reply *out) {
    (void)s;
    (void)r;
    reply_persistent(out, healthz_body, sizeof healthz_body - 1);
    return SRV_ROUTE_REPLY;
}

static const char livez_body[] = "{\"status\":\"live\"}";

/* Liveness (restart me or not): the HTTP thread answers and the work loop's thread runs (or it was
 * stopped on purpose: draining). Never about load or weights: that is /readyz. */
static int h_livez(srv *s, srv_req *r, srv_reply *out) {
    if (!atomic_load(&s->draining) && !srv_batcher_alive(s->batcher))
        srv_reply_fail(out, SRV_PROB_NOT_READY, NULL, r->id_str, "the work loop is not running: restart the daemon");
    else
        reply_persistent(out, livez_body, sizeof livez_body - 1);
    return SRV_ROUTE_REPLY;
}

static int h_readyz(srv *s, srv_req *r, srv_reply *out) {
    if (atomic_load(&s->draining)) {
        srv_reply_fail(out, SRV_PROB_DRAINING, NULL, r->id_str, "the server is shutting down");
    } else if (!srv_batcher_alive(s->batcher)) {
        srv_reply_fail(out, SRV_PROB_NOT_READY, NULL, r->id_str, "the work loop is not running");
    } else if (!srv_batcher_weights(s->batcher, &(srv_weights_info){0}) && s->weights_error[0]) {
        /* weights-optional: serving, with the exact solver in place of the transformer */
        srv_reply_json(
            out, 200,
            json_pack("{s:s, s:s}", "status", "ready", "note",
                      "no transformer weights could be loaded: transformer requests are answered by the exact "
                      "solver (see /v1/info weights.error)"),
            r->id_str);
    } else if (!srv_batcher_weights(s->batcher, &(srv_weights_info){0})) {
        srv_reply_fail(out, SRV_PROB_NOT_READY, NULL, r->id_str, "the transformer weights are not loaded yet");
        out->retry_after = SRV_RETRY_AFTER_S;
    } else { /* merely busy is still ready: a full queue answers 503 + Retry-After on the request path */
        reply_persistent(out, readyz_body, sizeof readyz_body - 1);
    }
    return SRV_ROUTE_REPLY;
}

static int h_metrics(srv *s, srv_req *r, srv_reply *out) {
    size_t len = 0;
    char *body = srv_metrics_render(&s->metrics, DF_VERSION, (srv_now_ms() - s->t_start) / 1e3, &len);
    if (!body) {
        srv_reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory rendering metrics");
        return SRV_ROUTE_REPLY;
    }
    out->status = 200;
    out->body = body;
    out->len = len;
    out->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return SRV_ROUTE_REPLY;
}

/* ---- table ------------------------------------------------------------------------------------- */

#define GET_HEAD (SRV_METHOD_GET | SRV_METHOD_HEAD)
static const srv_route routes[] = {
    {"/v1/map", 0, SRV_METHOD_POST, "POST", "map", h_map, 1},
    {"/v1/map/batch", 0, SRV_METHOD_POST, "POST", "map_batch", h_map_batch, 0},
    {"/v1/evaluate", 0, SRV_METHOD_POST, "POST", "evaluate", h_evaluate, 0},
    {"/v1/workloads", 0, GET_HEAD, "GET, HEAD", "workloads", h_workloads, 0},
    {"/v1/workloads/", 1, GET_HEAD, "GET, HEAD", "workload", h_workload, 0},
    {"/v1/hardware/presets", 0, GET_HEAD, "GET, HEAD", "hardware_presets", h_presets, 0},
    {"/v1/info", 0, GET_HEAD, "GET, HEAD", "info", h_info, 0},
    {"/healthz", 0, GET_HEAD, "GET, HEAD", "healthz", h_healthz, 0},
    {"/livez", 0, GET_HEAD, "GET, HEAD", "livez", h_livez, 0},
    {"/readyz", 0, GET_HEAD, "GET, HEAD", "readyz", h_readyz, 0},
    {"/metrics", 0, GET_HEAD, "GET, HEAD", "metrics", h_metrics, 0},
};
#define N_ROUTES ((int)(sizeof routes / sizeof routes[0]))

static const srv_http_table table = {routes, N_ROUTES, srv_task_resumed, srv_task_free};

const srv_http_table *srv_routes_table(void) { return &table; }

void srv_route_labels(const char **labels, int *n) {
    for (int i = 0; i < N_ROUTES; i++) labels[i] = routes[i].label;
    labels[N_ROUTES] = "unmatched";
    *n = N_ROUTES + 1;
}

int srv_routes_init(srv *s, char *err, size_t errlen) {
    json_t *wl = json_array(), *pl = json_array();
    s->zoo = calloc((size_t)df_zoo_count(), sizeof *s->zoo);
    if (!wl || !pl || !s->zoo) goto oom;
    for (int32_t i = 0; i < df_zoo_count(); i++) {
        df_workload w;
        df_err e;
        df_err_clear(&e);
        if (df_zoo_build(df_zoo_name(i), NULL, &w, &e) != DF_OK) {
            snprintf(err, errlen, "zoo network %s: %s", df_zoo_name(i), e.msg);
            json_decref(wl);
            json_decref(pl);
            srv_routes_free(s);
            return -1;
        }
        json_t *o = json_pack("{s:s, s:i, s:I, s:s}", "name", df_zoo_name(i), "layers", (int)w.n_layers, "macs",
                              (json_int_t)df_workload_macs(&w), "description", df_zoo_description(i));
        s->zoo[s->n_zoo++] = w; /* kept for the requests that name it */
        if (json_array_append_new(wl, o)) goto oom;
    }
    for (int32_t i = 0; i < df_hw_preset_count(); i++) {
        df_hw hw;
        df_err e;
        df_err_clear(&e);
        if (df_hw_preset(df_hw_preset_name(i), &hw, &e) != DF_OK) {
            snprintf(err, errlen, "hardware preset %s: %s", df_hw_preset_name(i), e.msg);
            json_decref(wl);
            json_decref(pl);
            return -1;
        }
        if (json_array_append_new(pl, df_hw_to_json(&hw))) goto oom;
    }
    s->workloads_body = df_json_dumps(wl);
    s->presets_body = df_json_dumps(pl);
    json_decref(wl);
    json_decref(pl);
    wl = pl = NULL;
    if (!s->workloads_body || !s->presets_body) goto oom;
    s->workloads_len = strlen(s->workloads_body);
    s->presets_len = strlen(s->presets_body);
    return 0;
oom:
    json_decref(wl);
    json_decref(pl);
    srv_routes_free(s);
    snprintf(err, errlen, "out of memory building the catalog");
    return -1;
}

void srv_routes_free(srv *s) {
    for (int32_t i = 0; i < s->n_zoo; i++) df_workload_free(&s->zoo[i]);
    free(s->zoo);
    s->zoo = NULL;
    s->n_zoo = 0;
    free(s->workloads_body);
    free(s->presets_body);
    s->workloads_body = s->presets_body = NULL;
}
