/* check_server_config.c - unit tests of src/server/config.c: the option table, defaults, value
 * parsing and ranges, config files (comments, quotes, '_' keys, errors naming the line), the
 * environment twins, flag precedence, --help generation and the SIGHUP reload rules; the logger
 * (log.c): levels, the line format, logfmt quoting, the queued mode with a stuck reader; and the
 * request ids (reqid.c). */
#include <check.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/server/config.h"
#include "../../src/server/log.h"
#include "../../src/server/reqid.h"

/* Writes text to a fresh temporary file; returns its path (static buffer). */
static const char *tmpfile_with(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/dnnfuserd-cfg-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((int)write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    return path;
}

START_TEST(test_defaults) {
    srv_config c;
    srv_config_defaults(&c);
    ck_assert_str_eq(c.bind, "127.0.0.1");
    ck_assert_int_eq(c.port, 8080);
    ck_assert_int_eq(c.mhd_threads, 2);
    ck_assert_int_eq(c.workers, 2);
    ck_assert_int_eq(c.max_body, 1 << 20);
    ck_assert_int_eq(c.max_layers, 4096);
    ck_assert_int_eq(c.max_batch_items, 256);
    ck_assert_int_eq(c.max_connections, 1024);
    ck_assert_int_eq(c.queue_depth, 256);
    ck_assert_int_eq(c.deadline_ms, 10000);
    ck_assert_int_eq(c.conn_timeout, 30);
    ck_assert_int_eq(c.log_level, SRV_LOG_INFO);
    ck_assert_str_eq(c.config_path, "");
}
END_TEST

START_TEST(test_table_consistent) {
    const srv_conf_opt *t = srv_config_table();
    ck_assert_int_gt((int)srv_config_count(), 10);
    for (size_t i = 0; i < srv_config_count(); i++) {
        ck_assert_ptr_nonnull(t[i].help);
        ck_assert_msg(strncmp(t[i].env, "DNNFUSER_", 9) == 0, "env of %s", t[i].name);
        /* the env name is DNNFUSER_ + the flag in upper case with '_' */
        char want[64];
        size_t k = (size_t)snprintf(want, sizeof want, "DNNFUSER_");
        for (const char *p = t[i].name; *p; p++) want[k++] = *p == '-' ? '_' : (char)(*p - 'a' + 'A');
        want[k] = '\0';
        ck_assert_str_eq(t[i].env, want);
        ck_assert_ptr_eq(srv_config_find(t[i].name), &t[i]);
        /* the default parses within the range */
        srv_config c;
        char err[256];
        ck_assert_msg(srv_config_set(&c, &t[i], t[i].def, err, sizeof err) == 0, "%s: %s", t[i].name, err);
    }
    ck_assert_ptr_eq(srv_config_find("queue_depth"), srv_config_find("queue-depth"));
    ck_assert_ptr_null(srv_config_find("nope"));
}
END_TEST

START_TEST(test_set_values) {
    srv_config c;
    srv_config_defaults(&c);
    char err[256];
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("port"), "0", err, sizeof err), 0);
    ck_assert_int_eq(c.port, 0);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("port"), "65536", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "out of range [0, 65535]"));
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("port"), "80x", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not an integer"));
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("port"), "", err, sizeof err), -1);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("max-body"), "2MiB", err, sizeof err), 0);
    ck_assert_int_eq(c.max_body, 2 << 20);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("max-body"), "12", err, sizeof err), -1);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("max-body"), "lots", err, sizeof err), -1);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("log-level"), "debug", err, sizeof err), 0);
    ck_assert_int_eq(c.log_level, SRV_LOG_DEBUG);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("log-level"), "loud", err, sizeof err), -1);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("bind"), "::1", err, sizeof err), 0);
    ck_assert_str_eq(c.bind, "::1");
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("bind"), "", err, sizeof err), -1);
}
END_TEST

