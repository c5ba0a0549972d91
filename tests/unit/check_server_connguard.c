/* check_server_connguard.c - unit tests of src/server/connguard.c: the per-address connection cap
 * (IPv4, IPv6, IPv4-mapped IPv6 counted as IPv4), the header and body progress rules, the sweep that
 * cuts a slow connection (a socketpair stands in for the client: it must read a 408 and end of file),
 * idle connections closed near the connection limit, counters and metrics. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/server/connguard.h"

static struct sockaddr_in v4(const char *ip) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1234)};
    ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

static struct sockaddr_in6 v6(const char *ip) {
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(1234)};
    ck_assert_int_eq(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x)), (socklen_t)sizeof(x)

START_TEST(test_per_ip_cap) {
    srv_metrics m;
    const char *routes[] = {"x"};
    srv_metrics_init(&m, routes, 1);
    srv_guard_opts o = {.max_connections = 100, .per_ip = 3, .metrics = &m};
    srv_guard *g = srv_guard_new(&o);
    struct sockaddr_in a = v4("10.0.0.1"), b = v4("10.0.0.2");
    struct sockaddr_in6 a6 = v6("::ffff:10.0.0.1"), c6 = v6("2001:db8::1");
    srv_guard_conn *held[8];
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(srv_guard_accept(g, SA(a)), 1);
        held[i] = srv_guard_open(g, -1, SA(a), 0);
    }
    ck_assert_int_eq(srv_guard_accept(g, SA(a)), 0);  /* the fourth from 10.0.0.1 */
    ck_assert_int_eq(srv_guard_accept(g, SA(a6)), 0); /* the same address, IPv4-mapped */
    ck_assert_int_eq(srv_guard_accept(g, SA(b)), 1);  /* another client is not affected */
    ck_assert_int_eq(srv_guard_accept(g, SA(c6)), 1);
    held[3] = srv_guard_open(g, -1, SA(c6), 0);
    ck_assert_int_eq(srv_guard_count(g), 4);
    ck_assert_int_eq(srv_guard_count_addr(g, SA(a)), 3);
    ck_assert_int_eq(srv_guard_count_addr(g, SA(c6)), 1);
    ck_assert_uint_eq(atomic_load(&m.conn_refused_per_ip), 2);
    srv_guard_close(g, held[1]); /* one closes: room for one more */
    ck_assert_int_eq(srv_guard_accept(g, SA(a6)), 1);
    ck_assert_int_eq(srv_guard_count_addr(g, SA(a)), 2);
    srv_guard_close(g, held[0]);
    srv_guard_close(g, held[2]);
    srv_guard_close(g, held[3]);
    ck_assert_int_eq(srv_guard_count(g), 0);
    ck_assert_int_eq(srv_guard_count_addr(g, SA(a)), 0);
    srv_guard_free(g);
    /* per_ip 0: no limit */
    o.per_ip = 0;
    g = srv_guard_new(&o);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(srv_guard_accept(g, SA(a)), 1);
        held[i] = srv_guard_open(g, -1, SA(a), 0);
    }
    srv_guard_free(g); /* frees what is still open */
}
END_TEST

START_TEST(test_verdicts) {
    srv_guard_opts o = {.header_timeout_ms = 10000, .min_body_rate = 1024};
    /* headers: complete within 10 s of the first byte */
    ck_assert_int_eq(srv_guard_verdict(&o, SRV_GUARD_HEADERS, 0, 0, 9999), SRV_CUT_NONE);
    ck_assert_int_eq(srv_guard_verdict(&o, SRV_GUARD_HEADERS, 0, 0, 10001), SRV_CUT_HEADER_TIMEOUT);
    /* body: 10 s grace, then 1 s more per 1,024 bytes received */
    ck_assert_int_eq(srv_guard_verdict(&o, SRV_GUARD_BODY, 0, 0, 10001), SRV_CUT_BODY_TOO_SLOW);
    ck_assert_int_eq(srv_guard_verdict(&o, SRV_GUARD_BODY, 0, 20 * 1024, 29000), SRV_CUT_NONE);
    ck_assert_int_eq(srv_guard_verdict(&o, SRV_GUARD_BODY, 0, 20 * 1024, 31000), SRV_CUT_BODY_TOO_SLOW);
    ck_assert_int_eq(srv_guard_verdict(&o, SRV_GUARD_BODY, 0, 1 << 20, 60000), SRV_CUT_NONE); /* 1 MiB in 60 s */
    /* a request being processed or a connection waiting between requests is never cut by the rules */
    ck_assert_int_eq(srv_guard_verdict(&o, SRV_GUARD_BUSY, 0, 0, 1e9), SRV_CUT_NONE);
    ck_assert_int_eq(srv_guard_verdict(&o, SRV_GUARD_IDLE, 0, 0, 1e9), SRV_CUT_NONE);
    /* 0 turns each rule off */
    srv_guard_opts off = {0};
    ck_assert_int_eq(srv_guard_verdict(&off, SRV_GUARD_HEADERS, 0, 0, 1e9), SRV_CUT_NONE);
    ck_assert_int_eq(srv_guard_verdict(&off, SRV_GUARD_BODY, 0, 0, 1e9), SRV_CUT_NONE);
    ck_assert_str_eq(srv_cut_reason_name(SRV_CUT_BODY_TOO_SLOW), "body_too_slow");
}
END_TEST

/* Reads what the guard wrote to the client side until end of file. */
static size_t read_all(int fd, char *buf, size_t cap) {
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fd, buf + n, cap - 1 - n);
        if (k <= 0) break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    return n;
}

