/* check_server_batcher.c - unit tests of src/server/batcher.c with fake connections: every job is
 * suspended before it is visible and resumed exactly once; the queue bound (jobs waiting, not
 * running) refuses with SRV_BATCH_FULL; a job still queued at its deadline is never run
 * (EXPIRED_QUEUED); a run that ends past the deadline is EXPIRED_RUNNING; close drains queued and
 * running jobs, then refuses (SRV_BATCH_CLOSED). Decoding with the shipped weights on 1 and 2 decode
 * loops: every item decodes to the mapping df_solve_transformer gives alone (k = 1), batch jobs spread
 * over the loops, a decoding job past its deadline or whose client left is answered once and its slots
 * come back, refused items keep the mapper's reason, and a weights reload swaps while serving. */
#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/server/batcher.h"
#include "../../src/server/clock.h"
#include "dnnfuser/netbuild.h"
#include "dnnfuser/zoo.h"
#include "testutil.h"

typedef struct {
    srv_job job; /* first */
    atomic_int suspended, resumed, started, ran;
    int sleep_ms;
} fake;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void fake_suspend(void *conn) { atomic_fetch_add(&((fake *)conn)->suspended, 1); }
static void fake_resume(void *conn) {
    fake *f = conn;
    ck_assert_int_eq(atomic_load(&f->suspended), 1); /* resumed only after being suspended */
    atomic_fetch_add(&f->resumed, 1);
}
static void fake_run(srv_job *j) {
    fake *f = (fake *)j;
    atomic_store(&f->started, 1);
    if (f->sleep_ms) sleep_ms(f->sleep_ms);
    atomic_fetch_add(&f->ran, 1);
}

static void fake_init(fake *f, int sleep, double deadline_in_ms) {
    memset(f, 0, sizeof *f);
    f->sleep_ms = sleep;
    f->job.run = fake_run;
    f->job.conn = f;
    f->job.deadline = srv_now_ms() + deadline_in_ms;
}

static void wait_resumed(fake *f, int ms) {
    double until = srv_now_ms() + ms;
    while (!atomic_load(&f->resumed) && srv_now_ms() < until) sleep_ms(1);
    ck_assert_msg(atomic_load(&f->resumed) == 1, "job resumed once (got %d)", atomic_load(&f->resumed));
}

static srv_batcher *start(int workers, int depth, srv_metrics *m) {
    srv_batcher_opts o = {
        .workers = workers, .queue_depth = depth, .suspend = fake_suspend, .resume = fake_resume, .metrics = m};
    srv_batcher *b;
    ck_assert_int_eq(srv_batcher_start(&b, &o), SRV_BATCH_OK);
    return b;
}

START_TEST(test_runs_all) {
    static const char *const labels[] = {"x"};
    srv_metrics m;
    srv_metrics_init(&m, labels, 1);
    srv_batcher *b = start(2, 64, &m);
    fake f[20];
    for (int i = 0; i < 20; i++) {
        fake_init(&f[i], i % 3, 10000);
        ck_assert_int_eq(srv_batcher_submit(b, &f[i].job), SRV_BATCH_OK);
    }
    for (int i = 0; i < 20; i++) {
        wait_resumed(&f[i], 5000);
        ck_assert_int_eq(f[i].job.outcome, SRV_JOB_DONE);
        ck_assert_int_eq(atomic_load(&f[i].ran), 1);
        ck_assert(f[i].job.t_start >= f[i].job.t_submit && f[i].job.t_end >= f[i].job.t_start);
    }
    ck_assert_int_eq((int)srv_hist_count(&m.solve), 20);
    ck_assert_int_eq((int)srv_hist_count(&m.queue_wait), 20);
    ck_assert_int_ge((int)srv_hist_count(&m.batch_size), 1);
    ck_assert_int_eq((int)atomic_load(&m.queue_depth), 0);
    srv_batcher_join(b);
    srv_batcher_free(b);
}
END_TEST

