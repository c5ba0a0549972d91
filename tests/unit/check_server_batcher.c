/* check_server_batcher.c - unit tests of src/server/batcher.c with fake connections: every job is
 * suspended before it is visible and resumed exactly once; the queue bound (jobs waiting, not
 * running) refuses with SRV_BATCH_FULL; a job still queued at its deadline is never run
 * (EXPIRED_QUEUED); a run that ends past the deadline is EXPIRED_RUNNING; close drains queued and
 * running jobs, then refuses (SRV_BATCH_CLOSED). */
#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/server/batcher.h"
#include "../../src/server/clock.h"

typedef struct {
    srv_job job;             /* first */
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
    srv_batcher_opts o = {.workers = workers, .queue_depth = depth, .suspend = fake_suspend, .resume = fake_resume,
                          .metrics = m};
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
    fake_init(&a, 300, 10000);
    fake_init(&late, 0, 50);
    ck_assert_int_eq(srv_batcher_submit(b, &a.job), SRV_BATCH_OK);
    while (!atomic_load(&a.started)) sleep_ms(1);
    ck_assert_int_eq(srv_batcher_submit(b, &late.job), SRV_BATCH_OK);
    wait_resumed(&late, 250); /* answered at its deadline, long before a finishes */
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

static Suite *batcher_suite(void) {
    Suite *s = suite_create("server_batcher");
    TCase *tc = tcase_create("batcher");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_runs_all);
    tcase_add_test(tc, test_queue_full);
    tcase_add_test(tc, test_deadline_queued);
    tcase_add_test(tc, test_deadline_running);
    tcase_add_test(tc, test_close_drains);
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