START_TEST(test_sweep_cuts_slow) {
    srv_metrics m;
    const char *routes[] = {"x"};
    srv_metrics_init(&m, routes, 1);
    srv_guard_opts o = {.max_connections = 100, .header_timeout_ms = 10000, .min_body_rate = 1024, .metrics = &m};
    srv_guard *g = srv_guard_new(&o);
    int slow_h[2], slow_b[2], fast[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, slow_h), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, slow_b), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fast), 0);
    struct sockaddr_in a = v4("10.0.0.9");
    srv_guard_conn *ch = srv_guard_open(g, slow_h[0], SA(a), 0);
    srv_guard_conn *cb = srv_guard_open(g, slow_b[0], SA(a), 0);
    srv_guard_conn *cf = srv_guard_open(g, fast[0], SA(a), 0);
    srv_guard_headers_done(g, cb, 1, 1000);
    srv_guard_body(g, cb, 100);
    srv_guard_headers_done(g, cf, 0, 1000); /* being processed */
    ck_assert_int_eq(srv_guard_sweep(g, 5000), 0);
    ck_assert_int_eq(srv_guard_sweep(g, 10500), 1); /* the headers are late */
    char buf[1024];
    read_all(slow_h[1], buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 408 ", 13) == 0, "got: %s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\n{\"type\":\"https://dnnfuser.dev/problems/request-timeout\""));
    /* the Content-Length matches the body */
    const char *cl = strstr(buf, "Content-Length: ");
    ck_assert_ptr_nonnull(cl);
    ck_assert_int_eq(atoi(cl + 16), (int)strlen(strstr(buf, "\r\n\r\n") + 4));
    ck_assert_int_eq(srv_guard_sweep(g, 10600), 0); /* cut once; MHD closes it */
    ck_assert_int_eq(srv_guard_sweep(g, 11200), 1); /* the body: 100 bytes in 10.2 s */
    read_all(slow_b[1], buf, sizeof buf);
    ck_assert(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    ck_assert_int_eq(srv_guard_sweep(g, 1e9), 0); /* a request being processed stays */
    ck_assert_uint_eq(atomic_load(&m.conn_cut[SRV_CUT_HEADER_TIMEOUT]), 1);
    ck_assert_uint_eq(atomic_load(&m.conn_cut[SRV_CUT_BODY_TOO_SLOW]), 1);
    srv_guard_close(g, ch);
    srv_guard_close(g, cb);
    srv_guard_close(g, cf);
    for (int i = 0; i < 2; i++) close(slow_h[i]), close(slow_b[i]), close(fast[i]);
    srv_guard_free(g);
}
END_TEST

/* Near the connection limit, idle kept-alive connections make room (conn-timeout 0 or not). */
START_TEST(test_idle_closed_near_limit) {
    srv_metrics m;
    const char *routes[] = {"x"};
    srv_metrics_init(&m, routes, 1);
    srv_guard_opts o = {.max_connections = 8, .metrics = &m}; /* "near": from 8 - max(1, 8 / 64) = 7 on */
    srv_guard *g = srv_guard_new(&o);
    int sp[7][2];
    srv_guard_conn *c[7];
    struct sockaddr_in a = v4("10.0.0.3");
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp[i]), 0);
        c[i] = srv_guard_open(g, sp[i][0], SA(a), 0);
        srv_guard_headers_done(g, c[i], 0, 0);
        srv_guard_idle(g, c[i], 0);
    }
    ck_assert_int_eq(srv_guard_sweep(g, 60000), 0); /* 6 of 8: room left, idle connections stay */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp[6]), 0);
    c[6] = srv_guard_open(g, sp[6][0], SA(a), 60000); /* near the limit */
    srv_guard_headers_done(g, c[6], 0, 60000);        /* busy: never closed */
    srv_guard_idle(g, c[5], 59500);                   /* idle for only 0.6 s: kept */
    ck_assert_int_eq(srv_guard_sweep(g, 60100), 5);
    char buf[64];
    ck_assert_uint_eq(read_all(sp[0][1], buf, sizeof buf), 0); /* closed without a reply */
    ck_assert_uint_eq(atomic_load(&m.conn_cut[SRV_CUT_IDLE_AT_LIMIT]), 5);
    for (int i = 0; i < 7; i++) {
        srv_guard_close(g, c[i]);
        close(sp[i][0]);
        close(sp[i][1]);
    }
    srv_guard_free(g);
}
END_TEST

START_TEST(test_thread_start_stop) {
    srv_guard_opts o = {.max_connections = 10, .header_timeout_ms = 1};
    srv_guard *g = srv_guard_new(&o);
    ck_assert_int_eq(srv_guard_start(g), 0);
    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    srv_guard_conn *c = srv_guard_open(g, sp[0], NULL, 0, 0); /* opened "long ago": the thread cuts it */
    char buf[1024];
    read_all(sp[1], buf, sizeof buf); /* returns once the thread's sweep shut it down */
    ck_assert(strncmp(buf, "HTTP/1.1 408 ", 13) == 0);
    srv_guard_stop(g);
    srv_guard_close(g, c);
    close(sp[0]);
    close(sp[1]);
    srv_guard_free(g);
}
END_TEST

static Suite *guard_suite(void) {
    Suite *s = suite_create("server_connguard");
    TCase *tc = tcase_create("guard");
    tcase_add_test(tc, test_per_ip_cap);
    tcase_add_test(tc, test_verdicts);
    tcase_add_test(tc, test_sweep_cuts_slow);
    tcase_add_test(tc, test_idle_closed_near_limit);
    tcase_add_test(tc, test_thread_start_stop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(guard_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
