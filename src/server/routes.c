/* routes.c - the endpoints (see routes.h): the route table, the GET handlers, the POST handlers that
 * validate and submit tasks, and the task bodies that run on the worker pool (for a transformer
 * request, after the loop decoded it: the check before reply). */
#include "routes.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "answer.h"
#include "clock.h"
#include "stream.h"
#include "svgreply.h"
#include "dnnfuser/json.h"
#include "dnnfuser/zoo.h"

#define JSON_FLAGS DF_ANSWER_JSON_FLAGS
#define RETRY_AFTER_S 1

/* ---- tasks: what a suspended request waits for -------------------------------------------------- */

typedef enum { TASK_MAP = 0, TASK_BATCH } task_kind;

typedef struct srv_task {
    srv_job job;            /* first member: the batcher's view */
    srv *s;
    task_kind kind;
    srv_map_req map;
    srv_batch_req batch;
    double t_arrival;       /* request arrival (srv_now_ms) */
    double deadline_ms;     /* the effective deadline, relative to arrival */
    /* the result, written by the worker: a body, or a failure rendered on the HTTP thread */
    char *body;
    size_t len;
    srv_fail fail;          /* kind != NONE: the request failed */
    /* transformer requests: one decode item per request (a map task has 1, a batch task one per item,
     * net NULL for the items that are not transformer ones); decoded[i] receives item i's answer */
    srv_decode_item *items;
    df_mapping *decoded;
    int32_t n_decoded;      /* decoded[0..n_decoded) initialised */
    int svg;                /* ?format=svg: the reply is drawn (svgreply.h) */
    int64_t *svg_budgets;   /* batch: the grid's budgets, item order */
    int32_t svg_n;
    srv_stream *stream;     /* Accept: application/x-ndjson: one line per batch item, as they are done;
                             * the stream owns the task */
    int32_t stream_next;    /* streamed: the first item (in solve order) not written yet */
} srv_task;

void srv_task_free(srv_task *t) {
    if (!t) return;
    srv_map_req_free(&t->map);
    srv_batch_req_free(&t->batch);
    for (int32_t i = 0; i < t->n_decoded; i++) df_mapping_free(&t->decoded[i]);
    free(t->decoded);
    free(t->items);
    free(t->svg_budgets);
    free(t->body);
    free(t);
}

/* One map request (item idx of the task) -> its reply object, or NULL with *f set. A transformer item
 * was decoded on the loop: it gets the check before reply; the others are solved here. carry
 * (nullable): the answer of the next smaller budget of the same sweep, offered to this one; keep
 * (nullable) receives this answer's mapping. */
static json_t *map_one(srv *s, const srv_map_req *r, srv_task *t, int32_t idx, const df_mapping *carry,
                       int64_t carry_budget, df_mapping *keep, srv_fail *f) {
    srv_map_result res;
    const srv_decode_item *it = idx < t->job.n_items && t->items[idx].net ? &t->items[idx] : NULL;
    int rc = it ? srv_check_decoded(r, &t->job.cancel, it->status, &t->decoded[idx], it->t_decoded - it->t_start, &res, f)
                : srv_run_map(r, &t->job.cancel, &res, f);
    if (rc != 0) return NULL;
    /* counted by the path that solved it (a sweep's carry comes after) */
    if (strcmp(res.path, "exact-fallback") == 0) atomic_fetch_add(&s->metrics.fallbacks, 1);
    srv_metrics_answer(&s->metrics, res.path);
    if (carry) df_answer_offer(r, carry, carry_budget, &res);
    if (keep && df_mapping_copy(keep, &res.map) != DF_OK) keep->n_groups = 0;
    json_t *o = srv_map_reply(r, &res, t->job.queue_ms, srv_now_ms() - t->t_arrival);
    srv_map_result_free(&res);
    if (!o) srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
    return o;
}

/* The answers of a sweep kept for the monotone carry: keep[i] for item i (n_groups 0 = none). */
typedef struct {
    df_mapping *keep;
    int32_t n;
} sweep_keep;

static void keep_free(sweep_keep *k) {
    for (int32_t i = 0; i < k->n; i++) df_mapping_free(&k->keep[i]);
    free(k->keep);
}

