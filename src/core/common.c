/* common.c - error records, byte-size parsing/formatting and the splitmix64 generator. */
#include "dnnfuser/common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void df_err_clear(df_err *err) {
    if (!err) return;
    err->code = DF_OK;
    err->msg[0] = '\0';
    err->pointer[0] = '\0';
    err->field = DF_FIELD_NONE;
    err->sub[0] = '\0';
    err->layer = -1;
    err->need_bytes = 0;
}

int df_err_vset(df_err *err, int code, const char *pointer, int field, const char *sub, const char *fmt, va_list ap) {
    if (!err) return code;
    err->code = code;
    df_record_vset(err->pointer, sizeof err->pointer, err->msg, sizeof err->msg, pointer, fmt, ap);
    err->field = field;
    snprintf(err->sub, sizeof err->sub, "%s", sub ? sub : "");
    return code;
}

int df_err_set(df_err *err, int code, const char *pointer, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    df_err_vset(err, code, pointer, DF_FIELD_NONE, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int df_err_set_field(df_err *err, int code, int field, const char *sub, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    df_err_vset(err, code, NULL, field, sub, fmt, ap);
    va_end(ap);
    return code;
}

void df_err_at(df_err *err, int field, const char *sub) {
    if (!err) return;
    err->pointer[0] = '\0';
    err->field = field;
    snprintf(err->sub, sizeof err->sub, "%s", sub ? sub : "");
}

void df_record_vset(char *ptr_dst, size_t ptr_size, char *msg_dst, size_t msg_size, const char *pointer,
                    const char *fmt, va_list ap) {
    snprintf(ptr_dst, ptr_size, "%s", pointer ? pointer : "");
    vsnprintf(msg_dst, msg_size, fmt, ap);
}

const char *df_status_name(int code) {
    switch (code) {
    case DF_OK: return "ok";
    case DF_EINVAL: return "invalid";
    case DF_ENOMEM: return "out of memory";
    case DF_EIO: return "i/o error";
    case DF_EINFEASIBLE: return "infeasible";
    case DF_ENOTFOUND: return "not found";
    case DF_ELIMIT: return "limit exceeded";
    case DF_ECANCELED: return "cancelled";
    case DF_EUNSUPPORTED: return "unsupported";
    default: return "unknown error";
    }
}

int df_parse_size(const char *s, int64_t *out) {
    if (!s) return DF_EINVAL;
    while (isspace((unsigned char)*s)) s++;
    if (!isdigit((unsigned char)*s) && *s != '.') return DF_EINVAL;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v <= 0) return DF_EINVAL;
    while (isspace((unsigned char)*end)) end++;
    /* One rule for on-chip sizes: binary, as SRAM is sized. K, KB, KiB (any case) are all 1024 bytes;
     * M, MB, MiB 2^20; G, GB, GiB 2^30 (a decimal kilobyte is never what a buffer size means). */
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1024.0},
        {"kib", 1024.0},
        {"kb", 1024.0},
        {"m", 1048576.0},
        {"mib", 1048576.0},
        {"mb", 1048576.0},
        {"g", 1073741824.0},
        {"gib", 1073741824.0},
        {"gb", 1073741824.0},
    };
    size_t n = strlen(end);
    while (n > 0 && isspace((unsigned char)end[n - 1])) n--;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].suffix) == n && strncasecmp(end, units[i].suffix, n) == 0) {
            double bytes = v * units[i].mult;
            if (bytes < 1 || bytes > 9.0e18 || bytes != floor(bytes)) return DF_EINVAL;
            *out = (int64_t)bytes;
            return DF_OK;
        }
    }
    return DF_EINVAL;
}

char *df_format_size(int64_t bytes, char *buf, size_t n) {
    if (bytes >= 1073741824LL && bytes % 1073741824LL == 0)
        snprintf(buf, n, "%lld GiB", (long long)(bytes >> 30));
    else if (bytes >= 1048576 && bytes % 1048576 == 0)
        snprintf(buf, n, "%lld MiB", (long long)(bytes >> 20));
    else if (bytes >= 1048576)
        snprintf(buf, n, "%.2f MiB", bytes / 1048576.0);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(buf, n, "%lld KiB", (long long)(bytes >> 10));
    else if (bytes >= 1024)
        snprintf(buf, n, "%.1f KiB", bytes / 1024.0);
    else
        snprintf(buf, n, "%lld B", (long long)bytes);
    return buf;
}

/* splitmix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators", OOPSLA 2014). */
void df_rng_seed(df_rng *r, uint64_t seed) { r->s = seed; }

uint64_t df_rng_next(df_rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double df_rng_uniform(df_rng *r) { return (double)(df_rng_next(r) >> 11) * 0x1.0p-53; }

int32_t df_rng_range(df_rng *r, int32_t n) { return n <= 1 ? 0 : (int32_t)(df_rng_next(r) % (uint64_t)n); }

/* ---- "did you mean": one suggestion rule for every name (fields, presets, zoo networks, solvers, flags) */

/* Edit distance (Levenshtein with adjacent transpositions: optimal string alignment), case-insensitive,
 * of two short strings (longer ones: a large number). */
static int distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 31 || m > 31) return 1000;
    int d[32][32];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int ai = tolower((unsigned char)a[i - 1]), bj = tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + (ai != bj);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            /* two neighbours swapped count as one edit ("mpa" -> "map") */
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) == bj &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

int df_name_find(const char *s, const char *const *names, int n) {
    for (int i = 0; s && i < n; i++)
        if (names[i] && strcmp(s, names[i]) == 0) return i;
    return -1;
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
    if (s)
        snprintf(buf, len, " (did you mean \"%s\"?)", s);
    else if (len)
        buf[0] = '\0';
    return buf;
}