START_TEST(test_queue_full) {
    srv_batcher *b = start(1, 1, NULL);
    fake a, c, d;
    fake_init(&a, 150, 10000);
    fake_init(&c, 0, 10000);
    fake_init(&d, 0, 10000);
    ck_assert_int_eq(srv_batcher_submit(b, &a.job), SRV_BATCH_OK);
    while (!atomic_load(&a.started)) sleep_ms(1); /* a runs: the queue is empty again */
    ck_assert_int_eq(srv_batcher_submit(b, &c.job), SRV_BATCH_OK);
    ck_assert_int_eq(srv_batcher_waiting(b), 1);
    ck_assert_int_eq(srv_batcher_submit(b, &d.job), SRV_BATCH_FULL);
    ck_assert_int_eq(atomic_load(&d.suspended), 0); /* refused: nothing happened to it */
    srv_batcher_set_depth(b, 2);
    ck_assert_int_eq(srv_batcher_submit(b, &d.job), SRV_BATCH_OK);
    wait_resumed(&a, 5000);
    wait_resumed(&c, 5000);
    wait_resumed(&d, 5000);
    srv_batcher_join(b);
    srv_batcher_free(b);
}
END_TEST

START_TEST(test_deadline_queued) {
    srv_batcher *b = start(1, 8, NULL);
    fake a, late;
    /* a holds the only worker for 1.5 s; late (50 ms deadline) must be answered at its deadline, long
     * before a finishes: the 1 s wait leaves room for a loaded machine without blurring the two */
    fake_init(&a, 1500, 10000);
    fake_init(&late, 0, 50);
    ck_assert_int_eq(srv_batcher_submit(b, &a.job), SRV_BATCH_OK);
    while (!atomic_load(&a.started)) sleep_ms(1);
    ck_assert_int_eq(srv_batcher_submit(b, &late.job), SRV_BATCH_OK);
    wait_resumed(&late, 1000);
    ck_assert_int_eq(late.job.outcome, SRV_JOB_EXPIRED_QUEUED);
    ck_assert_int_eq(atomic_load(&late.ran), 0);
    ck_assert_int_eq(atomic_load(&a.resumed), 0);
    wait_resumed(&a, 5000);
    ck_assert_int_eq(a.job.outcome, SRV_JOB_DONE);
    srv_batcher_join(b);
    srv_batcher_free(b);
}
END_TEST

START_TEST(test_deadline_running) {
    srv_batcher *b = start(1, 8, NULL);
    fake a;
    fake_init(&a, 80, 20);
    ck_assert_int_eq(srv_batcher_submit(b, &a.job), SRV_BATCH_OK);
    wait_resumed(&a, 5000);
    ck_assert_int_eq(atomic_load(&a.ran), 1);
    ck_assert_int_eq(a.job.outcome, SRV_JOB_EXPIRED_RUNNING);
    srv_batcher_join(b);
    srv_batcher_free(b);
}
END_TEST

START_TEST(test_close_drains) {
    srv_batcher *b = start(2, 64, NULL);
    ck_assert(srv_batcher_alive(b));
    fake f[8];
    for (int i = 0; i < 8; i++) {
        fake_init(&f[i], 20, 10000);
        ck_assert_int_eq(srv_batcher_submit(b, &f[i].job), SRV_BATCH_OK);
    }
    srv_batcher_close(b);
    ck_assert(!srv_batcher_alive(b));
    fake late;
    fake_init(&late, 0, 10000);
    ck_assert_int_eq(srv_batcher_submit(b, &late.job), SRV_BATCH_CLOSED);
    srv_batcher_join(b);
    ck_assert(srv_batcher_done(b));
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(atomic_load(&f[i].resumed), 1);
        ck_assert_int_eq(f[i].job.outcome, SRV_JOB_DONE);
    }
    ck_assert_int_eq(srv_batcher_submit(b, &late.job), SRV_BATCH_CLOSED);
    srv_batcher_free(b);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* decoding on the decode loops */

typedef struct {
    srv_job job; /* first */
    atomic_int suspended, resumed, ran, gone;
    srv_decode_item items[4];
    df_mapping maps[4];
} djob;

static void dj_suspend(void *conn) { atomic_fetch_add(&((djob *)conn)->suspended, 1); }
static void dj_resume(void *conn) {
    djob *f = conn;
    ck_assert_int_eq(atomic_load(&f->suspended), 1);
    atomic_fetch_add(&f->resumed, 1);
}
static int dj_gone(void *conn) { return atomic_load(&((djob *)conn)->gone); }
static void dj_run(srv_job *j) { atomic_fetch_add(&((djob *)j)->ran, 1); }

