/* task.c - the request tasks (task.h): a batch (or a large or ONNX map body) is first parsed and
 * validated on a worker (stage PARSE, under the request's deadline, off the HTTP threads), then solved
 * (stage SOLVE; for a transformer request after the loop decoded it: the check before reply). Replies
 * are serialised item by item as they finish, charged to the memory budget (membudget.h) and bounded
 * by --max-reply-bytes. */
#include "task.h"

#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "clock.h"
#include "membudget.h"
#include "stream.h"
#include "svgreply.h"
#include "dnnfuser/json.h"
#include "dnnfuser/jsonout.h" /* df_json_dumps: json_dumps(DF_ANSWER_JSON_FLAGS) byte for byte */

/* a stream is handed to the HTTP layer as a reply's reader (srv_reply.read) */
_Static_assert(SRV_STREAM_END == SRV_REPLY_READ_END, "the stream ends a body as the HTTP layer expects");
/* a POST /v1/map JSON body up to this size is parsed on the HTTP thread (one bind: a few ms at most);
 * larger ones, ONNX bodies and every /v1/map/batch are parsed and validated on a worker */
#define INLINE_PARSE_BYTES (16 * 1024)
/* an NDJSON stream holds at most this many unread bytes; the producer waits past it (stream.h) */
#define STREAM_CAP_BYTES (1024 * 1024)
/* ... and gives up when the client read nothing for this long (the stream ends with a problem line) */
#define STREAM_STALL_MS 2000.0
/* the parsed request charged to the memory budget while it waits and is solved: per layer of every
 * item (a bound df_net and its workload: measured ~470 bytes per ResNet-50 layer, ~1.5 KB per layer of a
 * 4,096-layer chain) plus the JSON tree
 * of the body while it is parsed */
#define PARSED_BYTES_PER_LAYER 1536
#define PARSED_BYTES_PER_BODY_BYTE 4

/* ---- tasks: what a suspended request waits for -------------------------------------------------- */

typedef enum { TASK_SOLVE = 0, TASK_PARSE } task_stage;

typedef struct srv_task {
    srv_job job; /* first member: the batcher's view */
    srv *s;
    srv_task_kind kind;
    task_stage stage; /* PARSE: run() validates the body; SOLVE: run() answers */
    /* the body, for the PARSE stage (borrowed from the srv_req, which outlives the task's parse) */
    const char *body_in;
    size_t body_len;
    int onnx;
    json_t *query; /* application/onnx: the query parameters (read on the HTTP thread) */
    int ndjson;    /* Accept: application/x-ndjson */
    srv_req_limits lim;
    double parse_queue_ms; /* the PARSE stage's time queued (added to timings.queue_ms) */
    int64_t max_reply;     /* --max-reply-bytes when the request came */
    int64_t charged;       /* bytes charged to s->mem (the reply so far) */
    int64_t parse_charge;  /* bytes charged to s->mem for the parsed request (released once solved) */
    srv_map_req map;
    srv_batch_req batch;
    double t_arrival;   /* request arrival (srv_now_ms) */
    double deadline_ms; /* the effective deadline, relative to arrival */
    /* the result, written by the worker: a body, or a failure rendered on the HTTP thread */
    char *body;
    size_t len;
    srv_fail fail; /* kind != NONE: the request failed */
    /* transformer requests: one decode item per request (a map task has 1, a batch task one per item,
     * net NULL for the items that are not transformer ones); decoded[i] receives item i's answer */
    srv_decode_item *items;
    int32_t n_items; /* items [n_items] (0: nothing to decode); handed to the job when it is solved */
    df_mapping *decoded;
    int32_t n_decoded;         /* decoded[0..n_decoded) initialised */
    int svg;                   /* ?format=svg: the reply is drawn (svgreply.h) from the answers: */
    srv_map_result svg_answer; /* map: the answer */
    df_sweep_point *svg_pts;   /* batch: [batch.n] each item's point (answered 0 = failed) */
    int64_t *svg_budgets;      /* batch: the grid's budgets, item order */
    int32_t svg_n;
    srv_stream *stream;  /* Accept: application/x-ndjson: one line per batch item, as they are done;
                             * the stream owns the task */
    int32_t stream_next; /* streamed: the first item (in solve order) not written yet */
    int stream_ran;      /* streamed: batch_stream ended (the parsed batch is freed; stream_stop says where) */
    int32_t stream_stop; /* the index of the first item not written, -1 when all were */
} srv_task;

