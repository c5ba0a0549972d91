/* notify.h - systemd integration (Type=notify): READY=1 once listening, STOPPING=1 when the drain
 * starts, WATCHDOG=1 from the work loop's heartbeat timer (so a stuck loop is caught), STATUS= text.
 * Without HAVE_LIBSYSTEMD every function is a no-op and the watchdog interval is 0. */
#ifndef DNNFUSER_SERVER_NOTIFY_H
#define DNNFUSER_SERVER_NOTIFY_H

#include <stdint.h>

void srv_notify_ready(const char *status);
void srv_notify_stopping(const char *status);
void srv_notify_status(const char *status);
/* Heartbeat period in ms (half of WatchdogSec), 0 when the watchdog is off. */
uint64_t srv_notify_watchdog_ms(void);
/* Heartbeat callback for the batcher (ctx unused). */
void srv_notify_watchdog(void *ctx);

#endif
