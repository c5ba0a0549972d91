/* jsonout.c - the compact JSON writer of the replies (see jsonout.h): the jansson tree walked into
 * one growing buffer; reals formatted with one scaling by an exact power of ten and an integer
 * rounding, falling back to snprintf (jansson's own path) whenever that rounding could differ from
 * printf's correctly rounded one. Tested byte for byte against json_dumps (tests/unit/check_jsonout.c). */
#include "dnnfuser/jsonout.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers ------------------------------------------------------------------------------------- */

/* 1e0..1e22: every one exact in a double */
static const double P10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* jansson's jsonp_dtostr after its snprintf (the C locale's '.'; the daemon never sets a locale):
 * ".0" on a text with neither '.' nor 'e'; the exponent without '+' and leading zeros. */
static int jansson_fix(char *b, int len) {
    if (!strchr(b, '.') && !strchr(b, 'e')) {
        b[len++] = '.';
        b[len++] = '0';
        b[len] = '\0';
    }
    char *start = strchr(b, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-') start++;
        while (*end == '0') end++;
        if (end != start) {
            memmove(start, end, (size_t)len - (size_t)(end - b) + 1); /* with the NUL */
            len -= (int)(end - start);
        }
    }
    return len;
}

static int real_slow(double v, char *buf) {
    int len = snprintf(buf, 32, "%.*g", DF_JSON_REAL_DIGITS, v);
    if (len < 0 || len >= 28) return -1;
    return jansson_fix(buf, len);
}

static int put_uint(char *p, uint64_t u) { /* decimal digits of u; returns their count */
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (int i = 0; i < n; i++) p[i] = t[n - 1 - i];
    return n;
}

int df_json_real_text(double v, char *buf) {
    if (!isfinite(v)) return -1;
    char *p = buf;
    if (signbit(v)) *p++ = '-';
    double a = fabs(v);
    if (a == 0) {
        memcpy(p, "0.0", 4);
        return (int)(p - buf) + 3;
    }
    /* a = m 2^e2, m in [0.5, 1): its decimal exponent is est or est + 1 */
    int e2;
    frexp(a, &e2);
    int x = (int)floor((e2 - 1) * 0.30102999566398120);
    double y = 0;
    for (int tries = 0; tries < 2; tries++) {
        int k = (DF_JSON_REAL_DIGITS - 1) - x; /* y = a 10^k in [1e9, 1e10) */
        if (k > 22 || k < -22) return real_slow(v, buf);
        y = k >= 0 ? a * P10[k] : a / P10[-k]; /* one correctly rounded operation: |error| <= y 2^-53 */
        if (y < 1e10) break;
        x++;
    }
    if (y < 1e9 || y >= 1e10) return real_slow(v, buf);
    double q = floor(y), frac = y - q; /* exact: y < 2^34 */
    /* the error in y is below 1.2e-6: only a fraction near one half can round differently */
    if (fabs(frac - 0.5) < 1e-4) return real_slow(v, buf);
    uint64_t d = (uint64_t)q + (frac > 0.5);
    if (d >= 10000000000ULL) {
        d /= 10;
        x++;
    }
    char dig[DF_JSON_REAL_DIGITS];
    put_uint(dig, d); /* exactly 10 digits */
    int nd = DF_JSON_REAL_DIGITS;
    while (nd > 1 && dig[nd - 1] == '0') nd--; /* %g drops trailing zeros */
    if (x < -4 || x >= DF_JSON_REAL_DIGITS) {  /* %e style */
        *p++ = dig[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, dig + 1, (size_t)nd - 1);
            p += nd - 1;
        }
        *p++ = 'e';
        if (x < 0) *p++ = '-';
        p += put_uint(p, (uint64_t)(x < 0 ? -x : x));
    } else if (x >= 0) { /* integer part: x + 1 digits */
        memcpy(p, dig, (size_t)x + 1);
        p += x + 1;
        *p++ = '.';
        if (nd > x + 1) {
            memcpy(p, dig + x + 1, (size_t)(nd - x - 1));
            p += nd - x - 1;
        } else {
            *p++ = '0'; /* jansson's ".0" */
        }
    } else { /* 0.000ddd */
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -x - 1; i++) *p++ = '0';
        memcpy(p, dig, (size_t)nd);
        p += nd;
    }
    *p = '\0';
    return (int)(p - buf);
}

/* ---- the tree --------------------------------------------------------------------------------- */

typedef df_jsonbuf out_buf;

static char *reserve(out_buf *o, size_t k) { /* room for k more bytes and a NUL */
    if (o->bad) return NULL;
    if (o->n + k + 1 > o->cap) {
        size_t c = o->cap ? o->cap : 16384; /* a ResNet-50 reply is about 12 KB */
        while (o->n + k + 1 > c) c *= 2;
        char *nb = realloc(o->b, c);
        if (!nb) {
            o->bad = 1;
            return NULL;
        }
        o->b = nb;
        o->cap = c;
    }
    return o->b + o->n;
}

