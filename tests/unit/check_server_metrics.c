/* check_server_metrics.c - unit tests of src/server/metrics.c: counters by route and code, histogram
 * buckets (cumulative, +Inf == count, sum), gauges, and the exposition text format rules
 * (HELP/TYPE once per family, before its samples; trailing newline). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/metrics.h"
#include "../../src/server/procstat.h"

static const char *const routes[] = {"map", "healthz", "unmatched"};

START_TEST(test_histogram) {
    static const double b[] = {1, 2, 4};
    srv_hist h;
    srv_hist_init(&h, b, 3);
    srv_hist_observe(&h, 0.5);
    srv_hist_observe(&h, 1.0); /* le is inclusive */
    srv_hist_observe(&h, 3);
    srv_hist_observe(&h, 100);
    srv_hist_observe(&h, -1); /* clamps to 0 */
    ck_assert_int_eq((int)srv_hist_count(&h), 5);
    ck_assert_int_eq((int)atomic_load(&h.counts[0]), 3);
    ck_assert_int_eq((int)atomic_load(&h.counts[1]), 0);
    ck_assert_int_eq((int)atomic_load(&h.counts[2]), 1);
    ck_assert_int_eq((int)atomic_load(&h.counts[3]), 1);
    ck_assert_int_eq((int)atomic_load(&h.sum_micro), 104500000);
}
END_TEST

START_TEST(test_render) {
    srv_metrics m;
    srv_metrics_init(&m, routes, 3);
    srv_metrics_request(&m, 0, 200, 0.003);
    srv_metrics_request(&m, 0, 200, 0.2);
    srv_metrics_request(&m, 0, 422, 0.001);
    srv_metrics_request(&m, 1, 200, 0.0001);
    srv_metrics_request(&m, 2, 404, 0.0001);
    srv_metrics_request(&m, 2, 418, 0.0001); /* not in the list: "other" */
    srv_metrics_request(&m, 9, 200, 0.1);    /* ignored */
    ck_assert_int_eq((int)srv_metrics_requests(&m, 0, 200), 2);
    atomic_store(&m.queue_depth, 3);
    atomic_store(&m.inflight, 4);
    srv_hist_observe(&m.batch_size, 3);
    atomic_store(&m.log_dropped, 5);
    atomic_store(&m.conn_refused_per_ip, 6);
    atomic_store(&m.conn_cut[1], 7); /* header_timeout */
    atomic_store(&m.conn_cut[4], 8); /* query_too_large */
    size_t len = 0;
    char *t = srv_metrics_render(&m, "1.2.3", 12.5, &len);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq((int)len, (int)strlen(t));
    ck_assert_int_eq(t[len - 1], '\n');
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_requests_total{route=\"map\",code=\"200\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_requests_total{route=\"map\",code=\"422\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_requests_total{route=\"unmatched\",code=\"404\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_requests_total{route=\"unmatched\",code=\"other\"} 1\n"));
    ck_assert_ptr_null(strstr(t, "code=\"500\""));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_request_duration_seconds_bucket{route=\"map\",le=\"0.005\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_request_duration_seconds_bucket{route=\"map\",le=\"+Inf\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_request_duration_seconds_count{route=\"map\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_request_duration_seconds_sum{route=\"map\"} 0.204000\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_batch_size_bucket{le=\"2\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_batch_size_bucket{le=\"4\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_queue_wait_seconds_count 0\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_solve_seconds_bucket{le=\"+Inf\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_queue_depth 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_inflight 4\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_build_info{version=\"1.2.3\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_uptime_seconds 12.500\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_log_dropped_total 5\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_connections_refused_total{reason=\"per_ip\"} 6\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_connections_cut_total{reason=\"header_timeout\"} 7\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_connections_cut_total{reason=\"body_too_slow\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_connections_cut_total{reason=\"idle_at_limit\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(t, "dnnfuser_connections_cut_total{reason=\"query_too_large\"} 8\n"));
    ck_assert_ptr_null(strstr(t, "reason=\"none\""));
    free(t);
}
END_TEST

/* Every sample belongs to the last family announced by # TYPE, each family announced once, buckets
 * cumulative. */
