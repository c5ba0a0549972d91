/* config.c - the option table and its three readers (file, environment, flags) plus the generated
 * --help. Every value, whatever its source, goes through srv_config_set, so ranges and types are
 * checked in one place. See config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/common.h"
#include "log.h"

#define OFF(f) offsetof(srv_config, f)
#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)

/* name, env, type, offset, size, default, min, max, reloadable, in_file, metavar, help */
static const srv_conf_opt table[] = {
    {"config", "DNNFUSER_CONFIG", SRV_CONF_STRING, OFF(config_path), SRV_CONFIG_PATH_MAX, "", 0,
     SRV_CONFIG_PATH_MAX - 1, 0, 0, "FILE", "read settings from FILE (lines 'key = value', '#' comments)"},
    {"bind", "DNNFUSER_BIND", SRV_CONF_STRING, OFF(bind), SRV_BIND_MAX, "127.0.0.1", 1, SRV_BIND_MAX - 1, 0, 1, "ADDR",
     "IPv4 or IPv6 address to listen on"},
    {"port", "DNNFUSER_PORT", SRV_CONF_INT, OFF(port), 0, "8080", 0, 65535, 0, 1, "N",
     "TCP port; 0 picks a free port (printed in the 'listening on' log line)"},
    {"mhd-threads", "DNNFUSER_MHD_THREADS", SRV_CONF_INT, OFF(mhd_threads), 0, "2", 1, 64, 0, 1, "N",
     "HTTP threads (libmicrohttpd thread pool)"},
    {"workers", "DNNFUSER_WORKERS", SRV_CONF_INT, OFF(workers), 0, "2", 1, 64, 0, 1, "N",
     "solver jobs run at once (libuv worker pool)"},
    {"max-body", "DNNFUSER_MAX_BODY", SRV_CONF_SIZE, OFF(max_body), 0, "1MiB", 1 * KIB, 1 * GIB, 1, 1, "SIZE",
     "largest request body (413 above)"},
    {"max-layers", "DNNFUSER_MAX_LAYERS", SRV_CONF_INT, OFF(max_layers), 0, "4096", 1, 65536, 1, 1, "N",
     "most layers in a workload (422 above)"},
    {"max-batch", "DNNFUSER_MAX_BATCH", SRV_CONF_INT, OFF(max_batch), 0, "4096", 1, 65536, 1, 1, "N",
     "largest batch size (samples) in a request"},
    {"max-batch-items", "DNNFUSER_MAX_BATCH_ITEMS", SRV_CONF_INT, OFF(max_batch_items), 0, "256", 1, 65536, 1, 1, "N",
     "most requests in one /v1/map/batch call (after grid expansion)"},
    {"max-batch-layers", "DNNFUSER_MAX_BATCH_LAYERS", SRV_CONF_INT, OFF(max_batch_layers), 0, "262144", 0, 16777216, 1,
     1, "N",
     "most items x layers in one /v1/map/batch call (its validation binds every item; 422 above; 0 = no limit)"},
    {"max-reply-bytes", "DNNFUSER_MAX_REPLY_BYTES", SRV_CONF_SIZE, OFF(max_reply_bytes), 0, "64MiB", 64 * KIB, 4 * GIB,
     1, 1, "SIZE",
     "largest reply body, checked while it is built (413 reply-too-large above; NDJSON streams are "
     "not bound by it)"},
    {"memory-budget", "DNNFUSER_MEMORY_BUDGET", SRV_CONF_SIZE, OFF(memory_budget), 0, "512MiB", 0, 64 * GIB, 1, 1,
     "SIZE",
     "bytes of parsed requests and of replies being built or unread by slow clients; past it new work is 503 with "
     "Retry-After (0 = no budget)"},
    {"max-connections", "DNNFUSER_MAX_CONNECTIONS", SRV_CONF_INT, OFF(max_connections), 0, "1024", 1, 1000000, 0, 1,
     "N", "concurrent HTTP connections (suspended ones count)"},
    {"queue-depth", "DNNFUSER_QUEUE_DEPTH", SRV_CONF_INT, OFF(queue_depth), 0, "256", 1, 1000000, 1, 1, "N",
     "jobs admitted and not yet on a worker (waiting, decoding or decoded); beyond it 503 with Retry-After"},
    {"deadline-ms", "DNNFUSER_DEADLINE_MS", SRV_CONF_INT, OFF(deadline_ms), 0, "10000", 1, 3600000, 1, 1, "MS",
     "default per-request deadline (a request may lower it with deadline_ms); 504 past it"},
    {"conn-memory", "DNNFUSER_CONN_MEMORY", SRV_CONF_SIZE, OFF(conn_memory), 0, "64KiB", 8 * KIB, 16 * MIB, 0, 1,
     "SIZE", "memory pool per HTTP connection (headers and upload chunks)"},
    {"conn-timeout", "DNNFUSER_CONN_TIMEOUT", SRV_CONF_INT, OFF(conn_timeout), 0, "30", 0, 86400, 0, 1, "S",
     "close a connection idle for S seconds (0 = never)"},
    {"per-ip-connections", "DNNFUSER_PER_IP_CONNECTIONS", SRV_CONF_INT, OFF(per_ip_connections), 0, "256", 0, 1000000,
     0, 1, "N",
     "connections one client address may hold at once, more are refused (0 = no limit; behind a "
     "proxy all clients share its address)"},
    {"header-timeout", "DNNFUSER_HEADER_TIMEOUT", SRV_CONF_INT, OFF(header_timeout), 0, "10", 0, 3600, 0, 1, "S",
     "a request's headers must arrive within S seconds of its first byte, else 408 and close; also the grace "
     "before --min-body-rate applies (0 = off)"},
    {"min-body-rate", "DNNFUSER_MIN_BODY_RATE", SRV_CONF_SIZE, OFF(min_body_rate), 0, "1KiB", 0, 1 * GIB, 0, 1, "SIZE",
     "bytes per second a request body must average after the header-timeout grace, else 408 and close (0 = off)"},
    {"drain-timeout-ms", "DNNFUSER_DRAIN_TIMEOUT_MS", SRV_CONF_INT, OFF(drain_timeout_ms), 0, "30000", 0, 3600000, 1, 1,
     "MS", "on SIGTERM, longest wait for in-flight requests to finish"},
    {"log-level", "DNNFUSER_LOG_LEVEL", SRV_CONF_LOGLEVEL, OFF(log_level), 0, "info", 0, SRV_LOG_LEVELS - 1, 1, 1,
     "LEVEL", "error, warn, info or debug"},
    {"weights", "DNNFUSER_WEIGHTS", SRV_CONF_STRING, OFF(weights), SRV_CONFIG_PATH_MAX, "", 0, SRV_CONFIG_PATH_MAX - 1,
     1, 1, "FILE", "transformer weights file (default: the shipped weights in the binary); SIGHUP reloads"},
    {"decode-slots", "DNNFUSER_DECODE_SLOTS", SRV_CONF_INT, OFF(decode_slots), 0, "64", 16, 4096, 0, 1, "N",
     "transformer sequences decoded at once per decode loop (KV-cache slots; a request of k candidates takes k)"},
    {"decode-loops", "DNNFUSER_DECODE_LOOPS", SRV_CONF_INT, OFF(decode_loops), 0, "0", 0, 64, 0, 1, "N",
     "transformer decode threads, each with its own decode-slots (0 = one per core)"},
    {"weights-optional", "DNNFUSER_WEIGHTS_OPTIONAL", SRV_CONF_INT, OFF(weights_optional), 0, "0", 0, 1, 0, 1, "0|1",
     "a --weights file that cannot be loaded at start: 0 refuses to start, 1 serves, answering transformer requests "
     "with the exact solver (said in /readyz and /v1/info)"},
    {NULL, NULL, 0, 0, 0, NULL, 0, 0, 0, 0, NULL, NULL},
};

