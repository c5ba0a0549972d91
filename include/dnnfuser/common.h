/* common.h - error reporting and small shared utilities for every dnnfuser module.
 *
 * Functions return an int status (DF_OK or a negative DF_E* code) and fill a caller-owned
 * df_err with a human message and, for input errors, a JSON pointer to the offending field
 * (RFC 6901, e.g. "/layers/3/K") so the daemon can answer with a precise problem detail. A pointer is
 * written only by the schema readers (json.c, workload.c, onnx.c); core/solve/model name a request
 * field by id (df_field + sub) instead, and the layer that knows the request's schema turns it into its
 * own name: json.c (a hardware object's position in its document), report (df_err_pointer: the REST
 * pointer), cli (the flag).
 * Nothing here exits; only main() does. */
#ifndef DNNFUSER_COMMON_H
#define DNNFUSER_COMMON_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>

#define DF_VERSION "0.1.0"

enum df_status {
    DF_OK = 0,
    DF_EINVAL = -1,       /* malformed or invalid input (workload, hardware, mapping, option) */
    DF_ENOMEM = -2,       /* allocation failed */
    DF_EIO = -3,          /* file could not be read or written */
    DF_EINFEASIBLE = -4,  /* budget too small: err.layer and err.need_bytes say where and how much */
    DF_ENOTFOUND = -5,    /* unknown name (zoo network, preset) */
    DF_ELIMIT = -6,       /* a configured limit was exceeded (layers, batch, ...) */
    DF_ECANCELED = -7,    /* the caller cancelled the work (df_solve_stats.cancel) */
    DF_EUNSUPPORTED = -8, /* valid input this component does not handle (weights of another map-space) */
};

/* The request field a library error is about, when it is not a position inside a document. */
typedef enum {
    DF_FIELD_NONE = 0,
    DF_FIELD_BUDGET,     /* the on-chip budget (REST /budget, CLI --buffer) */
    DF_FIELD_BATCH,      /* /batch, --batch */
    DF_FIELD_CANDIDATES, /* /candidates, --candidates */
    DF_FIELD_SEQ_LEN,    /* /seq_len, --seq-len */
    DF_FIELD_WORKLOAD,   /* /workload, -w */
    DF_FIELD_LAYERS,     /* the workload's layer list (/layers) */
    DF_FIELD_OBJECTIVE,  /* /objective, --objective */
    DF_FIELD_SPACE,      /* /space, --space */
    DF_FIELD_GA,         /* /ga/<sub>: sub names the knob (population, generations, ...) */
    DF_FIELD_GROUPS,     /* the mapping's groups, /groups/<sub>: sub is the group index or "" */
    DF_FIELD_HARDWARE,   /* /hardware/<sub>: sub is the field's path in the hardware object ("energy_pj/mac") */
    DF_FIELD_COUNT
} df_field;

typedef struct {
    int code;           /* one of enum df_status */
    char msg[320];      /* human-readable, one line, names the layer/field */
    char pointer[128];  /* JSON pointer of the offending field (schema readers only), "" if none */
    int field;          /* df_field the error is about (library layers), DF_FIELD_NONE if none */
    char sub[32];       /* within field: its path, tokens joined by '/' (GA knob, group index, hardware
                         * field), "" if the whole field */
    int32_t layer;      /* offending layer index, -1 if none */
    int64_t need_bytes; /* DF_EINFEASIBLE: smallest on-chip bytes that would make it feasible */
} df_err;

/* Clears err (code DF_OK, empty strings, field none, layer -1). err may be NULL everywhere. */
void df_err_clear(df_err *err);
/* Sets code, pointer (may be NULL) and a printf-style message; returns code for `return df_err_set(...)`. */
int df_err_set(df_err *err, int code, const char *pointer, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Like df_err_set for a library error about a request field: sets code, field and sub (may be NULL),
 * clears the pointer; returns code. */
int df_err_set_field(df_err *err, int code, int field, const char *sub, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The one body of both: sets code, pointer (may be NULL), field, sub (may be NULL) and the message. */
int df_err_vset(df_err *err, int code, const char *pointer, int field, const char *sub, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
/* Names the field an error (already set) is about, replacing any pointer: for a caller that adds where. */
void df_err_at(df_err *err, int field, const char *sub);
const char *df_status_name(int code);

/* The one formatter of every failure record (df_err here, df_fail in the answer layer, the daemon's
 * problems): copies pointer ("" when NULL) into ptr_dst and the printf-style message into msg_dst,
 * both truncated to their sizes and always terminated. */
void df_record_vset(char *ptr_dst, size_t ptr_size, char *msg_dst, size_t msg_size, const char *pointer,
                    const char *fmt, va_list ap);

/* Parses a byte size: "524288", "512KiB", "512K", "512KB", "4MiB", "4M", "1GiB", "1.5MiB". Binary units
 * only, case-insensitive: K = KB = KiB = 1024 bytes, M = MB = MiB = 2^20, G = GB = GiB = 2^30.
 * Returns DF_OK and stores in *out, or DF_EINVAL on garbage, negative, zero or overflow. */
int df_parse_size(const char *s, int64_t *out);
/* Formats bytes as e.g. "512 KiB", "1.50 MiB" into buf. Returns buf. */
char *df_format_size(int64_t bytes, char *buf, size_t n);

/* The index of s in names[0..n) (exact, case-sensitive), or -1 (s NULL included): the one lookup
 * behind the df_X_parse functions of the name tables (spaces, solvers, overlap modes, ...). */
int df_name_find(const char *s, const char *const *names, int n);

/* The closest of names[0..n) to word (edit distance, case-insensitive; a prefix of 3+ letters counts
 * as close) when it is close enough for its length, NULL otherwise (also for the word itself). */
const char *df_suggest(const char *word, const char *const *names, int n);
/* Writes " (did you mean \"x\"?)" or "" into buf. Returns buf. */
char *df_suggest_text(const char *word, const char *const *names, int n, char *buf, size_t len);

/* splitmix64: seeded, reentrant pseudo-random numbers (no global state). */
typedef struct {
    uint64_t s;
} df_rng;
void df_rng_seed(df_rng *r, uint64_t seed);
uint64_t df_rng_next(df_rng *r);
double df_rng_uniform(df_rng *r);           /* [0,1) */
int32_t df_rng_range(df_rng *r, int32_t n); /* [0,n) for n > 0 */

/* Statistics of one solver run, and its one input: cancel. When cancel is set and reads nonzero the
 * solver stops at its next check (exact: per layer of the DP; ga: per generation; repair: per move)
 * and returns DF_ECANCELED, leaving out unspecified. The solvers clear every other field, so a stats
 * struct must start zero-initialised (df_solve_stats st = {0}) or with cancel set. */
typedef struct {
    const atomic_int *cancel; /* in: NULL = never cancelled */
    int64_t groups_evaluated; /* df_group_eval calls */
    int32_t pareto_max;       /* edp only: largest Pareto front kept per prefix */
    int exact;                /* 1 when the answer is provably optimal */
} df_solve_stats;

/* Clears the statistics, keeping the cancel input (for the solvers). */
static inline void df_solve_stats_reset(df_solve_stats *st) {
    if (!st) return;
    const atomic_int *c = st->cancel;
    *st = (df_solve_stats){0};
    st->cancel = c;
}
/* 1 when the run was cancelled (st may be NULL). */
static inline int df_solve_cancelled(const df_solve_stats *st) {
    return st && st->cancel && atomic_load_explicit((atomic_int *)st->cancel, memory_order_relaxed) != 0;
}

#endif
