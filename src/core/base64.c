/* base64.c - RFC 4648 base64 decoding (see base64.h): one pass, four characters to three bytes,
 * whitespace skipped, padding optional but never followed by data. */
#include "dnnfuser/base64.h"

#include <stdlib.h>

/* 0..63 for the alphabet, 64 for '=', 65 for whitespace, 66 for anything else */
static int cls(unsigned char ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    if (ch == '=') return 64;
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') return 65;
    return 66;
}

int df_base64_decode(const char *in, size_t n, uint8_t **out, size_t *out_len, df_err *err) {
    *out = NULL;
    *out_len = 0;
    uint8_t *b = malloc(n / 4 * 3 + 3);
    if (!b) return df_err_set(err, DF_ENOMEM, NULL, "out of memory decoding base64");
    size_t len = 0, pad_at = 0;
    uint32_t acc = 0;
    int k = 0, padded = 0;
    for (size_t i = 0; i < n; i++) {
        int v = cls((unsigned char)in[i]);
        if (v == 65) continue;
        if (v == 66) {
            free(b);
            return df_err_set(err, DF_EINVAL, NULL, "invalid base64: byte %zu (0x%02x) is not in the alphabet", i,
                              (unsigned char)in[i]);
        }
        if (v == 64) {
            if (!padded) pad_at = i;
            padded = 1;
            continue;
        }
        if (padded) {
            free(b);
            return df_err_set(err, DF_EINVAL, NULL, "invalid base64: data after the '=' padding at byte %zu", pad_at);
        }
        acc = acc << 6 | (uint32_t)v;
        if (++k == 4) {
            b[len++] = (uint8_t)(acc >> 16);
            b[len++] = (uint8_t)(acc >> 8);
            b[len++] = (uint8_t)acc;
            acc = 0;
            k = 0;
        }
    }
    if (k == 1) {
        free(b);
        return df_err_set(err, DF_EINVAL, NULL, "invalid base64: a lone trailing character (the length is not valid)");
    }
    if (k == 2) b[len++] = (uint8_t)(acc >> 4);
    if (k == 3) {
        b[len++] = (uint8_t)(acc >> 10);
        b[len++] = (uint8_t)(acc >> 2);
    }
    *out = b;
    *out_len = len;
    return DF_OK;
}
