/* fuzz_pb.c - libFuzzer target for the protobuf wire reader alone (src/core/pb.c, include/dnnfuser/pb.h).
 * Every length-delimited payload is read again as a message (an explicit stack of at most 64 levels,
 * as a schema-less dump would), and each packed run as integers. Invariants: a field's payload lies
 * inside its message, a reader never moves backwards or past its end, a refusal carries a message, and
 * reading the same bytes twice gives the same fields. Seeds: tests/fuzz/corpus/fuzz_pb/ and the ONNX
 * fixtures (any ModelProto is a protobuf message). */
#include <stdint.h>
#include <string.h>

#include "dnnfuser/pb.h"
#include "fuzz_util.h"

#define DEPTH 64

static uint64_t walk(const uint8_t *data, size_t size) {
    df_err e;
    df_err_clear(&e);
    df_pb_doc d = {data, "fuzz input", &e};
    df_pb_reader st[DEPTH];
    int top = 0;
    uint64_t sum = 0, steps = 0;
    st[0] = (df_pb_reader){data, data + size};
    while (top >= 0 && steps++ < 100000) {
        df_pb_reader *r = &st[top];
        const uint8_t *before = r->p;
        df_pb_field f;
        int rc = df_pb_next(&d, r, &f, "message");
        if (rc <= 0) {
            FUZZ_CHECK(rc == 0 || (e.code == DF_EINVAL && e.msg[0] != '\0'));
            df_err_clear(&e);
            top--;
            continue;
        }
        FUZZ_CHECK(r->p > before && r->p <= r->end);
        sum = sum * 31 + f.num * 8 + f.wt + f.v;
        if (f.wt != DF_PB_LEN) continue;
        FUZZ_CHECK(f.b.p >= before && f.b.p + f.b.n <= r->p);
        int64_t vals[8];
        int n = 0, over = 0;
        if (df_pb_ints(&d, &f, vals, &n, 8, &over, "packed") == 0) {
            FUZZ_CHECK(n <= 8 && (!over || n == 8));
            for (int i = 0; i < n; i++) sum += (uint64_t)vals[i];
        } else {
            FUZZ_CHECK(e.msg[0] != '\0');
            df_err_clear(&e);
        }
        if (top + 1 < DEPTH) st[++top] = df_pb_open(f.b);
    }
    if (size >= 8) sum += (uint64_t)df_pb_le(data, 8) + (uint64_t)df_pb_le(data, 4);
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FUZZ_CHECK(walk(data, size) == walk(data, size));
    return 0;
}