static void dj_init(djob *f, df_net **nets, int n, int32_t k, double deadline_in_ms) {
    memset(f, 0, sizeof *f);
    f->job.run = dj_run;
    f->job.conn = f;
    f->job.deadline = srv_now_ms() + deadline_in_ms;
    for (int i = 0; i < n; i++) {
        df_mapping_init(&f->maps[i], 16);
        f->items[i] = (srv_decode_item){.net = nets[i], .obj = DF_OBJ_LATENCY, .k = k, .decoded = &f->maps[i]};
    }
    f->job.items = f->items;
    f->job.n_items = n;
}

static void dj_free(djob *f) {
    for (int i = 0; i < f->job.n_items; i++) df_mapping_free(&f->maps[i]);
}

static void dj_wait(djob *f, int ms) {
    double until = srv_now_ms() + ms;
    while (!atomic_load(&f->resumed) && srv_now_ms() < until) sleep_ms(1);
    ck_assert_msg(atomic_load(&f->resumed) == 1, "decode job resumed once (got %d)", atomic_load(&f->resumed));
}

/* submits f to b and waits up to ms for it to be resumed (dj_wait) */
static void dj_submit_wait(srv_batcher *b, djob *f, int ms) {
    ck_assert_int_eq(srv_batcher_submit(b, &f->job), SRV_BATCH_OK);
    dj_wait(f, ms);
}

/* f was answered DONE, its run() ran once, and its one item came back with status */
static void dj_assert_done(djob *f, int status) {
    ck_assert_int_eq(f->job.outcome, SRV_JOB_DONE);
    ck_assert_int_eq(f->items[0].status, status);
    ck_assert_int_eq(atomic_load(&f->ran), 1);
}

static srv_batcher *start_decoding_wd(int loops, int32_t slots, int workers, int64_t depth, srv_metrics *m) {
    srv_batcher_opts o = {.workers = workers,
                          .queue_depth = depth,
                          .suspend = dj_suspend,
                          .resume = dj_resume,
                          .gone = dj_gone,
                          .watch_ms = 5,
                          .decode_slots = slots,
                          .decode_loops = loops,
                          .metrics = m};
    srv_batcher *b;
    ck_assert_int_eq(srv_batcher_start(&b, &o), SRV_BATCH_OK);
    ck_assert_int_eq(srv_batcher_reload_weights(b, ""), 0);
    srv_weights_info wi;
    double until = srv_now_ms() + 10000;
    while (!srv_batcher_weights(b, &wi) && srv_now_ms() < until) sleep_ms(2);
    ck_assert_int_eq(srv_batcher_weights(b, &wi), 1);
    ck_assert_int_eq(wi.slots, slots);
    ck_assert_int_eq(wi.decode_loops, loops);
    return b;
}

static srv_batcher *start_decoding(int loops, int32_t slots, srv_metrics *m) {
    return start_decoding_wd(loops, slots, 2, 256, m);
}

/* a zoo network on edge with `budget` bytes of buffer, batch 8 */
static df_net *zoo_net(const char *name, int64_t budget) { return tu_zoo_net(name, budget, 8, NULL); }

static int same_map(const df_mapping *a, const df_mapping *b) {
    if (a->n_groups != b->n_groups) return 0;
    for (int32_t g = 0; g < a->n_groups; g++)
        if (a->groups[g].last != b->groups[g].last || a->groups[g].micro_batch != b->groups[g].micro_batch) return 0;
    return 1;
}

