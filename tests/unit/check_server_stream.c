/* check_server_stream.c - unit tests of src/server/stream.c without a live connection (no reader has
 * run, so the connection is never suspended or resumed): with a cap, writes pass until the unread bytes
 * reach it, then a write waits and gives up (-1) once the cancel flag is raised, within ~50 ms of it;
 * without a cap a slow reader's buffer grows as before (issue #17 row 1: the NDJSON writer had no cap);
 * once the response is gone every write is refused; the owner is freed by the last reference. And the
 * connection ops the creator registers (srv_stream_conn, issue #12: no HTTP in stream.c): a reader with
 * nothing to read suspends through them, a write resumes, and a hang-up is asked of them only while
 * the reader waits. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/server/clock.h"
#include "../../src/server/stream.h"

static int freed;

/* a fake connection: counts the ops' calls; hung says whether its client hung up */
typedef struct {
    int suspends, resumes, asked, hung;
} fake_conn;
static void fake_suspend(void *c) { ((fake_conn *)c)->suspends++; }
static void fake_resume(void *c) { ((fake_conn *)c)->resumes++; }
static int fake_hung_up(void *c) {
    ((fake_conn *)c)->asked++;
    return ((fake_conn *)c)->hung;
}
static fake_conn fc;
static const srv_stream_conn *fake(void) {
    static srv_stream_conn sc;
    memset(&fc, 0, sizeof fc);
    sc = (srv_stream_conn){fake_suspend, fake_resume, fake_hung_up, &fc};
    return &sc;
}
static void owner_free(void *o) {
    (void)o;
    freed++;
}

typedef struct {
    atomic_int *flag;
    int ms;
} raiser;

static void *raise_later(void *arg) {
    raiser *r = arg;
    struct timespec ts = {r->ms / 1000, (r->ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store(r->flag, 1);
    return NULL;
}

START_TEST(test_cap_waits_then_cancel) {
    freed = 0;
    srv_stream *st = srv_stream_new(fake(), &freed, owner_free, NULL);
    ck_assert_ptr_nonnull(st);
    atomic_int cancel;
    atomic_init(&cancel, 0);
    srv_stream_set_cap(st, 4096, 0, &cancel);
    char line[1000];
    memset(line, 'x', sizeof line);
    int ok = 0;
    for (int i = 0; i < 4; i++) ok += srv_stream_write(st, line, sizeof line) == 0; /* 4 x 1,001 < 4,096 */
    ck_assert_int_eq(ok, 4);
    ck_assert_int_eq(srv_stream_write(st, line, sizeof line), 0); /* 4,004 < 4,096: still room */
    raiser r = {&cancel, 200};
    pthread_t th;
    pthread_create(&th, NULL, raise_later, &r);
    double t0 = srv_now_ms();
    ck_assert_int_eq(srv_stream_write(st, line, sizeof line), -1); /* at the cap: waits, then cancelled */
    double waited = srv_now_ms() - t0;
    pthread_join(th, NULL);
    ck_assert_msg(waited >= 150 && waited < 1000, "waited %.0f ms for a cancel raised at 200 ms", waited);
    srv_stream_abandon(st);                                        /* the response's reference */
    ck_assert_int_eq(srv_stream_write(st, line, sizeof line), -1); /* the reader is gone */
    ck_assert_int_eq(freed, 0);
    srv_stream_close(st); /* the producer's: the last */
    ck_assert_int_eq(freed, 1);
}
END_TEST

/* a reader that takes nothing for stall_ms: the producer gives up (-2) after about that long, and the
 * last line goes in regardless of the cap */
START_TEST(test_stall) {
    freed = 0;
    srv_stream *st = srv_stream_new(fake(), &freed, owner_free, NULL);
    srv_stream_set_cap(st, 2048, 300, NULL);
    char line[1100];
    memset(line, 'z', sizeof line);
    ck_assert_int_eq(srv_stream_write(st, line, sizeof line), 0);
    ck_assert_int_eq(srv_stream_write(st, line, sizeof line), 0); /* 2,202 bytes unread: at the cap */
    double t0 = srv_now_ms();
    ck_assert_int_eq(srv_stream_write(st, line, sizeof line), -2);
    double waited = srv_now_ms() - t0;
    ck_assert_msg(waited >= 250 && waited < 1500, "gave up after %.0f ms for a 300 ms stall", waited);
    ck_assert_int_eq(srv_stream_write_last(st, "{\"last\":1}", 10), 0);
    srv_stream_abandon(st);
    srv_stream_close(st);
    ck_assert_int_eq(freed, 1);
}
END_TEST

START_TEST(test_no_cap_grows) {
    freed = 0;
    srv_stream *st = srv_stream_new(fake(), &freed, owner_free, NULL);
    char line[1000];
    memset(line, 'y', sizeof line);
    for (int i = 0; i < 100; i++) ck_assert_int_eq(srv_stream_write(st, line, sizeof line), 0);
    srv_stream_abandon(st);
    srv_stream_close(st);
    ck_assert_int_eq(freed, 1);
}
END_TEST

/* the reader side through the registered ops: nothing to read suspends (once), a write resumes, the
 * reader gets the line, a hang-up counts only while the reader waits, and the end is SRV_STREAM_END */
START_TEST(test_conn_ops) {
    freed = 0;
    srv_stream *st = srv_stream_new(fake(), &freed, owner_free, NULL);
    ck_assert_ptr_nonnull(st);
    char out[64];
    ck_assert_int_eq(srv_stream_gone(st), 0);
    ck_assert_int_eq(fc.asked, 0); /* not waiting: the connection is watched by the HTTP layer */
    ck_assert_int_eq(srv_stream_read(st, 0, out, sizeof out), 0);
    ck_assert_int_eq(fc.suspends, 1);
    fc.hung = 1;
    ck_assert_int_eq(srv_stream_gone(st), 1); /* waiting: the ops are asked */
    ck_assert_int_eq(fc.asked, 1);
    fc.hung = 0;
    ck_assert_int_eq(srv_stream_write(st, "ab", 2), 0);
    ck_assert_int_eq(fc.resumes, 1);
    ck_assert_int_eq(srv_stream_read(st, 0, out, sizeof out), 3);
    ck_assert(memcmp(out, "ab\n", 3) == 0);
    ck_assert_uint_eq(srv_stream_sent(st), 3);
    srv_stream_close(st); /* not waiting: no resume */
    ck_assert_int_eq(fc.resumes, 1);
    ck_assert_int_eq(srv_stream_read(st, 0, out, sizeof out), (int)SRV_STREAM_END);
    ck_assert_int_eq(freed, 0);
    srv_stream_reader_done(st);
    ck_assert_int_eq(freed, 1);
}
END_TEST

static Suite *stream_suite(void) {
    Suite *s = suite_create("server_stream");
    TCase *tc = tcase_create("stream");
    tcase_add_test(tc, test_cap_waits_then_cancel);
    tcase_add_test(tc, test_stall);
    tcase_add_test(tc, test_no_cap_grows);
    tcase_add_test(tc, test_conn_ops);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(stream_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
