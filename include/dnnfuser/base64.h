/* base64.h - decoding of base64 text (RFC 4648 section 4, the standard alphabet), used for binary
 * payloads carried in JSON strings (a request's "onnx" model). */
#ifndef DNNFUSER_BASE64_H
#define DNNFUSER_BASE64_H

#include "dnnfuser/common.h"

/* Decodes in[0..n) into a new malloc'ed buffer (*out, *out_len; free it). Accepts '=' padding or
 * none, and ignores ASCII whitespace (line breaks of wrapped base64). Anything else outside the
 * alphabet, '=' followed by data, or a lone trailing character is DF_EINVAL naming the byte offset.
 * Empty input decodes to an empty buffer (*out non-NULL). DF_ENOMEM on allocation failure. */
int df_base64_decode(const char *in, size_t n, uint8_t **out, size_t *out_len, df_err *err);

#endif
