/* reqid.c - request ids: which client X-Request-Id values are kept, and the generated ones (see reqid.h). */
#include "reqid.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int srv_reqid_valid(const char *id) {
    if (!id || !*id) return 0;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++, n++) {
        if (n >= SRV_REQID_MAX) return 0;
        unsigned char c = *p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("._:/+=@-", c);
        if (!ok) return 0;
    }
    return 1;
}

void srv_reqid_instance(char out[SRV_REQID_INSTANCE]) {
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&r;
    }
    snprintf(out, SRV_REQID_INSTANCE, "%016llx", (unsigned long long)r);
}

int srv_reqid_make(const char *client, const char *instance, uint64_t seq, char *out, size_t n) {
    if (srv_reqid_valid(client)) {
        snprintf(out, n, "%s", client);
        return 1;
    }
    snprintf(out, n, "%s-%llu", instance && *instance ? instance : "0", (unsigned long long)seq);
    return 0;
}
