/* notify.c - sd_notify wrappers (see notify.h; sd_notify(3), sd_watchdog_enabled(3)). */
#include "notify.h"

#include <stdio.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>

static void send2(const char *state, const char *status) {
    char msg[320];
    if (status)
        snprintf(msg, sizeof msg, "%s\nSTATUS=%s", state, status);
    else
        snprintf(msg, sizeof msg, "%s", state);
    sd_notify(0, msg);
}

void srv_notify_ready(const char *status) { send2("READY=1", status); }
void srv_notify_stopping(const char *status) { send2("STOPPING=1", status); }
void srv_notify_status(const char *status) {
    char msg[320];
    snprintf(msg, sizeof msg, "STATUS=%s", status ? status : "");
    sd_notify(0, msg);
}

uint64_t srv_notify_watchdog_ms(void) {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return 0;
    uint64_t ms = usec / 2000;
    return ms ? ms : 1;
}

void srv_notify_watchdog(void *ctx) {
    (void)ctx;
    sd_notify(0, "WATCHDOG=1");
}
#else
void srv_notify_ready(const char *status) { (void)status; }
void srv_notify_stopping(const char *status) { (void)status; }
void srv_notify_status(const char *status) { (void)status; }
uint64_t srv_notify_watchdog_ms(void) { return 0; }
void srv_notify_watchdog(void *ctx) { (void)ctx; }
#endif