START_TEST(test_decode_loops_answer_as_alone) {
    static const char *const labels[] = {"x"};
    enum { NJ = 24 };
    const char *names[3] = {"resnet50", "mobilenetv2", "resnet18"};
    df_net *nets[NJ * 2];
    df_mapping ref[NJ * 2];
    df_mapper *alone;
    df_err e;
    ck_assert_int_eq(df_mapper_load_embedded(&alone, 4, &e), DF_OK);
    for (int i = 0; i < NJ * 2; i++) {
        nets[i] = zoo_net(names[i % 3], (int64_t)(128 << 10) * (1 + i % 11));
        df_mapping_init(&ref[i], 16);
        ck_assert_int_eq(df_solve_transformer(alone, nets[i], DF_OBJ_LATENCY, 1, &ref[i], NULL, &e), DF_OK);
    }
    for (int loops = 1; loops <= 2; loops++) {
        srv_metrics m;
        srv_metrics_init(&m, labels, 1);
        srv_batcher *b = start_decoding(loops, 16, &m);
        djob f[NJ];
        for (int i = 0; i < NJ; i++) { /* every third job is a batch of two items */
            dj_init(&f[i], &nets[2 * i], i % 3 == 0 ? 2 : 1, 1, 20000);
            ck_assert_int_eq(srv_batcher_submit(b, &f[i].job), SRV_BATCH_OK);
        }
        for (int i = 0; i < NJ; i++) {
            dj_wait(&f[i], 20000);
            ck_assert_int_eq(f[i].job.outcome, SRV_JOB_DONE);
            ck_assert_int_eq(atomic_load(&f[i].ran), 1);
            for (int k = 0; k < f[i].job.n_items; k++) {
                ck_assert_int_eq(f[i].items[k].status, DF_OK);
                ck_assert_msg(same_map(&f[i].maps[k], &ref[2 * i + k]), "loops %d job %d item %d differs from alone",
                              loops, i, k);
                ck_assert(f[i].items[k].t_decoded >= f[i].items[k].t_start);
            }
            dj_free(&f[i]);
        }
        ck_assert_int_ge((int)atomic_load(&m.decode_steps), 72);
        srv_batcher_join(b);
        srv_batcher_free(b);
    }
    for (int i = 0; i < NJ * 2; i++) {
        df_mapping_free(&ref[i]);
        df_net_free(nets[i]);
    }
    df_mapper_free(alone);
}
END_TEST

/* The episode cache: nets built separately with identical content (so only the content can match)
 * reuse a decode loop's episode; every answer equals the uncached one (the mapper alone), also when a
 * different objective or budget of the same network comes between. */
START_TEST(test_decode_episode_cache) {
    static const char *const labels[] = {"x"};
    enum { NJ = 12 };
    df_net *nets[NJ];
    df_mapping ref[NJ];
    df_mapper *alone;
    df_err e;
    ck_assert_int_eq(df_mapper_load_embedded(&alone, 4, &e), DF_OK);
    for (int i = 0; i < NJ; i++) { /* resnet50 at 512 KiB and 1 MiB alternating, latency then energy */
        nets[i] = zoo_net("resnet50", (int64_t)(512 << 10) * (1 + i % 2));
        df_mapping_init(&ref[i], 16);
        df_objective obj = i < NJ / 2 ? DF_OBJ_LATENCY : DF_OBJ_ENERGY;
        ck_assert_int_eq(df_solve_transformer(alone, nets[i], obj, 1, &ref[i], NULL, &e), DF_OK);
    }
    srv_metrics m;
    srv_metrics_init(&m, labels, 1);
    srv_batcher *b = start_decoding(1, 16, &m);
    for (int i = 0; i < NJ; i++) { /* one at a time: the second of each problem finds the first's episode */
        djob f;
        dj_init(&f, &nets[i], 1, 1, 20000);
        f.items[0].obj = i < NJ / 2 ? DF_OBJ_LATENCY : DF_OBJ_ENERGY;
        ck_assert_int_eq(srv_batcher_submit(b, &f.job), SRV_BATCH_OK);
        dj_wait(&f, 20000);
        ck_assert_int_eq(f.items[0].status, DF_OK);
        ck_assert_msg(same_map(&f.maps[0], &ref[i]), "job %d (cached episode: %s) differs from alone", i,
                      srv_batcher_episode_hits(b) > 0 ? "maybe" : "no");
        dj_free(&f);
    }
    /* 4 problems (2 budgets x 2 objectives) of 3 jobs each: 8 reuses */
    ck_assert_int_eq((int)srv_batcher_episode_hits(b), NJ - 4);
    srv_batcher_join(b);
    srv_batcher_free(b);
    for (int i = 0; i < NJ; i++) {
        df_mapping_free(&ref[i]);
        df_net_free(nets[i]);
    }
    df_mapper_free(alone);
}
END_TEST

