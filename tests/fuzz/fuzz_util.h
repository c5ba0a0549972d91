/* fuzz_util.h - shared by the libFuzzer targets in tests/fuzz/ (header-only, test code only):
 * FUZZ_CHECK, an invariant that aborts (so libFuzzer keeps the input as a crash), and the small
 * fixed workloads the mapping target binds its mappings to. */
#ifndef DNNFUSER_FUZZ_UTIL_H
#define DNNFUSER_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

#endif
