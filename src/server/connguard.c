/* connguard.c - per-address connection cap, header and body progress timeouts, idle connections
 * closed near the connection limit (see connguard.h). One mutex guards the connection list, the
 * per-address counts and the counters of the current sweep; nothing here blocks while holding it
 * (send is MSG_DONTWAIT, shutdown and getsockopt do not wait). */
#define _GNU_SOURCE
#include "connguard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define ADDR_BUCKETS 1024
#define IDLE_MIN_MS 1000 /* near the limit, idle connections older than this are closed */

struct srv_guard_conn {
    srv_guard_conn *prev, *next;
    int fd;
    unsigned char key[16];
    int key_len;
    char addr[INET6_ADDRSTRLEN];
    srv_guard_phase phase;
    double t_phase;      /* when the phase began */
    uint64_t body_bytes; /* body bytes of the current request */
    uint64_t idle_rx;    /* TCP bytes received when the connection went idle */
    int cut;             /* already shut down: wait for MHD to close it */
};

typedef struct addr_count {
    struct addr_count *next;
    unsigned char key[16];
    int key_len;
    int64_t n;
} addr_count;

struct srv_guard {
    srv_guard_opts o;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    srv_guard_conn *head;
    int64_t n;
    addr_count *buckets[ADDR_BUCKETS];
    /* since the last sweep's log lines */
    uint64_t refused;
    char refused_addr[INET6_ADDRSTRLEN];
    pthread_t thread;
    int started, stop;
    char reply[512]; /* the 408 response */
    size_t reply_len;
};

_Static_assert(SRV_CUT_REASONS == SRV_CUTS, "srv_cut_reason and srv_cut_names (metrics.h) differ");

const char *srv_cut_reason_name(srv_cut_reason r) { return r >= 0 && r < SRV_CUT_REASONS ? srv_cut_names[r] : "?"; }

/* The address as a hash key (IPv4-mapped IPv6 counts as its IPv4 address) and as text. */
static int addr_key(const struct sockaddr *a, socklen_t len, unsigned char key[16], char *text, size_t tl) {
    if (text && tl) text[0] = '\0';
    if (!a) return 0;
    if (a->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
        memcpy(key, &v4->sin_addr, 4);
        if (text) inet_ntop(AF_INET, &v4->sin_addr, text, (socklen_t)tl);
        return 4;
    }
    if (a->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
            memcpy(key, (const unsigned char *)&v6->sin6_addr + 12, 4);
            if (text) inet_ntop(AF_INET, key, text, (socklen_t)tl);
            return 4;
        }
        memcpy(key, &v6->sin6_addr, 16);
        if (text) inet_ntop(AF_INET6, &v6->sin6_addr, text, (socklen_t)tl);
        return 16;
    }
    return 0;
}

static unsigned bucket_of(const unsigned char *key, int len) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < len; i++) h = (h ^ key[i]) * 16777619u;
    return h % ADDR_BUCKETS;
}

/* The count of an address (created when create is set; NULL when absent or out of memory). */
static addr_count *find_count(srv_guard *g, const unsigned char *key, int len, int create) {
    addr_count **pp = &g->buckets[bucket_of(key, len)];
    for (addr_count *a = *pp; a; a = a->next)
        if (a->key_len == len && memcmp(a->key, key, (size_t)len) == 0) return a;
    if (!create) return NULL;
    addr_count *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    memcpy(a->key, key, (size_t)len);
    a->key_len = len;
    a->next = *pp;
    *pp = a;
    return a;
}

static void drop_count(srv_guard *g, const unsigned char *key, int len) {
    addr_count **pp = &g->buckets[bucket_of(key, len)];
    for (addr_count *a = *pp; a; pp = &a->next, a = a->next)
        if (a->key_len == len && memcmp(a->key, key, (size_t)len) == 0) {
            if (--a->n <= 0) {
                *pp = a->next;
                free(a);
            }
            return;
        }
}

/* 408 as a problem document (the shape of problem.c's), written straight to the socket: MHD has not
 * begun a response on a connection still reading its request. */
static const char timeout_body[] =
    "{\"type\":\"https://dnnfuser.dev/problems/request-timeout\",\"title\":\"Request timeout\",\"status\":408,"
    "\"detail\":\"the request did not arrive fast enough; the connection is closed\"}";

srv_guard *srv_guard_new(const srv_guard_opts *o) {
    srv_guard *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->o = *o;
    int k = snprintf(g->reply, sizeof g->reply,
                     "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/problem+json\r\nConnection: close\r\n"
                     "Cache-Control: no-store\r\nContent-Length: %zu\r\n\r\n%s",
                     sizeof timeout_body - 1, timeout_body);
    g->reply_len = k > 0 && (size_t)k < sizeof g->reply ? (size_t)k : 0;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->wake, NULL);
    return g;
}

