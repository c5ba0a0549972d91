/* membudget.c - the in-flight memory budget and the heap trim after a burst (membudget.h). */
#define _GNU_SOURCE
#include "membudget.h"

#include <malloc.h>

void srv_mem_init(srv_mem *m, int64_t budget) {
    atomic_init(&m->budget, budget);
    atomic_init(&m->used, 0);
    atomic_init(&m->high, 0);
    atomic_init(&m->trimming, 0);
    atomic_init(&m->refused, 0);
    atomic_init(&m->trims, 0);
}

void srv_mem_set_budget(srv_mem *m, int64_t budget) { atomic_store(&m->budget, budget); }

int srv_mem_admit(srv_mem *m) {
    int64_t b = atomic_load(&m->budget);
    if (b <= 0 || atomic_load(&m->used) < b) return 1;
    atomic_fetch_add(&m->refused, 1);
    return 0;
}

int srv_mem_charge(srv_mem *m, int64_t n) {
    int64_t b = atomic_load(&m->budget);
    int64_t now = atomic_fetch_add(&m->used, n) + n;
    if (b > 0 && now > b) {
        atomic_fetch_sub(&m->used, n);
        atomic_fetch_add(&m->refused, 1);
        return -1;
    }
    int64_t h = atomic_load(&m->high);
    while (now > h && !atomic_compare_exchange_weak(&m->high, &h, now)) {}
    return 0;
}

void srv_mem_release(srv_mem *m, int64_t n) {
    int64_t now = atomic_fetch_sub(&m->used, n) - n;
    int64_t h = atomic_load(&m->high);
    if (h < SRV_MEM_TRIM_BYTES || now > h / 8) return;
    if (atomic_exchange(&m->trimming, 1)) return; /* another thread trims */
    atomic_store(&m->high, now);
    malloc_trim(0);
    atomic_fetch_add(&m->trims, 1);
    atomic_store(&m->trimming, 0);
}
