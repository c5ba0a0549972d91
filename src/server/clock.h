/* clock.h - the daemon's one time source: a monotonic clock in milliseconds (deadlines, timings,
 * uptime), readable from any thread. Wall-clock time is only used for log stamps (log.c). */
#ifndef DNNFUSER_SERVER_CLOCK_H
#define DNNFUSER_SERVER_CLOCK_H

#include <time.h>

static inline double srv_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#endif
