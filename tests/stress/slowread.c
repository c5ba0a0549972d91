/* slowread.c - slow readers against dnnfuserd (tests/stress/stress_memory.sh, issue #17 rows 1, 2,
 * 4, 5): plain C, one thread, poll(). Opens --clients connections to 127.0.0.1:--port, each sends
 * the same POST (--path, the body from --body FILE, optional --accept) and then reads at most
 * --read-bytes every --read-ms (0: as fast as it comes), for at most --seconds in all; meanwhile
 * /healthz is asked every 250 ms on a fresh connection and its answer time recorded; with --pid the
 * daemon's VmRSS is sampled every 100 ms. After the clients are closed it keeps sampling RSS for
 * --after seconds (memory returned after the burst). Bounded in count and time.
 *
 * Output: one line
 *   slowread clients=N status200=.. status503=.. status413=.. status504=.. other=.. noanswer=..
 *            retry_after=.. healthz_max_ms=.. healthz_n=.. peak_rss_kib=.. after_rss_kib=.. first_ms=.. last_ms=..
 * (first_ms/last_ms: when the first and last status lines arrived, from the start). Exit 0, or 2 on
 * bad usage / no daemon. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 1000

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kib(int pid) {
    if (!pid) return 0;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long v = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

typedef struct {
    int fd;
    size_t off; /* request bytes sent */
    int status; /* 0 until the status line is in */
    int retry_after;
    char head[512];
    size_t hlen;
    double next_read;
    int done;
} client;

static struct sockaddr_in target;

