/* config.h - the daemon's settings from ONE declarative table (config.c): each option has a name
 * (the --flag and the config-file key), an environment twin (DNNFUSER_*), a type, a default, a range,
 * whether SIGHUP may change it, and a help line; --help is generated from the table.
 *
 * Precedence, lowest first: built-in default < config file (--config FILE or DNNFUSER_CONFIG) <
 * environment < command-line flag. The config file has lines "key = value" ('#' starts a comment,
 * keys may use '-' or '_'); a bad line is an error naming the file and line number.
 * Nothing here exits or prints except srv_config_help/srv_config_print (to the FILE given). */
#ifndef DNNFUSER_SERVER_CONFIG_H
#define DNNFUSER_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SRV_CONFIG_PATH_MAX 1024
#define SRV_BIND_MAX 64

typedef struct {
    char config_path[SRV_CONFIG_PATH_MAX]; /* "" = no file */
    char bind[SRV_BIND_MAX];               /* IPv4 or IPv6 literal */
    int64_t port;                          /* 0 = pick a free port */
    int64_t mhd_threads;                   /* MHD polling threads (thread pool when > 1) */
    int64_t workers;                       /* solver jobs running at once (libuv pool) */
    int64_t max_body;                      /* request body bytes (413 above) */
    int64_t max_layers;                    /* layers per workload */
    int64_t max_batch;                     /* samples per request ("batch") */
    int64_t max_batch_items;               /* requests in one /v1/map/batch call */
    int64_t max_batch_layers;              /* items x layers in one /v1/map/batch call (0 = no limit) */
    int64_t max_reply_bytes;               /* largest reply body (413 reply-too-large above) */
    int64_t memory_budget;                 /* reply bytes in flight (built or unread); 503 past it (0 = none) */
    int64_t max_connections;
    int64_t queue_depth;               /* jobs admitted and not on a worker (503 above) */
    int64_t deadline_ms;               /* default per-request deadline; a request may lower it */
    int64_t conn_memory;               /* MHD per-connection memory pool bytes */
    int64_t conn_timeout;              /* seconds of inactivity before MHD closes a connection */
    int64_t per_ip_connections;        /* connections per client address (0 = no limit) */
    int64_t header_timeout;            /* seconds for a request's headers; also the body's grace (0 = off) */
    int64_t min_body_rate;             /* bytes per second a body must average after the grace (0 = off) */
    int64_t drain_timeout_ms;          /* SIGTERM: longest wait for in-flight requests */
    int64_t log_level;                 /* srv_log_level */
    char weights[SRV_CONFIG_PATH_MAX]; /* transformer weights file; "" = the shipped (embedded) ones */
    int64_t decode_slots;              /* transformer KV-cache slots (sequences decoded at once) per decode loop */
    int64_t decode_loops;              /* decode threads; 0 = one per core */
    int64_t weights_optional;          /* 1: a --weights file that cannot be loaded at start is not fatal */
} srv_config;

typedef enum { SRV_CONF_INT = 0, SRV_CONF_SIZE, SRV_CONF_STRING, SRV_CONF_LOGLEVEL } srv_conf_type;

typedef struct {
    const char *name; /* flag "--name" and file key "name" (or name_with_underscores) */
    const char *env;  /* environment twin */
    srv_conf_type type;
    size_t offset;    /* into srv_config */
    size_t size;      /* STRING: buffer bytes */
    const char *def;  /* default as text, parsed like user input */
    int64_t min, max; /* INT/SIZE range; STRING: max length */
    int reloadable;   /* SIGHUP applies a new value */
    int in_file;      /* may appear in the config file */
    const char *metavar;
    const char *help;
} srv_conf_opt;

/* The table (NULL-name terminated) and its length. */
const srv_conf_opt *srv_config_table(void);
size_t srv_config_count(void);
const srv_conf_opt *srv_config_find(const char *name); /* '-' and '_' are equivalent */

/* What main should do after srv_config_load. */
typedef enum { SRV_CONF_RUN = 0, SRV_CONF_HELP, SRV_CONF_VERSION, SRV_CONF_PRINT } srv_conf_action;

void srv_config_defaults(srv_config *cfg);
/* Parses one value for option o into cfg; on error writes "why" (without the option name) to err. */
int srv_config_set(srv_config *cfg, const srv_conf_opt *o, const char *value, char *err, size_t errlen);
/* Reads a config file on top of cfg. Errors: "<path> line <n>: ..." (or "<path>: <strerror>"). */
int srv_config_load_file(srv_config *cfg, const char *path, char *err, size_t errlen);
/* Applies every DNNFUSER_* variable of env (NULL-terminated "KEY=VALUE" strings; may be NULL). */
int srv_config_load_env(srv_config *cfg, char *const *env, char *err, size_t errlen);
/* Whole load: defaults, file, env, flags (getopt_long; argv may be permuted). Returns 0 or -1 with
 * a one-line message in err. */
int srv_config_load(srv_config *cfg, int argc, char **argv, char *const *env, srv_conf_action *action, char *err,
                    size_t errlen);

/* What a config file held (srv_config_load_reload). */
typedef struct {
    int read;            /* a config file was named and opened */
    int text;            /* it has a character other than white space (a comment counts) */
    int ends_in_newline; /* its last line ends with '\n' (or the file is empty) */
    int settings;        /* key = value lines */
    int last_line;       /* line number of the last setting */
    int64_t bytes;
} srv_conf_file_info;

/* SIGHUP's load: the whole of srv_config_load into cfg (a scratch copy: the live settings change only
 * if this returns 0), then refuses a file that looks damaged rather than meant, since a reload that
 * meets a file half rewritten must keep the previous settings:
 *   - empty, or white space only (a file truncated by `>` before it is written again): applying it
 *     would silently reset every setting to its default. A file holding only a comment is applied
 *     (that is how to ask for the defaults).
 *   - a last line without its newline (cut mid-value: "deadline-ms = 30" of "30000").
 * Returns 0, or -1 with the reason in err; info describes the file either way. */
int srv_config_load_reload(srv_config *cfg, int argc, char **argv, char *const *env, srv_conf_file_info *info,
                           char *err, size_t errlen);

/* Value of option o in cfg as text (what --print-config and the reload log show). */
void srv_config_format(const srv_config *cfg, const srv_conf_opt *o, char *buf, size_t n);
void srv_config_help(FILE *f, const char *prog);
void srv_config_print(FILE *f, const srv_config *cfg);

/* SIGHUP: copies the reloadable options of fresh into live and calls cb for every option whose value
 * differs (applied = 1 when copied, 0 when it needs a restart). Returns the number applied. */
typedef void (*srv_config_change_fn)(void *ctx, const srv_conf_opt *o, const char *old_value, const char *new_value,
                                     int applied);
int srv_config_apply_reload(srv_config *live, const srv_config *fresh, srv_config_change_fn cb, void *ctx);

#endif