void srv_task_free(srv_task *t) {
    if (!t) return;
    if (t->charged) srv_mem_release(&t->s->mem, t->charged);
    if (t->parse_charge) srv_mem_release(&t->s->mem, t->parse_charge);
    json_decref(t->query);
    srv_map_req_free(&t->map);
    srv_batch_req_free(&t->batch);
    for (int32_t i = 0; i < t->n_decoded; i++) df_mapping_free(&t->decoded[i]);
    free(t->decoded);
    free(t->items);
    free(t->svg_budgets);
    free(t->svg_pts);
    srv_map_result_free(&t->svg_answer);
    free(t->body);
    free(t);
}

/* ?format=svg: what the picture is drawn from, kept from item idx's answer: the answer itself (map;
 * res is moved) or the item's sweep point (batch, with the exact optimum when the picture shows it;
 * out of memory leaves the point unanswered: a gap). */
static void svg_keep(srv_task *t, int32_t idx, const srv_map_req *r, srv_map_result *res) {
    if (t->kind == SRV_TASK_MAP) {
        t->svg_answer = *res;
        memset(res, 0, sizeof *res);
    } else if (t->svg_pts && idx < t->batch.n &&
               df_sweep_point_of(r, res, srv_svg_want_optimum(&t->batch), &t->job.cancel, &t->svg_pts[idx]) != DF_OK) {
        t->svg_pts[idx].answered = 0;
    }
}

/* One map request (item idx of the task) -> its reply object, or NULL with *f set. A transformer item
 * was decoded on the loop: it gets the check before reply; the others are solved here. carry
 * (nullable): the answer of the next smaller budget of the same sweep, offered to this one; keep
 * (nullable) receives this answer's mapping. */
static json_t *map_one_x(srv *s, const srv_map_req *r, srv_task *t, int32_t idx, const df_mapping *carry,
                         int64_t carry_budget, df_mapping *keep, srv_fail *f, char **text, size_t *text_len);
static json_t *map_one(srv *s, const srv_map_req *r, srv_task *t, int32_t idx, const df_mapping *carry,
                       int64_t carry_budget, df_mapping *keep, srv_fail *f) {
    return map_one_x(s, r, t, idx, carry, carry_budget, keep, f, NULL, NULL);
}

/* map_one; with text non-NULL the reply is written as text directly (df_answer_text, the same bytes
 * as the tree's dump) into *text and the tree is not built: returns a non-NULL token, not a tree. */