/* Item k of the solve order -> its reply or problem object (with "index"), NULL when out of memory. */
static json_t *batch_item(srv_task *t, int32_t k, sweep_keep *kp) {
    const df_batch_request *b = &t->batch.b;
    int32_t i = b->order[k], c = b->carry[i];
    srv_fail item_fail = t->batch.fails[i];
    json_t *item = NULL;
    if (item_fail.kind == SRV_PROB_NONE) {
        const df_mapping *carry = c >= 0 && kp->keep && kp->keep[c].n_groups > 0 ? &kp->keep[c] : NULL;
        item = map_one(t->s, &t->batch.items[i], t, i, carry, c >= 0 ? t->batch.items[c].hw.buffer_bytes : 0,
                       kp->keep ? &kp->keep[i] : NULL, &item_fail);
    }
    if (!item) item = srv_problem_json(&item_fail, NULL);
    if (item) json_object_set_new(item, "index", json_integer(i));
    return item;
}

/* A sweep keeps every answer for the carry (mappings are small); a requests list needs none. */
static void keep_init(srv_task *t, sweep_keep *kp) {
    kp->keep = NULL;
    kp->n = 0;
    if (!t->batch.b.grid) return;
    kp->keep = calloc((size_t)t->batch.n, sizeof *kp->keep);
    for (; kp->keep && kp->n < t->batch.n; kp->n++)
        if (df_mapping_init(&kp->keep[kp->n], 16) != DF_OK) break;
}

/* {"results": [...]}: each item a map reply or a problem object, both with "index", in index order
 * (solved in the sweep's order: budgets ascending per hardware row). */
static json_t *batch_all(srv_task *t, srv_fail *f) {
    int32_t n = t->batch.n;
    json_t *out = json_object(), *arr = json_array();
    json_t **slot = calloc((size_t)n, sizeof *slot);
    if (!out || !arr || !slot || json_object_set(out, "results", arr)) {
        json_decref(out);
        json_decref(arr);
        free(slot);
        srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
        return NULL;
    }
    sweep_keep kp;
    keep_init(t, &kp);
    int bad = 0;
    for (int32_t k = 0; k < n && !bad; k++) {
        slot[t->batch.b.order[k]] = batch_item(t, k, &kp);
        bad = !slot[t->batch.b.order[k]];
        /* past the deadline the whole reply is a 504: stop spending CPU on it */
        if (srv_now_ms() > t->job.deadline) break;
    }
    keep_free(&kp);
    for (int32_t i = 0; i < n; i++)
        if (slot[i] && json_array_append_new(arr, slot[i])) bad = 1;
    free(slot);
    json_decref(arr);
    if (bad) {
        json_decref(out);
        srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
        return NULL;
    }
    return out;
}

/* Streamed batch (worker thread): each item's reply or problem as one NDJSON line (with its "index"),
 * in the solve order, as soon as it is done; stops when the client is gone or the deadline passed
 * (stream_done says so). */
static void batch_stream(srv_task *t) {
    sweep_keep kp;
    keep_init(t, &kp);
    for (int32_t k = 0; k < t->batch.n; k++, t->stream_next = k) {
        if (srv_now_ms() > t->job.deadline || atomic_load(&t->job.cancel)) break;
        json_t *item = batch_item(t, k, &kp);
        if (!item) break;
        char *line = json_dumps(item, JSON_FLAGS);
        json_decref(item);
        int rc = line ? srv_stream_write(t->stream, line, strlen(line)) : -1;
        free(line);
        if (rc) break;
    }
    keep_free(&kp);
}