/* a 2,000-layer chain decodes for long enough to be dropped mid-way */
static df_net *long_net(void) {
    df_workload w;
    df_netbuild nb;
    df_err e;
    df_workload_init(&w, "chain2000");
    df_nb_init(&nb, &w, 64, 1, 1);
    int32_t x = -1;
    for (int i = 0; i < 2000; i++) x = df_nb_fc(&nb, "fc", x, 64);
    ck_assert_int_eq(df_nb_finish(&nb, &e), DF_OK);
    df_hw h;
    ck_assert_int_eq(df_hw_preset("edge", &h, &e), DF_OK);
    df_net *n;
    ck_assert_int_eq(df_net_init(&n, &w, &h, 4, &e), DF_OK);
    df_workload_free(&w);
    return n;
}

START_TEST(test_decode_dropped_and_refused) {
    srv_batcher *b = start_decoding(2, 16, NULL);
    df_net *ln = long_net();
    df_net *nets[4] = {ln, ln, ln, ln};
    /* past its deadline while decoding: answered once, EXPIRED_RUNNING, never run */
    djob late, left, tiny, after;
    dj_init(&late, nets, 2, 8, 30);
    ck_assert_int_eq(srv_batcher_submit(b, &late.job), SRV_BATCH_OK);
    /* the client hangs up while decoding: GONE */
    dj_init(&left, nets, 1, 16, 60000);
    ck_assert_int_eq(srv_batcher_submit(b, &left.job), SRV_BATCH_OK);
    sleep_ms(20);
    atomic_store(&left.gone, 1);
    dj_wait(&late, 10000);
    dj_wait(&left, 10000);
    ck_assert_int_eq(late.job.outcome, SRV_JOB_EXPIRED_RUNNING);
    ck_assert_int_eq(left.job.outcome, SRV_JOB_GONE);
    ck_assert_int_eq(atomic_load(&late.ran) + atomic_load(&left.ran), 0);
    /* refused by the mapper (budget too small): the item comes back with the reason and the job runs */
    df_net *small = zoo_net("resnet50", 1024);
    dj_init(&tiny, &small, 1, 1, 10000);
    dj_submit_wait(b, &tiny, 10000);
    dj_assert_done(&tiny, DF_EINFEASIBLE);
    /* another map-space: the shipped (batch-layout) weights do not decode a depth-first item; it comes
     * back DF_EUNSUPPORTED without taking a slot and the job runs (the exact fallback answers it) */
    djob other;
    df_net *r18 = zoo_net("resnet18", 256 << 10);
    dj_init(&other, &r18, 1, 1, 10000);
    other.items[0].space = DF_SPACE_DEPTH_FIRST;
    dj_submit_wait(b, &other, 10000);
    dj_assert_done(&other, DF_EUNSUPPORTED);
    dj_free(&other);
    df_net_free(r18);
    /* every slot came back: a job taking all 16 slots of a loop decodes, after a weights reload */
    ck_assert_int_eq(srv_batcher_reload_weights(b, ""), 0);
    df_net *r50 = zoo_net("resnet50", 512 << 10);
    dj_init(&after, &r50, 1, 16, 20000);
    ck_assert_int_eq(srv_batcher_submit(b, &after.job), SRV_BATCH_OK);
    dj_wait(&after, 20000);
    ck_assert_int_eq(after.job.outcome, SRV_JOB_DONE);
    ck_assert_int_eq(after.items[0].status, DF_OK);
    srv_weights_info wi;
    double until = srv_now_ms() + 10000;
    while ((!srv_batcher_weights(b, &wi) || wi.generation < 2) && srv_now_ms() < until) sleep_ms(2);
    ck_assert_int_eq((int)wi.generation, 2);
    srv_batcher_join(b);
    srv_batcher_free(b);
    dj_free(&late);
    dj_free(&left);
    dj_free(&tiny);
    dj_free(&after);
    df_net_free(ln);
    df_net_free(small);
    df_net_free(r50);
}
END_TEST

static void dj_block(srv_job *j) {
    sleep_ms(1500);
    atomic_fetch_add(&((djob *)j)->ran, 1);
}

/* Issue #17 row 5: one bound for every job. With the only worker held by a long job and queue-depth 4,
 * transformer jobs stay in the queue while they decode and after (waiting for the worker): 4 are
 * admitted, not more; queue_depth says 4; their 600 ms deadline is met in the queue (504 at ~600 ms, not
 * when the worker frees at 1.5 s) and queue_ms tells the wait. */
