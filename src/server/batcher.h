/* batcher.h - the work queue and the libuv loop that owns it.
 *
 *   HTTP thread                        loop thread (libuv)                   worker pool
 *   srv_batcher_submit(job):           on_wake (uv_async, coalesced):
 *     lock                               lock; take the WHOLE inbox; unlock
 *     full/closed? -> unlock, refuse     expire jobs past their deadline (504)
 *     ops.suspend(conn)   (pitfall 3)    dispatch while running < workers:  -> job->run(job)
 *     push; uv_async_send; unlock                         uv_queue_work        (solver, reply)
 *                                      after_work: past deadline? -> 504
 *                                        ops.resume(conn) -- the job is not touched again (pitfall 4)
 *
 * The queue is bounded (every admitted job not yet on a worker: plain jobs waiting, transformer jobs
 * waiting for slots, decoding or decoded and waiting for a worker; see srv_job_state): submit refuses
 * with SRV_BATCH_FULL beyond the depth. Decoded jobs wait in the queue for a free worker (never in
 * libuv's own unbounded pool queue), so their deadline still applies there. A queued job still waiting at its deadline is resumed with
 * outcome EXPIRED_QUEUED and never run; a job whose run ends after its deadline gets EXPIRED_RUNNING.
 * srv_batcher_close stops intake (SRV_BATCH_CLOSED), lets queued and running jobs finish, resumes
 * them all, closes the handles and ends the loop; srv_batcher_join waits for that and frees.
 *
 * Transformer work (a job's decode items) is decoded by N decode loops (decode_loops, one per core by
 * default), each a thread owning its df_mapper (its own copy of the weights, its KV-cache slots) and
 * calling OpenBLAS single-threaded. The libuv loop keeps every job's bookkeeping: on every wake items
 * are handed out in queue order to the decode loop with the most free slots while one has k free (a
 * batch job's items one after another, possibly to several loops; the job stays in the queue while
 * it decodes). A decode loop admits what it received at its next step boundary, steps
 * every active sequence with one GEMM per weight matrix (df_mapper_step), and hands finished items
 * back through a uv_async; it sleeps on a condition variable while it has nothing. A finished job's
 * best candidate is copied into item->decoded; when a job's last item is back it is QUEUED again and
 * goes to the worker pool, in queue order, once a worker is free; there run() does the check before reply. An item the mapper refuses keeps the refusal in
 * item->status for run(). A job decoding at its deadline, or whose client hung up, has its items'
 * cancel flags raised: each decode loop frees them at its next step (their slots free at once) and
 * hands them back, and the job is answered (EXPIRED_RUNNING / GONE) once all are back. Every watch_ms
 * the loop asks ops.gone for each waiting, decoding and running job; a running one gets job->cancel
 * raised, as does a running job past its deadline, so the solver stops at its next check. Weights are
 * loaded off the loop (uv_queue_work, one mapper per decode loop) at start and on
 * srv_batcher_reload_weights, and swapped in on the loop once no decode loop holds an item (hand-outs
 * wait meanwhile); a file that fails to load keeps the old weights. Nothing here knows about HTTP: the
 * connection is an opaque pointer handed to ops.suspend / ops.resume. */
#ifndef DNNFUSER_SERVER_BATCHER_H
#define DNNFUSER_SERVER_BATCHER_H

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "dnnfuser/mapper.h"
#include "dnnfuser/solve.h" /* df_space */
#include "log.h"
#include "metrics.h"

typedef enum {
    SRV_JOB_PENDING = 0,
    SRV_JOB_DONE,            /* run() finished within the deadline */
    SRV_JOB_EXPIRED_QUEUED,  /* the deadline passed while it waited: never run */
    SRV_JOB_EXPIRED_RUNNING, /* the deadline passed while decoding or running: result discarded */
    SRV_JOB_GONE,            /* the client closed its connection: the work was dropped */
} srv_job_outcome;

