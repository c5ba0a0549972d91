/* answer.h - the answer of a map request, the same whichever door it came in (the CLI or the daemon).
 *
 *   request JSON (the API's shape) ──df_request_parse──> df_request (workload resolved, hardware +
 *   budget, net bound, budget checked) ──df_answer_solve──> df_answer (solved, checked before reply)
 *   ──df_answer_json──> the /v1/map reply object ──df_answer_dumps──> text (fixed precision)
 *
 * The check before reply (DESIGN.md §3): every answer, whatever the solver, is re-scored by the cost
 * model; infeasible or worse than layer-by-layer for the objective -> df_repair (path "repaired"),
 * still worse -> the exact solver (path "exact-fallback"). The daemon decodes transformer requests on
 * its batched loop and hands the decoded mapping to df_answer_check_decoded: same check, same JSON.
 *
 * Solver "auto" (the default in both doors): the exact solver when its predicted time is small (the
 * predictor in df_answer_auto_pick, fitted by tests/bench/bench_auto.c), the transformer plus the
 * check otherwise; the reply's "path" and "note" say which and why.
 *
 * Sweeps (df_batch_request from {"base", "grid"}): items of one hardware row are solved in budget
 * order and each one is offered the answer of the next smaller budget (df_answer_offer), so a larger
 * budget never answers worse than a smaller one of the same sweep (path "carried").
 *
 * "Did you mean" hints come from core (df_suggest, common.h), so every reader words them alike.
 * Failures are df_fail: a kind (the daemon maps it onto an HTTP problem, the CLI onto an exit code),
 * a one-line detail and the JSON pointer of the offending field. Nothing here knows HTTP or argv;
 * this layer calls core, solve and model only. */
#ifndef DNNFUSER_ANSWER_H
#define DNNFUSER_ANSWER_H

#include <jansson.h>
#include <stdatomic.h>

#include "dnnfuser/cost.h"
#include "dnnfuser/json.h" /* df_json_kind: the JSON type names of every message */
#include "dnnfuser/mapper.h"
#include "dnnfuser/solve.h"

/* ---- failures ---------------------------------------------------------------------------------- */

typedef enum {
    DF_FAIL_NONE = 0,
    DF_FAIL_REQUEST,   /* wrong JSON type, unknown or missing field (HTTP 400) */
    DF_FAIL_WORKLOAD,  /* the workload is unknown or invalid (422) */
    DF_FAIL_HARDWARE,  /* 422 */
    DF_FAIL_MAPPING,   /* evaluate: the groups do not form a mapping (422) */
    DF_FAIL_PARAMETER, /* a value of the right type out of range / an unknown name (422) */
    DF_FAIL_BUDGET,    /* the budget cannot hold some layer alone: layer, layer_name, need_bytes (422) */
    DF_FAIL_SOLVER,    /* the solver is not available here (422) */
    DF_FAIL_LIMIT,     /* max layers, batch, items (422) */
    DF_FAIL_DEADLINE,  /* the deadline passed while solving (504) */
    DF_FAIL_INTERNAL,  /* the library failed unexpectedly, out of memory (500) */
} df_fail_kind;

typedef struct {
    df_fail_kind kind; /* DF_FAIL_NONE = no failure */
    char detail[400];
    char pointer[128]; /* JSON pointer into the request ("" = none) */
    int32_t layer;     /* budget: the layer that does not fit alone (-1 = none) */
    char layer_name[64];
    int64_t need_bytes;
} df_fail;

