/* fail.c - the failures of the answer layer (df_fail, see answer.h), the "did you mean" suggestions
 * every name lookup shares (fields, presets, zoo networks, solvers, CLI flags) and the request's
 * solver names (the df_solver ones plus "auto"). */
#include "dnnfuser/answer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void df_fail_clear(df_fail *f) {
    if (!f) return;
    memset(f, 0, sizeof *f);
    f->layer = -1;
}

int df_fail_set(df_fail *f, df_fail_kind kind, const char *pointer, const char *fmt, ...) {
    if (!f) return -1;
    f->kind = kind;
    snprintf(f->pointer, sizeof f->pointer, "%s", pointer ? pointer : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
    return -1;
}

int df_fail_from_err(df_fail *f, df_fail_kind einval_kind, const df_err *e, const char *default_pointer) {
    const char *ptr = e->pointer[0] ? e->pointer : default_pointer;
    switch (e->code) {
    case DF_ELIMIT: return df_fail_set(f, DF_FAIL_LIMIT, ptr, "%s", e->msg);
    case DF_ENOMEM: return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
    case DF_ECANCELED: return df_fail_set(f, DF_FAIL_DEADLINE, NULL, "%s", e->msg[0] ? e->msg : "cancelled");
    case DF_EINFEASIBLE:
        df_fail_set(f, DF_FAIL_BUDGET, ptr, "%s", e->msg);
        f->need_bytes = e->need_bytes;
        f->layer = e->layer;
        return -1;
    default: return df_fail_set(f, einval_kind, ptr, "%s", e->msg[0] ? e->msg : df_status_name(e->code));
    }
}

/* Levenshtein distance, case-insensitive, of two short strings (longer ones: a large number). */
static int distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63) return 1000;
    int row[64];
    for (size_t j = 0; j <= m; j++) row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = diag + cost;
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[m];
}

const char *df_suggest(const char *word, const char *const *names, int n) {
    if (!word || !*word) return NULL;
    const char *best = NULL;
    int bd = 1000;
    for (int i = 0; i < n; i++) {
        if (!names[i]) continue;
        int d = distance(word, names[i]);
        /* a prefix counts as close: "resnet" -> "resnet18" */
        if (strlen(word) >= 3 && strncasecmp(word, names[i], strlen(word)) == 0) d = d < 2 ? d : 2;
        if (d < bd) {
            bd = d;
            best = names[i];
        }
    }
    size_t len = strlen(word);
    int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    return best && bd <= limit && strcmp(word, best) != 0 ? best : NULL;
}

char *df_suggest_text(const char *word, const char *const *names, int n, char *buf, size_t len) {
    const char *s = df_suggest(word, names, n);
    if (s) snprintf(buf, len, " (did you mean \"%s\"?)", s);
    else if (len) buf[0] = '\0';
    return buf;
}

const char *df_request_solver_name(int solver) {
    return solver == DF_SOLVER_AUTO ? "auto" : df_solver_name((df_solver)solver);
}

int df_request_solver_parse(const char *s, int *out) {
    if (s && strcmp(s, "auto") == 0) {
        *out = DF_SOLVER_AUTO;
        return DF_OK;
    }
    df_solver v;
    if (df_solver_parse(s, &v) != DF_OK) return DF_EINVAL;
    *out = (int)v;
    return DF_OK;
}

void df_request_limits_default(df_request_limits *l) {
    memset(l, 0, sizeof *l);
    l->max_layers = DF_DEFAULT_MAX_LAYERS;
    l->max_batch = DF_MAX_BATCH;
    l->max_batch_items = 100000;
}