void srv_guard_free(srv_guard *g) {
    if (!g) return;
    srv_guard_stop(g);
    for (srv_guard_conn *c = g->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    for (int i = 0; i < ADDR_BUCKETS; i++)
        for (addr_count *a = g->buckets[i], *n; a; a = n) {
            n = a->next;
            free(a);
        }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

int srv_guard_accept(srv_guard *g, const struct sockaddr *addr, socklen_t len) {
    if (!g || g->o.per_ip <= 0) return 1;
    unsigned char key[16];
    char text[INET6_ADDRSTRLEN];
    int kl = addr_key(addr, len, key, text, sizeof text);
    if (!kl) return 1; /* not IP (a UNIX socket): no address to count */
    pthread_mutex_lock(&g->mu);
    addr_count *a = find_count(g, key, kl, 0);
    int ok = !a || a->n < g->o.per_ip;
    if (!ok) {
        if (!g->refused) snprintf(g->refused_addr, sizeof g->refused_addr, "%s", text);
        g->refused++;
    }
    pthread_mutex_unlock(&g->mu);
    if (!ok && g->o.metrics) atomic_fetch_add(&g->o.metrics->conn_refused_per_ip, 1);
    return ok;
}

srv_guard_conn *srv_guard_open(srv_guard *g, int fd, const struct sockaddr *addr, socklen_t len, double now_ms) {
    if (!g) return NULL;
    srv_guard_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = fd;
    c->key_len = addr_key(addr, len, c->key, c->addr, sizeof c->addr);
    c->phase = SRV_GUARD_HEADERS;
    c->t_phase = now_ms;
    pthread_mutex_lock(&g->mu);
    if (c->key_len) {
        addr_count *a = find_count(g, c->key, c->key_len, 1);
        if (a)
            a->n++;
        else
            c->key_len = 0; /* out of memory: not counted */
    }
    c->next = g->head;
    if (g->head) g->head->prev = c;
    g->head = c;
    g->n++;
    pthread_mutex_unlock(&g->mu);
    return c;
}

void srv_guard_close(srv_guard *g, srv_guard_conn *c) {
    if (!g || !c) return;
    pthread_mutex_lock(&g->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next) c->next->prev = c->prev;
    g->n--;
    if (c->key_len) drop_count(g, c->key, c->key_len);
    pthread_mutex_unlock(&g->mu);
    free(c);
}

static void set_phase(srv_guard *g, srv_guard_conn *c, srv_guard_phase p, double now_ms) {
    if (!g || !c) return;
    pthread_mutex_lock(&g->mu);
    c->phase = p;
    c->t_phase = now_ms;
    c->body_bytes = 0;
    pthread_mutex_unlock(&g->mu);
}

void srv_guard_headers_done(srv_guard *g, srv_guard_conn *c, int has_body, double now_ms) {
    set_phase(g, c, has_body ? SRV_GUARD_BODY : SRV_GUARD_BUSY, now_ms);
}

void srv_guard_body(srv_guard *g, srv_guard_conn *c, size_t n) {
    if (!g || !c) return;
    pthread_mutex_lock(&g->mu);
    c->body_bytes += n;
    pthread_mutex_unlock(&g->mu);
}

void srv_guard_busy(srv_guard *g, srv_guard_conn *c) {
    if (!g || !c) return;
    pthread_mutex_lock(&g->mu);
    c->phase = SRV_GUARD_BUSY;
    pthread_mutex_unlock(&g->mu);
}

/* TCP bytes received on fd so far (0 when unknown: no socket, not TCP). */
static uint64_t rx_bytes(int fd) {
    if (fd < 0) return 0;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return 0;
    if (len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received) return 0;
    return ti.tcpi_bytes_received;
}

void srv_guard_idle(srv_guard *g, srv_guard_conn *c, double now_ms) {
    if (!g || !c) return;
    uint64_t rx = rx_bytes(c->fd);
    pthread_mutex_lock(&g->mu);
    c->phase = SRV_GUARD_IDLE;
    c->t_phase = now_ms;
    c->body_bytes = 0;
    c->idle_rx = rx;
    pthread_mutex_unlock(&g->mu);
}

srv_cut_reason srv_guard_verdict(const srv_guard_opts *o, srv_guard_phase p, double t_phase, uint64_t body_bytes,
                                 double now_ms) {
    double age = now_ms - t_phase;
    if (p == SRV_GUARD_HEADERS && o->header_timeout_ms > 0 && age > (double)o->header_timeout_ms)
        return SRV_CUT_HEADER_TIMEOUT;
    if (p == SRV_GUARD_BODY && o->min_body_rate > 0) {
        double allowed = (double)o->header_timeout_ms + (double)body_bytes * 1e3 / (double)o->min_body_rate;
        if (age > allowed) return SRV_CUT_BODY_TOO_SLOW;
    }
    return SRV_CUT_NONE;
}

static void cut(srv_guard *g, srv_guard_conn *c, srv_cut_reason why) {
    c->cut = 1;
    if (c->fd < 0) return;
    if (why != SRV_CUT_IDLE_AT_LIMIT) {
        ssize_t w = send(c->fd, g->reply, g->reply_len, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w; /* best effort: the connection goes either way */
    }
    shutdown(c->fd, SHUT_RDWR);
}

int srv_guard_sweep(srv_guard *g, double now_ms) {
    if (!g) return 0;
    int64_t cuts[SRV_CUT_REASONS] = {0};
    char first[SRV_CUT_REASONS][INET6_ADDRSTRLEN];
    memset(first, 0, sizeof first);
    pthread_mutex_lock(&g->mu);
    int64_t max = g->o.max_connections;
    int near_limit = max > 0 && g->n >= max - (max / 64 > 1 ? max / 64 : 1);
    int total = 0;
    for (srv_guard_conn *c = g->head; c; c = c->next) {
        if (c->cut) continue;
        srv_cut_reason why = SRV_CUT_NONE;
        if (c->phase == SRV_GUARD_IDLE) {
            uint64_t rx = rx_bytes(c->fd);
            if (rx > c->idle_rx) { /* the next request has begun: its headers are timed from now */
                c->phase = SRV_GUARD_HEADERS;
                c->t_phase = now_ms;
            } else if (near_limit && now_ms - c->t_phase > IDLE_MIN_MS) {
                why = SRV_CUT_IDLE_AT_LIMIT;
            }
        } else {
            why = srv_guard_verdict(&g->o, c->phase, c->t_phase, c->body_bytes, now_ms);
        }
        if (why == SRV_CUT_NONE) continue;
        cut(g, c, why);
        if (!cuts[why]) snprintf(first[why], sizeof first[why], "%s", c->addr[0] ? c->addr : "-");
        cuts[why]++;
        total++;
    }
    uint64_t refused = g->refused;
    char refused_addr[INET6_ADDRSTRLEN];
    snprintf(refused_addr, sizeof refused_addr, "%s", g->refused_addr);
    g->refused = 0;
    int64_t open = g->n;
    pthread_mutex_unlock(&g->mu);

    for (int r = 1; r < SRV_CUT_REASONS; r++) {
        if (!cuts[r]) continue;
        if (g->o.metrics) atomic_fetch_add(&g->o.metrics->conn_cut[r], (uint64_t)cuts[r]);
        srv_log(g->o.log, SRV_LOG_WARN, "conn_cut",
                "reason=%s count=%lld client=%s open=%lld header_timeout_ms=%lld min_body_rate=%lld", srv_cut_names[r],
                (long long)cuts[r], first[r], (long long)open, (long long)g->o.header_timeout_ms,
                (long long)g->o.min_body_rate);
    }
    if (refused)
        srv_log(g->o.log, SRV_LOG_WARN, "conn_refused", "reason=per_ip_limit count=%llu client=%s limit=%lld",
                (unsigned long long)refused, refused_addr, (long long)g->o.per_ip);
    return total;
}

int64_t srv_guard_count(srv_guard *g) {
    pthread_mutex_lock(&g->mu);
    int64_t n = g->n;
    pthread_mutex_unlock(&g->mu);
    return n;
}

int64_t srv_guard_count_addr(srv_guard *g, const struct sockaddr *addr, socklen_t len) {
    unsigned char key[16];
    int kl = addr_key(addr, len, key, NULL, 0);
    if (!kl) return 0;
    pthread_mutex_lock(&g->mu);
    addr_count *a = find_count(g, key, kl, 0);
    int64_t n = a ? a->n : 0;
    pthread_mutex_unlock(&g->mu);
    return n;
}

static void *sweeper(void *arg) {
    srv_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += SRV_GUARD_SWEEP_MS * 1000000L;
        while (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->mu, &until);
        if (g->stop) break;
        pthread_mutex_unlock(&g->mu);
        srv_guard_sweep(g, srv_now_ms());
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int srv_guard_start(srv_guard *g) {
    if (!g || g->started) return 0;
    g->stop = 0;
    if (pthread_create(&g->thread, NULL, sweeper, g) != 0) return -1;
    g->started = 1;
    return 0;
}

void srv_guard_stop(srv_guard *g) {
    if (!g || !g->started) return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    g->started = 0;
}