/* Where a job is in its life (the loop thread's view; srv_job.state). Every admitted job is in the
 * queue (one list, submission order) until a worker takes it, so the queue bound covers transformer
 * jobs before, during and after decoding:
 *
 *   submit --> QUEUED --an item handed out--> DECODING --last item back--> QUEUED (decoded)
 *                |  \                            |                          |
 *                |   \--no items / all decoded, a worker free ------------------------> RUNNING --run() returns--> DONE
 *                |                               |                          |                |
 *                |  deadline / client gone       | deadline / client gone   | deadline/gone  | deadline / gone:
 *                v                               v                          v                | cancel raised,
 *              DONE (EXPIRED_QUEUED / GONE)   CANCELLED --last item back--> DONE            | DONE (EXPIRED_RUNNING / GONE)
 *                                              (item cancel flags raised)   (EXPIRED_RUNNING / GONE)
 *
 * QUEUED, DECODING and CANCELLED count against queue_depth (srv_batcher_waiting); RUNNING takes one of
 * `workers`. DONE: the job was handed back (ops.resume / on_done) and is never touched again. */
typedef enum {
    SRV_JS_QUEUED = 0, /* admitted; waiting for decode slots, or (decoded or plain) for a worker */
    SRV_JS_DECODING,   /* items out with the decode loops (more may wait to be handed out) */
    SRV_JS_RUNNING,    /* run() on a worker */
    SRV_JS_DONE,       /* answered: outcome says how */
    SRV_JS_CANCELLED,  /* left while decoding: waits for its items to come back, then DONE */
} srv_job_state;

typedef struct srv_job srv_job;

/* One transformer decode of a job (a map request has one, a batch request one per transformer item). */
typedef struct srv_decode_item {
    const df_net *net; /* NULL: nothing to decode for this item (skipped) */
    df_objective obj;
    df_space space;      /* the request's map-space: weights that do not cover it are not decoded */
    int32_t k;           /* candidates */
    uint64_t seed;       /* sampling seed of the request (0: the batcher's own counter, at hand-out) */
    df_mapping *decoded; /* initialised by the submitter; receives the best candidate */
    /* set by the batcher: DF_OK with decoded filled, or why decoding did not happen (DF_EINVAL: longer
     * than the context; DF_EIO: no weights; DF_EUNSUPPORTED: the weights decode the other map-space,
     * df_answer_layout_covers; DF_ENOMEM: the step failed) */
    int status;
    double t_start, t_decoded; /* admitted / finished (srv_now_ms) */
    /* private */
    df_mapper_job *mjob; /* the decode loop's job (touched by that loop only) */
    srv_job *job;
    int32_t decoder;                /* decode loop holding it, -1 when none */
    atomic_int cancel;              /* raised by the loop: the decode loop drops it at its next step */
    struct srv_decode_item *d_next; /* a decode loop's inbox / owned / outbox list */
} srv_decode_item;

struct srv_job {
    /* set by the submitter */
    void (*run)(srv_job *j);     /* on a worker thread; writes its result into the enclosing struct */
    void *conn;                  /* opaque, handed to ops.suspend / ops.resume / ops.gone; NULL: none */
    void (*on_done)(srv_job *j); /* nullable: called on the loop instead of ops.resume when the job ends */
    int (*gone_fn)(srv_job *j);  /* nullable: asked instead of ops.gone(conn) (a streamed reply) */
    double deadline;             /* absolute, srv_now_ms() clock */
    int resubmit;                /* a later stage of a job admitted before (validated, now to be solved): it
                                * goes ahead of new jobs and is not refused for the depth (at most one per
                                * worker at a time, as each comes from a finished run) */
    srv_decode_item *items;      /* decoded on the loop (in order, as slots free) before run() */
    int32_t n_items;             /* 0: a plain CPU job */
    /* 1: with one item (n_items 1) decoded without error, run() may run on the decode loop that
     * decoded it, right after, instead of on a worker (it must then be short and touch only the job:
     * the check before reply). Saves the hand-offs loop -> worker -> loop of the job's reply. */
    int run_on_decoder;
    /* raised by the batcher when the deadline passes or the client goes away while run() works;
     * run() hands it to the solvers (df_solve_stats.cancel) */
    atomic_int cancel;
    /* set by the batcher (readable by the submitter after resume) */
    double t_submit, t_start, t_end; /* admitted, first work (decode or run), run() returned */
    double queue_ms;                 /* time spent QUEUED (before decoding, and decoded waiting for a worker) */
    srv_job_outcome outcome;
    srv_job_state state;
    /* private */
    double t_queued;   /* entered QUEUED last */
    int32_t next_item; /* first item not handed out yet */
    int32_t in_flight; /* items decoding now */
    int gone;          /* why it leaves early: ops.gone said so (else the deadline) */
    int ran;           /* run() returned on the decode loop (run_on_decoder); t_end is set */
    srv_job *next;     /* inbox / queue */
    srv_job *r_next;   /* running list */
    uv_work_t work;
};

