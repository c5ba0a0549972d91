/* batcher.c - the bounded job queue, the libuv loop thread that drains it, the worker dispatch, the
 * transformer decoding on the loop (continuous batching), the weights load/swap and the deadlines
 * (see batcher.h for the picture and the rules). All libuv calls except uv_async_send
 * happen on the loop thread; uv_async_send is only called under the lock while the queue is open, so
 * the async handle is never used after it is closed (PLATFORM.md pitfall 8). */
#include "batcher.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define SRV_CONFIG_PATH 1024

struct srv_batcher {
    srv_batcher_opts o;
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t deadline_timer;
    uv_timer_t heartbeat_timer;
    uv_timer_t watch_timer;       /* every watch_ms: gone clients, running jobs past their deadline */
    uv_thread_t thread;
    int have_heartbeat;

    /* shared with submitters, under lock */
    uv_mutex_t lock;
    srv_job *in_head, *in_tail;   /* the inbox */
    int64_t waiting;              /* inbox + pending: what the depth bounds */
    int closed;
    atomic_int_least64_t depth;   /* the bound (reloadable) */
    atomic_int alive;             /* loop running and intake open */
    atomic_int done;              /* uv_run has returned */
    int joined;
    int reload_req;               /* a weights load was asked for (req_path) */
    char req_path[SRV_CONFIG_PATH];
    srv_weights_info info;        /* the weights in use (have_info) */
    int have_info;
    atomic_int ready;             /* a mapper is loaded */

    /* loop thread only */
    srv_job *p_head, *p_tail;     /* pending: taken from the inbox, waiting for a worker or a slot */
    srv_job *a_head;              /* with items decoding in the mapper (linked by a_next) */
    srv_job *r_head;              /* on the worker pool (linked by r_next) */
    int running;
    int finishing;                /* handles are being closed */
    uv_idle_t stepper;            /* active while sequences are: one decode step per iteration */
    int stepping;
    df_mapper *mapper;            /* in use */
    df_mapper *next_mapper;       /* loaded, swapped in once no sequence is active */
    char next_source[SRV_CONFIG_PATH];
    int64_t generation;
    uint64_t seed;
    /* the load in flight (a worker writes load_*; the loop reads them in after_load) */
    int loading;
    int load_failed;              /* the last load failed (with no mapper: transformer jobs go exact) */
    uv_work_t load_work;
    char load_path[SRV_CONFIG_PATH];
    df_mapper *load_result;
    df_err load_err;
};

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