#define N_OPTS (sizeof table / sizeof table[0] - 1)

const srv_conf_opt *srv_config_table(void) { return table; }
size_t srv_config_count(void) { return N_OPTS; }

/* Compares option names treating '-' and '_' alike. */
static int same_name(const char *a, const char *b, size_t blen) {
    size_t i = 0;
    for (; i < blen && a[i]; i++) {
        char x = a[i] == '_' ? '-' : a[i], y = b[i] == '_' ? '-' : b[i];
        if (x != y) return 0;
    }
    return i == blen && a[i] == '\0';
}

const srv_conf_opt *srv_config_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < N_OPTS; i++)
        if (same_name(table[i].name, name, strlen(name))) return &table[i];
    return NULL;
}

static int64_t *int_field(srv_config *cfg, const srv_conf_opt *o) { return (int64_t *)((char *)cfg + o->offset); }
static const int64_t *cint_field(const srv_config *cfg, const srv_conf_opt *o) {
    return (const int64_t *)((const char *)cfg + o->offset);
}

int srv_config_set(srv_config *cfg, const srv_conf_opt *o, const char *value, char *err, size_t errlen) {
    if (!value) value = "";
    switch (o->type) {
    case SRV_CONF_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (!*value || *end || errno) {
            snprintf(err, errlen, "'%s' is not an integer", value);
            return -1;
        }
        if (v < o->min || v > o->max) {
            snprintf(err, errlen, "%lld out of range [%lld, %lld]", v, (long long)o->min, (long long)o->max);
            return -1;
        }
        *int_field(cfg, o) = v;
        return 0;
    }
    case SRV_CONF_SIZE: {
        int64_t v = 0;
        /* "0" (off, where the range allows it) is not a size to df_parse_size */
        if (strcmp(value, "0") != 0 && df_parse_size(value, &v) != DF_OK) {
            snprintf(err, errlen, "'%s' is not a size (e.g. 1048576, 512KiB, 1MiB)", value);
            return -1;
        }
        if (v < o->min || v > o->max) {
            snprintf(err, errlen, "%lld bytes out of range [%lld, %lld]", (long long)v, (long long)o->min,
                     (long long)o->max);
            return -1;
        }
        *int_field(cfg, o) = v;
        return 0;
    }
    case SRV_CONF_STRING: {
        size_t n = strlen(value);
        if ((int64_t)n < o->min || (int64_t)n > o->max || n >= o->size) {
            snprintf(err, errlen, "length %zu out of range [%lld, %lld]", n, (long long)o->min, (long long)o->max);
            return -1;
        }
        memcpy((char *)cfg + o->offset, value, n + 1);
        return 0;
    }
    case SRV_CONF_LOGLEVEL: {
        srv_log_level l;
        if (srv_log_level_parse(value, &l)) {
            snprintf(err, errlen, "'%s' is not a log level (error, warn, info, debug)", value);
            return -1;
        }
        *int_field(cfg, o) = (int64_t)l;
        return 0;
    }
    }
    snprintf(err, errlen, "unknown option type");
    return -1;
}

