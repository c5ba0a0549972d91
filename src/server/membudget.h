/* membudget.h - the daemon's memory budget for in-flight work (issue #17 row 1): the bytes of replies
 * being built (charged item by item as each is serialised) and of replies queued to clients that have
 * not read them yet (released when libmicrohttpd frees the response). Past the budget new POST work is
 * answered 503 + Retry-After, and a reply that would pass it while being built fails the same way, so
 * slow readers cannot make the daemon hold more than the budget. After a burst (the bytes in flight
 * fall below an eighth of the high mark, which passed SRV_MEM_TRIM_BYTES) the heap is returned to the
 * system with malloc_trim(0), one thread at a time: glibc keeps freed arena memory otherwise.
 * Lock-free (C11 atomics); any thread. */
#ifndef DNNFUSER_SERVER_MEMBUDGET_H
#define DNNFUSER_SERVER_MEMBUDGET_H

#include <stdatomic.h>
#include <stdint.h>

#define SRV_MEM_TRIM_BYTES (32LL << 20)

typedef struct srv_mem_s {
    atomic_int_least64_t budget; /* bytes; 0 = no budget (SIGHUP may change it) */
    atomic_int_least64_t used;   /* charged now */
    atomic_int_least64_t high;   /* most charged since the last trim */
    atomic_int trimming;
    atomic_uint_least64_t refused; /* work refused or failed for the budget */
    atomic_uint_least64_t trims;
} srv_mem;

void srv_mem_init(srv_mem *m, int64_t budget);
void srv_mem_set_budget(srv_mem *m, int64_t budget);
/* 1 when new work may start (used below the budget), else 0 (counted as refused). */
int srv_mem_admit(srv_mem *m);
/* Charges n bytes: 0, or -1 (nothing charged, counted as refused) when that would pass the budget. */
int srv_mem_charge(srv_mem *m, int64_t n);
/* Releases n bytes charged before; may trim the heap after a burst. */
void srv_mem_release(srv_mem *m, int64_t n);

#endif