void df_fail_clear(df_fail *f);
/* Sets kind, pointer (nullable) and a printf detail; returns -1 for `return df_fail_set(...)`. */
int df_fail_set(df_fail *f, df_fail_kind kind, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with a va_list (for a caller's own setter, the daemon's srv_fail_set). */
int df_fail_vset(df_fail *f, df_fail_kind kind, const char *pointer, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
/* A library df_err as a failure (einval_kind for DF_EINVAL / DF_ENOTFOUND; DF_ELIMIT -> LIMIT,
 * DF_ENOMEM -> INTERNAL, DF_EINFEASIBLE -> BUDGET). Returns -1. */
int df_fail_from_err(df_fail *f, df_fail_kind einval_kind, const df_err *e, const char *default_pointer);
/* The REST JSON pointer of a library error: its pointer when a schema reader set one, else its field
 * (df_field) named as the request spells it ("/budget", "/ga/population", "/groups/3"), else "".
 * Writes into buf and returns it. */
const char *df_err_pointer(const df_err *e, char *buf, size_t n);

/* ---- workload resolution ----------------------------------------------------------------------- */

/* A zoo network by name; prebuilt (default-option) copies in zoo[0..n_zoo) are used when seq_len is 0.
 * Unknown names: DF_ENOTFOUND with the known names and a "did you mean". */
int df_resolve_zoo(const char *name, int32_t seq_len, const df_workload *zoo, int32_t n_zoo, df_workload *out,
                   df_err *err);
/* An ONNX model's bytes (named `name` in replies). */
int df_resolve_onnx(const uint8_t *buf, size_t len, const char *name, int32_t max_layers, df_workload *out,
                    df_err *err);
/* What a person names on a command line: a zoo name, a workload JSON file ({"layers": ...}, or any
 * object with a "workload" object, e.g. a saved request), or an ONNX file (by suffix or content).
 * *zoo (nullable) is 1 for a zoo network. A file that is neither says so ("not JSON, not ONNX"). */
int df_resolve_workload_spec(const char *spec, int32_t seq_len, int32_t max_layers, df_workload *out, int *zoo,
                             df_err *err);

/* ---- requests ---------------------------------------------------------------------------------- */

#define DF_SOLVER_AUTO ((int)DF_SOLVER_COUNT) /* a request's solver: a df_solver or auto */
#define DF_MAX_CANDIDATES 16

/* "exact", "ga", "lbl", "transformer", "auto" */
const char *df_request_solver_name(int solver);
int df_request_solver_parse(const char *s, int *out);

typedef struct {
    int32_t max_layers;      /* layers per workload */
    int32_t max_batch;       /* samples per request */
    int32_t max_batch_items; /* requests per batch / sweep */
    const df_workload *zoo;  /* prebuilt zoo networks (default options, df_zoo_name order) or NULL */
    int32_t n_zoo;
    int64_t max_batch_layers; /* a batch's items x layers (the work its validation binds), 0 = no limit */
    const atomic_int *cancel; /* nullable: raised (deadline), a batch's validation stops at its next item */
} df_request_limits;

/* CLI-sized limits: DF_DEFAULT_MAX_LAYERS, DF_MAX_BATCH, 100000 items, no prebuilt zoo. */
void df_request_limits_default(df_request_limits *l);

typedef struct {
    df_workload w; /* owned (have_w) */
    int have_w;
    int from_zoo; /* the workload was a zoo name */
    df_hw hw;     /* with the budget applied */
    int budget_given;
    df_net *net; /* owned; bound to w, hw, batch; budget checked (map requests) */
    int32_t batch;
    df_objective obj;
    int solver;         /* df_solver or DF_SOLVER_AUTO (the default) */
    int32_t candidates; /* transformer: sequences decoded, best kept (1..DF_MAX_CANDIDATES, default 1) */
    int candidates_given;
    df_ga_params ga;
    int ga_given;
    int32_t seq_len;    /* 0 = zoo default */
    double deadline_ms; /* 0 = not given */
    uint64_t seed;      /* transformer sampling seed (candidates > 1): given, or derived from the request */
    int seed_given;
    df_space space; /* "space": batch (the default) or depth_first (exact, ga, auto -> exact) */
} df_request;

/* Where a map request comes from: the JSON object (root, with prefix the pointer of the object in
 * its body), plus optionally an ONNX model's bytes (an application/onnx body) or a workload already
 * resolved by the caller (the CLI's -w); with either, root must not name "workload" or "onnx". */
typedef struct {
    const json_t *root;
    const char *prefix;
    const uint8_t *onnx; /* nullable */
    size_t onnx_len;
    const char *onnx_name;       /* name of the ONNX workload ["onnx"] */
    const df_workload *workload; /* nullable: copied */
    int workload_zoo;            /* the given workload is a zoo network (for the reply) */
} df_request_src;

/* Reads and validates a map request: types first (REQUEST), then the library's domain checks, then
 * the net is bound and its budget checked (BUDGET names the layer). out is freed on failure (on a
 * BUDGET failure out->hw still holds the hardware that was too small). */
int df_request_parse(const df_request_src *src, const df_request_limits *lim, df_request *out, df_fail *f);
/* The query parameters of an application/onnx request (strings) as a request object: numbers for
 * batch, candidates, seq_len, seed, deadline_ms; "workload", "onnx" and "ga" refused. *out new ref. */
int df_request_query_object(const json_t *query, json_t **out, df_fail *f);
void df_request_free(df_request *r);

/* POST /v1/evaluate: workload, hardware, budget, batch, objective and the groups to score. */
typedef struct {
    df_request base; /* net NOT budget-checked */
    df_mapping map;  /* structurally valid for the net */
    int have_map;
} df_eval_request;
int df_eval_request_parse(const json_t *root, const df_request_limits *lim, df_eval_request *out, df_fail *f);
void df_eval_request_free(df_eval_request *r);

/* A batch: {"requests": [...]} or a sweep {"base": {...}, "grid": {"budgets": [...], "hardware": [...]}}
 * (the cross product, hardware-major). Item i is valid when fails[i].kind == DF_FAIL_NONE. An invalid
 * base fails the whole call (the failure of its first grid point, pointing into /base); a failing grid
 * point fails only its item (pointer into the grid). */
typedef struct {
    int32_t n;
    df_request *items;
    df_fail *fails;
    int32_t *order;     /* [n] the solve order: by hardware row, then budget ascending */
    int32_t *carry;     /* [n] the item whose answer item i is offered (the next smaller budget of
                             * its row, solved before it), -1 = none */
    double deadline_ms; /* smallest deadline_ms given anywhere, 0 = none */
    int grid;           /* made from base + grid */
} df_batch_request;
/* bs (nullable): a workload resolved by the caller for every item (bs->workload; root and prefix unused). */
int df_batch_request_parse(const json_t *root, const df_request_limits *lim, const df_request_src *bs,
                           df_batch_request *out, df_fail *f);
void df_batch_request_free(df_batch_request *r);

/* Budgets written as a list: LO..HI (doubling, HI included), LO..HI:STEPS (log-spaced, both ends) or a
 * comma list of sizes (df_parse_size). *out is malloc'ed (free()); at most max points. */
int df_budgets_parse(const char *s, int32_t max, int64_t **out, int32_t *n, df_err *err);

/* ---- answers ----------------------------------------------------------------------------------- */

typedef struct {
    const char *solver; /* the solver that produced the first answer ("exact", "transformer", ...) */
    const char *path;   /* "exact", "ga", "lbl", "transformer", "repaired", "exact-fallback", "carried" */
    char note[320];     /* why the path is what it is ("" = nothing to say) */
    df_mapping map;
    df_metrics met;
    df_group_cost *gc; /* [map.n_groups] */
    df_mapping base;   /* layer-by-layer baseline */
    df_metrics base_met;
    int have_base; /* 0: some layer does not fit alone whole (depth-first space only); base empty */
    double solve_ms, check_ms;
    df_solve_stats stats; /* of the solver run (groups evaluated, optimal) */
} df_answer;

/* What auto picks for r (DF_SOLVER_EXACT or DF_SOLVER_TRANSFORMER); why (nullable) gets the reason
 * with the predicted exact time. have_transformer 0: always exact. */
df_solver df_answer_auto_pick(const df_request *r, int have_transformer, char *why, size_t n);
/* What the exact solver's time depends on (see answer.c): L layers, R the mean reach of a group from
 * its start at micro-batch 1 (probed at four starts), M the micro-batch candidates of the batch. */
typedef struct {
    double layers, reach, micro_batches;
} df_exact_features;
void df_answer_exact_features(const df_net *net, df_exact_features *x);
/* The predicted wall time of df_solve_exact in ms: exp(C0) x L^CL x R^CR x M^CM (x4 for edp, which
 * keeps Pareto fronts), the coefficients fitted by least squares on log t over the zoo x batch
 * (1..64) x budget (128 KiB..16 MiB) grid, 378 points: R^2 0.96, measured / predicted within
 * [0.57, 1.74] for 80% of them (all within [0.29, 3.13]). tests/bench/bench_auto.c (make bench) refits and prints them. */
double df_answer_exact_predict_ms(const df_net *net, df_objective obj);
#define DF_ANSWER_FIT_C0 (-10.659)
#define DF_ANSWER_FIT_CL 1.160
#define DF_ANSWER_FIT_CR 1.547
#define DF_ANSWER_FIT_CM 0.652
/* The solver r runs: its own, or auto's pick (why filled for auto, else ""). */
df_solver df_request_effective_solver(const df_request *r, int have_transformer, char *why, size_t n);
/* 1 when weights of action layout `layout` (df_action_layout, df_mapper_layout) decode in `space`:
 * the batch layout the batch space, the depth-first layout the depth-first space. A request whose
 * space the loaded weights do not cover is not decoded (a depth-first decode may tile, which the batch
 * space has not; a batch decode never tiles): both doors answer it exactly, path "exact-fallback",
 * and the note names the weights' space (decode_status DF_EUNSUPPORTED below). */
int df_answer_layout_covers(int layout, df_space space);

/* Solves r and checks the answer. mp (nullable) decodes transformer requests in this thread; without
 * it a transformer request fails with DF_FAIL_SOLVER; with weights that do not cover r's space
 * (df_answer_layout_covers) it is answered as df_answer_check_decoded with DF_EUNSUPPORTED. cancel
 * (nullable) is polled by the solvers. */
int df_answer_solve(const df_request *r, df_mapper *mp, const atomic_int *cancel, df_answer *a, df_fail *f);
/* The check before reply of a transformer answer decoded elsewhere: decode_status DF_OK with decoded
 * filled, or why it was not decoded (DF_EINVAL: longer than the model's context; DF_EIO: no weights;
 * DF_EUNSUPPORTED: the weights decode the other map-space) -> exact. auto_why (nullable): auto's reason, kept in the note. */
int df_answer_check_decoded(const df_request *r, const atomic_int *cancel, int decode_status, const df_mapping *decoded,
                            double decode_ms, const char *auto_why, df_answer *a, df_fail *f);
/* The layer-by-layer baseline the check compares with (df_solve_lbl, then scored): rc DF_OK with map
 * (caller-initialised, df_mapping_init) and met filled. A caller answering many identical problems
 * (the daemon) computes it once and hands it to df_answer_check_decoded_base (base nullable: computed
 * there; only an rc DF_OK base is used): the answer is the same byte for byte. */
typedef struct {
    int rc;
    df_mapping map;
    df_metrics met;
} df_answer_base;
int df_answer_base_compute(const df_request *r, df_answer_base *out);
int df_answer_check_decoded_base(const df_request *r, const atomic_int *cancel, int decode_status,
                                 const df_mapping *decoded, double decode_ms, const char *auto_why,
                                 const df_answer_base *base, df_answer *a, df_fail *f);
/* Offers cand, the answer at the smaller budget cand_budget of the same sweep, to a checked answer:
 * when it is feasible on r's net and strictly better for the objective it replaces the answer (path
 * "carried", the note says so). Returns 1 when taken, 0 when not, -1 when out of memory. */
int df_answer_offer(const df_request *r, const df_mapping *cand, int64_t cand_budget, df_answer *a);
void df_answer_free(df_answer *a);

/* ---- JSON -------------------------------------------------------------------------------------- */

/* jansson flags of every answer: 10 significant digits (no 0.23000000000000001), compact. */
#define DF_ANSWER_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(10))
#define DF_ANSWER_JSON_PRETTY (JSON_INDENT(2) | JSON_REAL_PRECISION(10))

/* {"name", "layers", "macs"} (macs per sample). */
json_t *df_workload_summary_json(const df_workload *w);
/* The /v1/map reply: feasible, solver, path, note?, workload, hardware, batch, objective, groups,
 * metrics, baseline, gain, timings {queue_ms, solve_ms, check_ms, total_ms, inference_ms?}
 * (timings rounded to the microsecond). queue_ms and total_ms are the caller's. NULL when out of memory. */
json_t *df_answer_json(const df_request *r, const df_answer *a, double queue_ms, double total_ms);
/* The same reply's compact text written directly, byte for byte df_json_dumps(df_answer_json(...))
 * without the tree (the daemon's path); malloc'd, *len (nullable) its length; NULL when out of memory. */
char *df_answer_text(const df_request *r, const df_answer *a, double queue_ms, double total_ms, size_t *len);
/* The /v1/evaluate reply (feasible false + "overflow" naming the first group over the budget). */
json_t *df_eval_json(const df_eval_request *r, df_fail *f);
/* Text of j with the answer flags (pretty: indented, for people), malloc'ed. */
char *df_answer_dumps(const json_t *j, int pretty);

#endif