void srv_config_defaults(srv_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    char err[128];
    for (size_t i = 0; i < N_OPTS; i++) srv_config_set(cfg, &table[i], table[i].def, err, sizeof err);
}

void srv_config_format(const srv_config *cfg, const srv_conf_opt *o, char *buf, size_t n) {
    switch (o->type) {
    case SRV_CONF_INT:
    case SRV_CONF_SIZE: snprintf(buf, n, "%lld", (long long)*cint_field(cfg, o)); break;
    case SRV_CONF_STRING: snprintf(buf, n, "%s", (const char *)cfg + o->offset); break;
    case SRV_CONF_LOGLEVEL: snprintf(buf, n, "%s", srv_log_level_name((srv_log_level)*cint_field(cfg, o))); break;
    }
}

/* Trims spaces at both ends in place; returns the start. */
static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* The closing quote of a quoted value val[0..vl) is itself escaped ("a\\"): no closing quote. */
static int escaped_quote_at_end(const char *val, size_t vl) {
    size_t bs = 0;
    for (size_t i = vl - 1; i > 1 && val[i - 1] == '\\'; i--) bs++;
    return bs % 2 == 1;
}

/* In place: \" -> " and \\ -> \ (a quoted value's escapes); other backslashes stay. */
static void unescape(char *s) {
    char *w = s;
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
        *w++ = *p;
    }
    *w = '\0';
}

/* A value as srv_config_print writes it: bare, or in double quotes (with \" and \\) when it holds
 * a '#', a '"', a backslash or leading/trailing blanks, which the reader would otherwise change. */