START_TEST(test_decode_one_bound) {
    static const char *const labels[] = {"x"};
    srv_metrics m;
    srv_metrics_init(&m, labels, 1);
    srv_batcher *b = start_decoding_wd(1, 16, 1, 4, &m);
    df_net *net = zoo_net("resnet18", 512 << 10);
    djob blocker;
    dj_init(&blocker, NULL, 0, 1, 20000);
    blocker.job.run = dj_block;
    ck_assert_int_eq(srv_batcher_submit(b, &blocker.job), SRV_BATCH_OK);
    double until = srv_now_ms() + 2000;
    while (srv_batcher_waiting(b) > 0 && srv_now_ms() < until) sleep_ms(1);
    enum { NJ = 12 };
    djob f[NJ];
    int admitted[NJ], n_ok = 0;
    double t0 = srv_now_ms();
    for (int i = 0; i < NJ; i++) {
        dj_init(&f[i], &net, 1, 1, 600);
        admitted[i] = srv_batcher_submit(b, &f[i].job) == SRV_BATCH_OK;
        n_ok += admitted[i];
        sleep_ms(20); /* time for the admitted ones to decode */
    }
    ck_assert_msg(n_ok == 4, "%d of %d admitted with queue-depth 4", n_ok, NJ);
    ck_assert_int_eq((int)srv_batcher_waiting(b), 4);
    ck_assert_int_eq((int)atomic_load(&m.queue_depth), 4);
    for (int i = 0; i < NJ; i++) {
        if (!admitted[i]) continue;
        dj_wait(&f[i], 5000);
        ck_assert_int_eq(f[i].job.outcome, SRV_JOB_EXPIRED_RUNNING); /* decoded, never run */
        ck_assert_int_eq(atomic_load(&f[i].ran), 0);
        ck_assert_msg(f[i].job.t_end - t0 < 1100, "answered %.0f ms after submission", f[i].job.t_end - t0);
        ck_assert_msg(f[i].job.queue_ms >= 300, "queue_ms %.0f for a wait of about 600 ms", f[i].job.queue_ms);
    }
    dj_wait(&blocker, 5000);
    ck_assert_int_eq(blocker.job.outcome, SRV_JOB_DONE);
    ck_assert_int_eq((int)srv_batcher_waiting(b), 0);
    srv_batcher_join(b);
    srv_batcher_free(b);
    for (int i = 0; i < NJ; i++) dj_free(&f[i]);
    df_net_free(net);
}
END_TEST

/* run_on_decoder: a map job whose one item decodes without error, alone on its decode loop, runs run()
 * there (job.ran); one without the flag, one whose item is refused (budget too small) and jobs whose
 * decode loop still steps others run on a worker; with the only worker held by a long job, flagged
 * jobs wait for it like every other job (the one --workers bound), and are answered after it. */