static void put(out_buf *o, const char *s, size_t k) {
    char *p = reserve(o, k);
    if (!p) return;
    memcpy(p, s, k);
    o->n += k;
}

/* The string as jansson dumps it without JSON_ENSURE_ASCII / JSON_ESCAPE_SLASH: '"', '\\' and the
 * control characters escaped, everything else (valid UTF-8, json_string checked it) as is. */
static void put_string(out_buf *o, const char *s, size_t len) {
    char *p = reserve(o, len * 6 + 2);
    if (!p) return;
    char *q = p;
    *q++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *q++ = (char)c;
            continue;
        }
        *q++ = '\\';
        switch (c) {
        case '"': *q++ = '"'; break;
        case '\\': *q++ = '\\'; break;
        case '\b': *q++ = 'b'; break;
        case '\f': *q++ = 'f'; break;
        case '\n': *q++ = 'n'; break;
        case '\r': *q++ = 'r'; break;
        case '\t': *q++ = 't'; break;
        default: q += sprintf(q, "u%04X", (unsigned)c); break; /* jansson: "\\u%04X" */
        }
    }
    *q++ = '"';
    o->n += (size_t)(q - p);
}

static void put_value(out_buf *o, const json_t *j, int depth) {
    if (o->bad) return;
    if (depth > 2048) { /* jansson's JSON_PARSER_MAX_DEPTH-like guard against a cycle */
        o->bad = 1;
        return;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        put(o, "{", 1);
        int first = 1;
        const char *key;
        json_t *v;
        void *it = json_object_iter((json_t *)j);
        for (; it; it = json_object_iter_next((json_t *)j, it)) {
            key = json_object_iter_key(it);
            v = json_object_iter_value(it);
            if (!first) put(o, ",", 1);
            first = 0;
            put_string(o, key, json_object_iter_key_len(it));
            put(o, ":", 1);
            put_value(o, v, depth + 1);
        }
        put(o, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        put(o, "[", 1);
        size_t n = json_array_size(j);
        for (size_t i = 0; i < n; i++) {
            if (i) put(o, ",", 1);
            put_value(o, json_array_get(j, i), depth + 1);
        }
        put(o, "]", 1);
        break;
    }
    case JSON_STRING: put_string(o, json_string_value(j), json_string_length(j)); break;
    case JSON_INTEGER: {
        char *p = reserve(o, 24);
        if (!p) return;
        json_int_t v = json_integer_value(j);
        int n = 0;
        if (v < 0) p[n++] = '-';
        n += put_uint(p + n, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
        o->n += (size_t)n;
        break;
    }
    case JSON_REAL: {
        char *p = reserve(o, 32);
        if (!p) return;
        int n = df_json_real_text(json_real_value(j), p);
        if (n < 0)
            o->bad = 1;
        else
            o->n += (size_t)n;
        break;
    }
    case JSON_TRUE: put(o, "true", 4); break;
    case JSON_FALSE: put(o, "false", 5); break;
    case JSON_NULL: put(o, "null", 4); break;
    default: o->bad = 1; break;
    }
}

char *df_json_dumps(const json_t *j) {
    if (!j || !(json_is_object(j) || json_is_array(j))) return NULL;
    out_buf o = {0};
    put_value(&o, j, 0);
    if (!o.bad && reserve(&o, 0)) o.b[o.n] = '\0';
    if (o.bad) {
        free(o.b);
        return NULL;
    }
    return o.b;
}

/* ---- the buffer, for writers that skip the tree ------------------------------------------------ */

void df_jb_raw(df_jsonbuf *o, const char *s, size_t k) { put(o, s, k); }

void df_jb_str(df_jsonbuf *o, const char *s) {
    if (!s) {
        o->bad = 1; /* json_string(NULL) fails */
        return;
    }
    put_string(o, s, strlen(s));
}

void df_jb_int(df_jsonbuf *o, int64_t v) {
    char *p = reserve(o, 24);
    if (!p) return;
    int n = 0;
    if (v < 0) p[n++] = '-';
    n += put_uint(p + n, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    o->n += (size_t)n;
}

void df_jb_real(df_jsonbuf *o, double v) {
    char *p = reserve(o, 32);
    if (!p) return;
    int n = df_json_real_text(v, p);
    if (n < 0)
        o->bad = 1; /* json_real of a value that is not finite fails */
    else
        o->n += (size_t)n;
}

void df_jb_real_or_null(df_jsonbuf *o, double v) {
    if (isfinite(v))
        df_jb_real(o, v);
    else
        put(o, "null", 4);
}

void df_jb_bool(df_jsonbuf *o, int v) {
    if (v)
        put(o, "true", 4);
    else
        put(o, "false", 5);
}

char *df_jb_finish(df_jsonbuf *o, size_t *len) {
    if (!o->bad && reserve(o, 0)) o->b[o->n] = '\0';
    if (o->bad) {
        free(o->b);
        o->b = NULL;
        return NULL;
    }
    if (len) *len = o->n;
    char *b = o->b;
    o->b = NULL;
    return b;
}