static json_t *map_one_x(srv *s, const srv_map_req *r, srv_task *t, int32_t idx, const df_mapping *carry,
                         int64_t carry_budget, df_mapping *keep, srv_fail *f, char **text, size_t *text_len) {
    srv_map_result res;
    const srv_decode_item *it = idx < t->job.n_items && t->items[idx].net ? &t->items[idx] : NULL;
    int rc = it ? srv_check_decoded(s->bases, r, &t->job.cancel, it->status, &t->decoded[idx],
                                    it->t_decoded - it->t_start, &res, f)
                : srv_run_map(r, &t->job.cancel, &res, f);
    if (rc != 0) return NULL;
    /* counted by the path that solved it (a sweep's carry comes after) */
    if (strcmp(res.path, "exact-fallback") == 0) atomic_fetch_add(&s->metrics.fallbacks, 1);
    srv_metrics_answer(&s->metrics, res.path);
    if (carry) df_answer_offer(r, carry, carry_budget, &res);
    if (keep && df_mapping_copy(keep, &res.map) != DF_OK) keep->n_groups = 0;
    json_t *o;
    if (text) {
        *text = df_answer_text(r, &res, t->job.queue_ms + t->parse_queue_ms, srv_now_ms() - t->t_arrival, text_len);
        o = *text ? json_null() : NULL; /* json_null is a static singleton: nothing to free */
    } else {
        o = srv_map_reply(r, &res, t->job.queue_ms + t->parse_queue_ms, srv_now_ms() - t->t_arrival);
    }
    if (o && t->svg) svg_keep(t, idx, r, &res);
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

/* Charges n more reply bytes to the task (its --max-reply-bytes, then the memory budget). 0, or -1
 * with *f set: 413 reply-too-large, 503 overloaded (Retry-After). */
static int charge(srv_task *t, size_t n, srv_fail *f) {
    if (t->max_reply > 0 && t->charged + (int64_t)n > t->max_reply) {
        srv_fail_set(f, SRV_PROB_REPLY_TOO_LARGE, NULL,
                     "the reply passed --max-reply-bytes (%lld bytes) while it was built; ask for fewer items or "
                     "stream them (Accept: application/x-ndjson)",
                     (long long)t->max_reply);
        return -1;
    }
    if (srv_mem_charge(&t->s->mem, (int64_t)n)) {
        srv_fail_set(f, SRV_PROB_OVERLOADED, NULL,
                     "the server's memory budget for replies in flight is reached; retry later");
        f->retry_after = SRV_RETRY_AFTER_S;
        return -1;
    }
    t->charged += (int64_t)n;
    return 0;
}

/* {"results": [...]}: each item a map reply or a problem object, both with "index", in index order
 * (solved in the sweep's order: budgets ascending per hardware row). Each item is serialised as soon as
 * it is solved and its JSON freed; the text is charged to the budget (stopping at the first refusal)
 * and joined at the end into t->body. */
static void batch_all(srv_task *t, srv_fail *f) {
    int32_t n = t->batch.n;
    char **slot = calloc((size_t)n, sizeof *slot);
    size_t *len = calloc((size_t)n, sizeof *len);
    if (!slot || !len) {
        free(slot);
        free(len);
        srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
        return;
    }
    sweep_keep kp;
    keep_init(t, &kp);
    int bad = 0;
    for (int32_t k = 0; k < n && !bad; k++) {
        int32_t i = t->batch.b.order[k];
        json_t *item = batch_item(t, k, &kp);
        slot[i] = item ? df_json_dumps(item) : NULL;
        json_decref(item);
        if (!slot[i]) {
            srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
            bad = 1;
        } else {
            len[i] = strlen(slot[i]);
            bad = charge(t, len[i] + 1, f) != 0; /* its text and a comma */
        }
        /* past the deadline the whole reply is a 504: stop spending CPU on it */
        if (srv_now_ms() > t->job.deadline || atomic_load(&t->job.cancel)) break;
    }
    keep_free(&kp);
    size_t total = sizeof "{\"results\":[]}";
    for (int32_t i = 0; i < n; i++) total += slot[i] ? len[i] + 1 : 0;
    char *body = bad ? NULL : malloc(total);
    if (!bad && !body) srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
    size_t o = 0;
    if (body) {
        memcpy(body, "{\"results\":[", 12);
        o = 12;
    }
    for (int32_t i = 0; i < n; i++) {
        if (body && slot[i]) {
            if (o > 12) body[o++] = ',';
            memcpy(body + o, slot[i], len[i]);
            o += len[i];
        }
        free(slot[i]);
    }
    free(slot);
    free(len);
    if (!body) return;
    memcpy(body + o, "]}", 3);
    t->body = body;
    t->len = o + 2;
}

/* The batch reply as one JSON tree, for the SVG picture (a sweep over budgets of one hardware: at
 * most --max-batch-items small items). NULL with *f set. */
static json_t *batch_svg_json(srv_task *t, srv_fail *f) {
    json_t *out = json_object(), *arr = json_array();
    if (!out || !arr || json_object_set(out, "results", arr)) {
        json_decref(out);
        json_decref(arr);
        srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
        return NULL;
    }
    json_decref(arr);
    for (int32_t i = 0; i < t->batch.n; i++) json_array_append_new(arr, json_null());
    sweep_keep kp;
    keep_init(t, &kp);
    int bad = 0;
    for (int32_t k = 0; k < t->batch.n && !bad; k++) {
        json_t *item = batch_item(t, k, &kp);
        bad = !item || json_array_set_new(arr, (size_t)t->batch.b.order[k], item);
        if (srv_now_ms() > t->job.deadline) break;
    }
    keep_free(&kp);
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
static void free_parsed(srv_task *t);

static void batch_stream(srv_task *t) {
    sweep_keep kp;
    keep_init(t, &kp);
    for (int32_t k = 0; k < t->batch.n; k++, t->stream_next = k) {
        if (srv_now_ms() > t->job.deadline || atomic_load(&t->job.cancel)) break;
        json_t *item = batch_item(t, k, &kp);
        if (!item) break;
        char *line = df_json_dumps(item);
        json_decref(item);
        /* waits while the client has STREAM_CAP_BYTES unread (a slow reader slows the producer) */
        int rc = line ? srv_stream_write(t->stream, line, strlen(line)) : -1;
        free(line);
        if (rc == -2) { /* the client stopped reading: end the stream (past the cap) with a problem line */
            srv_fail f;
            srv_fail_clear(&f);
            srv_fail_set(&f, SRV_PROB_DEADLINE, NULL,
                         "the client read nothing for %.0f ms with %d bytes unread; the items not listed were not "
                         "solved",
                         STREAM_STALL_MS, STREAM_CAP_BYTES);
            json_t *o = srv_problem_json(&f, NULL);
            if (o) json_object_set_new(o, "index", json_integer(t->batch.b.order[k]));
            char *last = o ? df_json_dumps(o) : NULL;
            json_decref(o);
            if (last) srv_stream_write_last(t->stream, last, strlen(last));
            free(last);
            t->stream_next = t->batch.n; /* nothing more to say in stream_done */
        }
        if (rc) break;
    }
    keep_free(&kp);
    /* the stream may be read for long after this: keep only where it stopped, free the parsed batch */
    t->stream_stop = t->stream_next < t->batch.n ? t->batch.b.order[t->stream_next] : -1;
    t->stream_ran = 1;
    free_parsed(t);
}

/* Once the reply is built the parsed request is not needed: freed (and its charge released) now, not
 * when a slow reader has finished reading. */
static void free_parsed(srv_task *t) {
    srv_map_req_free(&t->map);
    srv_batch_req_free(&t->batch);
    if (t->parse_charge) srv_mem_release(&t->s->mem, t->parse_charge);
    t->parse_charge = 0;
}

/* Worker thread: runs the task; leaves the serialised reply in t->body or the failure in t->fail. */
static void task_run(srv_job *j) {
    srv_task *t = (srv_task *)j;
    srv_fail_clear(&t->fail);
    if (t->stream) {
        batch_stream(t);
        return;
    }
    if (t->kind == SRV_TASK_BATCH && !t->svg) {
        batch_all(t, &t->fail);
        free_parsed(t);
        return;
    }
    if (t->kind == SRV_TASK_MAP && !t->svg) { /* the common case: the answer's text without a tree */
        if (!map_one_x(t->s, &t->map, t, 0, NULL, 0, NULL, &t->fail, &t->body, &t->len)) return;
        if (charge(t, t->len, &t->fail)) {
            free(t->body);
            t->body = NULL;
            t->len = 0;
        }
        free_parsed(t);
        return;
    }
    json_t *out =
        t->kind == SRV_TASK_MAP ? map_one(t->s, &t->map, t, 0, NULL, 0, NULL, &t->fail) : batch_svg_json(t, &t->fail);
    if (!out) return;
    if (t->svg) { /* the rendering hook: the picture of the answers just kept (svg_keep) */
        if (t->kind == SRV_TASK_MAP)
            srv_svg_map(&t->map, &t->svg_answer, &t->body, &t->len, &t->fail);
        else
            srv_svg_batch(&t->batch, t->svg_budgets, t->svg_n, t->svg_pts, &t->body, &t->len, &t->fail);
        json_decref(out);
    } else {
        t->body = df_json_dumps(out);
        json_decref(out);
        if (t->body)
            t->len = strlen(t->body);
        else
            srv_fail_set(&t->fail, SRV_PROB_INTERNAL, NULL, "out of memory building the reply");
    }
    if (t->body && charge(t, t->len, &t->fail)) {
        free(t->body);
        t->body = NULL;
        t->len = 0;
    }
    free_parsed(t);
}

static void task_reply(srv *s, srv_task *t, const char *request_id, srv_reply *out) {
    (void)s;
    memset(out, 0, sizeof *out);
    if (t->job.outcome == SRV_JOB_DONE) {
        if (t->fail.kind != SRV_PROB_NONE) {
            srv_reply_problem(out, &t->fail, request_id);
            return;
        }
        out->status = 200;
        out->content_type = t->svg ? SRV_SVG_CONTENT_TYPE : NULL;
        out->body = t->body; /* ownership passes to the response, and so does its memory charge */
        out->len = t->len;
        out->mem_charge = t->charged;
        t->body = NULL;
        t->charged = 0;
        return;
    }
    srv_fail f;
    srv_fail_clear(&f);
    if (t->job.outcome == SRV_JOB_GONE)
        srv_fail_set(&f, SRV_PROB_DEADLINE, NULL, "the client closed the connection; the work was dropped");
    else if (t->job.outcome == SRV_JOB_EXPIRED_QUEUED)
        srv_fail_set(&f, SRV_PROB_DEADLINE, NULL,
                     "the deadline of %.0f ms passed while the request was queued (%.0f ms)", t->deadline_ms,
                     t->job.queue_ms);
    else if (t->stage == TASK_PARSE)
        srv_fail_set(
            &f, SRV_PROB_DEADLINE, NULL,
            "the deadline of %.0f ms passed while the request was validated (queued %.0f ms, validated %.0f ms)",
            t->deadline_ms, t->job.queue_ms, t->job.t_end - t->job.t_submit - t->job.queue_ms);
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
        srv_fail_set(&f, SRV_PROB_DEADLINE, NULL,
                     "the deadline of %.0f ms passed; the items not listed were not solved", t->deadline_ms);
        json_t *o = srv_problem_json(&f, NULL);
        /* its index: the first item not answered (every line has one) */
        int32_t idx = t->stream_ran                 ? t->stream_stop
                      : t->stream_next < t->batch.n ? t->batch.b.order[t->stream_next]
                                                    : -1;
        if (o && idx >= 0) json_object_set_new(o, "index", json_integer(idx));
        char *line = o ? df_json_dumps(o) : NULL;
        json_decref(o);
        if (line) srv_stream_write_last(t->stream, line, strlen(line)); /* the loop thread: never waits */
        free(line);
    }
    srv_stream_close(t->stream);
}

/* MHD thread: the streamed response ended before the job (client gone): stop the solver. */
static void stream_gone(void *owner) { atomic_store(&((srv_task *)owner)->job.cancel, 1); }

static void stream_free(void *owner) { srv_task_free(owner); }

static int stream_client_gone(srv_job *j) { return srv_stream_gone(((srv_task *)j)->stream); }

/* ---- submission: to the batcher, or as a stream -------------------------------------------------- */

static double effective_deadline(srv *s, double asked) {
    double d = (double)atomic_load(&s->lim.deadline_ms);
    return asked > 0 && asked < d ? asked : d;
}

/* The 503 for a job the batcher refused (rc: SRV_BATCH_FULL or closed). */
static int reply_refused(srv *s, srv_req *r, int rc, srv_reply *out) {
    if (rc == SRV_BATCH_FULL) {
        char d[128];
        snprintf(d, sizeof d, "the queue is full (%lld jobs waiting); retry later",
                 (long long)srv_batcher_depth(s->batcher));
        srv_reply_fail(out, SRV_PROB_QUEUE_FULL, NULL, r->id_str, d);
    } else {
        srv_reply_fail(out, SRV_PROB_DRAINING, NULL, r->id_str,
                       "the server is shutting down; retry on another instance");
    }
    return SRV_ROUTE_REPLY;
}

/* Submits t; on refusal answers 503 and frees t. */
static int submit(srv *s, srv_req *r, srv_task *t, srv_reply *out) {
    t->s = s;
    t->t_arrival = r->t0;
    t->job.conn = r->conn;
    t->job.deadline = r->t0 + t->deadline_ms;
    r->task = t;
    int rc = srv_batcher_submit(s->batcher, &t->job);
    if (rc == SRV_BATCH_OK) return SRV_ROUTE_SUSPENDED;
    r->task = NULL;
    srv_task_free(t);
    return reply_refused(s, r, rc, out);
}

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
    /* the stream is told of the connection (and of hang-ups) through the HTTP layer's ops */
    srv_stream_conn sc = {
        .suspend = srv_http_suspend, .resume = srv_http_resume, .hung_up = srv_http_gone, .conn = r->conn};
    t->stream = srv_stream_new(&sc, t, stream_free, stream_gone);
    if (!t->stream) {
        srv_task_free(t);
        srv_reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory");
        return SRV_ROUTE_REPLY;
    }
    srv_stream *st = t->stream;
    srv_stream_set_cap(st, STREAM_CAP_BYTES, STREAM_STALL_MS, &t->job.cancel);
    int rc = srv_batcher_submit(s->batcher, &t->job);
    if (rc != SRV_BATCH_OK) {
        srv_stream_abandon(st);
        srv_stream_close(st); /* the last reference: frees t */
        return reply_refused(s, r, rc, out);
    }
    /* t stays alive: the response's reference goes to the HTTP layer with the reader (which, when no
     * response can be made, drops it at once: that cancels the job, whose end frees t) */
    out->status = 200;
    out->read = srv_stream_read;
    out->read_done = srv_stream_reader_done;
    out->read_cls = st;
    out->read_block = SRV_STREAM_BLOCK;
    out->content_type = "application/x-ndjson";
    return SRV_ROUTE_REPLY;
}