START_TEST(test_run_on_decoder) {
    static const char *const labels[] = {"x"};
    srv_metrics m;
    srv_metrics_init(&m, labels, 1);
    srv_batcher *b = start_decoding_wd(1, 16, 1, 64, &m);
    df_net *net = zoo_net("resnet18", 512 << 10), *small = zoo_net("resnet50", 1024);
    enum { NJ = 6 };
    djob f[NJ], refused, plain;
    for (int i = 0; i < NJ; i++) { /* one at a time: the decode loop has nothing else to step */
        dj_init(&f[i], &net, 1, 1, 20000);
        f[i].job.run_on_decoder = 1;
        dj_submit_wait(b, &f[i], 5000);
        dj_assert_done(&f[i], DF_OK);
        ck_assert_int_gt(f[i].maps[0].n_groups, 0);
        ck_assert(f[i].job.t_end >= f[i].items[0].t_decoded);
        ck_assert_msg(f[i].job.ran, "job %d alone: run() on the decode loop", i);
    }
    dj_init(&refused, &small, 1, 1, 20000);
    refused.job.run_on_decoder = 1;
    dj_submit_wait(b, &refused, 5000);
    dj_init(&plain, &net, 1, 1, 20000);
    dj_submit_wait(b, &plain, 5000);
    dj_assert_done(&refused, DF_EINFEASIBLE);
    ck_assert_int_eq(plain.job.outcome, SRV_JOB_DONE);
    ck_assert_int_eq(atomic_load(&plain.ran), 1);
    ck_assert_int_eq(refused.job.ran, 0);
    ck_assert_int_eq(plain.job.ran, 0);

    /* decoding beside another: a long decode (2,000 layers, tens of ms) first, then three short ones
     * that finish while it is still stepping: they go to the worker (the long one would wait for their
     * checks); every one is answered once */
    df_net *ln = long_net();
    djob c[4];
    for (int i = 0; i < 4; i++) {
        dj_init(&c[i], i == 0 ? &ln : &net, 1, 1, 60000);
        c[i].job.run_on_decoder = 1;
        ck_assert_int_eq(srv_batcher_submit(b, &c[i].job), SRV_BATCH_OK);
    }
    for (int i = 0; i < 4; i++) {
        dj_wait(&c[i], 30000);
        ck_assert_int_eq(c[i].job.outcome, SRV_JOB_DONE);
        ck_assert_int_eq(atomic_load(&c[i].ran), 1);
        if (i > 0) ck_assert_msg(!c[i].job.ran, "short job %d ran on a decode loop still stepping the long one", i);
    }

    /* the only worker held: flagged jobs wait for it, then run (on a worker or the decode loop) */
    djob blocker, g[3];
    dj_init(&blocker, NULL, 0, 1, 20000);
    blocker.job.run = dj_block;
    ck_assert_int_eq(srv_batcher_submit(b, &blocker.job), SRV_BATCH_OK);
    double until = srv_now_ms() + 2000;
    while (srv_batcher_waiting(b) > 0 && srv_now_ms() < until) sleep_ms(1);
    double t0 = srv_now_ms();
    for (int i = 0; i < 3; i++) {
        dj_init(&g[i], &net, 1, 1, 20000);
        g[i].job.run_on_decoder = 1;
        ck_assert_int_eq(srv_batcher_submit(b, &g[i].job), SRV_BATCH_OK);
    }
    sleep_ms(300);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(atomic_load(&g[i].resumed), 0);
    ck_assert_int_eq((int)srv_batcher_waiting(b), 3); /* decoded, in the queue for the worker */
    dj_wait(&blocker, 5000);
    for (int i = 0; i < 3; i++) {
        dj_wait(&g[i], 5000);
        ck_assert_int_eq(g[i].job.outcome, SRV_JOB_DONE);
        ck_assert_int_eq(atomic_load(&g[i].ran), 1);
        ck_assert_int_eq(g[i].job.ran, 0); /* waited in the queue: a worker ran it */
        ck_assert_msg(g[i].job.t_end - t0 >= 1000, "answered %.0f ms after submission, the worker was held 1.5 s",
                      g[i].job.t_end - t0);
    }
    ck_assert_int_eq((int)srv_batcher_waiting(b), 0);
    ck_assert_int_eq((int)atomic_load(&m.queue_depth), 0);
    srv_batcher_join(b);
    srv_batcher_free(b);
    for (int i = 0; i < NJ; i++) dj_free(&f[i]);
    for (int i = 0; i < 4; i++) dj_free(&c[i]);
    for (int i = 0; i < 3; i++) dj_free(&g[i]);
    dj_free(&refused);
    dj_free(&plain);
    dj_free(&blocker);
    df_net_free(net);
    df_net_free(small);
    df_net_free(ln);
}
END_TEST

static Suite *batcher_suite(void) {
    Suite *s = suite_create("server_batcher");
    TCase *tc = tcase_create("batcher");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_runs_all);
    tcase_add_test(tc, test_queue_full);
    tcase_add_test(tc, test_deadline_queued);
    tcase_add_test(tc, test_deadline_running);
    tcase_add_test(tc, test_close_drains);
    tcase_add_test(tc, test_decode_loops_answer_as_alone);
    tcase_add_test(tc, test_decode_episode_cache);
    tcase_add_test(tc, test_decode_dropped_and_refused);
    tcase_add_test(tc, test_decode_one_bound);
    tcase_add_test(tc, test_run_on_decoder);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(batcher_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