static void print_value(FILE *f, const char *v) {
    size_t n = strlen(v);
    int quote = n > 0 && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]));
    for (const char *p = v; *p && !quote; p++) quote = *p == '#' || *p == '"' || *p == '\\';
    if (!quote) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (const char *p = v; *p; p++) {
        if (*p == '"' || *p == '\\') fputc('\\', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* srv_config_load_file, also describing the file in *info (may be NULL). */
static int load_file(srv_config *cfg, const char *path, srv_conf_file_info *info, char *err, size_t errlen) {
    srv_conf_file_info dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    info->ends_in_newline = 1;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "config %s: %s", path, strerror(errno));
        return -1;
    }
    info->read = 1;
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        info->bytes += (int64_t)len;
        info->ends_in_newline = len > 0 && line[len - 1] == '\n';
        for (size_t i = 0; i < len && !info->text; i++)
            if (!isspace((unsigned char)line[i])) info->text = 1;
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            snprintf(err, errlen, "config %s line %d: line longer than %zu bytes", path, lineno, sizeof line - 2);
            rc = -1;
            break;
        }
        /* a '#' starts a comment unless it is inside double quotes (where a backslash escapes '"' and
         * itself: srv_config_print writes such values so they read back) */
        int quoted = 0;
        for (char *p = line; *p; p++) {
            if (quoted && *p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = !quoted;
            else if (*p == '#' && !quoted) {
                *p = '\0';
                break;
            }
        }
        char *s = trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "config %s line %d: expected 'key = value', got '%.60s'", path, lineno, s);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"' && !escaped_quote_at_end(val, vl)) {
            val[vl - 1] = '\0';
            val++;
            unescape(val);
        }
        const srv_conf_opt *o = srv_config_find(key);
        if (!*key) {
            snprintf(err, errlen, "config %s line %d: missing key before '='", path, lineno);
            rc = -1;
            break;
        }
        if (!o || !o->in_file) {
            snprintf(err, errlen, "config %s line %d: unknown key '%.60s'%s", path, lineno, key,
                     o ? " (not allowed in a config file)" : "");
            rc = -1;
            break;
        }
        char why[256];
        if (srv_config_set(cfg, o, val, why, sizeof why)) {
            snprintf(err, errlen, "config %s line %d: %s: %s", path, lineno, o->name, why);
            rc = -1;
            break;
        }
        info->settings++;
        info->last_line = lineno;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "config %s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

int srv_config_load_file(srv_config *cfg, const char *path, char *err, size_t errlen) {
    return load_file(cfg, path, NULL, err, errlen);
}

int srv_config_load_env(srv_config *cfg, char *const *env, char *err, size_t errlen) {
    if (!env) return 0;
    for (size_t i = 0; i < N_OPTS; i++) {
        size_t kl = strlen(table[i].env);
        for (char *const *e = env; *e; e++) {
            if (strncmp(*e, table[i].env, kl) != 0 || (*e)[kl] != '=') continue;
            char why[256];
            if (srv_config_set(cfg, &table[i], *e + kl + 1, why, sizeof why)) {
                snprintf(err, errlen, "environment %s: %s", table[i].env, why);
                return -1;
            }
        }
    }
    return 0;
}

/* Flag ids above the table's indexes. */
enum { FLAG_HELP = 'h', FLAG_VERSION = 'V', FLAG_BASE = 1000, FLAG_PRINT = 2000 };

static void build_longopts(struct option *lo) {
    size_t k = 0;
    for (size_t i = 0; i < N_OPTS; i++)
        lo[k++] = (struct option){table[i].name, required_argument, NULL, FLAG_BASE + (int)i};
    lo[k++] = (struct option){"help", no_argument, NULL, FLAG_HELP};
    lo[k++] = (struct option){"version", no_argument, NULL, FLAG_VERSION};
    lo[k++] = (struct option){"print-config", no_argument, NULL, FLAG_PRINT};
    lo[k] = (struct option){NULL, 0, NULL, 0};
}

