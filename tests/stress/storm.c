/* storm.c - the hostile-input load generator for dnnfuserd (tests/stress/ and
 * tests/integration/test_storm.sh): plain C, POSIX sockets, one thread, non-blocking connections
 * driven by poll(). It talks to a live daemon on 127.0.0.1 only.
 *
 * Storm mode (default): sends --requests requests over --concurrency connections at once, one request
 * per connection ("Connection: close"), drawn from the table of kinds below: truncated and invalid
 * JSON, 100k-deep nesting, huge numbers, NaN/Infinity, negative and zero dims, too many layers, a
 * 10^6-layer body, bodies over the limit (Content-Length and chunked), wrong or missing Content-Type,
 * no Content-Length, bad methods and routes, garbage request lines, oversized headers, slow clients
 * (bytes trickled, bounded) and abrupt disconnects (RST) before the headers end, mid-body and while the
 * request waits for its answer. Every kind has the answer it must get (an exact status or a class);
 * a kind that disconnects expects nothing. Every 20th request is a valid one (exact-solver map,
 * evaluate, a catalog GET, a transformer map) whose answer must equal the reference fetched before the
 * storm (timings removed; the transformer's: 200 and feasible). A connection with no complete answer
 * within --timeout seconds is a hang. With --pid, the daemon's VmRSS is sampled every 100 ms.
 *
 * Hold mode (--hold N): opens N connections that each send a partial request and stay open; samples
 * RSS; checks that valid requests are still answered; then completes the N requests (each must get its
 * answer) and closes them.
 *
 * Slowloris mode (--slowloris N): N connections trickle the headers (or the body) of a request at
 * --slow-rate bytes per second each for --slow-seconds; meanwhile /healthz is asked every 250 ms on a
 * fresh connection from another loopback address (--probe-from, default 127.0.0.2); reports how many
 * connections the daemon cut and the /healthz answer times.
 *
 * Output: one line per kind (sent, as expected, unexpected with the first oddity), then
 *   storm-summary requests=... seconds=... unexpected=... hangs=... valid=... valid_bad=... peak_rss_kib=...
 * Exit status 0 when nothing was unexpected, 1 otherwise, 2 on bad usage or no daemon. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------------------------------ */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "storm: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

typedef struct {
    char *p;
    size_t len, cap;
} buf;