START_TEST(test_file_ok) {
    const char *path = tmpfile_with("# dnnfuserd settings\n"
                                    "\n"
                                    "port = 9000   # trailing comment\n"
                                    "  queue_depth=7\n"
                                    "max-body = 64KiB\n"
                                    "bind = \"127.0.0.1\"\n"
                                    "log_level = warn\n");
    srv_config c;
    srv_config_defaults(&c);
    char err[512] = "";
    ck_assert_msg(srv_config_load_file(&c, path, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(c.port, 9000);
    ck_assert_int_eq(c.queue_depth, 7);
    ck_assert_int_eq(c.max_body, 64 * 1024);
    ck_assert_str_eq(c.bind, "127.0.0.1");
    ck_assert_int_eq(c.log_level, SRV_LOG_WARN);
    unlink(path);
}
END_TEST

static const struct {
    const char *text;
    const char *want; /* substring of the error */
} bad_files[] = {
    {"port = 1\nthis is not a setting\n", "line 2: expected 'key = value'"},
    {"port = 1\n\n# ok\nbogus = 3\n", "line 4: unknown key 'bogus'"},
    {"queue-depth = 0\n", "line 1: queue-depth: 0 out of range"},
    {"port = 1\nport = eighty\n", "line 2: port: 'eighty' is not an integer"},
    {" = 5\n", "line 1: missing key"},
    {"config = /etc/other.conf\n", "line 1: unknown key 'config' (not allowed in a config file)"},
    {"log-level = verbose\n", "line 1: log-level: 'verbose' is not a log level"},
};

START_TEST(test_file_errors) {
    const char *path = tmpfile_with(bad_files[_i].text);
    srv_config c;
    srv_config_defaults(&c);
    char err[512] = "";
    ck_assert_int_eq(srv_config_load_file(&c, path, err, sizeof err), -1);
    ck_assert_msg(strstr(err, bad_files[_i].want) != NULL, "got '%s', want '%s'", err, bad_files[_i].want);
    ck_assert_msg(strstr(err, path) != NULL, "error names the file: %s", err);
    unlink(path);
}
END_TEST

START_TEST(test_file_missing) {
    srv_config c;
    srv_config_defaults(&c);
    char err[512];
    ck_assert_int_eq(srv_config_load_file(&c, "/nonexistent/dnnfuserd.conf", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

START_TEST(test_env) {
    char *env[] = {"PATH=/bin", "DNNFUSER_PORT=1234", "DNNFUSER_LOG_LEVEL=debug", "DNNFUSER_PORTX=1", NULL};
    srv_config c;
    srv_config_defaults(&c);
    char err[256];
    ck_assert_int_eq(srv_config_load_env(&c, env, err, sizeof err), 0);
    ck_assert_int_eq(c.port, 1234);
    ck_assert_int_eq(c.log_level, SRV_LOG_DEBUG);
    char *bad[] = {"DNNFUSER_WORKERS=0", NULL};
    ck_assert_int_eq(srv_config_load_env(&c, bad, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "environment DNNFUSER_WORKERS: 0 out of range"));
}
END_TEST

/* defaults < file < env < flags */
START_TEST(test_precedence) {
    const char *path = tmpfile_with("port = 1111\nqueue-depth = 11\nworkers = 3\n");
    char cfgflag[128];
    snprintf(cfgflag, sizeof cfgflag, "--config=%s", path);
    char *argv[] = {"dnnfuserd", cfgflag, "--port", "3333", NULL};
    char *env[] = {"DNNFUSER_PORT=2222", "DNNFUSER_QUEUE_DEPTH=22", NULL};
    srv_config c;
    srv_conf_action a;
    char err[512] = "";
    ck_assert_msg(srv_config_load(&c, 4, argv, env, &a, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(a, SRV_CONF_RUN);
    ck_assert_int_eq(c.port, 3333);      /* flag */
    ck_assert_int_eq(c.queue_depth, 22); /* env over file */
    ck_assert_int_eq(c.workers, 3);      /* file over default */
    ck_assert_str_eq(c.config_path, path);
    /* the config path may come from the environment too */
    char envcfg[128];
    snprintf(envcfg, sizeof envcfg, "DNNFUSER_CONFIG=%s", path);
    char *argv2[] = {"dnnfuserd", NULL};
    char *env2[] = {envcfg, NULL};
    ck_assert_int_eq(srv_config_load(&c, 1, argv2, env2, &a, err, sizeof err), 0);
    ck_assert_int_eq(c.port, 1111);
    unlink(path);
}
END_TEST

START_TEST(test_flags) {
    srv_config c;
    srv_conf_action a;
    char err[512];
    char *h[] = {"dnnfuserd", "--help", NULL};
    ck_assert_int_eq(srv_config_load(&c, 2, h, NULL, &a, err, sizeof err), 0);
    ck_assert_int_eq(a, SRV_CONF_HELP);
    char *v[] = {"dnnfuserd", "-V", NULL};
    ck_assert_int_eq(srv_config_load(&c, 2, v, NULL, &a, err, sizeof err), 0);
    ck_assert_int_eq(a, SRV_CONF_VERSION);
    char *u[] = {"dnnfuserd", "--frobnicate", NULL};
    ck_assert_int_eq(srv_config_load(&c, 2, u, NULL, &a, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown option '--frobnicate'"));
    char *m[] = {"dnnfuserd", "--port", NULL};
    ck_assert_int_eq(srv_config_load(&c, 2, m, NULL, &a, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
    char *r[] = {"dnnfuserd", "--workers=99", NULL};
    ck_assert_int_eq(srv_config_load(&c, 2, r, NULL, &a, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--workers: 99 out of range [1, 64]"));
    char *p[] = {"dnnfuserd", "extra", NULL};
    ck_assert_int_eq(srv_config_load(&c, 2, p, NULL, &a, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unexpected argument 'extra'"));
    char *bad[] = {"dnnfuserd", "--config", "/nonexistent/x.conf", NULL};
    ck_assert_int_eq(srv_config_load(&c, 3, bad, NULL, &a, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.conf"));
}
END_TEST

START_TEST(test_help_generated) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    srv_config_help(f, "dnnfuserd");
    fclose(f);
    const srv_conf_opt *t = srv_config_table();
    for (size_t i = 0; i < srv_config_count(); i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "--%s %s", t[i].name, t[i].metavar);
        ck_assert_msg(strstr(buf, flag) != NULL, "help lists %s", flag);
        ck_assert_msg(strstr(buf, t[i].env) != NULL, "help lists %s", t[i].env);
    }
    ck_assert_ptr_nonnull(strstr(buf, "[default: 10000]"));
    free(buf);
}
END_TEST

static int changes, applied_changes;
static void count_change(void *ctx, const srv_conf_opt *o, const char *a, const char *b, int applied) {
    (void)ctx;
    (void)o;
    (void)a;
    (void)b;
    changes++;
    applied_changes += applied;
}

START_TEST(test_reload_rules) {
    srv_config live, fresh;
    srv_config_defaults(&live);
    srv_config_defaults(&fresh);
    fresh.queue_depth = 5;  /* reloadable */
    fresh.deadline_ms = 50; /* reloadable */
    fresh.port = 1;         /* needs a restart */
    changes = applied_changes = 0;
    ck_assert_int_eq(srv_config_apply_reload(&live, &fresh, count_change, NULL), 2);
    ck_assert_int_eq(changes, 3);
    ck_assert_int_eq(applied_changes, 2);
    ck_assert_int_eq(live.queue_depth, 5);
    ck_assert_int_eq(live.deadline_ms, 50);
    ck_assert_int_eq(live.port, 8080);
}
END_TEST

START_TEST(test_print_roundtrip) {
    srv_config c, d;
    srv_config_defaults(&c);
    c.port = 4321;
    c.queue_depth = 3;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    srv_config_print(f, &c);
    fclose(f);
    const char *path = tmpfile_with(buf);
    free(buf);
    srv_config_defaults(&d);
    char err[512] = "";
    ck_assert_msg(srv_config_load_file(&d, path, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(d.port, 4321);
    ck_assert_int_eq(d.queue_depth, 3);
    unlink(path);
}
END_TEST

/* --print-config reads back whatever a value holds: '#' (a comment otherwise), quotes, backslashes,
 * blanks at the ends (issue #11 item 7: a '#' in a value was lost). */
START_TEST(test_print_roundtrip_specials) {
    static const char *const vals[] = {"/srv/w#1.bin", "/a \"b\" #c", "/x\\y\\", " lead", "trail ", "\"", "#", "\\\""};
    for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
        srv_config c, d;
        srv_config_defaults(&c);
        snprintf(c.weights, sizeof c.weights, "%s", vals[k]);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        srv_config_print(f, &c);
        fclose(f);
        const char *path = tmpfile_with(buf);
        srv_config_defaults(&d);
        char err[512] = "";
        ck_assert_msg(srv_config_load_file(&d, path, err, sizeof err) == 0, "%s: %s", vals[k], err);
        ck_assert_msg(strcmp(d.weights, vals[k]) == 0, "value [%s] read back as [%s] from:\n%s", vals[k], d.weights,
                      buf);
        free(buf);
        unlink(path);
    }
    /* a hand-written file keeps its meaning: bare value, trailing comment */
    srv_config d;
    srv_config_defaults(&d);
    const char *path = tmpfile_with("weights = /w.bin # the shipped ones\nbind = \"127.0.0.1\"\n");
    char err[512] = "";
    ck_assert_msg(srv_config_load_file(&d, path, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(d.weights, "/w.bin");
    ck_assert_str_eq(d.bind, "127.0.0.1");
    unlink(path);
}
END_TEST

/* logfmt values: a quote, space or '=' in a client's text can never start another field. */
START_TEST(test_log_value_quoting) {
    char b[64];
    ck_assert_str_eq(srv_log_value("/v1/map", b, sizeof b), "/v1/map");
    ck_assert_str_eq(srv_log_value("", b, sizeof b), "\"\"");
    ck_assert_str_eq(srv_log_value(NULL, b, sizeof b), "\"\"");
    ck_assert_str_eq(srv_log_value("/a\" status=200", b, sizeof b), "\"/a\\\" status=200\"");
    ck_assert_str_eq(srv_log_value("a=b", b, sizeof b), "\"a=b\"");
    ck_assert_str_eq(srv_log_value("x\\\n\x01\xff", b, sizeof b), "\"x\\\\\\n\\x01\\xff\"");
    /* cut inside the quotes */
    char small[16];
    srv_log_value("a b c d e f g h i j k", small, sizeof small);
    ck_assert_uint_lt(strlen(small), sizeof small);
    ck_assert_int_eq(small[0], '"');
    ck_assert_int_eq(small[strlen(small) - 1], '"');
    ck_assert_ptr_nonnull(strstr(small, "...\""));
    /* through the logger: a logfmt reader sees exactly the fields we wrote */
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    srv_logger lg;
    srv_log_init(&lg, fds[1], SRV_LOG_INFO);
    char q[128];
    srv_log(&lg, SRV_LOG_INFO, "request", "id=1 path=%s status=404",
            srv_log_value("/x\" status=200 y=\"", q, sizeof q));
    close(fds[1]);
    char buf[512] = {0};
    ck_assert_int_gt((int)read(fds[0], buf, sizeof buf - 1), 0);
    close(fds[0]);
    ck_assert_ptr_nonnull(strstr(buf, " path=\"/x\\\" status=200 y=\\\"\" status=404\n"));
    /* outside the quoted value there is one status= field only */
    const char *p = strstr(buf, "path=") + 5;
    ck_assert_int_eq(*p, '"');
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\') p++;
    ck_assert_str_eq(p, "\" status=404\n");
}
END_TEST

START_TEST(test_request_ids) {
    char inst[SRV_REQID_INSTANCE], inst2[SRV_REQID_INSTANCE], out[SRV_REQID_MAX + 1];
    srv_reqid_instance(inst);
    srv_reqid_instance(inst2);
    ck_assert_uint_eq(strlen(inst), 16);
    ck_assert_str_ne(inst, inst2); /* 64 random bits */
    ck_assert_int_eq(srv_reqid_make("abc-123_X.y:z", inst, 7, out, sizeof out), 1);
    ck_assert_str_eq(out, "abc-123_X.y:z");
    static const char *const bad[] = {
        NULL,   "",     "a b",
        "a\"b", "a\nb", "caf\xc3\xa9",
        "a;b",  "<x>",  "0123456789012345678901234567890123456789012345678901234567890123456789"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_int_eq(srv_reqid_make(bad[k], inst, 7, out, sizeof out), 0);
        char want[64];
        snprintf(want, sizeof want, "%s-7", inst);
        ck_assert_str_eq(out, want);
    }
    char id64[SRV_REQID_MAX + 1];
    memset(id64, 'a', SRV_REQID_MAX);
    id64[SRV_REQID_MAX] = '\0';
    ck_assert(srv_reqid_valid(id64));
    ck_assert(srv_reqid_valid("YWJj+/=="));
}
END_TEST

START_TEST(test_log_levels) {
    srv_log_level l;
    ck_assert_int_eq(srv_log_level_parse("WARNING", &l), 0);
    ck_assert_int_eq(l, SRV_LOG_WARN);
    ck_assert_int_eq(srv_log_level_parse("x", &l), -1);
    ck_assert_str_eq(srv_log_level_name(SRV_LOG_DEBUG), "debug");
    srv_logger lg;
    srv_log_init(&lg, 2, SRV_LOG_INFO);
    ck_assert(srv_log_enabled(&lg, SRV_LOG_ERROR));
    ck_assert(!srv_log_enabled(&lg, SRV_LOG_DEBUG));
    srv_log_set_level(&lg, SRV_LOG_DEBUG);
    ck_assert(srv_log_enabled(&lg, SRV_LOG_DEBUG));
}
END_TEST

START_TEST(test_log_line_format) {
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    srv_logger lg;
    srv_log_init(&lg, fds[1], SRV_LOG_INFO);
    srv_log(&lg, SRV_LOG_INFO, "request", "id=%d path=%s", 7, "/v1/map\nforged");
    srv_log(&lg, SRV_LOG_DEBUG, "hidden", "x=1");
    close(fds[1]);
    char buf[512] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    ck_assert_int_gt((int)n, 0);
    /* 2025-01-01T00:00:00.000Z info request id=7 path=/v1/map forged */
    ck_assert_int_eq(buf[4], '-');
    ck_assert_int_eq(buf[10], 'T');
    ck_assert_int_eq(buf[23], 'Z');
    ck_assert_ptr_nonnull(strstr(buf, "Z info request id=7 path=/v1/map forged\n"));
    ck_assert_ptr_null(strstr(buf, "hidden"));
    ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1); /* exactly one line */
}
END_TEST

/* SIGHUP's load on a file as it is being rewritten (issue 17 row 9): what it returns and why. */
static int reload_with(const char *text, srv_config *c, srv_conf_file_info *info, char *err, size_t errlen) {
    const char *path = tmpfile_with(text);
    char env[128];
    snprintf(env, sizeof env, "DNNFUSER_CONFIG=%s", path);
    char *argv[] = {"dnnfuserd", NULL};
    char *envp[] = {env, NULL};
    err[0] = '\0';
    int rc = srv_config_load_reload(c, 1, argv, envp, info, err, errlen);
    unlink(path);
    return rc;
}

/* The connection guard's options (connguard.h): defaults, and 0 turns each off. */
START_TEST(test_guard_options) {
    srv_config c;
    srv_config_defaults(&c);
    ck_assert_int_eq(c.per_ip_connections, 256);
    ck_assert_int_eq(c.header_timeout, 10);
    ck_assert_int_eq(c.min_body_rate, 1024);
    char err[256];
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("min-body-rate"), "0", err, sizeof err), 0);
    ck_assert_int_eq(c.min_body_rate, 0);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("min_body_rate"), "4KiB", err, sizeof err), 0);
    ck_assert_int_eq(c.min_body_rate, 4096);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("header-timeout"), "0", err, sizeof err), 0);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("per-ip-connections"), "0", err, sizeof err), 0);
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("per-ip-connections"), "-1", err, sizeof err), -1);
    /* "0" stays refused where the range excludes it */
    ck_assert_int_eq(srv_config_set(&c, srv_config_find("max-body"), "0", err, sizeof err), -1);
}
END_TEST

START_TEST(test_reload_refuses_damage) {
    srv_config c;
    srv_conf_file_info info;
    char err[512];
    /* a whole file: applied */
    ck_assert_msg(reload_with("queue-depth = 7\ndeadline-ms = 30000\n", &c, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(info.read, 1);
    ck_assert_int_eq(info.settings, 2);
    ck_assert_int_eq(c.deadline_ms, 30000);
    /* cut mid-value: "deadline-ms = 30" of 30000 parses, but its line has no newline */
    ck_assert_int_eq(reload_with("queue-depth = 7\ndeadline-ms = 30", &c, &info, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no newline"));
    ck_assert_int_eq(info.ends_in_newline, 0);
    /* cut mid-key: an error of its own (unknown key), also refused */
    ck_assert_int_eq(reload_with("queue-depth = 7\ndeadl", &c, &info, err, sizeof err), -1);
    /* cut mid-value of a size: "1M" is not a size */
    ck_assert_int_eq(reload_with("max-body = 1M", &c, &info, err, sizeof err), -1);
    /* empty (truncated by `>` before being written again), or white space only: refused */
    ck_assert_int_eq(reload_with("", &c, &info, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    ck_assert_int_eq(reload_with(" \n\n\t\n", &c, &info, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    /* a comment only: the explicit way to ask for the defaults, applied (main logs it at warn) */
    ck_assert_msg(reload_with("# all defaults\n", &c, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(info.settings, 0);
    ck_assert_int_eq(c.deadline_ms, 10000);
    /* a bad value anywhere: refused, with the line */
    ck_assert_int_eq(reload_with("queue-depth = 7\nworkers = 0\n", &c, &info, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "line 2"));
    /* no file at all: environment and flags only, fine */
    char *argv[] = {"dnnfuserd", NULL};
    ck_assert_int_eq(srv_config_load_reload(&c, 1, argv, NULL, &info, err, sizeof err), 0);
    ck_assert_int_eq(info.read, 0);
    /* a file that disappeared: refused */
    char *envp[] = {"DNNFUSER_CONFIG=/nonexistent/dnnfuserd.conf", NULL};
    ck_assert_int_eq(srv_config_load_reload(&c, 1, argv, envp, &info, err, sizeof err), -1);
}
END_TEST

/* Reads everything a pipe holds now (its write end may stay open). */
static size_t drain_pipe(int fd, char *buf, size_t cap) {
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n < cap - 1 && poll(&p, 1, 200) > 0) {
        ssize_t k = read(fd, buf + n, cap - 1 - n);
        if (k <= 0) break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    return n;
}

static int count_lines(const char *s, const char *needle) {
    int c = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++) c++;
    return c;
}

/* Queued mode: every line arrives whole and in order through the writer thread. */
START_TEST(test_log_queue_delivers) {
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    srv_logger lg;
    srv_log_init(&lg, fds[1], SRV_LOG_INFO);
    ck_assert_int_eq(srv_log_start(&lg, 64 * 1024, NULL), 0);
    for (int i = 0; i < 200; i++) srv_log(&lg, SRV_LOG_INFO, "request", "id=%d", i);
    ck_assert_uint_eq(srv_log_stop(&lg, 5000), 0);
    static char buf[64 * 1024];
    drain_pipe(fds[0], buf, sizeof buf);
    ck_assert_int_eq(count_lines(buf, " info request id="), 200);
    ck_assert_ptr_nonnull(strstr(buf, " id=0\n"));
    ck_assert_ptr_nonnull(strstr(buf, " id=199\n"));
    ck_assert(strstr(buf, " id=10\n") < strstr(buf, " id=11\n"));
    ck_assert_uint_eq(srv_log_dropped(&lg), 0);
    /* after stop: dropped and counted, nothing written */
    srv_log(&lg, SRV_LOG_INFO, "late", "x=1");
    ck_assert_uint_eq(srv_log_dropped(&lg), 1);
    ck_assert_uint_eq(drain_pipe(fds[0], buf, sizeof buf), 0);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* A pipe nobody reads (issue 17 row 3): srv_log must not block (a blocking write would hang this test
 * past its timeout), the lines beyond the pipe and the ring are dropped and counted, and stop returns
 * although the writer is stuck in write(2). Once the reader catches up the loss is reported. */
START_TEST(test_log_queue_stuck_reader) {
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    srv_logger lg;
    atomic_uint_least64_t dropped;
    atomic_init(&dropped, 0);
    srv_log_init(&lg, fds[1], SRV_LOG_INFO);
    ck_assert_int_eq(srv_log_start(&lg, 8192, &dropped), 0);
    char pad[200];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < 5000; i++) srv_log(&lg, SRV_LOG_INFO, "request", "id=%d pad=%s", i, pad); /* ~1.2 MB */
    ck_assert_uint_gt(atomic_load(&dropped), 4000);
    ck_assert_uint_eq(srv_log_dropped(&lg), atomic_load(&dropped));
    /* the reader catches up: the writer drains the ring and says how many lines were lost */
    static char buf[256 * 1024];
    size_t n = 0;
    for (int tries = 0; tries < 50 && !strstr(buf, "log_dropped"); tries++)
        n += drain_pipe(fds[0], buf + n, sizeof buf - n);
    ck_assert_ptr_nonnull(strstr(buf, " warn log_dropped lines="));
    ck_assert_ptr_nonnull(strstr(buf, " id=0 pad="));
    /* stuck again, then stop: bounded, and it gives up on what is left */
    for (int round = 0; round < 50; round++) { /* paced, so the writer fills the pipe before the ring */
        for (int i = 0; i < 100; i++) srv_log(&lg, SRV_LOG_INFO, "request", "id=%d pad=%s", i, pad);
        usleep(1000);
    }
    ck_assert_uint_gt(srv_log_stop(&lg, 100), 0);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

static Suite *config_suite(void) {
    Suite *s = suite_create("server_config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_table_consistent);
    tcase_add_test(tc, test_set_values);
    tcase_add_test(tc, test_file_ok);
    tcase_add_loop_test(tc, test_file_errors, 0, (int)(sizeof bad_files / sizeof bad_files[0]));
    tcase_add_test(tc, test_file_missing);
    tcase_add_test(tc, test_env);
    tcase_add_test(tc, test_precedence);
    tcase_add_test(tc, test_flags);
    tcase_add_test(tc, test_help_generated);
    tcase_add_test(tc, test_reload_rules);
    tcase_add_test(tc, test_print_roundtrip);
    tcase_add_test(tc, test_print_roundtrip_specials);
    tcase_add_test(tc, test_log_value_quoting);
    tcase_add_test(tc, test_request_ids);
    tcase_add_test(tc, test_log_levels);
    tcase_add_test(tc, test_log_line_format);
    tcase_add_test(tc, test_guard_options);
    tcase_add_test(tc, test_reload_refuses_damage);
    tcase_add_test(tc, test_log_queue_delivers);
    tcase_add_test(tc, test_log_queue_stuck_reader);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