/* Worker thread: runs the task; leaves the serialised reply in t->body or the failure in t->fail. */
static void task_run(srv_job *j) {
    srv_task *t = (srv_task *)j;
    srv_fail_clear(&t->fail);
    if (t->stream) {
        batch_stream(t);
        return;
    }
    json_t *out = t->kind == TASK_MAP ? map_one(t->s, &t->map, t, 0, NULL, 0, NULL, &t->fail) : batch_all(t, &t->fail);
    if (!out) return;
    if (t->svg) { /* the rendering hook: the picture of the reply just built */
        if (t->kind == TASK_MAP) srv_svg_map(&t->map, out, &t->body, &t->len, &t->fail);
        else srv_svg_batch(&t->batch, t->svg_budgets, t->svg_n, out, &t->body, &t->len, &t->fail);
        json_decref(out);
        return;
    }
    t->body = json_dumps(out, JSON_FLAGS);
    json_decref(out);
    if (t->body) t->len = strlen(t->body);
    else srv_fail_set(&t->fail, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
}

void srv_task_reply(srv *s, srv_task *t, const char *request_id, srv_reply *out) {
    (void)s;
    memset(out, 0, sizeof *out);
    if (t->job.outcome == SRV_JOB_DONE) {
        if (t->fail.kind != SRV_PROB_NONE) {
            srv_reply_problem(out, &t->fail, request_id);
            return;
        }
        out->status = 200;
        out->content_type = t->svg ? SRV_SVG_CONTENT_TYPE : NULL;
        out->body = t->body; /* ownership passes to the response */
        out->len = t->len;
        t->body = NULL;
        return;
    }
    srv_fail f;
    srv_fail_clear(&f);
    if (t->job.outcome == SRV_JOB_GONE)
        srv_fail_set(&f, SRV_PROB_DEADLINE, NULL, "the client closed the connection; the work was dropped");
    else if (t->job.outcome == SRV_JOB_EXPIRED_QUEUED)
        srv_fail_set(&f, SRV_PROB_DEADLINE, NULL, "the deadline of %.0f ms passed while the request was queued (%.0f ms)",
                     t->deadline_ms, t->job.queue_ms);
    else
        srv_fail_set(&f, SRV_PROB_DEADLINE, NULL,
                     "the deadline of %.0f ms passed while solving (queued %.0f ms, solved %.0f ms)", t->deadline_ms,
                     t->job.queue_ms, t->job.t_end - t->job.t_submit - t->job.queue_ms);
    srv_reply_problem(out, &f, request_id);
}

/* Loop thread, when a streamed job ends: a last problem line if it ended early (deadline), then the
 * end of the stream. t may be freed by srv_stream_close. */
static void stream_done(srv_job *j) {
    srv_task *t = (srv_task *)j;
    if (j->outcome == SRV_JOB_EXPIRED_QUEUED || j->outcome == SRV_JOB_EXPIRED_RUNNING) {
        srv_fail f;
        srv_fail_clear(&f);
        srv_fail_set(&f, SRV_PROB_DEADLINE, NULL, "the deadline of %.0f ms passed; the items not listed were not solved",
                     t->deadline_ms);
        json_t *o = srv_problem_json(&f, NULL);
        /* its index: the first item not answered (every line has one) */
        if (o && t->stream_next < t->batch.n)
            json_object_set_new(o, "index", json_integer(t->batch.b.order[t->stream_next]));
        char *line = o ? json_dumps(o, JSON_FLAGS) : NULL;
        json_decref(o);
        if (line) srv_stream_write(t->stream, line, strlen(line));
        free(line);
    }
    srv_stream_close(t->stream);
}

/* MHD thread: the streamed response ended before the job (client gone): stop the solver. */
static void stream_gone(void *owner) { atomic_store(&((srv_task *)owner)->job.cancel, 1); }

static void stream_free(void *owner) { srv_task_free(owner); }

static int stream_client_gone(srv_job *j) { return srv_stream_gone(((srv_task *)j)->stream); }

/* ---- helpers ----------------------------------------------------------------------------------- */

static void reply_fail(srv_reply *out, srv_problem kind, const char *pointer, const char *request_id, const char *detail) {
    srv_fail f;
    srv_fail_clear(&f);
    srv_fail_set(&f, kind, pointer, "%s", detail);
    if (kind == SRV_PROB_QUEUE_FULL || kind == SRV_PROB_DRAINING) f.retry_after = RETRY_AFTER_S;
    srv_reply_problem(out, &f, request_id);
    if (f.retry_after) out->retry_after = f.retry_after;
}

static void reply_persistent(srv_reply *out, const char *body, size_t len) {
    out->status = 200;
    out->body = (char *)body;
    out->len = len;
    out->persistent = 1;
}

static double effective_deadline(srv *s, double asked) {
    double d = (double)atomic_load(&s->lim.deadline_ms);
    return asked > 0 && asked < d ? asked : d;
}

/* The 503 for a job the batcher refused (rc: SRV_BATCH_FULL or closed). */
static int reply_refused(srv *s, srv_req *r, int rc, srv_reply *out) {
    if (rc == SRV_BATCH_FULL) {
        char d[128];
        snprintf(d, sizeof d, "the queue is full (%lld jobs waiting); retry later", (long long)srv_batcher_depth(s->batcher));
        reply_fail(out, SRV_PROB_QUEUE_FULL, NULL, r->id_str, d);
    } else {
        reply_fail(out, SRV_PROB_DRAINING, NULL, r->id_str, "the server is shutting down; retry on another instance");
    }
    return SRV_ROUTE_REPLY;
}

/* Submits t; on refusal answers 503 and frees t. */
static int submit(srv *s, srv_req *r, srv_task *t, srv_reply *out) {
    t->s = s;
    t->t_arrival = r->t0;
    t->job.run = task_run;
    t->job.conn = r->conn;
    t->job.deadline = r->t0 + t->deadline_ms;
    r->task = t;
    int rc = srv_batcher_submit(s->batcher, &t->job);
    if (rc == SRV_BATCH_OK) return SRV_ROUTE_SUSPENDED;
    r->task = NULL;
    srv_task_free(t);
    return reply_refused(s, r, rc, out);
}

/* The JSON body as *root; for an application/onnx request, its query parameters instead. */
/* Submits a batch task whose reply is streamed (NDJSON): the response is queued now and reads lines
 * as the worker writes them; the connection is not suspended by the batcher. On refusal: 503. */
static int submit_stream(srv *s, srv_req *r, srv_task *t, srv_reply *out) {
    t->s = s;
    t->t_arrival = r->t0;
    t->job.run = task_run;
    t->job.conn = NULL;
    t->job.on_done = stream_done;
    t->job.gone_fn = stream_client_gone;
    t->job.deadline = r->t0 + t->deadline_ms;
    t->stream = srv_stream_new(r->conn, t, stream_free, stream_gone);
    if (!t->stream) {
        srv_task_free(t);
        reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory");
        return SRV_ROUTE_REPLY;
    }
    srv_stream *st = t->stream;
    int rc = srv_batcher_submit(s->batcher, &t->job);
    if (rc != SRV_BATCH_OK) {
        srv_stream_abandon(st);
        srv_stream_close(st); /* the last reference: frees t */
        return reply_refused(s, r, rc, out);
    }
    /* t stays alive: the response's reference is ours until MHD takes the response */
    struct MHD_Response *resp = srv_stream_response(st);
    if (!resp) {
        srv_stream_abandon(st); /* cancels the job; its end frees t */
        reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory");
        return SRV_ROUTE_REPLY;
    }
    out->status = 200;
    out->response = resp;
    out->content_type = "application/x-ndjson";
    return SRV_ROUTE_REPLY;
}

/* Accept: application/x-ndjson (the batch reply streamed one item per line). */
static int wants_ndjson(srv_req *r) {
    const char *a = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    return a && strstr(a, "application/x-ndjson") != NULL;
}

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
    reply_fail(out, SRV_PROB_DRAINING, NULL, r->id_str, "the server is shutting down; retry on another instance");
    return 1;
}