static void b_put(buf *b, const void *data, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) die("out of memory");
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}
static void b_str(buf *b, const char *s) { b_put(b, s, strlen(s)); }
static void b_fmt(buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) die("bad format");
    char *tmp = malloc((size_t)n + 1);
    if (!tmp) die("out of memory");
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b_put(b, tmp, (size_t)n);
    free(tmp);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static long read_rss_kib(int pid) {
    if (pid <= 0) return -1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

/* ---- requests ----------------------------------------------------------------------------------- */

/* A POST with a JSON body: headers + body (Connection: close). */
static void post(buf *b, const char *path, const char *ctype, const char *body, size_t blen) {
    b_fmt(b, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n", path);
    if (ctype) b_fmt(b, "Content-Type: %s\r\n", ctype);
    b_fmt(b, "Content-Length: %zu\r\n\r\n", blen);
    b_put(b, body, blen);
}
static void post_json(buf *b, const char *path, const char *body) {
    post(b, path, "application/json", body, strlen(body));
}
static void get(buf *b, const char *path) {
    b_fmt(b, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
}

static const char MAP_EXACT[] = "{\"workload\":\"resnet18\",\"budget\":\"256KiB\",\"batch\":2,\"solver\":\"exact\"}";
static const char MAP_TRANSFORMER[] = "{\"workload\":\"mobilenetv2\",\"budget\":\"512KiB\",\"batch\":2}";
static const char EVALUATE[] =
    "{\"workload\":\"resnet18\",\"budget\":\"2MiB\",\"batch\":2,\"groups\":[{\"first\":0,\"last\":9,\"micro_batch\":1},"
    "{\"first\":10,\"last\":30,\"micro_batch\":2}]}";
/* a request that keeps a worker busy for a while (queue-full and mid-wait kinds) */
static const char MAP_SLOW[] =
    "{\"workload\":\"resnet50\",\"solver\":\"ga\",\"ga\":{\"population\":64,\"generations\":60,\"seed\":1}}";

enum { EXPECT_NONE = 0, EXPECT_4XX = 4, EXPECT_200_OR_503 = 1 };
enum { VALID_NONE = 0, VALID_EXACT, VALID_FEASIBLE };

typedef struct {
    const char *name;
    int weight;     /* relative frequency among the hostile kinds; 0 = only on request (--only) */
    int expect;     /* an exact status, EXPECT_4XX, EXPECT_200_OR_503, or EXPECT_NONE (we disconnect) */
    int valid;      /* VALID_*: compared with the reference answer */
    int pace_bytes; /* > 0: send this many bytes every pace_ms (a slow client) */
    int pace_ms;
    long abort_after;  /* >= 0: reset the connection after this many bytes were sent */
    int abort_on_sent; /* reset the connection once everything was sent (before the answer) */
    buf req;           /* the bytes, built once */
    /* results */
    long sent, ok, bad;
    char first_bad[200];
    buf ref; /* valid kinds: the reference answer body, normalised */
} kind;

static kind kinds[64];
static int n_kinds;

static kind *add_kind(const char *name, int weight, int expect) {
    if (n_kinds == (int)(sizeof kinds / sizeof kinds[0])) die("too many kinds");
    kind *k = &kinds[n_kinds++];
    memset(k, 0, sizeof *k);
    k->name = name;
    k->weight = weight;
    k->expect = expect;
    k->abort_after = -1;
    return k;
}

/* A workload of n small fc layers: {"workload":{"layers":[{"type":"fc","K":1,"C":1},...]}} */
static void many_layers(buf *body, long n) {
    b_str(body, "{\"workload\":{\"name\":\"many\",\"layers\":[");
    for (long i = 0; i < n; i++)
        b_str(body, i ? ",{\"type\":\"fc\",\"K\":1,\"C\":1}" : "{\"type\":\"fc\",\"K\":1,\"C\":1}");
    b_str(body, "]},\"budget\":\"1MiB\"}");
}

static void build_kinds(void) {
    kind *k;
    buf body = {0};
    /* valid, interleaved with the storm */
    k = add_kind("valid_map_exact", 0, 200);
    k->valid = VALID_EXACT;
    post_json(&k->req, "/v1/map", MAP_EXACT);
    k = add_kind("valid_evaluate", 0, 200);
    k->valid = VALID_EXACT;
    post_json(&k->req, "/v1/evaluate", EVALUATE);
    k = add_kind("valid_get_workload", 0, 200);
    k->valid = VALID_EXACT;
    get(&k->req, "/v1/workloads/mobilenetv2");
    k = add_kind("valid_map_transformer", 0, 200);
    k->valid = VALID_FEASIBLE;
    post_json(&k->req, "/v1/map", MAP_TRANSFORMER);

    /* malformed JSON: 400 */
    k = add_kind("truncated_json", 60, 400);
    post(&k->req, "/v1/map", "application/json", MAP_EXACT, sizeof MAP_EXACT - 1 - 17);
    k = add_kind("truncated_json_eval", 30, 400);
    post(&k->req, "/v1/evaluate", "application/json", EVALUATE, 40);
    k = add_kind("garbage_bytes", 40, 400);
    {
        char g[512];
        for (size_t i = 0; i < sizeof g; i++) g[i] = (char)(rnd() & 0xff);
        g[0] = '\x01';
        post(&k->req, "/v1/map", "application/json", g, sizeof g);
    }
    k = add_kind("nul_in_body", 20, 400);
    post(&k->req, "/v1/map", "application/json", "{\"workload\":\"res\0net18\"}", 24);
    k = add_kind("bad_utf8_string", 20, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":\"\xff\xfe\xc0\x80\"}");
    k = add_kind("empty_body", 20, 400);
    post(&k->req, "/v1/map", "application/json", "", 0);
    k = add_kind("deep_arrays_100k", 10, 400);
    body.len = 0;
    for (int i = 0; i < 100000; i++) b_str(&body, "[");
    post(&k->req, "/v1/map", "application/json", body.p, body.len);
    k = add_kind("deep_objects_50k", 10, 400);
    body.len = 0;
    for (int i = 0; i < 50000; i++) b_str(&body, "{\"a\":");
    b_str(&body, "1");
    for (int i = 0; i < 50000; i++) b_str(&body, "}");
    post(&k->req, "/v1/map", "application/json", body.p, body.len);
    k = add_kind("huge_real", 30, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"batch\":1e999}");
    k = add_kind("huge_integer", 30, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"batch\":123456789012345678901234567890}");
    k = add_kind("real_where_int", 20, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"budget\":1e308}");
    k = add_kind("nan_literal", 30, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"batch\":NaN}");
    k = add_kind("infinity_literal", 30, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"deadline_ms\":-Infinity}");
    k = add_kind("wrong_types", 30, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":123,\"batch\":[2]}");
    k = add_kind("not_an_object", 20, 400);
    post_json(&k->req, "/v1/map", "[{\"workload\":\"resnet18\"}]");
    k = add_kind("duplicate_keys", 20, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"workload\":\"resnet50\"}");
    k = add_kind("unknown_field", 20, 400);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"budjet\":1}");

    /* valid JSON, invalid values: 422 */
    k = add_kind("negative_dim", 40, 422);
    post_json(&k->req, "/v1/map", "{\"workload\":{\"layers\":[{\"type\":\"conv\",\"K\":-4,\"C\":3,\"Y\":8,\"X\":8}]}}");
    k = add_kind("zero_dim", 40, 422);
    post_json(&k->req, "/v1/evaluate",
              "{\"workload\":{\"layers\":[{\"type\":\"conv\",\"K\":8,\"C\":0,\"Y\":8,\"X\":8}]},\"groups\":[{\"first\":"
              "0,\"last\":0,\"micro_batch\":1}]}");
    k = add_kind("huge_dims", 30, 422);
    post_json(&k->req, "/v1/map",
              "{\"workload\":{\"layers\":[{\"type\":\"conv\",\"K\":16777216,\"C\":16777216,\"Y\":16777216,\"X\":"
              "16777216,\"R\":3}]}}");
    k = add_kind("int32_overflow_dim", 20, 422);
    post_json(&k->req, "/v1/map", "{\"workload\":{\"layers\":[{\"type\":\"fc\",\"K\":4294967297,\"C\":1}]}}");
    k = add_kind("batch_zero", 20, 422);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"batch\":0}");
    k = add_kind("batch_too_big", 20, 422);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"batch\":1000000000}");
    k = add_kind("budget_too_small", 20, 422);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet50\",\"budget\":\"1KiB\"}");
    k = add_kind("budget_nan_string", 20, 422);
    post_json(&k->req, "/v1/map", "{\"workload\":\"resnet18\",\"budget\":\"NaNKiB\"}");
    k = add_kind("forward_reference", 20, 422);
    post_json(&k->req, "/v1/map",
              "{\"workload\":{\"layers\":[{\"type\":\"fc\",\"K\":4,\"C\":4,\"inputs\":[1]},{\"type\":\"fc\",\"K\":4,"
              "\"C\":4}]}}");
    k = add_kind("mapping_gap", 20, 422);
    post_json(&k->req, "/v1/evaluate",
              "{\"workload\":\"resnet18\",\"groups\":[{\"first\":0,\"last\":0,\"micro_batch\":1}]}");
    k = add_kind("layers_over_limit", 10, 422); /* 5000 layers (~125 KB): under max-body, over max-layers */
    body.len = 0;
    many_layers(&body, 5000);
    post(&k->req, "/v1/map", "application/json", body.p, body.len);
    k = add_kind("batch_grid_over_limit", 10, 422);
    body.len = 0;
    b_str(&body, "{\"base\":{\"workload\":\"resnet18\"},\"grid\":{\"budgets\":[");
    for (int i = 0; i < 300; i++) b_fmt(&body, "%s%d", i ? "," : "", 65536 + i);
    b_str(&body, "]}}");
    post(&k->req, "/v1/map/batch", "application/json", body.p, body.len);
    k = add_kind("ga_work_over_limit", 10, 422);
    post_json(&k->req, "/v1/map",
              "{\"workload\":\"resnet18\",\"solver\":\"ga\",\"ga\":{\"population\":4096,\"generations\":100000}}");

    /* bodies over the limit: 413 */
    k = add_kind("layers_1e6_content_length", 2, 413); /* 25 MB */
    body.len = 0;
    many_layers(&body, 1000000);
    post(&k->req, "/v1/map", "application/json", body.p, body.len);
    k = add_kind("body_2MB_content_length", 5, 413);
    body.len = 0;
    b_str(&body, "{\"workload\":\"");
    while (body.len < 2 * 1024 * 1024)
        b_str(&body, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                     "xxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    b_str(&body, "\"}");
    post(&k->req, "/v1/map", "application/json", body.p, body.len);
    k = add_kind("body_2MB_chunked", 5, 413);
    b_str(&k->req, "POST /v1/map HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < body.len; off += 65536) {
        size_t n = body.len - off < 65536 ? body.len - off : 65536;
        b_fmt(&k->req, "%zx\r\n", n);
        b_put(&k->req, body.p + off, n);
        b_str(&k->req, "\r\n");
    }
    b_str(&k->req, "0\r\n\r\n");
    /* says 10 GB (413 by Content-Length, answered once the body is in): sends 100 bytes and resets */
    k = add_kind("content_length_10GB_reset", 10, EXPECT_NONE);
    b_str(&k->req, "POST /v1/map HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                   "10000000000\r\n\r\n");
    k->abort_after = (long)k->req.len + 100;
    for (int i = 0; i < 200; i++) b_str(&k->req, "[");

    /* HTTP-level errors */
    k = add_kind("wrong_content_type", 40, 415);
    post(&k->req, "/v1/map", "text/plain", MAP_EXACT, sizeof MAP_EXACT - 1);
    k = add_kind("missing_content_type", 20, 415);
    post(&k->req, "/v1/map", NULL, MAP_EXACT, sizeof MAP_EXACT - 1);
    k = add_kind("json_lookalike_type", 20, 415);
    post(&k->req, "/v1/map", "application/jsonp", MAP_EXACT, sizeof MAP_EXACT - 1);
    k = add_kind("missing_content_length", 40, 411);
    b_str(&k->req,
          "POST /v1/map HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n");
    k = add_kind("bad_method", 20, 405);
    b_str(&k->req, "DELETE /v1/map HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    k = add_kind("unknown_route", 20, 404);
    get(&k->req, "/v1/../../etc/passwd");
    k = add_kind("long_url", 10, EXPECT_4XX);
    body.len = 0;
    b_str(&body, "/v1/workloads/");
    for (int i = 0; i < 70000; i++) b_str(&body, "a");
    get(&k->req, body.p);
    k = add_kind("garbage_request_line", 20, EXPECT_4XX);
    b_put(&k->req, "\x16\x03\x01\x02\x00 GARBAGE\r\n\r\n", 16); /* a TLS hello's first bytes */
    k = add_kind("huge_header", 10, EXPECT_4XX);
    b_str(&k->req, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Big: ");
    for (int i = 0; i < 100000; i++) b_str(&k->req, "a");
    b_str(&k->req, "\r\n\r\n");
    k = add_kind("bad_chunk_size", 10, EXPECT_4XX);
    b_str(&k->req, "POST /v1/map HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\n\r\nzzzz\r\n{}\r\n0\r\n\r\n");

    /* slow clients: the valid exact map, 7 bytes every 40 ms (about 2 s per request) */
    k = add_kind("slow_client_valid", 4, 200);
    k->valid = VALID_EXACT;
    post_json(&k->req, "/v1/map", MAP_EXACT);
    k->pace_bytes = 7;
    k->pace_ms = 40;
    k = add_kind("slow_headers_then_reset", 4, EXPECT_NONE);
    get(&k->req, "/healthz");
    k->pace_bytes = 1;
    k->pace_ms = 50;
    k->abort_after = 20;

    /* abrupt disconnects */
    k = add_kind("reset_mid_headers", 30, EXPECT_NONE);
    post_json(&k->req, "/v1/map", MAP_EXACT);
    k->abort_after = 30;
    k = add_kind("reset_mid_body", 30, EXPECT_NONE);
    post_json(&k->req, "/v1/map", MAP_EXACT);
    k->abort_after = (long)k->req.len - 20;
    k = add_kind("reset_while_waiting", 20, EXPECT_NONE); /* a queued or running job whose client left */
    post_json(&k->req, "/v1/map", MAP_SLOW);
    k->abort_on_sent = 1;
    k = add_kind("reset_while_decoding", 20, EXPECT_NONE);
    post_json(&k->req, "/v1/map", MAP_TRANSFORMER);
    k->abort_on_sent = 1;

    /* only with --only: fills the queue (200 or 503 + Retry-After, never a hang) */
    k = add_kind("queue_flood", 0, EXPECT_200_OR_503);
    post_json(&k->req, "/v1/map", MAP_SLOW);
    free(body.p);
}

static kind *find_kind(const char *name) {
    for (int i = 0; i < n_kinds; i++)
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    return NULL;
}

/* ---- answers ------------------------------------------------------------------------------------ */

/* The body without its "timings" member (the only part of a map answer that changes run to run). */
static void normalise(const char *body, size_t len, buf *out) {
    out->len = 0;
    const char *t = memmem(body, len, ",\"timings\":{", 12);
    if (!t) {
        b_put(out, body, len);
        return;
    }
    const char *p = t + 12;
    int depth = 1;
    while (p < body + len && depth > 0) {
        if (*p == '{')
            depth++;
        else if (*p == '}')
            depth--;
        p++;
    }
    b_put(out, body, (size_t)(t - body));
    b_put(out, p, (size_t)(body + len - p));
}

/* ---- connections -------------------------------------------------------------------------------- */

enum { C_FREE = 0, C_CONNECTING, C_SENDING, C_RECEIVING };

typedef struct {
    int state;
    int fd;
    kind *k;
    size_t off;       /* bytes of k->req sent */
    double next_send; /* paced clients */
    double deadline;
    buf in;
    int held; /* hold mode: partial request sent, waiting */
} conn;

static struct sockaddr_in target;
static double timeout_ms = 15000;
static long n_hangs, n_unexpected;
static int quiet;

static void note_bad(kind *k, const char *fmt, ...) {
    k->bad++;
    n_unexpected++;
    if (k->first_bad[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->first_bad, sizeof k->first_bad, fmt, ap);
    va_end(ap);
}

static int open_conn(conn *c, kind *k) {
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->k = k;
    c->deadline = now_ms() + timeout_ms + (k->pace_bytes ? (double)k->req.len / k->pace_bytes * k->pace_ms : 0);
    int rc = connect(c->fd, (struct sockaddr *)&target, sizeof target);
    if (rc != 0 && errno != EINPROGRESS) {
        close(c->fd);
        return -1;
    }
    c->state = C_CONNECTING;
    k->sent++;
    return 0;
}

/* Closes with RST (SO_LINGER 0) when reset is set. */
static void close_conn(conn *c, int reset) {
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    free(c->in.p);
    memset(c, 0, sizeof *c);
    c->state = C_FREE;
}

/* Parses the answer in c->in: 1 complete (status, body), 0 need more. */
static int parse_answer(const buf *in, int *status, const char **body, size_t *blen, int eof, char *hdrs_out,
                        size_t hn) {
    if (in->len < 12) return 0;
    const char *end = memmem(in->p, in->len, "\r\n\r\n", 4);
    if (!end) return 0;
    if (strncmp(in->p, "HTTP/1.", 7) != 0) return -1;
    *status = atoi(in->p + 9);
    size_t hlen = (size_t)(end - in->p) + 4;
    if (hdrs_out) {
        size_t n = hlen < hn ? hlen : hn - 1;
        memcpy(hdrs_out, in->p, n);
        hdrs_out[n] = '\0';
    }
    long cl = -1;
    for (const char *p = in->p; p < end; p++) {
        if ((p == in->p || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0) cl = strtol(p + 15, NULL, 10);
    }
    *body = in->p + hlen;
    *blen = in->len - hlen;
    if (cl >= 0) return *blen >= (size_t)cl ? (*blen = (size_t)cl, 1) : 0;
    return eof;
}

static long n_valid, n_valid_bad, n_503;

static void finish(conn *c, int eof) {
    kind *k = c->k;
    int status = 0;
    const char *body = NULL;
    size_t blen = 0;
    char hdrs[2048];
    int rc = parse_answer(&c->in, &status, &body, &blen, eof, hdrs, sizeof hdrs);
    if (k->valid) n_valid++;
    if (rc != 1) {
        note_bad(k, "no complete HTTP answer (%zu bytes received%s)", c->in.len, eof ? ", connection closed" : "");
        if (k->valid) n_valid_bad++;
        return;
    }
    int good;
    if (status == 503) n_503++;
    if (k->expect == EXPECT_4XX)
        good = status >= 400 && status < 500;
    else if (k->expect == EXPECT_200_OR_503) {
        good = status == 200 || (status == 503 && strcasestr(hdrs, "\r\nRetry-After: ") != NULL);
    } else
        good = status == k->expect;
    if (!good) {
        note_bad(k, "status %d, body %.120s", status, body);
        if (k->valid) n_valid_bad++;
        return;
    }
    if (k->valid == VALID_EXACT && k->ref.p) {
        buf norm = {0};
        normalise(body, blen, &norm);
        if (norm.len != k->ref.len || memcmp(norm.p, k->ref.p, norm.len) != 0) {
            note_bad(k, "answer differs from the reference: %.120s", norm.p);
            n_valid_bad++;
            free(norm.p);
            return;
        }
        free(norm.p);
    } else if (k->valid == VALID_FEASIBLE && !memmem(body, blen, "\"feasible\":true", 15)) {
        note_bad(k, "not feasible: %.120s", body);
        n_valid_bad++;
        return;
    }
    k->ok++;
}

/* One I/O step on c for the poll events ev; returns 1 when the connection is finished and freed. */
static int step(conn *c, short ev, double t) {
    kind *k = c->k;
    if (c->state == C_CONNECTING) {
        if (!(ev & (POLLOUT | POLLERR | POLLHUP))) return 0;
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            note_bad(k, "connect: %s", strerror(err));
            close_conn(c, 0);
            return 1;
        }
        c->state = C_SENDING;
        c->next_send = t;
    }
    if (c->state == C_SENDING && (ev & POLLOUT || c->off == 0) && t >= c->next_send) {
        size_t want = k->req.len - c->off;
        if (k->pace_bytes && want > (size_t)k->pace_bytes) want = (size_t)k->pace_bytes;
        if (k->abort_after >= 0 && c->off + want > (size_t)k->abort_after) want = (size_t)k->abort_after - c->off;
        if (c->held && c->off + want > (size_t)c->held) want = (size_t)c->held - c->off;
        ssize_t n = want ? send(c->fd, k->req.p + c->off, want, MSG_NOSIGNAL) : 0;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            /* the server closed while we were still sending: it may have answered already (e.g. 413) */
            c->state = C_RECEIVING;
        } else if (n > 0) {
            c->off += (size_t)n;
            if (k->pace_bytes) c->next_send = t + k->pace_ms;
        }
        if (k->abort_after >= 0 && c->off >= (size_t)k->abort_after) {
            k->ok++; /* disconnected on purpose: nothing to expect */
            close_conn(c, 1);
            return 1;
        }
        if (c->held && c->off >= (size_t)c->held) return 0; /* hold mode: wait with a partial request */
        if (c->off == k->req.len) {
            if (k->abort_on_sent) {
                k->ok++;
                close_conn(c, 1);
                return 1;
            }
            c->state = C_RECEIVING;
        }
    }
    if ((c->state == C_RECEIVING || c->state == C_SENDING) && (ev & (POLLIN | POLLHUP | POLLERR))) {
        char tmp[65536];
        for (;;) {
            ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
            if (n > 0) {
                b_put(&c->in, tmp, (size_t)n);
                int st;
                const char *b;
                size_t bl;
                if (parse_answer(&c->in, &st, &b, &bl, 0, NULL, 0) == 1) {
                    finish(c, 0);
                    close_conn(c, 0);
                    return 1;
                }
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                if (k->expect == EXPECT_NONE)
                    k->ok++;
                else
                    finish(c, 1);
                close_conn(c, 0);
                return 1;
            }
            break;
        }
    }
    if (t > c->deadline && !c->held) {
        if (k->expect == EXPECT_NONE)
            k->ok++;
        else {
            n_hangs++;
            note_bad(k, "no answer within %.0f s (%zu of %zu bytes sent, %zu received)",
                     (c->deadline - t + timeout_ms) / 1e3, c->off, k->req.len, c->in.len);
        }
        close_conn(c, 1);
        return 1;
    }
    return 0;
}

static short want_events(const conn *c, double t) {
    if (c->state == C_CONNECTING) return POLLOUT;
    if (c->state == C_SENDING) {
        if (c->held && c->off >= (size_t)c->held) return POLLIN;
        return (short)((t >= c->next_send ? POLLOUT : 0) | POLLIN);
    }
    return POLLIN;
}

/* ---- the storm ---------------------------------------------------------------------------------- */

static int pid_to_watch;
static long rss_peak;

static void sample_rss(double t) {
    static double last;
    if (!pid_to_watch || t - last < 100) return;
    last = t;
    long v = read_rss_kib(pid_to_watch);
    if (v > rss_peak) rss_peak = v;
}

/* Runs `total` requests chosen by pick() over at most `conc` connections (slow kinds at most
 * max_slow at once), for at most `seconds`. */
static kind *only;
static long valid_every = 20;

static kind *pick(long i) {
    if (only) return only;
    static int valid_idx[8], n_valid_kinds = -1, weight_sum;
    if (n_valid_kinds < 0) {
        n_valid_kinds = 0;
        for (int j = 0; j < n_kinds; j++) {
            if (kinds[j].valid && kinds[j].weight == 0) valid_idx[n_valid_kinds++] = j;
            weight_sum += kinds[j].weight;
        }
    }
    if (valid_every > 0 && i % valid_every == 0) return &kinds[valid_idx[(i / valid_every) % n_valid_kinds]];
    long r = (long)(rnd() % (uint64_t)weight_sum);
    for (int j = 0; j < n_kinds; j++) {
        if (r < kinds[j].weight) return &kinds[j];
        r -= kinds[j].weight;
    }
    return &kinds[0];
}

static void run(long total, int conc, int max_slow, double seconds) {
    conn *cs = calloc((size_t)conc, sizeof *cs);
    struct pollfd *pf = calloc((size_t)conc, sizeof *pf);
    if (!cs || !pf) die("out of memory");
    double t0 = now_ms(), stop_at = t0 + seconds * 1e3;
    long issued = 0;
    int active = 0, slow = 0;
    kind *pending = NULL;
    while (issued < total || active > 0) {
        double t = now_ms();
        for (int i = 0; i < conc && issued < total && t < stop_at; i++) {
            if (cs[i].state != C_FREE) continue;
            kind *k = pending ? pending : pick(issued);
            if (k->pace_bytes && slow >= max_slow) {
                pending = k; /* wait for a slow slot; other kinds wait too (keeps the mix) */
                break;
            }
            pending = NULL;
            if (open_conn(&cs[i], k)) {
                note_bad(k, "socket/connect failed: %s", strerror(errno));
                issued++;
                continue;
            }
            issued++;
            active++;
            if (k->pace_bytes) slow++;
        }
        if (t >= stop_at && issued < total) total = issued; /* out of time: no new requests */
        int n = 0;
        double next = t + 100;
        for (int i = 0; i < conc; i++) {
            pf[i].fd = cs[i].state == C_FREE ? -1 : cs[i].fd;
            pf[i].events = cs[i].state == C_FREE ? 0 : want_events(&cs[i], t);
            pf[i].revents = 0;
            if (cs[i].state != C_FREE) {
                n++;
                if (cs[i].state == C_SENDING && cs[i].next_send > t && cs[i].next_send < next) next = cs[i].next_send;
            }
        }
        int wait = (int)(next - t);
        if (wait < 0) wait = 0;
        if (n) poll(pf, (nfds_t)conc, wait);
        t = now_ms();
        sample_rss(t);
        for (int i = 0; i < conc; i++) {
            if (cs[i].state == C_FREE) continue;
            int paced = cs[i].k->pace_bytes != 0;
            if (step(&cs[i], pf[i].revents, t)) {
                active--;
                if (paced) slow--;
            }
        }
    }
    free(cs);
    free(pf);
}

/* Fetches the reference answer of every valid kind, one at a time, before the storm. */
static void fetch_references(void) {
    for (int i = 0; i < n_kinds; i++) {
        kind *k = &kinds[i];
        if (!k->valid || k->pace_bytes || strcmp(k->name, "held_connection") == 0) continue;
        conn c; /* one request at a time, its body kept */
        if (open_conn(&c, k)) die("cannot connect to 127.0.0.1:%d", ntohs(target.sin_port));
        k->sent--;
        double t0 = now_ms();
        for (;;) {
            struct pollfd p = {c.fd, want_events(&c, now_ms()), 0};
            poll(&p, 1, 100);
            int st;
            const char *b;
            size_t bl;
            if (c.state == C_CONNECTING && (p.revents & POLLOUT)) c.state = C_SENDING;
            if (c.state == C_SENDING && (p.revents & POLLOUT)) {
                ssize_t n = send(c.fd, k->req.p + c.off, k->req.len - c.off, MSG_NOSIGNAL);
                if (n > 0) c.off += (size_t)n;
                if (c.off == k->req.len) c.state = C_RECEIVING;
            }
            if (p.revents & (POLLIN | POLLHUP)) {
                char tmp2[65536];
                ssize_t n = recv(c.fd, tmp2, sizeof tmp2, 0);
                if (n > 0) b_put(&c.in, tmp2, (size_t)n);
                int done = parse_answer(&c.in, &st, &b, &bl, n == 0, NULL, 0);
                if (done == 1) {
                    if (st != 200) die("reference %s: status %d: %.200s", k->name, st, b);
                    normalise(b, bl, &k->ref);
                    break;
                }
                if (n == 0 || done < 0) die("reference %s: connection closed without an answer", k->name);
            }
            if (now_ms() - t0 > timeout_ms) die("reference %s: no answer within %.0f s", k->name, timeout_ms / 1e3);
        }
        close_conn(&c, 0);
        if (!quiet) printf("reference %-22s %zu bytes\n", k->name, k->ref.len);
    }
    kind *slow = find_kind("slow_client_valid"), *fast = find_kind("valid_map_exact");
    if (slow && fast) b_put(&slow->ref, fast->ref.p, fast->ref.len);
    kind *held = find_kind("held_connection"), *ev = find_kind("valid_evaluate");
    if (held && ev) b_put(&held->ref, ev->ref.p, ev->ref.len);
}

static void report(double secs) {
    long sent = 0;
    printf("%-28s %8s %8s %8s  %s\n", "kind", "sent", "ok", "bad", "first unexpected");
    for (int i = 0; i < n_kinds; i++) {
        kind *k = &kinds[i];
        if (!k->sent) continue;
        sent += k->sent;
        printf("%-28s %8ld %8ld %8ld  %s\n", k->name, k->sent, k->ok, k->bad, k->first_bad);
    }
    printf("storm-summary requests=%ld seconds=%.1f req_per_s=%.0f unexpected=%ld hangs=%ld valid=%ld valid_bad=%ld "
           "status503=%ld peak_rss_kib=%ld\n",
           sent, secs, secs > 0 ? sent / secs : 0.0, n_unexpected, n_hangs, n_valid, n_valid_bad, n_503, rss_peak);
}

/* ---- hold mode ---------------------------------------------------------------------------------- */

/* Opens n connections, each sending all but the last 10 bytes of a valid evaluate request (answered
 * inline, so completing 1,000 at once does not meet the queue bound), holds them for hold_s seconds
 * while sampling RSS and sending valid_n valid requests, then completes them all and checks every
 * answer against the reference. */
static int hold(long n, double hold_s, long valid_n) {
    kind *k = add_kind("held_connection", 0, 200);
    k->valid = VALID_EXACT;
    post_json(&k->req, "/v1/evaluate", EVALUATE);
    conn *cs = calloc((size_t)n, sizeof *cs);
    struct pollfd *pf = calloc((size_t)n, sizeof *pf);
    if (!cs || !pf) die("out of memory");
    fetch_references();
    long rest = read_rss_kib(pid_to_watch);
    double t0 = now_ms();
    for (long i = 0; i < n; i++) {
        if (open_conn(&cs[i], k)) die("connection %ld: %s", i, strerror(errno));
        cs[i].held = (int)k->req.len - 10;
        cs[i].deadline = t0 + hold_s * 1e3 + timeout_ms * 2;
    }
    /* send the partial requests */
    double until = t0 + hold_s * 1e3;
    while (now_ms() < until) {
        double t = now_ms();
        for (long i = 0; i < n; i++) {
            pf[i].fd = cs[i].state == C_FREE ? -1 : cs[i].fd;
            pf[i].events = cs[i].state == C_FREE ? 0 : want_events(&cs[i], t);
            pf[i].revents = 0;
        }
        poll(pf, (nfds_t)n, 50);
        t = now_ms();
        sample_rss(t);
        for (long i = 0; i < n; i++)
            if (cs[i].state != C_FREE) step(&cs[i], pf[i].revents, t);
    }
    long open = 0, partial = 0;
    for (long i = 0; i < n; i++) {
        if (cs[i].state != C_FREE) open++;
        if (cs[i].state != C_FREE && cs[i].off == (size_t)cs[i].held) partial++;
    }
    long held_rss = read_rss_kib(pid_to_watch);
    printf("hold: %ld connections open, %ld with a partial request in, after %.1f s; daemon VmRSS %ld KiB (before %ld "
           "KiB, "
           "+%.1f KiB per connection)\n",
           open, partial, hold_s, held_rss, rest, open ? (double)(held_rss - rest) / (double)open : 0.0);
    /* valid requests while they are held */
    only = find_kind("valid_map_exact");
    valid_every = 0;
    run(valid_n, 8, 0, 60);
    /* complete every held request */
    for (long i = 0; i < n; i++) cs[i].held = 0;
    double t1 = now_ms();
    long left = n;
    while (left > 0 && now_ms() - t1 < timeout_ms * 2) {
        double t = now_ms();
        left = 0;
        for (long i = 0; i < n; i++) {
            pf[i].fd = cs[i].state == C_FREE ? -1 : cs[i].fd;
            pf[i].events = cs[i].state == C_FREE ? 0 : want_events(&cs[i], t);
            pf[i].revents = 0;
            if (cs[i].state != C_FREE) left++;
        }
        if (!left) break;
        poll(pf, (nfds_t)n, 50);
        t = now_ms();
        sample_rss(t);
        for (long i = 0; i < n; i++)
            if (cs[i].state != C_FREE) step(&cs[i], pf[i].revents, t);
    }
    for (long i = 0; i < n; i++)
        if (cs[i].state != C_FREE) {
            note_bad(k, "held request never answered");
            n_hangs++;
            close_conn(&cs[i], 1);
        }
    printf("hold: completed the %ld held requests in %.1f s: %ld answered 200, %ld unexpected\n", n,
           (now_ms() - t1) / 1e3, k->ok, k->bad);
    free(cs);
    free(pf);
    return 0;
}

/* ---- slowloris mode ----------------------------------------------------------------------------- */

static const char *probe_from = "127.0.0.2";

/* GET /healthz on a fresh connection; 0 when answered 200 within timeout ms. *ms: the time taken. */
static int probe_healthz(double timeout, double *ms) {
    double t0 = now_ms();
    *ms = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {(time_t)(timeout / 1e3), (suseconds_t)((long)timeout % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int ok = -1;
    /* from another loopback address than the attackers' (127.0.0.1), as an honest client elsewhere */
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, probe_from, &src.sin_addr);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) == 0 &&
        connect(fd, (struct sockaddr *)&target, sizeof target) == 0) {
        const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
            char b[512];
            ssize_t n = read(fd, b, sizeof b - 1);
            if (n > 12) {
                b[n] = '\0';
                if (!strncmp(b, "HTTP/1.1 200", 12)) ok = 0;
            }
        }
    }
    close(fd);
    *ms = now_ms() - t0;
    return ok;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Opens n connections that trickle a request at rate bytes per second each for secs seconds: the
 * headers of a request that never ends (phase "headers"), or the body of a POST whose headers were
 * sent at once (phase "body"). Meanwhile a fresh connection asks GET /healthz every 250 ms (5 s
 * timeout each). Reports how many of the n the daemon cut (closed or answered) and when, and the
 * /healthz answer times. Exit status 0 when every probe was answered. */
static int slowloris(long n, double secs, double rate, const char *phase) {
    int body = !strcmp(phase, "body");
    char head[512];
    int hl = body ? snprintf(head, sizeof head,
                             "POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             "Content-Length: 100000\r\n\r\n")
                  : snprintf(head, sizeof head, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    int *fd = malloc((size_t)n * sizeof *fd);
    double *cut_at = calloc((size_t)n, sizeof *cut_at);
    long *sent = calloc((size_t)n, sizeof *sent);
    struct pollfd *pf = calloc((size_t)n, sizeof *pf);
    double *probe = calloc(4096, sizeof *probe);
    if (!fd || !cut_at || !sent || !pf || !probe) die("out of memory");
    double t0 = now_ms();
    long opened = 0;
    for (long i = 0; i < n; i++) {
        fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fd[i] < 0) die("socket: %s", strerror(errno));
        /* a blocking connect: the kernel completes it from the backlog even when the daemon does not
         * accept; whether the daemon keeps it shows below */
        if (connect(fd[i], (struct sockaddr *)&target, sizeof target) != 0) {
            close(fd[i]);
            fd[i] = -1;
            continue;
        }
        fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
        if (body) { /* the whole header at once, then the body trickles */
            ssize_t w = write(fd[i], head, (size_t)hl);
            sent[i] = w > 0 ? w : 0;
        }
        opened++;
    }
    printf("slowloris: %ld of %ld connections opened in %.1f s (phase %s, %.1f bytes/s each)\n", opened, n,
           (now_ms() - t0) / 1e3, phase, rate);
    fflush(stdout);
    double start = now_ms(), until = start + secs * 1e3, next_probe = start + 500, next_tick = start;
    long n_probe = 0, probe_fail = 0;
    while (now_ms() < until) {
        double t = now_ms();
        if (t >= next_tick) { /* one byte per connection every 1/rate s */
            next_tick += 1e3 / rate;
            for (long i = 0; i < n; i++) {
                if (fd[i] < 0 || cut_at[i] > 0) continue;
                char c = body ? ' ' : sent[i] < hl ? head[sent[i]] : 'a';
                ssize_t w = send(fd[i], &c, 1, MSG_NOSIGNAL);
                if (w == 1)
                    sent[i]++;
                else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                    cut_at[i] = now_ms();
            }
        }
        /* EOF, an answer (408, 431, ...) or a reset: the daemon is done with the connection */
        for (long i = 0; i < n; i++) {
            pf[i].fd = fd[i] >= 0 && cut_at[i] == 0 ? fd[i] : -1;
            pf[i].events = POLLIN;
            pf[i].revents = 0;
        }
        poll(pf, (nfds_t)n, 20);
        for (long i = 0; i < n; i++)
            if (pf[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR))) cut_at[i] = now_ms();
        if (now_ms() >= next_probe && n_probe < 4096) {
            double ms;
            if (probe_healthz(5000, &ms)) probe_fail++;
            probe[n_probe++] = ms;
            next_probe = now_ms() + 250;
        }
    }
    long cut = 0;
    double first = 0, last = 0;
    for (long i = 0; i < n; i++)
        if (cut_at[i] > 0) {
            if (!cut || cut_at[i] < first) first = cut_at[i];
            if (cut_at[i] > last) last = cut_at[i];
            cut++;
        }
    qsort(probe, (size_t)n_probe, sizeof *probe, cmp_double);
    double med = n_probe ? probe[n_probe / 2] : 0, max = n_probe ? probe[n_probe - 1] : 0;
    printf("slowloris: %ld connections cut by the daemon (first after %.1f s, last after %.1f s), %ld still open after "
           "%.0f s\n",
           cut, cut ? (first - start) / 1e3 : 0.0, cut ? (last - start) / 1e3 : 0.0, opened - cut, secs);
    printf(
        "slowloris-summary opened=%ld cut=%ld probes=%ld probe_failed=%ld healthz_median_ms=%.1f healthz_max_ms=%.1f\n",
        opened, cut, n_probe, probe_fail, med, max);
    for (long i = 0; i < n; i++)
        if (fd[i] >= 0) close(fd[i]);
    free(fd);
    free(cut_at);
    free(sent);
    free(pf);
    free(probe);
    return probe_fail ? 1 : 0;
}

/* ---- main --------------------------------------------------------------------------------------- */

static void usage(void) {
    fprintf(
        stderr,
        "usage: storm --port N [--requests N] [--concurrency C] [--max-slow S] [--seconds S] [--timeout S]\n"
        "             [--pid PID] [--seed N] [--only KIND] [--valid-every N] [--list] [--quiet]\n"
        "       storm --port N --hold N [--hold-seconds S] [--requests N] [--pid PID]\n"
        "       storm --port N --slowloris N [--slow-seconds S] [--slow-rate BYTES_PER_S] [--slow-phase headers|body]\n"
        "             [--probe-from ADDR (default 127.0.0.2)]\n");
    exit(2);
}

int main(int argc, char **argv) {
    long requests = 10000, hold_n = 0, slow_n = 0;
    double slow_s = 20, slow_rate = 1;
    const char *slow_phase = "headers";
    int conc = 48, max_slow = 8, port = 0, list = 0;
    double seconds = 60, hold_s = 5;
    const char *only_name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--list"))
            list = 1;
        else if (!strcmp(a, "--quiet"))
            quiet = 1;
        else if (!v)
            usage();
        else if (!strcmp(a, "--port"))
            port = atoi(v), i++;
        else if (!strcmp(a, "--requests"))
            requests = atol(v), i++;
        else if (!strcmp(a, "--concurrency"))
            conc = atoi(v), i++;
        else if (!strcmp(a, "--max-slow"))
            max_slow = atoi(v), i++;
        else if (!strcmp(a, "--seconds"))
            seconds = atof(v), i++;
        else if (!strcmp(a, "--timeout"))
            timeout_ms = atof(v) * 1e3, i++;
        else if (!strcmp(a, "--pid"))
            pid_to_watch = atoi(v), i++;
        else if (!strcmp(a, "--seed"))
            rng_state = strtoull(v, NULL, 10), i++;
        else if (!strcmp(a, "--only"))
            only_name = v, i++;
        else if (!strcmp(a, "--valid-every"))
            valid_every = atol(v), i++;
        else if (!strcmp(a, "--hold"))
            hold_n = atol(v), i++;
        else if (!strcmp(a, "--hold-seconds"))
            hold_s = atof(v), i++;
        else if (!strcmp(a, "--slowloris"))
            slow_n = atol(v), i++;
        else if (!strcmp(a, "--slow-seconds"))
            slow_s = atof(v), i++;
        else if (!strcmp(a, "--slow-rate"))
            slow_rate = atof(v), i++;
        else if (!strcmp(a, "--slow-phase"))
            slow_phase = v, i++;
        else if (!strcmp(a, "--probe-from"))
            probe_from = v, i++;
        else
            usage();
    }
    signal(SIGPIPE, SIG_IGN);
    build_kinds();
    if (list) {
        for (int i = 0; i < n_kinds; i++)
            printf("%-28s weight %3d expect %d bytes %zu\n", kinds[i].name, kinds[i].weight, kinds[i].expect,
                   kinds[i].req.len);
        return 0;
    }
    if (port <= 0 || port > 65535 || conc < 1 || requests < 0) usage();
    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)port);
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (only_name && !(only = find_kind(only_name))) die("unknown kind %s (see --list)", only_name);
    if (slow_n > 0) {
        if (slow_rate <= 0 || slow_s <= 0 || slow_s > 600 ||
            (strcmp(slow_phase, "headers") && strcmp(slow_phase, "body")))
            usage();
        return slowloris(slow_n, slow_s, slow_rate, slow_phase);
    }
    double t0 = now_ms();
    if (hold_n > 0) {
        hold(hold_n, hold_s, requests ? requests : 20);
    } else {
        kind *o = only;
        only = NULL;
        fetch_references();
        only = o;
        run(requests, conc, max_slow, seconds);
    }
    report((now_ms() - t0) / 1e3);
    return n_unexpected ? 1 : 0;
}
