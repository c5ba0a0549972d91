/* batcher.c - the bounded job queue, the libuv loop thread that drains it, the worker dispatch, the
 * decode loops (one thread and one df_mapper each: continuous batching on every core), the weights
 * load/swap and the deadlines (see batcher.h for the picture and the rules). All libuv calls except
 * uv_async_send happen on the loop thread. The wake handle is only sent to under the lock while the
 * queue is open; the decoded handle only by a decode loop holding items, and the decode loops are
 * joined (idle) before it is closed: no async handle is used after it is closed (PLATFORM.md
 * pitfall 8). */
#include "batcher.h"

#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "probkey.h"
#include "dnnfuser/answer.h" /* df_answer_layout_covers */

#define SRV_CONFIG_PATH 1024
#define SRV_MAX_DECODERS 64
/* Sequences a decode loop steps at once (more only when a single request needs more). bench_gpt's
 * mappings/s per core vs decode batch is flat from 4 to 32 rows and lower at 64 (idle machine: 2,822 /
 * 2,663 / 2,679 / 2,501 at 4 / 16 / 32 / 64), so small steps cost nothing; the daemon with 64 clients
 * and 2 loops gave 547 vs 410 ResNet-50 mappings/s with this cap and without (medians of 3 alternating
 * rounds, loaded machine). Re-measured as a curve (session 7, bench_daemon_ab.sh, ResNet-50
 * transformer, 64 clients, 5 alternating rounds of 5 s, shared 2-core machine), mappings/s relative to
 * 8: 16 rows 0.93x, 32 rows 0.85x, no cap 0.81x (one run, heap trim threshold set; daemon CPU per mapping
 * 0.47 / 0.49 / 0.52 / 0.54 ms at 8 / 16 / 32 / none); 4 rows 1.02x, 12 rows 1.01x (another run, the
 * episode cache in too: flat, within the rounds' spread). 8 stays. 0 = no cap (every free slot). */
#ifndef SRV_DECODE_STEP_ROWS
#define SRV_DECODE_STEP_ROWS 8
#endif
/* decode loops when opts.decode_loops is 0: 0 = one per core; a build can fix it (-D, benchmarks) */
#ifndef SRV_DECODE_LOOPS_DEFAULT
#define SRV_DECODE_LOOPS_DEFAULT 0
#endif

/* Episodes (static per-request features, per-layer layer-by-layer costs: df_episode_init, ~20% of a
 * decode loop's time at 64 clients) of the last problems a decode loop admitted, reused for an
 * identical problem (same layers, hardware, batch, objective, layout): the decode thread's own, no
 * lock. Bounded: SRV_EP_CACHE entries per loop, networks of at most SRV_EP_CACHE_LAYERS layers
 * (about 1 KiB a layer: <= 4 MiB per loop), least recently used replaced. */
#ifndef SRV_EP_CACHE
#define SRV_EP_CACHE 8
#endif
#define SRV_EP_CACHE_LAYERS 512
typedef struct {
    int used;
    uint64_t tick;
    srv_probkey key; /* the problem (layers, hardware, batch, objective) */
    df_episode ep;   /* net = NULL: bound to the request's net when cloned */
} srv_ep_entry;

/* One decode loop: a thread with its own mapper. The inbox and outbox are shared with the libuv loop
 * under lock; the mapper is used by the thread only, and swapped by the loop only while the loop has
 * no item out with this decoder (the thread then holds none: it reads the pointer under lock). */
typedef struct {
    struct srv_batcher *b;
    int index;
    uv_thread_t thread;
    int started;
    uv_mutex_t lock;
    uv_cond_t cond;
    /* under lock */
    srv_decode_item *in_head, *in_tail;   /* handed out, not admitted yet */
    srv_decode_item *out_head, *out_tail; /* back to the loop (decoded, refused or cancelled) */
    df_mapper *mapper;
    int stop;
    /* the decode thread only */
    srv_decode_item *owned; /* admitted in the mapper */
    srv_ep_entry ep_cache[SRV_EP_CACHE];
    uint64_t ep_tick;
    /* the libuv loop only */
    int32_t free_slots; /* slots not promised to an item */
    int32_t held;       /* items out with this decoder */
} srv_decoder;

struct srv_batcher {
    srv_batcher_opts o;
    uv_loop_t loop;
    uv_async_t wake;
    uv_async_t decoded; /* a decode loop handed items back */
    uv_timer_t deadline_timer;
    uv_timer_t heartbeat_timer;
    uv_timer_t watch_timer; /* every watch_ms: gone clients, running jobs past their deadline */
    uv_thread_t thread;
    int have_heartbeat;

    /* shared with submitters, under lock */
    uv_mutex_t lock;
    srv_job *in_head, *in_tail; /* the inbox */
    int64_t waiting;            /* inbox + pending: what the depth bounds */
    int closed;
    atomic_int_least64_t depth; /* the bound (reloadable) */
    atomic_int alive;           /* loop running and intake open */
    atomic_int done;            /* uv_run has returned */
    int joined;
    int reload_req; /* a weights load was asked for (req_path) */
    char req_path[SRV_CONFIG_PATH];
    srv_weights_info info; /* the weights in use (have_info) */
    int have_info;
    atomic_int ready;             /* a mapper is loaded */
    atomic_int_least64_t ep_hits; /* admissions that reused a cached episode */

