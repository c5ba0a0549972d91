/* fuzz_request.c - libFuzzer target for request bodies, as the daemon's HTTP thread gets them:
 * srv_parse_body, then each of the three request parsers (/v1/map, /v1/evaluate, /v1/map/batch,
 * src/server/request.c). A valid evaluate request is scored and its reply built (that runs inline on
 * the HTTP thread in the daemon); a valid map request is solved layer-by-layer (cheap, and it takes
 * the same check-before-reply and reply code as every solver) and its reply built; every problem is
 * rendered as its RFC 9457 body. Invariants: a failure always names a 4xx/5xx problem, replies
 * serialise, nothing leaks (LSan). Build: make fuzz-build; run: make fuzz. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "fuzz_util.h"
#include "request.h"

/* the daemon's defaults, with fewer batch items so one input stays fast */
static const srv_req_limits lim = {.max_layers = 4096, .max_batch = 4096, .max_batch_items = 16};

static void render_fail(const srv_fail *f) {
    FUZZ_CHECK(f->kind != SRV_PROB_NONE);
    int st = srv_problem_status(f->kind);
    FUZZ_CHECK(st >= 400 && st <= 599);
    size_t len = 0;
    char *b = srv_problem_body(f, "1", &len);
    FUZZ_CHECK(b != NULL && len == strlen(b));
    free(b);
}

static void dump(json_t *j) {
    FUZZ_CHECK(j != NULL);
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
    FUZZ_CHECK(s != NULL);
    free(s);
    json_decref(j);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    json_object_seed(1); /* reproducible object order */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *root = NULL;
    srv_fail f;
    srv_fail_clear(&f);
    if (srv_parse_body((const char *)data, size, &root, &f)) {
        FUZZ_CHECK(root == NULL);
        render_fail(&f);
        return 0;
    }

    srv_map_req m;
    if (srv_parse_map(root, NULL, &lim, &m, &f) == 0) {
        FUZZ_CHECK(m.net != NULL && m.have_w && m.batch >= 1);
        srv_map_req r = m; /* shallow: m keeps ownership */
        r.solver = DF_SOLVER_LBL;
        srv_map_result res;
        srv_fail f2;
        srv_fail_clear(&f2);
        if (srv_run_map(&r, NULL, &res, &f2) == 0) {
            FUZZ_CHECK(res.met.feasible);
            dump(srv_map_reply(&r, &res, 0.0, 0.0));
            srv_map_result_free(&res);
        } else {
            render_fail(&f2);
        }
        srv_map_req_free(&m);
    } else {
        render_fail(&f);
    }

    srv_eval_req ev;
    srv_fail_clear(&f);
    if (srv_parse_evaluate(root, &lim, &ev, &f) == 0) {
        FUZZ_CHECK(ev.have_map && ev.base.net != NULL);
        srv_fail f2;
        srv_fail_clear(&f2);
        json_t *j = srv_eval_reply(&ev, &f2);
        if (j)
            dump(j);
        else
            render_fail(&f2);
        srv_eval_req_free(&ev);
    } else {
        render_fail(&f);
    }

    srv_batch_req b;
    srv_fail_clear(&f);
    if (srv_parse_batch(root, &lim, &b, &f) == 0) {
        FUZZ_CHECK(b.n >= 1 && b.n <= lim.max_batch_items);
        for (int32_t i = 0; i < b.n; i++) {
            if (b.fails[i].kind != SRV_PROB_NONE)
                render_fail(&b.fails[i]);
            else
                FUZZ_CHECK(b.items[i].net != NULL);
        }
        srv_batch_req_free(&b);
    } else {
        render_fail(&f);
    }
    json_decref(root);
    return 0;
}
