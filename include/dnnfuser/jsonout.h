/* jsonout.h - a compact JSON text writer for jansson values, byte for byte what
 * json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10)) writes (the replies' one precision,
 * DF_ANSWER_JSON_FLAGS), without printf for numbers on the common path. */
#ifndef DNNFUSER_JSONOUT_H
#define DNNFUSER_JSONOUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* the significant digits of every real written (JSON_REAL_PRECISION(10)) */
#define DF_JSON_REAL_DIGITS 10

/* The compact text of j (an object or an array, as json_dumps without JSON_ENCODE_ANY), malloc'd,
 * NUL-terminated; NULL on failure (out of memory, not an object or array). Strings are written as
 * they are held (json_string checked their UTF-8). */
char *df_json_dumps(const json_t *j);

/* A real as jansson writes it at DF_JSON_REAL_DIGITS ("%.10g", then ".0" added to an integral value
 * and the exponent's '+' and leading zeros dropped). buf has at least 32 bytes; returns the length,
 * or -1 for a value that is not finite (jansson holds none). */
int df_json_real_text(double v, char *buf);

/* ---- writing the text directly (no tree): the same bytes as the tree's dump ------------------------ */

/* A growing text; zero-initialise ({0}). Every writer is a no-op once bad is set (out of memory, or a
 * value the tree could not hold: a NULL string, a real that is not finite). */
typedef struct {
    char *b;
    size_t n, cap;
    int bad;
} df_jsonbuf;

void df_jb_raw(df_jsonbuf *o, const char *s, size_t k); /* bytes as they are (punctuation, literal keys) */
void df_jb_str(df_jsonbuf *o, const char *s);           /* a string value, escaped as jansson escapes it */
void df_jb_int(df_jsonbuf *o, int64_t v);
void df_jb_real(df_jsonbuf *o, double v);         /* as json_real(v) dumps; bad when not finite */
void df_jb_real_or_null(df_jsonbuf *o, double v); /* null when not finite */
void df_jb_bool(df_jsonbuf *o, int v);
/* A literal key and its colon, e.g. DF_JB_KEY(o, "name") writes "name": (no escaping needed). */
#define DF_JB_KEY(o, k) df_jb_raw((o), "\"" k "\":", sizeof(k) + 2)
/* The text (malloc'd, NUL-terminated; *len its length when len is not NULL), or NULL when bad (the
 * buffer freed). The buffer is empty after either. */
char *df_jb_finish(df_jsonbuf *o, size_t *len);

#endif