/* Gives the task one decode item per request (n of them, reqs[i] valid when ok[i]); only transformer
 * requests get a net. Returns 0, or -1 when out of memory. */
static int decode_items(srv_task *t, const srv_map_req *reqs, const srv_fail *fails, int32_t n) {
    int any = 0;
    for (int32_t i = 0; i < n; i++)
        if ((!fails || fails[i].kind == SRV_PROB_NONE) && srv_wants_decode(&reqs[i])) any = 1;
    if (!any) return 0;
    t->items = calloc((size_t)n, sizeof *t->items);
    t->decoded = calloc((size_t)n, sizeof *t->decoded);
    if (!t->items || !t->decoded) return -1;
    for (; t->n_decoded < n; t->n_decoded++)
        if (df_mapping_init(&t->decoded[t->n_decoded], 16) != DF_OK) return -1;
    for (int32_t i = 0; i < n; i++) {
        if ((fails && fails[i].kind != SRV_PROB_NONE) || !srv_wants_decode(&reqs[i])) continue;
        t->items[i] = (srv_decode_item){.net = reqs[i].net, .obj = reqs[i].obj, .k = reqs[i].candidates,
                                         .seed = reqs[i].seed, .decoded = &t->decoded[i]};
    }
    t->job.items = t->items;
    t->job.n_items = n;
    return 0;
}

/* ?format=json|svg: 0 or 1, or -1 after answering 400. */
static int format_svg(srv_req *r, srv_reply *out) {
    srv_fail f;
    srv_fail_clear(&f);
    int svg = srv_svg_wanted(MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "format"), &f);
    if (svg < 0) srv_reply_problem(out, &f, r->id_str);
    return svg;
}

/* ---- POST handlers ----------------------------------------------------------------------------- */

