/* reqid.h - request ids (issue #11 item 7): a client's X-Request-Id is kept when it is safe to echo
 * and to log (1..SRV_REQID_MAX bytes of [A-Za-z0-9._:/+=@-]; anything else, e.g. a space, a quote or
 * a control byte, is replaced); otherwise the daemon makes one, "<instance>-<counter>": instance is
 * 16 hex digits drawn from the kernel's random source once at start, so ids are unique across
 * replicas behind one balancer and across restarts. Pure functions except srv_reqid_instance. */
#ifndef DNNFUSER_SERVER_REQID_H
#define DNNFUSER_SERVER_REQID_H

#include <stddef.h>
#include <stdint.h>

#define SRV_REQID_MAX 64      /* bytes of a client's id we keep */
#define SRV_REQID_INSTANCE 17 /* 16 hex digits + NUL */

/* 1 when id (nullable) is a client id we keep. */
int srv_reqid_valid(const char *id);
/* The instance part: 16 hex digits (getrandom, else time ^ pid ^ address bits). */
void srv_reqid_instance(char out[SRV_REQID_INSTANCE]);
/* out[n] <- the client's id when valid, else "<instance>-<seq>". Returns 1 when the client's was kept. */
int srv_reqid_make(const char *client, const char *instance, uint64_t seq, char *out, size_t n);

#endif