static int load_all(srv_config *cfg, int argc, char **argv, char *const *env, srv_conf_action *action,
                    srv_conf_file_info *info, char *err, size_t errlen) {
    struct option lo[N_OPTS + 4];
    build_longopts(lo);
    *action = SRV_CONF_RUN;
    srv_config_defaults(cfg);
    err[0] = '\0';
    if (info) {
        memset(info, 0, sizeof *info);
        info->ends_in_newline = 1;
    }

    /* pass 1: only --config (the file sits below env and flags); errors wait for pass 2 */
    const char *path = NULL;
    if (env)
        for (char *const *e = env; *e; e++)
            if (strncmp(*e, "DNNFUSER_CONFIG=", 16) == 0) path = *e + 16;
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":hV", lo, NULL)) != -1)
        if (c == FLAG_BASE && optarg) path = optarg; /* table[0] is "config" */
    if (path && *path) {
        char why[256];
        if (srv_config_set(cfg, &table[0], path, why, sizeof why)) {
            snprintf(err, errlen, "--config: %s", why);
            return -1;
        }
        if (load_file(cfg, cfg->config_path, info, err, errlen)) return -1;
    }
    if (srv_config_load_env(cfg, env, err, errlen)) return -1;

    /* pass 2: every flag, in order */
    optind = 0;
    while ((c = getopt_long(argc, argv, ":hV", lo, NULL)) != -1) {
        if (c == FLAG_HELP)
            *action = SRV_CONF_HELP;
        else if (c == FLAG_VERSION)
            *action = SRV_CONF_VERSION;
        else if (c == FLAG_PRINT)
            *action = SRV_CONF_PRINT;
        else if (c >= FLAG_BASE && c < FLAG_BASE + (int)N_OPTS) {
            const srv_conf_opt *o = &table[c - FLAG_BASE];
            char why[256];
            if (srv_config_set(cfg, o, optarg, why, sizeof why)) {
                snprintf(err, errlen, "--%s: %s", o->name, why);
                return -1;
            }
        } else if (c == ':') {
            snprintf(err, errlen, "option %s needs a value (see --help)", argv[optind - 1]);
            return -1;
        } else {
            snprintf(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
        return -1;
    }
    return 0;
}

int srv_config_load(srv_config *cfg, int argc, char **argv, char *const *env, srv_conf_action *action, char *err,
                    size_t errlen) {
    srv_conf_file_info info;
    return load_all(cfg, argc, argv, env, action, &info, err, errlen);
}

int srv_config_load_reload(srv_config *cfg, int argc, char **argv, char *const *env, srv_conf_file_info *info,
                           char *err, size_t errlen) {
    srv_conf_action action;
    if (load_all(cfg, argc, argv, env, &action, info, err, errlen)) return -1;
    if (!info->read) return 0; /* no config file: environment and flags only */
    const char *path = cfg->config_path;
    if (!info->text) {
        snprintf(err, errlen,
                 "config %s is empty (%lld bytes, nothing but white space): being rewritten? An empty file would reset "
                 "every setting to its default; to mean that, write a comment line",
                 path, (long long)info->bytes);
        return -1;
    }
    if (!info->ends_in_newline) {
        snprintf(err, errlen,
                 "config %s: the last line has no newline (%lld bytes): truncated or still being written? Every line "
                 "must end with a newline",
                 path, (long long)info->bytes);
        return -1;
    }
    return 0;
}

void srv_config_help(FILE *f, const char *prog) {
    fprintf(f,
            "usage: %s [options]\n"
            "\n"
            "dnnfuserd serves layer-fusion mappings over HTTP (see docs/SERVER.md and api/openapi.yaml).\n"
            "Settings come from, lowest precedence first: defaults, the config file, DNNFUSER_* environment\n"
            "variables, these flags. Sizes accept 1048576, 512KiB, 1MiB, ...; SIGHUP reloads the options\n"
            "marked [reload].\n\n",
            prog);
    for (size_t i = 0; i < N_OPTS; i++) {
        const srv_conf_opt *o = &table[i];
        char flag[64];
        snprintf(flag, sizeof flag, "--%s %s", o->name, o->metavar);
        fprintf(f, "  %-26s %s", flag, o->help);
        if (*o->def) fprintf(f, " [default: %s]", o->def);
        if (o->reloadable) fprintf(f, " [reload]");
        fprintf(f, "\n  %-26s env %s\n", "", o->env);
    }
    fprintf(f, "  %-26s %s\n", "--print-config", "print the effective settings as a config file and exit");
    fprintf(f, "  %-26s %s\n", "-h, --help", "show this help and exit");
    fprintf(f, "  %-26s %s\n", "-V, --version", "print the version and exit");
}

void srv_config_print(FILE *f, const srv_config *cfg) {
    fprintf(f, "# dnnfuserd effective settings\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        char v[SRV_CONFIG_PATH_MAX + 8];
        srv_config_format(cfg, &table[i], v, sizeof v);
        fprintf(f, "%s%s = ", table[i].in_file ? "" : "# ", table[i].name);
        print_value(f, v);
        fputc('\n', f);
    }
}

int srv_config_apply_reload(srv_config *live, const srv_config *fresh, srv_config_change_fn cb, void *ctx) {
    int applied = 0;
    for (size_t i = 0; i < N_OPTS; i++) {
        const srv_conf_opt *o = &table[i];
        char a[SRV_CONFIG_PATH_MAX + 8], b[SRV_CONFIG_PATH_MAX + 8];
        srv_config_format(live, o, a, sizeof a);
        srv_config_format(fresh, o, b, sizeof b);
        if (strcmp(a, b) == 0) continue;
        if (o->reloadable) {
            if (o->type == SRV_CONF_STRING)
                memcpy((char *)live + o->offset, (const char *)fresh + o->offset, o->size);
            else
                *int_field(live, o) = *cint_field(fresh, o);
            applied++;
        }
        if (cb) cb(ctx, o, a, b, o->reloadable);
    }
    return applied;
}
