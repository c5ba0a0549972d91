/* jsonout.h - a compact JSON text writer for jansson values, byte for byte what
 * json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10)) writes (the replies' one precision,
 * DF_ANSWER_JSON_FLAGS), without printf for numbers on the common path. */
#ifndef DNNFUSER_JSONOUT_H
#define DNNFUSER_JSONOUT_H

#include <jansson.h>
#include <stddef.h>

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

#endif