    /* loop thread only */
    srv_job *q_head, *q_tail; /* the queue: taken from the inbox, QUEUED / DECODING / CANCELLED, in
                                   * submission order (linked by next) */
    srv_job *r_head;          /* RUNNING on the worker pool (linked by r_next) */
    int running;
    /* jobs in run() now, on a worker or on a decode loop (run_here): what --workers bounds; taken
     * by the loop (start_cpu) and by the decode loops, so atomic (take_worker) */
    atomic_int busy;
    int finishing;            /* handles are being closed */
    int n_dec;                /* decode loops */
    srv_decoder *dec;         /* [n_dec] */
    int have_mapper;          /* every decode loop has weights */
    df_mapper **next_mappers; /* [n_dec] loaded, swapped in once no decode loop holds an item */
    int have_next;
    char next_source[SRV_CONFIG_PATH];
    int64_t generation;
    uint64_t seed;
    /* the load in flight (a worker writes load_*; the loop reads them in after_load) */
    int loading;
    int load_failed; /* the last load failed (with no mapper: transformer jobs go exact) */
    uv_work_t load_work;
    char load_path[SRV_CONFIG_PATH];
    df_mapper **load_result; /* [n_dec], all or none */
    int load_ok;
    df_err load_err;
};

/* Any thread: takes one of the --workers run() slots; 0 when all are in use. */
static int take_worker(srv_batcher *b) {
    int n = atomic_load(&b->busy);
    while (n < b->o.workers)
        if (atomic_compare_exchange_weak(&b->busy, &n, n + 1)) return 1;
    return 0;
}

static void leave_queue(srv_batcher *b, int64_t n) {
    if (n <= 0) return;
    uv_mutex_lock(&b->lock);
    b->waiting -= n;
    uv_mutex_unlock(&b->lock);
    if (b->o.metrics) atomic_fetch_sub(&b->o.metrics->queue_depth, n);
}

/* Hands the job back to its connection; j must not be touched afterwards (PLATFORM.md pitfall 4). */
/* Loop thread: has the job's client hung up? */
static int client_gone(srv_batcher *b, srv_job *j) {
    if (j->gone_fn) return j->gone_fn(j);
    return j->conn && b->o.gone && b->o.gone(j->conn);
}

static void finish(srv_batcher *b, srv_job *j) {
    if (j->on_done) {
        j->on_done(j);
        return;
    }
    void *conn = j->conn;
    if (conn) b->o.resume(conn);
}

/* Leaves QUEUED at now: the wait is added to queue_ms (and observed once the job leaves the queue). */
static void unqueue_time(srv_job *j, double now) {
    if (j->state == SRV_JS_QUEUED && now > j->t_queued) j->queue_ms += now - j->t_queued;
}

static void expire_queued(srv_batcher *b, srv_job *j, double now) {
    unqueue_time(j, now);
    j->outcome = SRV_JOB_EXPIRED_QUEUED;
    j->state = SRV_JS_DONE;
    j->t_start = j->t_end = now;
    if (b->o.metrics) {
        atomic_fetch_add(&b->o.metrics->expired_queued, 1);
        srv_hist_observe(&b->o.metrics->queue_wait, j->queue_ms / 1e3);
    }
    finish(b, j);
}

static void work_cb(uv_work_t *w) {
    srv_job *j = w->data;
    j->run(j);
    j->t_end = srv_now_ms();
}

static void dispatch(srv_batcher *b);
static void maybe_finish(srv_batcher *b);
static void arm_deadline_timer(srv_batcher *b);

/* Loop: answers a job whose run() returned (on a worker, or on a decode loop: run_here): its outcome
 * from the client and the deadline; failed: the pool could not run it. */
static void answer_ran(srv_batcher *b, srv_job *j, int failed) {
    if (b->o.metrics) srv_hist_observe(&b->o.metrics->solve, (j->t_end - j->t_start) / 1e3);
    if (j->gone) {
        j->outcome = SRV_JOB_GONE;
        if (b->o.metrics) atomic_fetch_add(&b->o.metrics->client_gone, 1);
    } else if (j->t_end > j->deadline || failed) {
        j->outcome = SRV_JOB_EXPIRED_RUNNING;
        if (b->o.metrics) atomic_fetch_add(&b->o.metrics->expired_running, 1);
    } else {
        j->outcome = SRV_JOB_DONE;
    }
    j->state = SRV_JS_DONE;
    finish(b, j);
}

