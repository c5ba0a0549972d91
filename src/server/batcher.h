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
 * Seam for the transformer (next increment): a second job kind run ON the loop thread, where the
 * mapper's decode steps for all admitted jobs happen together (one GEMM per weight matrix per step)
 * from a uv_check/uv_idle handle while sequences are active; see docs/SERVER.md. Nothing here knows
 * about HTTP: the connection is an opaque pointer handed to ops.suspend / ops.resume. */
#ifndef DNNFUSER_SERVER_BATCHER_H
#define DNNFUSER_SERVER_BATCHER_H

#include <stdint.h>
#include <uv.h>

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
    /* set by the batcher (readable by the submitter after resume) */
    double t_submit, t_start, t_end;
    srv_job_outcome outcome;
    /* private */
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
    srv_metrics *metrics;         /* queue_wait, solve, batch_size, queue_depth, expired_* (nullable) */
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
void srv_batcher_close(srv_batcher *b);                     /* any thread; idempotent */
int srv_batcher_done(srv_batcher *b);                       /* the loop has ended (after close) */
/* Waits for the loop thread to end (closing first). b stays readable (submit refuses) until freed. */
void srv_batcher_join(srv_batcher *b);
void srv_batcher_free(srv_batcher *b);                      /* after join */

#endif