typedef struct {
    int workers;                  /* jobs run at once */
    int64_t queue_depth;          /* jobs allowed to wait */
    void (*suspend)(void *conn);  /* called under the queue lock, before the job is visible */
    void (*resume)(void *conn);   /* called on the loop thread, without the lock */
    int (*gone)(void *conn);      /* loop thread, suspended conn: 1 if the client hung up (NULL = never) */
    uint64_t watch_ms;            /* how often waiting/decoding/running jobs are checked [50] */
    void (*heartbeat)(void *ctx); /* systemd watchdog ping from the loop (NULL = none) */
    void *heartbeat_ctx;
    uint64_t heartbeat_ms;
    int32_t decode_slots;  /* mapper sequences (KV-cache slots) per decode loop */
    int32_t decode_loops;  /* decode threads; 0 = one per core (uv_available_parallelism) */
    srv_metrics *metrics;  /* queue_wait, solve, batch_size, queue_depth, expired_*, decode_* (nullable) */
    const srv_logger *log; /* nullable */
} srv_batcher_opts;

typedef struct srv_batcher srv_batcher;

enum { SRV_BATCH_OK = 0, SRV_BATCH_FULL = -1, SRV_BATCH_CLOSED = -2, SRV_BATCH_ENOMEM = -3 };

/* Starts the loop thread. Returns 0 or a libuv/SRV_BATCH error code (<0). */
int srv_batcher_start(srv_batcher **out, const srv_batcher_opts *o);
/* Any thread. On SRV_BATCH_OK the connection was suspended and the job belongs to the batcher until
 * ops.resume(conn); on refusal nothing happened. */
int srv_batcher_submit(srv_batcher *b, srv_job *j);
void srv_batcher_set_depth(srv_batcher *b, int64_t depth); /* SIGHUP: new queue bound */
int64_t srv_batcher_waiting(srv_batcher *b);               /* jobs admitted and not on a worker now */
int64_t srv_batcher_depth(srv_batcher *b);                 /* the bound */
int srv_batcher_alive(srv_batcher *b);                     /* loop running and not closed */
/* Any thread: load weights from path ("" or NULL = the shipped ones) off the loop and swap them in
 * once no sequence is active. Returns 0 when requested (the outcome is logged). */
int srv_batcher_reload_weights(srv_batcher *b, const char *path);
/* The loaded weights: 1 and *info filled, or 0 when none is loaded yet. */
typedef struct {
    df_gpt_config cfg;
    char source[1024]; /* file path or "embedded" */
    char text[DF_WEIGHTS_TEXT_MAX + 1];
    uint64_t steps;
    int32_t slots;        /* KV-cache slots per decode loop */
    int32_t decode_loops; /* decode threads, each with `slots` slots */
    int64_t generation;   /* 1 for the first weights, +1 per swap */
    df_space space;       /* the map-space the weights decode (their action layout) */
    int f16_lossless;     /* the linear weights are binary16 values (df_mapper_f16_lossless) */
    int f16;              /* the decode reads binary16 weight panels (df_mapper_f16) */
} srv_weights_info;
int srv_batcher_weights(srv_batcher *b, srv_weights_info *info);
void srv_batcher_close(srv_batcher *b); /* any thread; idempotent */
int srv_batcher_done(srv_batcher *b);   /* the loop has ended (after close) */
/* Waits for the loop thread to end (closing first). b stays readable (submit refuses) until freed. */
void srv_batcher_join(srv_batcher *b);
void srv_batcher_free(srv_batcher *b); /* after join */
/* admissions that reused a decode loop's cached episode (an identical problem admitted before) */
int64_t srv_batcher_episode_hits(srv_batcher *b);

#endif
