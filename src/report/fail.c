/* fail.c - the failures of the answer layer (df_fail, see answer.h), the request's solver names (the
 * df_solver ones plus "auto") and the CLI-sized request limits. */
#include "dnnfuser/answer.h"

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
    va_list ap;
    va_start(ap, fmt);
    df_record_vset(f->pointer, sizeof f->pointer, f->detail, sizeof f->detail, pointer, fmt, ap);
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