/* The common start of the POST map handlers: not draining, ?format, the body parsed (*root, *lim) and
 * a new task of the kind. NULL when a reply was filled in. */
static srv_task *begin_task(srv *s, srv_req *r, srv_reply *out, task_kind kind, json_t **root, srv_req_limits *lim) {
    if (draining(s, r, out)) return NULL;
    int svg = format_svg(r, out);
    if (svg < 0) return NULL;
    if (parse_body(s, r, out, root, lim)) return NULL;
    srv_task *t = calloc(1, sizeof *t);
    if (!t) {
        json_decref(*root);
        reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory");
        return NULL;
    }
    t->kind = kind;
    t->svg = svg;
    return t;
}

static int h_map(srv *s, srv_req *r, srv_reply *out) {
    json_t *root;
    srv_req_limits lim;
    srv_task *t = begin_task(s, r, out, TASK_MAP, &root, &lim);
    if (!t) return SRV_ROUTE_REPLY;
    srv_fail f;
    srv_fail_clear(&f);
    int rc = r->onnx ? srv_parse_map_onnx(root, (const uint8_t *)r->body, r->len, &lim, &t->map, &f)
                     : srv_parse_map(root, "", &lim, &t->map, &f);
    json_decref(root);
    if (rc) {
        srv_task_free(t);
        srv_reply_problem(out, &f, r->id_str);
        return SRV_ROUTE_REPLY;
    }
    if (decode_items(t, &t->map, NULL, 1)) { /* transformer: decoded on the loop, checked on a worker */
        srv_task_free(t);
        reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory");
        return SRV_ROUTE_REPLY;
    }
    t->deadline_ms = effective_deadline(s, t->map.deadline_ms);
    return submit(s, r, t, out);
}