static int connect_to(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int small = 4096; /* a small receive window: the reader is slow, the server's kernel buffers fill */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    if (connect(fd, (struct sockaddr *)&target, sizeof target) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One GET /healthz on a fresh blocking connection, at most 30 s; returns ms or -1. */
static double probe(void) {
    double t0 = now_ms();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&target, sizeof target) != 0) {
        close(fd);
        return -1;
    }
    const char rq[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (send(fd, rq, sizeof rq - 1, MSG_NOSIGNAL) < 0) {
        close(fd);
        return -1;
    }
    char b[256];
    ssize_t n = recv(fd, b, sizeof b, 0);
    close(fd);
    return n > 12 && strncmp(b + 9, "200", 3) == 0 ? now_ms() - t0 : -1;
}

int main(int argc, char **argv) {
    int port = 0, pid = 0, n = 10;
    long read_bytes = 1024, read_ms = 0;
    double seconds = 20, after = 3;
    const char *path = "/v1/map/batch", *body_file = NULL, *accept = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            port = atoi(v);
        else if (!strcmp(k, "--pid"))
            pid = atoi(v);
        else if (!strcmp(k, "--clients"))
            n = atoi(v);
        else if (!strcmp(k, "--read-bytes"))
            read_bytes = atol(v);
        else if (!strcmp(k, "--read-ms"))
            read_ms = atol(v);
        else if (!strcmp(k, "--seconds"))
            seconds = atof(v);
        else if (!strcmp(k, "--after"))
            after = atof(v);
        else if (!strcmp(k, "--path"))
            path = v;
        else if (!strcmp(k, "--body"))
            body_file = v;
        else if (!strcmp(k, "--accept"))
            accept = v;
        else {
            fprintf(stderr, "slowread: unknown option %s\n", k);
            return 2;
        }
    }
    if (!port || !body_file || n < 1 || n > MAX_CLIENTS || read_bytes < 1 || seconds <= 0 || seconds > 600 ||
        after > 60) {
        fprintf(stderr,
                "usage: slowread --port P --body FILE [--clients N<=%d] [--pid PID] [--path P] [--accept T]\n"
                "       [--read-bytes B] [--read-ms MS] [--seconds S] [--after S]\n",
                MAX_CLIENTS);
        return 2;
    }
    FILE *bf = fopen(body_file, "rb");
    if (!bf) {
        perror(body_file);
        return 2;
    }
    fseek(bf, 0, SEEK_END);
    long blen = ftell(bf);
    fseek(bf, 0, SEEK_SET);
    char *req = malloc((size_t)blen + 1024);
    if (!req) return 2;
    int hl = snprintf(req, 1024,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s%s%s"
                      "Content-Length: %ld\r\nConnection: close\r\n\r\n",
                      path, accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "", blen);
    if (fread(req + hl, 1, (size_t)blen, bf) != (size_t)blen) return 2;
    fclose(bf);
    size_t rlen = (size_t)hl + (size_t)blen;
    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);
    if (probe() < 0) {
        fprintf(stderr, "slowread: no daemon on 127.0.0.1:%d\n", port);
        return 2;
    }

    client *cs = calloc((size_t)n, sizeof *cs);
    struct pollfd *pf = calloc((size_t)n, sizeof *pf);
    if (!cs || !pf) return 2;
    double t0 = now_ms(), stop = t0 + seconds * 1e3, next_probe = t0, first = -1, last = -1, hz_max = 0;
    long peak = 0, hz_n = 0, hz_fail = 0;
    for (int i = 0; i < n; i++) {
        cs[i].fd = connect_to();
        if (cs[i].fd < 0) cs[i].done = 1;
    }
    double next_rss = t0;
    for (;;) {
        double t = now_ms();
        if (t >= stop) break;
        int open = 0;
        for (int i = 0; i < n; i++) {
            client *c = &cs[i];
            pf[i].fd = c->done ? -1 : c->fd;
            pf[i].events = c->done ? 0 : c->off < rlen ? POLLOUT : (t >= c->next_read ? POLLIN : 0);
            pf[i].revents = 0;
            open += !c->done;
        }
        if (!open) break;
        poll(pf, (nfds_t)n, 20);
        t = now_ms();
        for (int i = 0; i < n; i++) {
            client *c = &cs[i];
            if (c->done || !pf[i].revents) continue;
            if (c->off < rlen) {
                ssize_t w = send(c->fd, req + c->off, rlen - c->off, MSG_NOSIGNAL);
                if (w > 0)
                    c->off += (size_t)w;
                else if (w < 0 && errno != EAGAIN)
                    c->done = 1;
                continue;
            }
            char b[65536];
            size_t want = read_ms > 0 ? (size_t)read_bytes : sizeof b;
            if (want > sizeof b) want = sizeof b;
            ssize_t r = recv(c->fd, b, want, 0);
            if (r <= 0) {
                if (r == 0 || errno != EAGAIN) c->done = 1;
                continue;
            }
            if (c->hlen < sizeof c->head - 1) {
                size_t k = (size_t)r < sizeof c->head - 1 - c->hlen ? (size_t)r : sizeof c->head - 1 - c->hlen;
                memcpy(c->head + c->hlen, b, k);
                c->hlen += k;
                c->head[c->hlen] = '\0';
                if (!c->status && c->hlen >= 12 && strncmp(c->head, "HTTP/1.", 7) == 0) {
                    c->status = atoi(c->head + 9);
                    if (first < 0) first = t - t0;
                    last = t - t0;
                }
                if (strcasestr(c->head, "\r\nRetry-After:")) c->retry_after = 1;
            }
            if (read_ms > 0) c->next_read = t + (double)read_ms;
        }
        if (t >= next_probe) {
            double ms = probe();
            if (ms < 0)
                hz_fail++;
            else if (ms > hz_max)
                hz_max = ms;
            hz_n++;
            next_probe = now_ms() + 250;
        }
        if (t >= next_rss) {
            long v = rss_kib(pid);
            if (v > peak) peak = v;
            next_rss = t + 100;
        }
    }
    long s200 = 0, s503 = 0, s413 = 0, s504 = 0, other = 0, none = 0, ra = 0;
    for (int i = 0; i < n; i++) {
        client *c = &cs[i];
        if (c->fd >= 0) close(c->fd);
        if (c->status == 200)
            s200++;
        else if (c->status == 503)
            s503++;
        else if (c->status == 413)
            s413++;
        else if (c->status == 504)
            s504++;
        else if (c->status)
            other++;
        else
            none++;
        ra += c->retry_after;
    }
    double end_after = now_ms() + after * 1e3;
    long after_rss = rss_kib(pid);
    while (now_ms() < end_after) {
        usleep(100000);
        long v = rss_kib(pid);
        if (v > peak) peak = v;
        after_rss = v;
    }
    printf("slowread clients=%d status200=%ld status503=%ld status413=%ld status504=%ld other=%ld noanswer=%ld "
           "retry_after=%ld healthz_max_ms=%.0f healthz_n=%ld healthz_fail=%ld peak_rss_kib=%ld after_rss_kib=%ld "
           "first_ms=%.0f last_ms=%.0f\n",
           n, s200, s503, s413, s504, other, none, ra, hz_max, hz_n, hz_fail, peak, after_rss, first, last);
    free(cs);
    free(pf);
    free(req);
    return 0;
}