static void after_work_cb(uv_work_t *w, int status) {
    srv_job *j = w->data;
    srv_batcher *b = w->loop->data;
    b->running--;
    atomic_fetch_sub(&b->busy, 1);
    for (srv_job **pp = &b->r_head; *pp; pp = &(*pp)->r_next)
        if (*pp == j) {
            *pp = j->r_next;
            break;
        }
    j->r_next = NULL;
    if (status == UV_ECANCELED) j->t_end = srv_now_ms();
    answer_ran(b, j, status != 0);
    dispatch(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

static void started(srv_batcher *b, srv_job *j, double now);

/* Takes j out of the queue (it is on it: QUEUED, DECODING or CANCELLED); prev is its predecessor or
 * NULL when unknown (then it is searched). The queue bound counts one job less. */
static void queue_remove(srv_batcher *b, srv_job *j, srv_job *prev) {
    if (!prev && b->q_head != j)
        for (prev = b->q_head; prev && prev->next != j; prev = prev->next) {}
    if (prev)
        prev->next = j->next;
    else
        b->q_head = j->next;
    if (b->q_tail == j) b->q_tail = prev;
    j->next = NULL;
    leave_queue(b, 1);
}

/* QUEUED -> RUNNING: hands a job (out of the queue) to the worker pool; the caller took a worker
 * slot (take_worker), so libuv's own queue never holds a job of ours. */
static void start_cpu(srv_batcher *b, srv_job *j, double now) {
    unqueue_time(j, now);
    started(b, j, now);
    if (b->o.metrics) srv_hist_observe(&b->o.metrics->queue_wait, j->queue_ms / 1e3);
    j->state = SRV_JS_RUNNING;
    j->work.data = j;
    if (uv_queue_work(&b->loop, &j->work, work_cb, after_work_cb) != 0) {
        /* cannot happen with a valid loop; answer rather than lose the job */
        atomic_fetch_sub(&b->busy, 1);
        j->t_end = srv_now_ms();
        j->outcome = SRV_JOB_EXPIRED_RUNNING;
        j->state = SRV_JS_DONE;
        finish(b, j);
        return;
    }
    b->running++;
    j->r_next = b->r_head;
    b->r_head = j;
}

/* Raises the cancel flag of a job's items out with decode loops (each frees them at its next step and
 * hands them back). Returns 1 while some are out: the job is CANCELLED and answered when the last
 * comes back; 0 when none is out. */
static int drop_decodes(srv_job *j) {
    for (int32_t i = 0; i < j->n_items; i++)
        if (j->items[i].decoder >= 0) atomic_store(&j->items[i].cancel, 1);
    j->next_item = j->n_items; /* nothing more is handed out */
    if (j->in_flight > 0) {
        j->state = SRV_JS_CANCELLED;
        atomic_store(&j->cancel, 1); /* a run() on a decode loop (run_here) stops its solvers */
        return 1;
    }
    return 0;
}

/* Answers a job that leaves before run() (out of the queue): its client is gone, or its deadline passed. */
static void drop(srv_batcher *b, srv_job *j, double now) {
    unqueue_time(j, now);
    j->state = SRV_JS_DONE;
    if (j->gone) {
        j->outcome = SRV_JOB_GONE;
        j->t_end = now;
        if (!j->t_start) j->t_start = now;
        if (b->o.metrics) atomic_fetch_add(&b->o.metrics->client_gone, 1);
        finish(b, j);
    } else if (j->t_start) { /* some items were decoding */
        j->outcome = SRV_JOB_EXPIRED_RUNNING;
        j->t_end = now;
        if (b->o.metrics) atomic_fetch_add(&b->o.metrics->expired_running, 1);
        finish(b, j);
    } else {
        expire_queued(b, j, now);
    }
}

static void started(srv_batcher *b, srv_job *j, double now) {
    (void)b;
    if (!j->t_start) j->t_start = now;
}

/* ---------------------------------------------------------------------------------------------- */
/* decode loops */

static void out_push(srv_decode_item **head, srv_decode_item **tail, srv_decode_item *it) {
    it->d_next = NULL;
    if (*tail)
        (*tail)->d_next = it;
    else
        *head = it;
    *tail = it;
}

/* removes it from the decode thread's owned list */
static void owned_remove(srv_decoder *d, srv_decode_item *it) {
    for (srv_decode_item **pp = &d->owned; *pp; pp = &(*pp)->d_next)
        if (*pp == it) {
            *pp = it->d_next;
            break;
        }
    it->d_next = NULL;
}

static const df_episode *ep_find(srv_decoder *d, const df_mapper *mp, const df_net *net, df_objective obj) {
    for (int i = 0; i < SRV_EP_CACHE; i++) {
        srv_ep_entry *c = &d->ep_cache[i];
        if (c->used && c->ep.layout == df_mapper_layout(mp) && srv_probkey_eq(&c->key, net, obj)) {
            c->tick = ++d->ep_tick;
            return &c->ep;
        }
    }
    return NULL;
}

static void ep_entry_free(srv_ep_entry *c) {
    srv_probkey_free(&c->key);
    df_episode_free(&c->ep);
    memset(c, 0, sizeof *c);
}

/* keeps a copy of the episode ep of net (out of memory: not cached) */
static void ep_store(srv_decoder *d, const df_net *net, df_objective obj, const df_episode *ep) {
    const df_workload *w = df_net_workload(net);
    if (w->n_layers > SRV_EP_CACHE_LAYERS) return;
    srv_ep_entry *c = &d->ep_cache[0];
    for (int i = 1; i < SRV_EP_CACHE && c->used; i++)
        if (!d->ep_cache[i].used || d->ep_cache[i].tick < c->tick) c = &d->ep_cache[i];
    ep_entry_free(c);
    if (srv_probkey_set(&c->key, net, obj) != DF_OK) return;
    if (df_mapper_episode_clone(&c->ep, ep, NULL) != DF_OK) {
        srv_probkey_free(&c->key);
        memset(c, 0, sizeof *c);
        return;
    }
    c->tick = ++d->ep_tick;
    c->used = 1;
}

/* Decode thread, item it just decoded: a job that allows it (run_on_decoder, its only item, decoded
 * without error, not dropped by the loop) runs here when this decode loop has no other sequence to
 * step (they would wait for the check: at 64 clients that cost more than the hand-offs save,
 * bench_daemon_ab 7 alternating rounds 3,380 -> 2,768 mappings/s) and one of the --workers slots is
 * free, before it goes back to the loop; the loop then answers it at once (on_decoded) instead of
 * queueing it for a worker. With every slot taken it waits in the queue for one, as before (the same bound for every
 * job). The loop does not touch the job while its item is out (in_flight > 0) except to read deadline
 * and gone and to raise the cancel flags; the outbox lock orders ran and t_end before the loop reads
 * them, and the slot is given back before the loop is woken (so it can dispatch the next job). */
static void run_here(srv_batcher *b, srv_decoder *d, srv_decode_item *it) {
    srv_job *j = it->job;
    if (!j->run_on_decoder || j->n_items != 1 || it->status != DF_OK || atomic_load(&it->cancel)) return;
    if (d->owned) return; /* other sequences decoding here: they would wait for the check */
    if (!take_worker(b)) return;
    j->run(j);
    j->t_end = srv_now_ms();
    j->ran = 1;
    atomic_fetch_sub(&b->busy, 1);
}

/* The decode thread: admit what was handed out, drop cancelled items, one step of every active
 * sequence, hand back what finished; sleep while there is nothing. OpenBLAS runs single-threaded here
 * (set at start): the pthread build locks its buffers when several threads call it. */
static void decoder_main(void *arg) {
    srv_decoder *d = arg;
    srv_batcher *b = d->b;
    for (;;) {
        uv_mutex_lock(&d->lock);
        while (!d->stop && !d->in_head && !d->owned) uv_cond_wait(&d->cond, &d->lock);
        if (d->stop && !d->in_head && !d->owned) {
            uv_mutex_unlock(&d->lock);
            break;
        }
        srv_decode_item *in = d->in_head;
        d->in_head = d->in_tail = NULL;
        df_mapper *mp = d->mapper;
        uv_mutex_unlock(&d->lock);

        srv_decode_item *out = NULL, *out_tail = NULL;
        df_err e;
        for (srv_decode_item *it = in, *nx; it; it = nx) { /* new sequences join at the step boundary */
            nx = it->d_next;
            df_err_clear(&e);
            /* the mapper of this step decides (a reload may have swapped the layout since submission) */
            int covers = mp && df_answer_layout_covers(df_mapper_layout(mp), it->space);
            const df_episode *tp = covers ? ep_find(d, mp, it->net, it->obj) : NULL;
            int rc = !mp       ? DF_EIO
                     : !covers ? DF_EUNSUPPORTED
                               : df_mapper_admit_ep(mp, it->net, it->obj, it->k, it->seed, it, tp, &it->mjob, &e);
            if (rc == DF_OK && tp) atomic_fetch_add(&b->ep_hits, 1);
            if (rc == DF_OK && !tp) ep_store(d, it->net, it->obj, df_mapper_job_episode(it->mjob));
            if (rc != DF_OK) { /* refused (budget too small, ...): run() answers with the reason */
                it->status = rc;
                it->mjob = NULL;
                it->t_decoded = srv_now_ms();
                out_push(&out, &out_tail, it);
                continue;
            }
            it->d_next = d->owned;
            d->owned = it;
        }
        for (srv_decode_item *it = d->owned, *nx; it; it = nx) { /* the loop dropped these */
            nx = it->d_next;
            if (!atomic_load(&it->cancel)) continue;
            owned_remove(d, it);
            df_mapper_job_free(mp, it->mjob);
            it->mjob = NULL;
            it->status = DF_EINVAL;
            it->t_decoded = srv_now_ms();
            out_push(&out, &out_tail, it);
        }
        if (d->owned && mp && df_mapper_active(mp) > 0) {
            if (b->o.metrics) {
                srv_hist_observe(&b->o.metrics->decode_batch, (double)df_mapper_active(mp));
                atomic_fetch_add(&b->o.metrics->decode_steps, 1);
            }
            df_err_clear(&e);
            if (df_mapper_step(mp, NULL, &e) != DF_OK) {
                /* the library failed (out of memory): every item here goes to the exact fallback */
                if (b->o.log)
                    srv_log(b->o.log, SRV_LOG_ERROR, "decode_failed", "loop=%d error=%s", d->index, SRV_LOGV(e.msg));
                while (d->owned) {
                    srv_decode_item *it = d->owned;
                    d->owned = it->d_next;
                    df_mapper_job_free(mp, it->mjob);
                    it->mjob = NULL;
                    it->status = e.code ? e.code : DF_ENOMEM;
                    it->t_decoded = srv_now_ms();
                    out_push(&out, &out_tail, it);
                }
            }
            df_mapper_job *mj;
            while (mp && (mj = df_mapper_pop_done(mp)) != NULL) {
                srv_decode_item *it = df_mapper_job_user(mj);
                df_err_clear(&e);
                it->status = df_mapper_job_result(mj, it->decoded, NULL, NULL, &e);
                df_mapper_job_free(mp, mj);
                it->mjob = NULL;
                it->t_decoded = srv_now_ms();
                owned_remove(d, it);
                run_here(b, d, it);
                out_push(&out, &out_tail, it);
            }
        }
        if (out) { /* the mapper is not touched again before the next lock: a swap may follow */
            uv_mutex_lock(&d->lock);
            if (d->out_tail)
                d->out_tail->d_next = out;
            else
                d->out_head = out;
            d->out_tail = out_tail;
            uv_mutex_unlock(&d->lock);
            uv_async_send(&b->decoded);
        }
    }
}

/* The loop: hands item it to the decode loop with the most free slots, within the rows a loop steps at
 * once (SRV_DECODE_STEP_ROWS; an idle loop takes any k that fits). 0, or -1 when none can take it. */
static int hand_out(srv_batcher *b, srv_decode_item *it) {
    int best = -1;
    for (int i = 0; i < b->n_dec; i++) {
        const srv_decoder *d = &b->dec[i];
        int32_t busy = b->o.decode_slots - d->free_slots;
        if (d->free_slots < it->k || (SRV_DECODE_STEP_ROWS > 0 && busy > 0 && busy + it->k > SRV_DECODE_STEP_ROWS))
            continue;
        if (best < 0 || d->free_slots > b->dec[best].free_slots) best = i;
    }
    if (best < 0) return -1;
    srv_decoder *d = &b->dec[best];
    d->free_slots -= it->k;
    d->held++;
    it->decoder = best;
    if (!it->seed) it->seed = ++b->seed; /* a request's own seed (report layer) wins */
    atomic_store(&it->cancel, 0);
    uv_mutex_lock(&d->lock);
    out_push(&d->in_head, &d->in_tail, it);
    uv_cond_signal(&d->cond);
    uv_mutex_unlock(&d->lock);
    return 0;
}

static int decoders_idle(const srv_batcher *b) {
    for (int i = 0; i < b->n_dec; i++)
        if (b->dec[i].held) return 0;
    return 1;
}

/* One pass over the queue in order: answers gone and expired jobs (a decoding one is CANCELLED and
 * answered when its items are back), hands decode items out while a decode loop has the slots (FIFO:
 * once one cannot be placed, later items wait too), and starts jobs with nothing (more) to decode on
 * the free workers. */
static void dispatch(srv_batcher *b) {
    double now = srv_now_ms();
    int can_admit = b->have_mapper && !b->have_next && !b->finishing;
    int no_weights = !b->have_mapper && !b->have_next && !b->loading && b->load_failed;
    int32_t max_k = b->o.decode_slots;
    srv_job *prev = NULL;
    for (srv_job *j = b->q_head, *nx; j; j = nx) {
        nx = j->next;
        if (j->state == SRV_JS_CANCELLED) { /* waits for its items */
            prev = j;
            continue;
        }
        if (now >= j->deadline || j->gone) {
            if (drop_decodes(j)) {
                prev = j;
                continue;
            }
            queue_remove(b, j, prev);
            drop(b, j, now);
            continue;
        }
        while (j->next_item < j->n_items) {
            srv_decode_item *it = &j->items[j->next_item];
            if (!it->net) { /* nothing to decode */
                j->next_item++;
                continue;
            }
            if (no_weights) { /* no weights could be loaded: run() answers exactly */
                it->status = DF_EIO;
                j->next_item++;
                continue;
            }
            if (it->k < 1 || it->k > max_k) { /* no decode loop can ever take it (df_mapper_admit's error) */
                it->status = DF_EINVAL;
                j->next_item++;
                continue;
            }
            if (!can_admit) break;
            if (hand_out(b, it)) { /* FIFO: later jobs wait for slots too */
                can_admit = 0;
                break;
            }
            j->next_item++;
            it->t_start = now;
            j->in_flight++;
            started(b, j, now);
            if (j->state == SRV_JS_QUEUED) {
                unqueue_time(j, now);
                j->state = SRV_JS_DECODING;
            }
        }
        /* nothing (more) to decode and nothing decoding: it waits for a worker, in queue order */
        if (j->next_item == j->n_items && j->in_flight == 0 && take_worker(b)) {
            queue_remove(b, j, prev);
            start_cpu(b, j, now);
            continue;
        }
        prev = j;
    }
}

static void start_load(srv_batcher *b);

/* Swaps in loaded weights once no decode loop holds an item. */
static void try_swap(srv_batcher *b) {
    if (!b->have_next || !decoders_idle(b)) return;
    for (int i = 0; i < b->n_dec; i++) {
        srv_decoder *d = &b->dec[i];
        uv_mutex_lock(&d->lock);
        df_mapper *old = d->mapper;
        d->mapper = b->next_mappers[i];
        uv_mutex_unlock(&d->lock);
        b->next_mappers[i] = NULL;
        df_mapper_free(old);
        d->free_slots = df_mapper_free_slots(d->mapper);
    }
    b->have_next = 0;
    b->have_mapper = 1;
    b->generation++;
    const df_gpt_config *c = df_mapper_config(b->dec[0].mapper);
    const df_train_meta *meta = df_mapper_meta(b->dec[0].mapper);
    int32_t slots = 0;
    for (int i = 0; i < b->n_dec; i++) slots += b->dec[i].free_slots;
    uv_mutex_lock(&b->lock);
    memset(&b->info, 0, sizeof b->info);
    b->info.cfg = *c;
    snprintf(b->info.source, sizeof b->info.source, "%s", b->next_source);
    if (meta) {
        snprintf(b->info.text, sizeof b->info.text, "%s", meta->text);
        b->info.steps = meta->steps;
    }
    b->info.slots = b->dec[0].free_slots; /* per decode loop, as configured (decode_slots) */
    b->info.decode_loops = b->n_dec;
    b->info.generation = b->generation;
    b->info.space = df_answer_layout_covers(df_mapper_layout(b->dec[0].mapper), DF_SPACE_DEPTH_FIRST)
                        ? DF_SPACE_DEPTH_FIRST
                        : DF_SPACE_BATCH;
    b->info.f16_lossless = df_mapper_f16_lossless(b->dec[0].mapper);
    b->info.f16 = df_mapper_f16(b->dec[0].mapper);
    b->have_info = 1;
    uv_mutex_unlock(&b->lock);
    atomic_store(&b->ready, 1);
    if (b->o.log)
        srv_log(b->o.log, SRV_LOG_INFO, "weights_reload",
                "ok=yes source=%s d=%d L=%d H=%d T=%d slots=%d decode_loops=%d generation=%lld", b->next_source,
                (int)c->d, (int)c->L, (int)c->H, (int)c->T, (int)slots, b->n_dec, (long long)b->generation);
}

/* Loop: a job whose run() returned on its decode loop (run_here), out of the queue: answered as
 * after_work_cb answers a worker's job (its queue wait observed here, as start_cpu does). */
static void ran_on_decoder(srv_batcher *b, srv_job *j) {
    if (b->o.metrics) srv_hist_observe(&b->o.metrics->queue_wait, j->queue_ms / 1e3);
    answer_ran(b, j, 0);
}

/* The decoded handle: items back from the decode loops. */
static void on_decoded(uv_async_t *a) {
    srv_batcher *b = a->loop->data;
    double now = srv_now_ms();
    for (int i = 0; i < b->n_dec; i++) {
        srv_decoder *d = &b->dec[i];
        uv_mutex_lock(&d->lock);
        srv_decode_item *it = d->out_head;
        d->out_head = d->out_tail = NULL;
        uv_mutex_unlock(&d->lock);
        for (srv_decode_item *nx; it; it = nx) {
            nx = it->d_next;
            it->d_next = NULL;
            it->decoder = -1;
            d->free_slots += it->k;
            d->held--;
            srv_job *j = it->job;
            if (--j->in_flight > 0) continue;
            if (j->state == SRV_JS_CANCELLED) { /* every item is back: answer the drop */
                queue_remove(b, j, NULL);
                drop(b, j, now);
            } else if (j->state == SRV_JS_DECODING && j->ran) { /* run() done on the decode loop */
                queue_remove(b, j, NULL);
                ran_on_decoder(b, j);
            } else if (j->state == SRV_JS_DECODING) { /* decoded (so far): waits in the queue again */
                j->state = SRV_JS_QUEUED;
                j->t_queued = now;
            }
        }
    }
    try_swap(b);
    dispatch(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

static void free_mappers(df_mapper **m, int n) {
    for (int i = 0; i < n; i++) {
        df_mapper_free(m[i]);
        m[i] = NULL;
    }
}

static void load_work_cb(uv_work_t *w) {
    srv_batcher *b = w->data;
    df_err_clear(&b->load_err);
    b->load_ok = 1;
    for (int i = 0; i < b->n_dec && b->load_ok; i++) {
        b->load_result[i] = NULL;
        int rc = b->load_path[0] ? df_mapper_load(&b->load_result[i], b->load_path, b->o.decode_slots, &b->load_err)
                                 : df_mapper_load_embedded(&b->load_result[i], b->o.decode_slots, &b->load_err);
        if (rc) b->load_ok = 0;
    }
    if (!b->load_ok) free_mappers(b->load_result, b->n_dec);
}

static void after_load_cb(uv_work_t *w, int status) {
    srv_batcher *b = w->data;
    b->loading = 0;
    b->load_failed = status != 0 || !b->load_ok;
    if (b->load_failed) {
        free_mappers(b->load_result, b->n_dec);
        if (b->o.log)
            srv_log(b->o.log, SRV_LOG_ERROR, "weights_reload", "ok=no source=%s error=%s kept=%s",
                    SRV_LOGV(b->load_path[0] ? b->load_path : "embedded"),
                    SRV_LOGV(status ? "cancelled" : b->load_err.msg), b->have_mapper ? "previous" : "none");
    } else if (b->finishing) {
        free_mappers(b->load_result, b->n_dec);
    } else {
        free_mappers(b->next_mappers, b->n_dec);
        for (int i = 0; i < b->n_dec; i++) {
            b->next_mappers[i] = b->load_result[i];
            b->load_result[i] = NULL;
        }
        b->have_next = 1;
        snprintf(b->next_source, sizeof b->next_source, "%s", b->load_path[0] ? b->load_path : "embedded");
        if (!decoders_idle(b) && b->o.log)
            srv_log(b->o.log, SRV_LOG_INFO, "weights_reload", "loaded=yes swap=after_active active_jobs=yes");
        try_swap(b);
    }
    start_load(b); /* a request that came in meanwhile */
    dispatch(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

/* Starts the asked-for load unless one is in flight. */
static void start_load(srv_batcher *b) {
    if (b->loading || b->finishing) return;
    uv_mutex_lock(&b->lock);
    int req = b->reload_req;
    if (req) {
        memcpy(b->load_path, b->req_path, sizeof b->load_path);
        b->reload_req = 0;
    }
    uv_mutex_unlock(&b->lock);
    if (!req) return;
    b->load_work.data = b;
    if (uv_queue_work(&b->loop, &b->load_work, load_work_cb, after_load_cb) == 0) b->loading = 1;
}

/* Raises cancel on running jobs past their deadline or whose client is gone (their solver stops at
 * its next check; after_work answers them). */
static void cancel_running(srv_batcher *b) {
    double now = srv_now_ms();
    for (srv_job *j = b->r_head; j; j = j->r_next)
        if ((j->gone || now >= j->deadline) && !atomic_load(&j->cancel)) {
            atomic_store(&j->cancel, 1);
            if (b->o.metrics) atomic_fetch_add(&b->o.metrics->cancelled, 1);
        }
}

static void deadline_cb(uv_timer_t *t) {
    srv_batcher *b = t->loop->data;
    cancel_running(b);
    dispatch(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

/* One-shot timer at the earliest deadline among pending jobs. */
static void arm_deadline_timer(srv_batcher *b) {
    if (b->finishing) return;
    double first = INFINITY;
    for (srv_job *j = b->q_head; j; j = j->next) /* a cancelled job waits for its items */
        if (j->deadline < first && j->state != SRV_JS_CANCELLED) first = j->deadline;
    for (srv_job *j = b->r_head; j; j = j->r_next)
        if (j->deadline < first && !atomic_load(&j->cancel)) first = j->deadline;
    if (first == INFINITY) {
        uv_timer_stop(&b->deadline_timer);
        return;
    }
    double ms = first - srv_now_ms();
    uv_update_time(&b->loop); /* uv_now is cached per tick; deadlines are absolute (pitfall 8) */
    uv_timer_start(&b->deadline_timer, deadline_cb, ms > 0 ? (uint64_t)ms + 1 : 0, 0);
}

/* Every watch_ms: asks whether the clients of waiting, decoding and running jobs are still there. */
static void watch_cb(uv_timer_t *t) {
    srv_batcher *b = t->loop->data;
    if (!b->q_head && !b->r_head) return;
    int any = 0;
    for (srv_job *j = b->q_head; j; j = j->next)
        if (!j->gone && client_gone(b, j)) any = j->gone = 1;
    for (srv_job *j = b->r_head; j; j = j->r_next)
        if (!j->gone && client_gone(b, j)) any = j->gone = 1;
    if (!any) return;
    cancel_running(b);
    dispatch(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

static void heartbeat_cb(uv_timer_t *t) {
    srv_batcher *b = t->loop->data;
    if (b->o.heartbeat) b->o.heartbeat(b->o.heartbeat_ctx);
}

static void on_wake(uv_async_t *a) {
    srv_batcher *b = a->loop->data;
    uv_mutex_lock(&b->lock);
    srv_job *head = b->in_head;
    b->in_head = b->in_tail = NULL;
    uv_mutex_unlock(&b->lock);
    /* coalesced wake-ups: take everything that arrived (PLATFORM.md pitfall 8) */
    int64_t n = 0;
    for (srv_job *j = head; j; j = j->next) n++;
    if (n > 0) {
        if (b->o.metrics) srv_hist_observe(&b->o.metrics->batch_size, (double)n);
        /* resubmitted jobs (a later stage of admitted work) go to the front of the queue, in order; the
         * others to its end */
        srv_job **ins = &b->q_head;
        for (srv_job *j = head, *nx; j; j = nx) {
            nx = j->next;
            if (j->resubmit) {
                j->next = *ins;
                *ins = j;
                if (!j->next) b->q_tail = j;
                ins = &j->next;
            } else {
                j->next = NULL;
                if (b->q_tail)
                    b->q_tail->next = j;
                else
                    b->q_head = j;
                b->q_tail = j;
            }
        }
    }
    start_load(b);
    dispatch(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

/* After close: once nothing is queued or running, close the handles so uv_run returns. */
/* Stops and joins the decode threads (they hold no item: the caller checked) and frees their mappers. */
static void stop_decoders(srv_batcher *b) {
    for (int i = 0; i < b->n_dec; i++) {
        srv_decoder *d = &b->dec[i];
        if (!d->started) continue;
        uv_mutex_lock(&d->lock);
        d->stop = 1;
        uv_cond_signal(&d->cond);
        uv_mutex_unlock(&d->lock);
        uv_thread_join(&d->thread);
        d->started = 0;
    }
}

static void free_decoders(srv_batcher *b) {
    if (!b->dec) return;
    stop_decoders(b);
    for (int i = 0; i < b->n_dec; i++) {
        df_mapper_free(b->dec[i].mapper);
        b->dec[i].mapper = NULL;
        for (int c = 0; c < SRV_EP_CACHE; c++) ep_entry_free(&b->dec[i].ep_cache[c]);
        uv_cond_destroy(&b->dec[i].cond);
        uv_mutex_destroy(&b->dec[i].lock);
    }
    if (b->next_mappers) free_mappers(b->next_mappers, b->n_dec);
    if (b->load_result) free_mappers(b->load_result, b->n_dec);
    free(b->dec);
    free(b->next_mappers);
    free(b->load_result);
    b->dec = NULL;
    b->next_mappers = b->load_result = NULL;
    b->n_dec = 0;
}

/* After close: once nothing is queued, decoding or running, stop the decode loops (so nothing sends to
 * the decoded handle any more) and close the handles so uv_run returns. */
static void maybe_finish(srv_batcher *b) {
    if (b->finishing || b->running > 0 || b->q_head || b->loading || !decoders_idle(b)) return;
    uv_mutex_lock(&b->lock);
    int done = b->closed && !b->in_head;
    uv_mutex_unlock(&b->lock);
    if (!done) return;
    b->finishing = 1;
    stop_decoders(b);
    uv_close((uv_handle_t *)&b->wake, NULL);
    uv_close((uv_handle_t *)&b->decoded, NULL);
    uv_close((uv_handle_t *)&b->deadline_timer, NULL);
    uv_close((uv_handle_t *)&b->watch_timer, NULL);
    if (b->have_heartbeat) uv_close((uv_handle_t *)&b->heartbeat_timer, NULL);
}

static void loop_main(void *arg) {
    srv_batcher *b = arg;
    if (b->o.log)
        srv_log(b->o.log, SRV_LOG_DEBUG, "loop_start", "workers=%d depth=%lld decode_loops=%d", b->o.workers,
                (long long)atomic_load(&b->depth), b->n_dec);
    uv_run(&b->loop, UV_RUN_DEFAULT);
    free_decoders(b);
    b->have_mapper = b->have_next = 0;
    atomic_store(&b->ready, 0);
    atomic_store(&b->alive, 0);
    atomic_store(&b->done, 1);
    if (b->o.log) srv_log(b->o.log, SRV_LOG_DEBUG, "loop_stop", "%s", "");
}

/* Allocates and starts the decode loops (idle until the weights are in). */
static int start_decoders(srv_batcher *b) {
    int n = b->o.decode_loops > 0 ? b->o.decode_loops : SRV_DECODE_LOOPS_DEFAULT;
    if (n <= 0) n = (int)uv_available_parallelism();
    if (n < 1) n = 1;
    if (n > SRV_MAX_DECODERS) n = SRV_MAX_DECODERS;
    b->dec = calloc((size_t)n, sizeof *b->dec);
    b->next_mappers = calloc((size_t)n, sizeof *b->next_mappers);
    b->load_result = calloc((size_t)n, sizeof *b->load_result);
    if (!b->dec || !b->next_mappers || !b->load_result) {
        free(b->dec);
        free(b->next_mappers);
        free(b->load_result);
        b->dec = NULL;
        return SRV_BATCH_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        srv_decoder *d = &b->dec[i];
        d->b = b;
        d->index = i;
        int rc = uv_mutex_init(&d->lock);
        if (rc == 0 && (rc = uv_cond_init(&d->cond)) != 0) uv_mutex_destroy(&d->lock);
        if (rc) {
            b->n_dec = i;
            free_decoders(b);
            return rc;
        }
        b->n_dec = i + 1;
        if ((rc = uv_thread_create(&d->thread, decoder_main, d))) {
            free_decoders(b);
            return rc;
        }
        d->started = 1;
    }
    return 0;
}

int srv_batcher_start(srv_batcher **out, const srv_batcher_opts *o) {
    *out = NULL;
    srv_batcher *b = calloc(1, sizeof *b);
    if (!b) return SRV_BATCH_ENOMEM;
    b->o = *o;
    if (b->o.workers < 1) b->o.workers = 1;
    atomic_init(&b->depth, o->queue_depth > 0 ? o->queue_depth : 1);
    atomic_init(&b->alive, 0);
    atomic_init(&b->busy, 0);
    atomic_init(&b->done, 0);
    atomic_init(&b->ready, 0);
    if (b->o.decode_slots < 1) b->o.decode_slots = 64;
    /* one BLAS thread per decode loop: parallelism comes from the loops (PLATFORM.md section 6: two
     * OpenBLAS threads on an M = 1 product are 4-8x slower than one) */
    openblas_set_num_threads(1);
    int rc = uv_loop_init(&b->loop);
    if (rc) {
        free(b);
        return rc;
    }
    b->loop.data = b;
    if ((rc = uv_mutex_init(&b->lock))) {
        uv_loop_close(&b->loop);
        free(b);
        return rc;
    }
    /* handles are initialised here and used only by the loop thread from now on (decoded is also sent
     * to by the decode loops) */
    uv_async_init(&b->loop, &b->wake, on_wake);
    uv_async_init(&b->loop, &b->decoded, on_decoded);
    uv_timer_init(&b->loop, &b->deadline_timer);
    uv_timer_init(&b->loop, &b->watch_timer);
    if (b->o.watch_ms == 0) b->o.watch_ms = 50;
    uv_timer_start(&b->watch_timer, watch_cb, b->o.watch_ms, b->o.watch_ms);
    if (o->heartbeat && o->heartbeat_ms > 0) {
        uv_timer_init(&b->loop, &b->heartbeat_timer);
        uv_timer_start(&b->heartbeat_timer, heartbeat_cb, 0, o->heartbeat_ms);
        b->have_heartbeat = 1;
    }
    rc = start_decoders(b);
    atomic_store(&b->alive, 1);
    if (rc || (rc = uv_thread_create(&b->thread, loop_main, b))) {
        atomic_store(&b->alive, 0);
        free_decoders(b);
        uv_close((uv_handle_t *)&b->wake, NULL);
        uv_close((uv_handle_t *)&b->decoded, NULL);
        uv_close((uv_handle_t *)&b->deadline_timer, NULL);
        uv_close((uv_handle_t *)&b->watch_timer, NULL);
        if (b->have_heartbeat) uv_close((uv_handle_t *)&b->heartbeat_timer, NULL);
        uv_run(&b->loop, UV_RUN_DEFAULT);
        uv_loop_close(&b->loop);
        uv_mutex_destroy(&b->lock);
        free(b);
        return rc;
    }
    *out = b;
    return SRV_BATCH_OK;
}

int srv_batcher_submit(srv_batcher *b, srv_job *j) {
    j->next = j->r_next = NULL;
    j->outcome = SRV_JOB_PENDING;
    j->state = SRV_JS_QUEUED;
    j->t_submit = j->t_queued = srv_now_ms();
    j->t_start = j->t_end = j->queue_ms = 0;
    j->next_item = j->in_flight = j->gone = 0;
    atomic_init(&j->cancel, 0);
    for (int32_t i = 0; i < j->n_items; i++) {
        j->items[i].job = j;
        j->items[i].mjob = NULL;
        j->items[i].decoder = -1;
        j->items[i].d_next = NULL;
        atomic_init(&j->items[i].cancel, 0);
        j->items[i].status = DF_OK;
        j->items[i].t_start = j->items[i].t_decoded = 0;
    }
    uv_mutex_lock(&b->lock);
    if (b->closed) {
        uv_mutex_unlock(&b->lock);
        return SRV_BATCH_CLOSED;
    }
    if (!j->resubmit && b->waiting >= atomic_load(&b->depth)) {
        uv_mutex_unlock(&b->lock);
        return SRV_BATCH_FULL;
    }
    /* suspend BEFORE the job becomes visible to the loop (PLATFORM.md pitfall 3) */
    if (j->conn) b->o.suspend(j->conn);
    if (j->resubmit) { /* the front of the inbox: on_wake puts it at the front of the queue */
        j->next = b->in_head;
        b->in_head = j;
        if (!b->in_tail) b->in_tail = j;
    } else {
        if (b->in_tail)
            b->in_tail->next = j;
        else
            b->in_head = j;
        b->in_tail = j;
    }
    b->waiting++;
    if (b->o.metrics) atomic_fetch_add(&b->o.metrics->queue_depth, 1);
    uv_async_send(&b->wake);
    uv_mutex_unlock(&b->lock);
    return SRV_BATCH_OK;
}

void srv_batcher_set_depth(srv_batcher *b, int64_t depth) { atomic_store(&b->depth, depth > 0 ? depth : 1); }

int64_t srv_batcher_waiting(srv_batcher *b) {
    uv_mutex_lock(&b->lock);
    int64_t n = b->waiting;
    uv_mutex_unlock(&b->lock);
    return n;
}

int64_t srv_batcher_depth(srv_batcher *b) { return atomic_load(&b->depth); }

int srv_batcher_alive(srv_batcher *b) {
    if (!atomic_load(&b->alive)) return 0;
    uv_mutex_lock(&b->lock);
    int open = !b->closed;
    uv_mutex_unlock(&b->lock);
    return open;
}

void srv_batcher_close(srv_batcher *b) {
    uv_mutex_lock(&b->lock);
    if (!b->closed) {
        b->closed = 1;
        uv_async_send(&b->wake); /* the last send: the loop closes the handle once it sees closed */
    }
    uv_mutex_unlock(&b->lock);
}

int srv_batcher_reload_weights(srv_batcher *b, const char *path) {
    uv_mutex_lock(&b->lock);
    if (b->closed) {
        uv_mutex_unlock(&b->lock);
        return -1;
    }
    snprintf(b->req_path, sizeof b->req_path, "%s", path ? path : "");
    b->reload_req = 1;
    uv_async_send(&b->wake);
    uv_mutex_unlock(&b->lock);
    return 0;
}

int srv_batcher_weights(srv_batcher *b, srv_weights_info *info) {
    uv_mutex_lock(&b->lock);
    int have = b->have_info;
    if (have) *info = b->info;
    uv_mutex_unlock(&b->lock);
    return have;
}

int srv_batcher_done(srv_batcher *b) { return atomic_load(&b->done); }

void srv_batcher_join(srv_batcher *b) {
    if (!b || b->joined) return;
    srv_batcher_close(b);
    uv_thread_join(&b->thread);
    uv_loop_close(&b->loop);
    b->joined = 1;
}

void srv_batcher_free(srv_batcher *b) {
    if (!b) return;
    srv_batcher_join(b);
    uv_mutex_destroy(&b->lock);
    free(b);
}
int64_t srv_batcher_episode_hits(srv_batcher *b) { return atomic_load(&b->ep_hits); }