static int h_map_batch(srv *s, srv_req *r, srv_reply *out) {
    json_t *root;
    srv_req_limits lim;
    srv_task *t = begin_task(s, r, out, TASK_BATCH, &root, &lim);
    if (!t) return SRV_ROUTE_REPLY;
    srv_fail f;
    srv_fail_clear(&f);
    int rc = srv_parse_batch(root, &lim, &t->batch, &f);
    if (rc == 0 && t->svg) rc = srv_svg_batch_budgets(root, &t->svg_budgets, &t->svg_n, &f);
    json_decref(root);
    if (rc) {
        srv_task_free(t);
        srv_reply_problem(out, &f, r->id_str);
        return SRV_ROUTE_REPLY;
    }
    if (decode_items(t, t->batch.items, t->batch.fails, t->batch.n)) {
        srv_task_free(t);
        reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory");
        return SRV_ROUTE_REPLY;
    }
    t->deadline_ms = effective_deadline(s, t->batch.deadline_ms);
    if (!t->svg && wants_ndjson(r)) return submit_stream(s, r, t, out);
    return submit(s, r, t, out);
}

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
    if (!j) srv_reply_problem(out, &f, r->id_str);
    else srv_reply_json(out, 200, j, r->id_str);
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
    const char *sl = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "seq_len");
    if (sl) {
        char *end;
        long v = strtol(sl, &end, 10);
        if (!*sl || *end || v < 1 || v > 4096) {
            reply_fail(out, SRV_PROB_INVALID_PARAMETER, NULL, r->id_str,
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
        reply_fail(out, SRV_PROB_UNKNOWN_WORKLOAD, NULL, r->id_str, e.msg);
        return SRV_ROUTE_REPLY;
    }
    if (rc != DF_OK) {
        reply_fail(out, rc == DF_ENOMEM ? SRV_PROB_INTERNAL : SRV_PROB_INVALID_PARAMETER, NULL, r->id_str, e.msg);
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
    return json_pack("{s:b, s:s, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:s, s:I, s:I, s:I}", "loaded", 1, "source",
                     wi.source, "config", "d", (int)wi.cfg.d, "L", (int)wi.cfg.L, "H", (int)wi.cfg.H, "T", (int)wi.cfg.T,
                     "F", (int)wi.cfg.F, "A", (int)wi.cfg.A, "metadata", wi.text, "train_steps", (json_int_t)wi.steps,
                     "decode_slots", (json_int_t)wi.slots, "generation", (json_int_t)wi.generation);
}

static int h_info(srv *s, srv_req *r, srv_reply *out) {
    srv_req_limits lim;
    srv_limits_snapshot(&s->lim, &lim);
    json_t *j = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, "
        "s:{s:I, s:I}, s:[s,s,s,s,s], s:s, s:[s,s,s,s], s:f, s:s}",
        "name", "dnnfuserd", "version", DF_VERSION, "build", "date", __DATE__ " " __TIME__, "compiler", __VERSION__,
        "libmicrohttpd", MHD_get_version(), "libuv", uv_version_string(), "jansson", JANSSON_VERSION, "systemd",
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
        (json_int_t)s->cfg.mhd_threads, "workers", (json_int_t)s->cfg.workers, "solvers", "auto", "transformer", "exact", "ga", "lbl",
        "default_solver", "auto", "objectives", "latency", "energy", "edp",
        "dram", "uptime_seconds", (srv_now_ms() - s->t_start) / 1e3, "listen", s->listen_addr);
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

static int h_readyz(srv *s, srv_req *r, srv_reply *out) {
    if (atomic_load(&s->draining)) {
        reply_fail(out, SRV_PROB_DRAINING, NULL, r->id_str, "the server is shutting down");
    } else if (!srv_batcher_alive(s->batcher)) {
        reply_fail(out, SRV_PROB_NOT_READY, NULL, r->id_str, "the work loop is not running");
    } else if (!srv_batcher_weights(s->batcher, &(srv_weights_info){0}) && s->weights_error[0]) {
        /* weights-optional: serving, with the exact solver in place of the transformer */
        srv_reply_json(out, 200,
                       json_pack("{s:s, s:s}", "status", "ready", "note",
                                 "no transformer weights could be loaded: transformer requests are answered by the exact "
                                 "solver (see /v1/info weights.error)"),
                       r->id_str);
    } else if (!srv_batcher_weights(s->batcher, &(srv_weights_info){0})) {
        reply_fail(out, SRV_PROB_NOT_READY, NULL, r->id_str, "the transformer weights are not loaded yet");
        out->retry_after = RETRY_AFTER_S;
    } else if (srv_batcher_waiting(s->batcher) >= srv_batcher_depth(s->batcher)) {
        reply_fail(out, SRV_PROB_NOT_READY, NULL, r->id_str, "the queue is saturated");
        out->retry_after = RETRY_AFTER_S;
    } else {
        reply_persistent(out, readyz_body, sizeof readyz_body - 1);
    }
    return SRV_ROUTE_REPLY;
}

static int h_metrics(srv *s, srv_req *r, srv_reply *out) {
    size_t len = 0;
    char *body = srv_metrics_render(&s->metrics, DF_VERSION, (srv_now_ms() - s->t_start) / 1e3, &len);
    if (!body) {
        reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory rendering metrics");
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
    {"/v1/map", 0, SRV_METHOD_POST, "POST", "map", h_map},
    {"/v1/map/batch", 0, SRV_METHOD_POST, "POST", "map_batch", h_map_batch},
    {"/v1/evaluate", 0, SRV_METHOD_POST, "POST", "evaluate", h_evaluate},
    {"/v1/workloads", 0, GET_HEAD, "GET, HEAD", "workloads", h_workloads},
    {"/v1/workloads/", 1, GET_HEAD, "GET, HEAD", "workload", h_workload},
    {"/v1/hardware/presets", 0, GET_HEAD, "GET, HEAD", "hardware_presets", h_presets},
    {"/v1/info", 0, GET_HEAD, "GET, HEAD", "info", h_info},
    {"/healthz", 0, GET_HEAD, "GET, HEAD", "healthz", h_healthz},
    {"/readyz", 0, GET_HEAD, "GET, HEAD", "readyz", h_readyz},
    {"/metrics", 0, GET_HEAD, "GET, HEAD", "metrics", h_metrics},
};
#define N_ROUTES ((int)(sizeof routes / sizeof routes[0]))

const srv_route *srv_routes(int *n) {
    *n = N_ROUTES;
    return routes;
}

int srv_route_match(const char *path) {
    if (!path) return -1;
    for (int i = 0; i < N_ROUTES; i++) {
        size_t n = strlen(routes[i].path);
        if (!routes[i].prefix) {
            if (strcmp(path, routes[i].path) == 0) return i;
        } else if (strncmp(path, routes[i].path, n) == 0 && path[n] && !strchr(path + n, '/')) {
            return i;
        }
    }
    return -1;
}

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
    s->workloads_body = json_dumps(wl, JSON_FLAGS);
    s->presets_body = json_dumps(pl, JSON_FLAGS);
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