/* Gives the task one decode item per request (n of them, reqs[i] valid when ok[i]); only transformer
 * requests get a net. Returns 0, or -1 when out of memory. */
static int decode_items(srv_task *t, const srv_map_req *reqs, const srv_fail *fails, int32_t n) {
    /* auto's choice probes the network (a few group evaluations: long for thousands of layers): once per
     * item, and stopped by the deadline (t->lim.cancel) */
    char *wants = calloc((size_t)n, 1);
    if (!wants) return srv_fail_set(&t->fail, SRV_PROB_INTERNAL, NULL, "out of memory"), -1;
    int any = 0;
    for (int32_t i = 0; i < n; i++) {
        if (t->lim.cancel && atomic_load(t->lim.cancel)) {
            free(wants);
            return srv_fail_set(&t->fail, SRV_PROB_DEADLINE, NULL,
                                "the deadline of %.0f ms passed while the request was validated", t->deadline_ms),
                   -1;
        }
        wants[i] = (!fails || fails[i].kind == SRV_PROB_NONE) && srv_wants_decode(&reqs[i]);
        any |= wants[i];
    }
    if (!any) {
        free(wants);
        return 0;
    }
    t->items = calloc((size_t)n, sizeof *t->items);
    t->decoded = calloc((size_t)n, sizeof *t->decoded);
    int bad = !t->items || !t->decoded;
    for (; !bad && t->n_decoded < n; t->n_decoded++)
        if (df_mapping_init(&t->decoded[t->n_decoded], 16) != DF_OK) bad = 1;
    for (int32_t i = 0; !bad && i < n; i++) {
        if (!wants[i]) continue;
        t->items[i] = (srv_decode_item){.net = reqs[i].net,
                                        .obj = reqs[i].obj,
                                        .space = reqs[i].space,
                                        .k = reqs[i].candidates,
                                        .seed = reqs[i].seed,
                                        .decoded = &t->decoded[i]};
    }
    free(wants);
    if (bad) return srv_fail_set(&t->fail, SRV_PROB_INTERNAL, NULL, "out of memory"), -1;
    t->n_items = n;
    return 0;
}

