/* pb.c - the protobuf wire-format reader (contract in include/dnnfuser/pb.h): varints, field keys,
 * length-delimited payloads and packed integer runs, every length checked against the bytes left. */
#include "dnnfuser/pb.h"

#include <stdarg.h>
#include <stdio.h>

#define FIELD_MAX 536870911u /* 2^29 - 1, the largest field number (protobuf language guide) */

static int pb_fail(const df_pb_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pb_fail(const df_pb_doc *d, const char *fmt, ...) {
    char msg[sizeof d->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    df_err_set(d->err, DF_EINVAL, NULL, "%s", msg);
    return -1;
}

static size_t off(const df_pb_doc *d, const uint8_t *p) { return (size_t)(p - d->base); }

int df_pb_varint(df_pb_reader *r, uint64_t *out) {
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end) return 1;
        uint8_t b = *r->p++;
        if (i == 9 && b > 1) return 2;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return 2;
}

int df_pb_next(const df_pb_doc *d, df_pb_reader *r, df_pb_field *f, const char *what) {
    if (r->p >= r->end) return 0;
    const uint8_t *at = r->p;
    uint64_t key, len;
    int rc = df_pb_varint(r, &key);
    if (rc)
        return pb_fail(d, "not a valid %s: %s, byte %zu: %s", d->doc, what, off(d, at),
                       rc == 1 ? "truncated field key" : "field key varint overflows");
    f->num = (uint32_t)(key >> 3);
    f->wt = (uint32_t)(key & 7);
    if ((key >> 3) == 0 || (key >> 3) > FIELD_MAX)
        return pb_fail(d, "not a valid %s: %s, byte %zu: field number %llu is not valid", d->doc, what, off(d, at),
                       (unsigned long long)(key >> 3));
    switch (f->wt) {
    case DF_PB_VARINT:
        rc = df_pb_varint(r, &f->v);
        if (rc)
            return pb_fail(d, "not a valid %s: %s, byte %zu: %s", d->doc, what, off(d, at),
                           rc == 1 ? "truncated varint" : "varint overflows 64 bits");
        return 1;
    case DF_PB_I64:
    case DF_PB_I32: {
        size_t n = f->wt == DF_PB_I64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return pb_fail(d, "not a valid %s: %s, byte %zu: truncated %zu-byte field", d->doc, what, off(d, at), n);
        f->v = 0;
        for (size_t i = 0; i < n; i++) f->v |= (uint64_t)r->p[i] << (8 * i);
        r->p += n;
        return 1;
    }
    case DF_PB_LEN:
        rc = df_pb_varint(r, &len);
        if (rc) return pb_fail(d, "not a valid %s: %s, byte %zu: truncated length", d->doc, what, off(d, at));
        if (len > (uint64_t)(r->end - r->p))
            return pb_fail(d, "not a valid %s: %s, byte %zu: field %u claims %llu bytes, %zu are left", d->doc, what,
                           off(d, at), f->num, (unsigned long long)len, (size_t)(r->end - r->p));
        f->b.p = r->p;
        f->b.n = (uint32_t)len;
        r->p += len;
        return 1;
    default:
        return pb_fail(d,
                       "not a valid %s: %s, byte %zu: wire type %u is not supported (3 and 4, groups, are "
                       "deprecated)",
                       d->doc, what, off(d, at), f->wt);
    }
}

int df_pb_want(const df_pb_doc *d, const df_pb_field *f, uint32_t wt, const char *what) {
    if (f->wt == wt) return 0;
    return pb_fail(d, "not a valid %s: %s field %u has wire type %u, expected %u", d->doc, what, f->num, f->wt, wt);
}

int df_pb_ints(const df_pb_doc *d, const df_pb_field *f, int64_t *vals, int *n, int max, int *over, const char *what) {
    if (f->wt == DF_PB_VARINT) {
        if (*n < max)
            vals[(*n)++] = (int64_t)f->v;
        else
            *over = 1;
        return 0;
    }
    if (df_pb_want(d, f, DF_PB_LEN, what)) return -1;
    df_pb_reader r = df_pb_open(f->b);
    while (r.p < r.end) {
        uint64_t v;
        if (df_pb_varint(&r, &v))
            return pb_fail(d, "not a valid %s: %s, byte %zu: bad packed varint", d->doc, what, off(d, r.p));
        if (*n < max)
            vals[(*n)++] = (int64_t)v;
        else
            *over = 1;
    }
    return 0;
}

int64_t df_pb_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    if (n == 4) return (int64_t)(int32_t)(uint32_t)v;
    return (int64_t)v;
}
