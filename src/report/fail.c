/* fail.c - the failure record (df_fail, see answer.h: the answer layer's, and the payload of the
 * daemon's problems, srv_fail), the REST pointer of a library error's field id (df_err_pointer), the
 * request's solver names (the df_solver ones plus "auto") and the CLI-sized request limits. */
#include "dnnfuser/answer.h"
#include "dnnfuser/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void df_fail_clear(df_fail *f) {
    if (!f) return;
    memset(f, 0, sizeof *f);
    f->layer = -1;
}

int df_fail_vset(df_fail *f, df_fail_kind kind, const char *pointer, const char *fmt, va_list ap) {
    if (!f) return -1;
    f->kind = kind;
    df_record_vset(f->pointer, sizeof f->pointer, f->detail, sizeof f->detail, pointer, fmt, ap);
    return -1;
}

int df_fail_set(df_fail *f, df_fail_kind kind, const char *pointer, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    df_fail_vset(f, kind, pointer, fmt, ap);
    va_end(ap);
    return -1;
}

const char *df_err_pointer(const df_err *e, char *buf, size_t n) {
    /* the request's name of each df_field (index = field) */
    static const char *const names[DF_FIELD_COUNT] = {
        [DF_FIELD_BUDGET] = "/budget",       [DF_FIELD_BATCH] = "/batch",       [DF_FIELD_CANDIDATES] = "/candidates",
        [DF_FIELD_SEQ_LEN] = "/seq_len",     [DF_FIELD_WORKLOAD] = "/workload", [DF_FIELD_LAYERS] = "/layers",
        [DF_FIELD_OBJECTIVE] = "/objective", [DF_FIELD_SPACE] = "/space",       [DF_FIELD_GA] = "/ga",
        [DF_FIELD_GROUPS] = "/groups",       [DF_FIELD_HARDWARE] = "/hardware",
    };
    const char *base = e->field > DF_FIELD_NONE && e->field < DF_FIELD_COUNT ? names[e->field] : NULL;
    if (e->pointer[0] || !base)
        snprintf(buf, n, "%s", e->pointer);
    else if (e->sub[0]) /* sub is a path inside the field: its tokens are the pointer's */
        snprintf(buf, n, "%s/%s", base, e->sub);
    else
        snprintf(buf, n, "%s", base);
    return buf;
}

int df_fail_from_err(df_fail *f, df_fail_kind einval_kind, const df_err *e, const char *default_pointer) {
    char buf[sizeof e->pointer];
    const char *ptr = df_err_pointer(e, buf, sizeof buf)[0] ? buf : default_pointer;
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