/* ---- the stages: PARSE, SOLVE, and the resumed connection ---------------------------------------- */

/* The request body -> the task's request (t->map or t->batch, its decode items, the effective
 * deadline). On the HTTP thread for a small map body, else in the PARSE stage on a worker, where
 * t->lim.cancel (the job's cancel flag, raised at the deadline) stops a batch's validation. 0, or -1
 * with t->fail set. */
static int task_parse_body(srv_task *t) {
    srv_fail *f = &t->fail;
    srv_fail_clear(f);
    json_t *root = NULL;
    if (t->onnx) {
        root = t->query; /* its other fields are the query parameters */
        t->query = NULL;
    } else if (srv_parse_body(t->body_in, t->body_len, &root, f)) {
        return -1;
    }
    int rc;
    if (t->kind == SRV_TASK_MAP) {
        rc = t->onnx ? srv_parse_map_onnx(root, (const uint8_t *)t->body_in, t->body_len, &t->lim, &t->map, f)
                     : srv_parse_map(root, "", &t->lim, &t->map, f);
    } else {
        rc = srv_parse_batch(root, &t->lim, &t->batch, f);
        if (rc == 0 && t->svg) rc = srv_svg_batch_budgets(root, &t->svg_budgets, &t->svg_n, f);
        if (rc == 0 && t->svg && !(t->svg_pts = calloc((size_t)(t->batch.n > 0 ? t->batch.n : 1), sizeof *t->svg_pts)))
            rc = srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    }
    json_decref(root);
    if (rc) return -1;
    t->deadline_ms = effective_deadline(t->s, t->kind == SRV_TASK_MAP ? t->map.deadline_ms : t->batch.deadline_ms);
    int drc = t->kind == SRV_TASK_MAP ? decode_items(t, &t->map, NULL, 1)
                                      : decode_items(t, t->batch.items, t->batch.fails, t->batch.n);
    if (drc) return -1;
    int64_t layers = 0;
    if (t->kind == SRV_TASK_MAP)
        layers = t->map.w.n_layers;
    else
        for (int32_t i = 0; i < t->batch.n; i++) layers += t->batch.items[i].w.n_layers;
    int64_t est = layers * PARSED_BYTES_PER_LAYER + (int64_t)t->body_len * PARSED_BYTES_PER_BODY_BYTE;
    int64_t budget = atomic_load(&t->s->mem.budget);
    if (budget > 0 && est > budget) /* would never fit: not worth a retry */
        return srv_fail_set(f, SRV_PROB_LIMIT_EXCEEDED, NULL,
                            "the request needs about %lld bytes once parsed, more than --memory-budget (%lld bytes)",
                            (long long)est, (long long)budget);
    if (srv_mem_charge(&t->s->mem, est)) {
        srv_fail_set(f, SRV_PROB_OVERLOADED, NULL,
                     "the server's memory budget is reached (this request needs about %lld bytes); retry later",
                     (long long)est);
        f->retry_after = SRV_RETRY_AFTER_S;
        return -1;
    }
    t->parse_charge = est;
    return 0;
}