static void expire_queued(srv_batcher *b, srv_job *j, double now) {
    j->outcome = SRV_JOB_EXPIRED_QUEUED;
    j->t_start = j->t_end = now;
    if (b->o.metrics) {
        atomic_fetch_add(&b->o.metrics->expired_queued, 1);
        srv_hist_observe(&b->o.metrics->queue_wait, (now - j->t_submit) / 1e3);
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

static void after_work_cb(uv_work_t *w, int status) {
    srv_job *j = w->data;
    srv_batcher *b = w->loop->data;
    b->running--;
    for (srv_job **pp = &b->r_head; *pp; pp = &(*pp)->r_next)
        if (*pp == j) {
            *pp = j->r_next;
            break;
        }
    j->r_next = NULL;
    if (status == UV_ECANCELED) j->t_end = srv_now_ms();
    if (b->o.metrics) srv_hist_observe(&b->o.metrics->solve, (j->t_end - j->t_start) / 1e3);
    if (j->gone) {
        j->outcome = SRV_JOB_GONE;
        if (b->o.metrics) atomic_fetch_add(&b->o.metrics->client_gone, 1);
    } else if (j->t_end > j->deadline || status != 0) {
        j->outcome = SRV_JOB_EXPIRED_RUNNING;
        if (b->o.metrics) atomic_fetch_add(&b->o.metrics->expired_running, 1);
    } else {
        j->outcome = SRV_JOB_DONE;
    }
    finish(b, j);
    dispatch(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

/* Hands a job to the worker pool (no worker bound: the caller decides). */
static void start_cpu(srv_batcher *b, srv_job *j) {
    j->work.data = j;
    if (uv_queue_work(&b->loop, &j->work, work_cb, after_work_cb) != 0) {
        /* cannot happen with a valid loop; answer rather than lose the job */
        j->t_end = srv_now_ms();
        j->outcome = SRV_JOB_EXPIRED_RUNNING;
        finish(b, j);
        return;
    }
    b->running++;
    j->r_next = b->r_head;
    b->r_head = j;
}

static void step_cb(uv_idle_t *h);

static void active_remove(srv_batcher *b, srv_job *j) {
    for (srv_job **pp = &b->a_head; *pp; pp = &(*pp)->a_next)
        if (*pp == j) {
            *pp = j->a_next;
            break;
        }
    j->a_next = NULL;
    j->active = 0;
}

static void pending_remove(srv_batcher *b, srv_job *j) {
    srv_job *prev = NULL;
    for (srv_job **pp = &b->p_head; *pp; prev = *pp, pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            if (b->p_tail == j) b->p_tail = prev;
            break;
        }
    j->next = NULL;
}

/* Frees a job's decodes in flight (their slots are free at once) and takes it off the decoding list. */
static void drop_decodes(srv_batcher *b, srv_job *j) {
    for (int32_t i = 0; i < j->n_items; i++)
        if (j->items[i].mjob) {
            df_mapper_job_free(b->mapper, j->items[i].mjob);
            j->items[i].mjob = NULL;
        }
    j->in_flight = 0;
    if (j->active) active_remove(b, j);
}

/* Answers a job that leaves before run(): its client is gone, or its deadline passed. */
static void drop(srv_batcher *b, srv_job *j, double now) {
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
    if (j->t_start) return;
    j->t_start = now;
    if (b->o.metrics) srv_hist_observe(&b->o.metrics->queue_wait, (now - j->t_submit) / 1e3);
}

/* Drops gone and expired jobs (waiting or decoding), admits decode items in queue order while the
 * mapper has slots, hands decoded jobs to the pool and starts CPU jobs while workers are free. */
static void dispatch(srv_batcher *b) {
    double now = srv_now_ms();
    int64_t left = 0;
    for (srv_job *j = b->a_head, *nx; j; j = nx) { /* decoding: gone or past the deadline */
        nx = j->a_next;
        if (now < j->deadline && !j->gone) continue;
        drop_decodes(b, j);
        if (j->next_item < j->n_items) { /* items still waiting: it is on the pending list too */
            pending_remove(b, j);
            left++;
        }
        drop(b, j, now);
    }
    int can_admit = b->mapper && !b->next_mapper && !b->finishing;
    int no_weights = !b->mapper && !b->next_mapper && !b->loading && b->load_failed;
    srv_job **pp = &b->p_head, *prev = NULL;
    while (*pp) {
        srv_job *j = *pp;
        if (now >= j->deadline || j->gone) {
            *pp = j->next;
            if (b->p_tail == j) b->p_tail = prev;
            j->next = NULL;
            left++;
            drop_decodes(b, j);
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
            if (!can_admit) break;
            df_err e;
            df_err_clear(&e);
            int rc = df_mapper_admit(b->mapper, it->net, it->obj, it->k, it->seed ? it->seed : ++b->seed, it, &it->mjob, &e);
            if (rc == DF_ELIMIT) { /* FIFO: later jobs wait for slots too */
                can_admit = 0;
                break;
            }
            j->next_item++;
            it->status = rc;
            if (rc != DF_OK) continue; /* too long for the context: run() solves it exactly */
            it->t_start = now;
            j->in_flight++;
            started(b, j, now);
            if (!j->active) {
                j->active = 1;
                j->a_next = b->a_head;
                b->a_head = j;
            }
        }
        /* leaves the queue once every item is admitted: to the pool when nothing is decoding (a job
         * that decoded goes at once, a plain one when a worker is free), else when its last item ends */
        int take = j->next_item == j->n_items && (j->in_flight > 0 || j->t_start || b->running < b->o.workers);
        if (!take) {
            prev = j;
            pp = &j->next;
            continue;
        }
        *pp = j->next;
        if (b->p_tail == j) b->p_tail = prev;
        j->next = NULL;
        left++;
        if (j->in_flight == 0) {
            started(b, j, now);
            start_cpu(b, j);
        }
    }
    leave_queue(b, left);
    if (b->a_head && !b->stepping && !b->finishing) {
        uv_idle_start(&b->stepper, step_cb);
        b->stepping = 1;
    }
}

static void start_load(srv_batcher *b);

/* Swaps in loaded weights once no sequence uses the old ones. */
static void try_swap(srv_batcher *b) {
    if (!b->next_mapper || b->a_head) return;
    df_mapper_free(b->mapper);
    b->mapper = b->next_mapper;
    b->next_mapper = NULL;
    b->generation++;
    const df_gpt_config *c = df_mapper_config(b->mapper);
    const df_train_meta *meta = df_mapper_meta(b->mapper);
    uv_mutex_lock(&b->lock);
    memset(&b->info, 0, sizeof b->info);
    b->info.cfg = *c;
    snprintf(b->info.source, sizeof b->info.source, "%s", b->next_source);
    if (meta) {
        snprintf(b->info.text, sizeof b->info.text, "%s", meta->text);
        b->info.steps = meta->steps;
    }
    b->info.slots = df_mapper_free_slots(b->mapper);
    b->info.generation = b->generation;
    b->have_info = 1;
    uv_mutex_unlock(&b->lock);
    atomic_store(&b->ready, 1);
    if (b->o.log)
        srv_log(b->o.log, SRV_LOG_INFO, "weights_reload", "ok=yes source=%s d=%d L=%d H=%d T=%d slots=%d generation=%lld",
                b->next_source, (int)c->d, (int)c->L, (int)c->H, (int)c->T, (int)df_mapper_free_slots(b->mapper),
                (long long)b->generation);
}

/* No sequence is active: stop stepping, swap in loaded weights, admit what waited for them. */
static void stop_stepping(srv_batcher *b) {
    uv_idle_stop(&b->stepper);
    b->stepping = 0;
    try_swap(b);
    dispatch(b);
}

/* The idle handle: one decode step of every active sequence per loop iteration. */
static void step_cb(uv_idle_t *h) {
    srv_batcher *b = h->loop->data;
    /* a decoding job whose client hung up wastes at most this one step (one poll per job: ~1% of a step) */
    for (srv_job *j = b->a_head; j; j = j->a_next)
        if (!j->gone && client_gone(b, j)) j->gone = 1;
    dispatch(b); /* new jobs join at the step boundary; expired and gone ones leave */
    if (!b->a_head) {
        stop_stepping(b);
        arm_deadline_timer(b);
        maybe_finish(b);
        return;
    }
    if (b->o.metrics) {
        srv_hist_observe(&b->o.metrics->decode_batch, (double)df_mapper_active(b->mapper));
        atomic_fetch_add(&b->o.metrics->decode_steps, 1);
    }
    df_err e;
    df_err_clear(&e);
    int32_t fin = 0;
    if (df_mapper_step(b->mapper, &fin, &e) != DF_OK) {
        /* the library failed (out of memory): every item decoding goes to the exact fallback */
        if (b->o.log) srv_log(b->o.log, SRV_LOG_ERROR, "decode_failed", "error=\"%s\"", e.msg);
        double now = srv_now_ms();
        while (b->a_head) {
            srv_job *j = b->a_head;
            for (int32_t i = 0; i < j->n_items; i++)
                if (j->items[i].mjob) {
                    j->items[i].status = e.code ? e.code : DF_ENOMEM;
                    j->items[i].t_decoded = now;
                }
            drop_decodes(b, j);
            if (j->next_item == j->n_items) start_cpu(b, j);
        }
    }
    df_mapper_job *mj;
    while ((mj = df_mapper_pop_done(b->mapper)) != NULL) {
        srv_decode_item *it = df_mapper_job_user(mj);
        srv_job *j = it->job;
        double v;
        int32_t idx;
        df_err_clear(&e);
        it->status = df_mapper_job_result(mj, it->decoded, &v, &idx, &e);
        df_mapper_job_free(b->mapper, mj);
        it->mjob = NULL;
        it->t_decoded = srv_now_ms();
        if (--j->in_flight == 0) {
            active_remove(b, j);
            if (j->next_item == j->n_items) start_cpu(b, j); /* the check before reply runs on a worker */
        }
    }
    if (!b->a_head) stop_stepping(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

static void load_work_cb(uv_work_t *w) {
    srv_batcher *b = w->data;
    df_err_clear(&b->load_err);
    b->load_result = NULL;
    if (b->load_path[0]) df_mapper_load(&b->load_result, b->load_path, b->o.decode_slots, &b->load_err);
    else df_mapper_load_embedded(&b->load_result, b->o.decode_slots, &b->load_err);
}

static void after_load_cb(uv_work_t *w, int status) {
    srv_batcher *b = w->data;
    b->loading = 0;
    b->load_failed = status != 0 || !b->load_result;
    if (b->load_failed) {
        if (b->o.log)
            srv_log(b->o.log, SRV_LOG_ERROR, "weights_reload", "ok=no source=%s error=\"%s\" kept=%s",
                    b->load_path[0] ? b->load_path : "embedded", status ? "cancelled" : b->load_err.msg,
                    b->mapper ? "previous" : "none");
    } else if (b->finishing) {
        df_mapper_free(b->load_result);
    } else {
        df_mapper_free(b->next_mapper);
        b->next_mapper = b->load_result;
        snprintf(b->next_source, sizeof b->next_source, "%s", b->load_path[0] ? b->load_path : "embedded");
        if (b->next_mapper && b->a_head && b->o.log)
            srv_log(b->o.log, SRV_LOG_INFO, "weights_reload", "loaded=yes swap=after_active active_jobs=yes");
        try_swap(b);
    }
    b->load_result = NULL;
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
    for (srv_job *j = b->p_head; j; j = j->next)
        if (j->deadline < first) first = j->deadline;
    for (srv_job *j = b->a_head; j; j = j->a_next)
        if (j->deadline < first) first = j->deadline;
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
    if (!b->p_head && !b->a_head && !b->r_head) return;
    int any = 0;
    for (srv_job *j = b->p_head; j; j = j->next)
        if (!j->gone && client_gone(b, j)) any = j->gone = 1;
    for (srv_job *j = b->a_head; j; j = j->a_next)
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
    srv_job *head = b->in_head, *tail = b->in_tail;
    b->in_head = b->in_tail = NULL;
    uv_mutex_unlock(&b->lock);
    /* coalesced wake-ups: take everything that arrived (PLATFORM.md pitfall 8) */
    int64_t n = 0;
    for (srv_job *j = head; j; j = j->next) n++;
    if (n > 0) {
        if (b->o.metrics) srv_hist_observe(&b->o.metrics->batch_size, (double)n);
        if (b->p_tail) b->p_tail->next = head;
        else b->p_head = head;
        b->p_tail = tail;
    }
    start_load(b);
    dispatch(b);
    arm_deadline_timer(b);
    maybe_finish(b);
}

/* After close: once nothing is queued or running, close the handles so uv_run returns. */
static void maybe_finish(srv_batcher *b) {
    if (b->finishing || b->running > 0 || b->p_head || b->a_head || b->loading) return;
    uv_mutex_lock(&b->lock);
    int done = b->closed && !b->in_head;
    uv_mutex_unlock(&b->lock);
    if (!done) return;
    b->finishing = 1;
    uv_close((uv_handle_t *)&b->wake, NULL);
    uv_close((uv_handle_t *)&b->deadline_timer, NULL);
    uv_close((uv_handle_t *)&b->watch_timer, NULL);
    if (b->stepping) uv_idle_stop(&b->stepper);
    uv_close((uv_handle_t *)&b->stepper, NULL);
    if (b->have_heartbeat) uv_close((uv_handle_t *)&b->heartbeat_timer, NULL);
}

static void loop_main(void *arg) {
    srv_batcher *b = arg;
    if (b->o.log) srv_log(b->o.log, SRV_LOG_DEBUG, "loop_start", "workers=%d depth=%lld", b->o.workers,
                          (long long)atomic_load(&b->depth));
    uv_run(&b->loop, UV_RUN_DEFAULT);
    df_mapper_free(b->mapper);
    df_mapper_free(b->next_mapper);
    b->mapper = b->next_mapper = NULL;
    atomic_store(&b->ready, 0);
    atomic_store(&b->alive, 0);
    atomic_store(&b->done, 1);
    if (b->o.log) srv_log(b->o.log, SRV_LOG_DEBUG, "loop_stop", "%s", "");
}

int srv_batcher_start(srv_batcher **out, const srv_batcher_opts *o) {
    *out = NULL;
    srv_batcher *b = calloc(1, sizeof *b);
    if (!b) return SRV_BATCH_ENOMEM;
    b->o = *o;
    if (b->o.workers < 1) b->o.workers = 1;
    atomic_init(&b->depth, o->queue_depth > 0 ? o->queue_depth : 1);
    atomic_init(&b->alive, 0);
    atomic_init(&b->done, 0);
    atomic_init(&b->ready, 0);
    if (b->o.decode_slots < 1) b->o.decode_slots = 64;
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
    /* handles are initialised here and used only by the loop thread from now on */
    uv_async_init(&b->loop, &b->wake, on_wake);
    uv_timer_init(&b->loop, &b->deadline_timer);
    uv_timer_init(&b->loop, &b->watch_timer);
    if (b->o.watch_ms == 0) b->o.watch_ms = 50;
    uv_timer_start(&b->watch_timer, watch_cb, b->o.watch_ms, b->o.watch_ms);
    uv_idle_init(&b->loop, &b->stepper);
    if (o->heartbeat && o->heartbeat_ms > 0) {
        uv_timer_init(&b->loop, &b->heartbeat_timer);
        uv_timer_start(&b->heartbeat_timer, heartbeat_cb, 0, o->heartbeat_ms);
        b->have_heartbeat = 1;
    }
    atomic_store(&b->alive, 1);
    if ((rc = uv_thread_create(&b->thread, loop_main, b))) {
        atomic_store(&b->alive, 0);
        uv_close((uv_handle_t *)&b->wake, NULL);
        uv_close((uv_handle_t *)&b->deadline_timer, NULL);
        uv_close((uv_handle_t *)&b->watch_timer, NULL);
        uv_close((uv_handle_t *)&b->stepper, NULL);
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
    j->next = j->a_next = j->r_next = NULL;
    j->outcome = SRV_JOB_PENDING;
    j->t_submit = srv_now_ms();
    j->t_start = j->t_end = 0;
    j->next_item = j->in_flight = j->active = j->gone = 0;
    atomic_init(&j->cancel, 0);
    for (int32_t i = 0; i < j->n_items; i++) {
        j->items[i].job = j;
        j->items[i].mjob = NULL;
        j->items[i].status = DF_OK;
        j->items[i].t_start = j->items[i].t_decoded = 0;
    }
    uv_mutex_lock(&b->lock);
    if (b->closed) {
        uv_mutex_unlock(&b->lock);
        return SRV_BATCH_CLOSED;
    }
    if (b->waiting >= atomic_load(&b->depth)) {
        uv_mutex_unlock(&b->lock);
        return SRV_BATCH_FULL;
    }
    /* suspend BEFORE the job becomes visible to the loop (PLATFORM.md pitfall 3) */
    if (j->conn) b->o.suspend(j->conn);
    if (b->in_tail) b->in_tail->next = j;
    else b->in_head = j;
    b->in_tail = j;
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
