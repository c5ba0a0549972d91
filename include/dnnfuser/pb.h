/* pb.h - a bounds-checked reader of the protobuf wire format (no schema, no allocation, no recursion).
 *
 * Wire format (protobuf encoding guide, developers.google.com/protocol-buffers/docs/encoding):
 * a message is a sequence of fields, key = field_number << 3 | wire_type, then the payload:
 * 0 varint, 1 fixed64 (little-endian), 2 length-delimited (varint length, then that many bytes),
 * 5 fixed32. Wire types 3 and 4 (groups, deprecated) are refused. Every length is checked against
 * the bytes left, a varint has at most 10 bytes and at most 64 bits, field number 0 and numbers
 * above 2^29 - 1 are refused. A length-delimited payload (a sub-message, a string or a packed run) is
 * handed back as a byte range inside the input: the caller decides whether to enter it, so the depth
 * of what is read is the caller's loop nest, never the input's.
 *
 * Errors name the document (df_pb_doc.doc, e.g. "ONNX model"), the message being read and the byte
 * offset from df_pb_doc.base: "not a valid ONNX model: NodeProto, byte 1234: truncated length". */
#ifndef DNNFUSER_PB_H
#define DNNFUSER_PB_H

#include "dnnfuser/common.h"

enum { DF_PB_VARINT = 0, DF_PB_I64 = 1, DF_PB_LEN = 2, DF_PB_I32 = 5 };

typedef struct {
    const uint8_t *p;
    uint32_t n;
} df_pb_bytes; /* a byte range inside the input */
typedef struct {
    const uint8_t *p, *end;
} df_pb_reader; /* the fields of one message: [p, end) */

typedef struct {
    uint32_t num, wt; /* field number, wire type */
    uint64_t v;       /* wire types 0, 1, 5 */
    df_pb_bytes b;    /* wire type 2 */
} df_pb_field;

/* What error messages say: the input's first byte (offsets are counted from it), its kind, and where
 * errors go (err may be NULL). */
typedef struct {
    const uint8_t *base;
    const char *doc;
    df_err *err;
} df_pb_doc;

static inline df_pb_reader df_pb_open(df_pb_bytes b) { return (df_pb_reader){b.p, b.p + b.n}; }

/* One varint from r: 0 ok, 1 truncated, 2 longer than 10 bytes or above 64 bits. */
int df_pb_varint(df_pb_reader *r, uint64_t *out);

/* The next field of the message in r: 1 = got one (in *f), 0 = end of the message, -1 = malformed
 * (d->err says what; `what` names the message being read). */
int df_pb_next(const df_pb_doc *d, df_pb_reader *r, df_pb_field *f, const char *what);

/* 0 when f has wire type wt, else -1 with "... field N has wire type X, expected Y". */
int df_pb_want(const df_pb_doc *d, const df_pb_field *f, uint32_t wt, const char *what);

/* A repeated integer field, one varint (unpacked encoding) or a packed run (wire type 2): appends to
 * vals[*n] up to max entries; sets *over when more were present. 0 ok, -1 malformed. */
int df_pb_ints(const df_pb_doc *d, const df_pb_field *f, int64_t *vals, int *n, int max, int *over, const char *what);

/* Little-endian signed integer of n = 4 or 8 bytes at p (fixed32 sign-extended). */
int64_t df_pb_le(const uint8_t *p, int n);

#endif