START_TEST(test_format_rules) {
    srv_metrics m;
    srv_metrics_init(&m, routes, 3);
    for (int i = 0; i < 50; i++) srv_metrics_request(&m, i % 3, i % 2 ? 200 : 503, i * 0.01);
    char *t = srv_metrics_render(&m, "x", 1, NULL);
    ck_assert_ptr_nonnull(t);
    char family[128] = "", seen[4096] = "", series[256] = "";
    unsigned long long last_bucket = 0;
    char *save, *line = strtok_r(t, "\n", &save);
    int lines = 0;
    while (line) {
        lines++;
        if (strncmp(line, "# TYPE ", 7) == 0) {
            sscanf(line + 7, "%127s", family);
            char key[140];
            snprintf(key, sizeof key, "|%s|", family);
            ck_assert_msg(strstr(seen, key) == NULL, "family %s announced twice", family);
            strncat(seen, key, sizeof seen - strlen(seen) - 1);
            last_bucket = 0;
        } else if (line[0] != '#') {
            ck_assert_msg(strncmp(line, family, strlen(family)) == 0, "sample '%s' outside its family %s", line,
                          family);
            ck_assert_ptr_null(strchr(line, ':')); /* colons are for recording rules */
            if (strstr(line, "_bucket{")) {
                /* one series = the same labels before le=; its buckets never decrease */
                size_t plen = (size_t)(strstr(line, "le=") - line);
                if (plen != strlen(series) || strncmp(line, series, plen) != 0) {
                    snprintf(series, sizeof series, "%.*s", (int)plen, line);
                    last_bucket = 0;
                }
                unsigned long long v = strtoull(strrchr(line, ' ') + 1, NULL, 10);
                ck_assert_msg(v >= last_bucket, "buckets not cumulative at %s", line);
                last_bucket = v;
            }
        }
        line = strtok_r(NULL, "\n", &save);
    }
    ck_assert_int_gt(lines, 40);
    free(t);
}
END_TEST

/* The process_* collector: /proc/PID/stat parsed past a comm holding spaces and ')', and the
 * families in the exposition with this process's own figures. */
START_TEST(test_process_metrics) {
    double ut, st, start, vs, rss;
    const char *line = "4242 (dnn fuser) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 5 0 "
                       "123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    ck_assert_int_eq(srv_procstat_parse_stat(line, &ut, &st, &start, &vs, &rss), 0);
    ck_assert(ut == 250 && st == 75 && start == 123456 && vs == 987654321 && rss == 2048);
    ck_assert_int_eq(srv_procstat_parse_stat("4242 (short) S 1 2 3", &ut, &st, &start, &vs, &rss), -1);
    ck_assert_int_eq(srv_procstat_parse_stat("no parenthesis", &ut, &st, &start, &vs, &rss), -1);
    srv_procstat ps;
    unsigned have = srv_procstat_read(&ps);
    ck_assert_uint_eq(have,
                      SRV_PROC_CPU | SRV_PROC_RSS | SRV_PROC_VSIZE | SRV_PROC_FDS | SRV_PROC_MAXFDS | SRV_PROC_START);
    ck_assert(ps.resident_bytes > 1e5 && ps.virtual_bytes >= ps.resident_bytes && ps.open_fds >= 3);
    ck_assert(ps.start_time_seconds > 1.6e9 && ps.cpu_seconds >= 0);
    static const char *const labels[] = {"map", "unmatched"};
    srv_metrics m;
    srv_metrics_init(&m, labels, 2);
    char *t = srv_metrics_render(&m, "1", 1, NULL);
    ck_assert_ptr_nonnull(t);
    static const char *const fam[] = {"process_cpu_seconds_total",
                                      "process_resident_memory_bytes",
                                      "process_virtual_memory_bytes",
                                      "process_open_fds",
                                      "process_max_fds",
                                      "process_start_time_seconds"};
    for (size_t i = 0; i < sizeof fam / sizeof fam[0]; i++) {
        char want[96];
        snprintf(want, sizeof want, "# TYPE %s %s\n%s ", fam[i], i == 0 ? "counter" : "gauge", fam[i]);
        ck_assert_msg(strstr(t, want) != NULL, "no %s", fam[i]);
    }
    free(t);
}
END_TEST

static Suite *metrics_suite(void) {
    Suite *s = suite_create("server_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, test_histogram);
    tcase_add_test(tc, test_render);
    tcase_add_test(tc, test_format_rules);
    tcase_add_test(tc, test_process_metrics);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(metrics_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
