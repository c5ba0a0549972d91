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
 * The queue is bounded (jobs waiting for a worker, not the running ones): submit refuses with
 * SRV_BATCH_FULL beyond the depth. A queued job still waiting at its deadline is resumed with
 * outcome EXPIRED_QUEUED and never run; a job whose run ends after its deadline gets EXPIRED_RUNNING.
 * srv_batcher_close stops intake (SRV_BATCH_CLOSED), lets queued and running jobs finish, resumes
 * them all, closes the handles and ends the loop; srv_batcher_join waits for that and frees.
 *
 * Transformer jobs (decode = 1) are decoded ON the loop thread, which owns the one df_mapper: on every
 * wake and step they are admitted (df_mapper_admit) in queue order while the mapper has free slots;
 * a uv_idle handle, active while sequences are, runs one df_mapper_step per loop iteration (new jobs
 * join at step boundaries; I/O and timers run between steps). A finished job's best candidate is
 * copied into job->decoded and the job goes to the worker pool, where run() does the check before
 * reply. A workload longer than the model's context (admit: DF_EINVAL) goes to the pool with
 * decode_status = DF_EINVAL. A job decoding at its deadline is cancelled (df_mapper_job_free) and
 * answered EXPIRED_RUNNING. Weights are loaded off the loop (uv_queue_work) at start and on
 * srv_batcher_reload_weights, and swapped in on the loop once no sequence is active (admissions wait
 * meanwhile); a file that fails to load keeps the old weights. Nothing here knows about HTTP: the
 * connection is an opaque pointer handed to ops.suspend / ops.resume. */
#ifndef DNNFUSER_SERVER_BATCHER_H
#define DNNFUSER_SERVER_BATCHER_H

#include <stdint.h>
#include <uv.h>

#include "dnnfuser/mapper.h"
#include "log.h"
#include "metrics.h"

typedef enum {
    SRV_JOB_PENDING = 0,
    SRV_JOB_DONE,            /* run() finished within the deadline */
    SRV_JOB_EXPIRED_QUEUED,  /* the deadline passed while it waited: never run */
    SRV_JOB_EXPIRED_RUNNING, /* run() finished after the deadline: its result is discarded */
} srv_job_outcome;

typedef struct srv_job srv_job;
struct srv_job {
    /* set by the submitter */
    void (*run)(srv_job *j);   /* on a worker thread; writes its result into the enclosing struct */
    void *conn;                /* opaque, handed to ops.suspend / ops.resume */
    double deadline;           /* absolute, srv_now_ms() clock */
    int decode;                /* 1: transformer job, decoded on the loop before run() */
    const df_net *net;         /* decode: the request (valid until resume) */
    df_objective obj;
    int32_t k;                 /* decode: candidates */
    df_mapping *decoded;       /* decode: initialised by the submitter; receives the best candidate */
    /* decode results (set by the batcher): DF_OK with decoded filled, or why decoding did not happen */
    int decode_status;
    double t_decoded;          /* decode end (t_start = admitted) */
    /* set by the batcher (readable by the submitter after resume) */
    double t_submit, t_start, t_end;
    srv_job_outcome outcome;
    /* private */
    df_mapper_job *mjob;
    srv_job *next;
    uv_work_t work;
};

typedef struct {
    int workers;                  /* jobs run at once */
    int64_t queue_depth;          /* jobs allowed to wait */
    void (*suspend)(void *conn);  /* called under the queue lock, before the job is visible */
    void (*resume)(void *conn);   /* called on the loop thread, without the lock */
    void (*heartbeat)(void *ctx); /* systemd watchdog ping from the loop (NULL = none) */
    void *heartbeat_ctx;
    uint64_t heartbeat_ms;
    int32_t decode_slots;         /* mapper sequences (KV-cache slots) */
    srv_metrics *metrics;         /* queue_wait, solve, batch_size, queue_depth, expired_*, decode_* (nullable) */
    const srv_logger *log;        /* nullable */
} srv_batcher_opts;

typedef struct srv_batcher srv_batcher;

enum { SRV_BATCH_OK = 0, SRV_BATCH_FULL = -1, SRV_BATCH_CLOSED = -2, SRV_BATCH_ENOMEM = -3 };

/* Starts the loop thread. Returns 0 or a libuv/SRV_BATCH error code (<0). */
int srv_batcher_start(srv_batcher **out, const srv_batcher_opts *o);
/* Any thread. On SRV_BATCH_OK the connection was suspended and the job belongs to the batcher until
 * ops.resume(conn); on refusal nothing happened. */
int srv_batcher_submit(srv_batcher *b, srv_job *j);
void srv_batcher_set_depth(srv_batcher *b, int64_t depth);  /* SIGHUP: new queue bound */
int64_t srv_batcher_waiting(srv_batcher *b);                /* jobs waiting now */
int64_t srv_batcher_depth(srv_batcher *b);                  /* the bound */
int srv_batcher_alive(srv_batcher *b);                      /* loop running and not closed */
/* Any thread: load weights from path ("" or NULL = the shipped ones) off the loop and swap them in
 * once no sequence is active. Returns 0 when requested (the outcome is logged). */
int srv_batcher_reload_weights(srv_batcher *b, const char *path);
/* The loaded weights: 1 and *info filled, or 0 when none is loaded yet. */
typedef struct {
    df_gpt_config cfg;
    char source[1024];          /* file path or "embedded" */
    char text[DF_WEIGHTS_TEXT_MAX + 1];
    uint64_t steps;
    int32_t slots;
    int64_t generation;         /* 1 for the first weights, +1 per swap */
} srv_weights_info;
int srv_batcher_weights(srv_batcher *b, srv_weights_info *info);
void srv_batcher_close(srv_batcher *b);                     /* any thread; idempotent */
int srv_batcher_done(srv_batcher *b);                       /* the loop has ended (after close) */
/* Waits for the loop thread to end (closing first). b stays readable (submit refuses) until freed. */
void srv_batcher_join(srv_batcher *b);
void srv_batcher_free(srv_batcher *b);                      /* after join */

#endif