/* Worker thread, stage PARSE: the body parsed and validated (the result or t->fail read on resume). */
static void task_parse_run(srv_job *j) { task_parse_body((srv_task *)j); }

/* Stage SOLVE: the parsed task goes to the batcher (its decode items with it), streamed or not. */
static int solve(srv *s, srv_req *r, srv_task *t, srv_reply *out) {
    t->stage = TASK_SOLVE;
    t->job.run = task_run;
    t->job.items = t->items;
    t->job.n_items = t->items ? t->n_items : 0;
    /* a map request's check before reply runs on the decode loop that decoded it (batcher.h) */
    t->job.run_on_decoder = t->kind == SRV_TASK_MAP && !t->ndjson;
    t->lim.cancel = NULL;
    if (t->ndjson) return submit_stream(s, r, t, out);
    return submit(s, r, t, out);
}

int srv_task_resumed(srv *s, srv_req *r, srv_reply *out) {
    srv_task *t = r->task;
    if (t->stage != TASK_PARSE || t->job.outcome != SRV_JOB_DONE || t->fail.kind != SRV_PROB_NONE) {
        task_reply(s, t, r->id_str, out);
        return SRV_ROUTE_REPLY;
    }
    t->parse_queue_ms = t->job.queue_ms;
    t->job.resubmit = 1; /* admitted already: ahead of new work, not refused for the depth */
    r->task = NULL;      /* submit takes it again (or the stream does) */
    return solve(s, r, t, out);
}

