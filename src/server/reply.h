/* reply.h - a reply as the handlers build it and the HTTP layer queues it (http.c turns it into a
 * libmicrohttpd response): status, body or streamed reader, headers of note. Pure data and three
 * builders (a problem, a kind and its detail, a JSON tree): no HTTP library, no connection. */
#ifndef DNNFUSER_SERVER_REPLY_H
#define DNNFUSER_SERVER_REPLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "problem.h"

#define SRV_REPLY_READ_END ((ssize_t)-1) /* srv_reply.read: the end of the body */
#define SRV_RETRY_AFTER_S 1              /* seconds: what a 503 asks a client to wait */

/* A response to queue. body is malloc'ed (ownership passes to the HTTP layer) or NULL for an empty body. */
typedef struct {
    int status;
    char *body;
    size_t len;
    const char *content_type; /* NULL = application/json */
    int retry_after;          /* seconds; 0 = no Retry-After header */
    const char *allow;        /* 405: the Allow header */
    int persistent;           /* body is static or outlives the response: not freed */
    /* a streamed body (chunked, length unknown): read is called for the bytes (body/len unused) and
     * returns how many it wrote (at most max), 0 when it has none yet (it suspended the connection),
     * or SRV_REPLY_READ_END; read_done(read_cls) when the response is freed, or at once when none
     * could be made */
    ssize_t (*read)(void *cls, uint64_t pos, char *out, size_t max);
    void (*read_done)(void *cls);
    void *read_cls;
    size_t read_block;  /* the most read is asked for at once */
    int64_t mem_charge; /* bytes of body charged to s->mem: released when the response is freed */
} srv_reply;

/* Fills out with the problem body of f (content type application/problem+json, f's Retry-After). */
void srv_reply_problem(srv_reply *out, const srv_fail *f, const char *request_id);
/* Fills out with j serialised (the answers' precision) and decrefs j; NULL j or out of memory -> a 500
 * problem. */
void srv_reply_json(srv_reply *out, int status, json_t *j, const char *request_id);
/* Fills out with a problem of kind (detail as given, pointer nullable); a queue-full, draining or
 * overloaded one says Retry-After: SRV_RETRY_AFTER_S. */
void srv_reply_fail(srv_reply *out, srv_problem kind, const char *pointer, const char *request_id, const char *detail);

#endif