int srv_task_post(srv *s, srv_req *r, srv_task_kind kind, int svg, int ndjson, srv_reply *out) {
    srv_task *t = calloc(1, sizeof *t);
    if (!t) {
        srv_reply_fail(out, SRV_PROB_INTERNAL, NULL, r->id_str, "out of memory");
        return SRV_ROUTE_REPLY;
    }
    t->s = s;
    t->kind = kind;
    t->svg = svg;
    t->onnx = r->onnx;
    t->body_in = r->body;
    t->body_len = r->len;
    t->ndjson = ndjson;
    srv_limits_snapshot(&s->lim, &t->lim);
    t->lim.zoo = s->zoo;
    t->lim.n_zoo = s->n_zoo;
    t->max_reply = atomic_load(&s->lim.max_reply_bytes);
    if (r->onnx) {
        srv_fail f;
        if (!(t->query = srv_http_query(r, &f))) {
            srv_task_free(t);
            srv_reply_problem(out, &f, r->id_str);
            return SRV_ROUTE_REPLY;
        }
    }
    if (kind == SRV_TASK_MAP && !r->onnx && r->len <= INLINE_PARSE_BYTES) {
        if (task_parse_body(t)) {
            srv_reply_problem(out, &t->fail, r->id_str);
            srv_task_free(t);
            return SRV_ROUTE_REPLY;
        }
        return solve(s, r, t, out);
    }
    t->stage = TASK_PARSE;
    t->lim.cancel = &t->job.cancel;
    t->deadline_ms = effective_deadline(s, 0);
    t->job.run = task_parse_run;
    return submit(s, r, t, out);
}
