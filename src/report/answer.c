/* answer.c - solving a request and the check before reply (see answer.h): the solver run (auto
 * resolved by the exact-time predictor), the re-score against layer-by-layer, repair, the exact
 * fallback, and the offer of a sweep neighbour's answer. Pure functions over core, solve and model:
 * callable from any thread; the transformer is decoded here only when the caller hands a mapper. */
#include "dnnfuser/answer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* relative slack when comparing an answer with the baseline (rounding in the cost sums) */
#define WORSE_EPS 1e-9
/* df_repair move budget in the check before reply */
#define REPAIR_MOVES 1000
/* auto: the exact solver when its predicted time is at most this (ms), and at most a tenth of the
 * request's deadline. The transformer decodes a zoo network in about 1-5 ms (bench_auto). */
#define AUTO_EXACT_MS 10.0
/* the check of a depth-first decode solves the batch-only optimum when its predicted time is at most
 * this (ms); see check_depth_first */
#define DF_BATCH_REF_MS 50.0

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void df_answer_free(df_answer *a) {
    if (!a) return;
    df_mapping_free(&a->map);
    df_mapping_free(&a->base);
    free(a->gc);
    memset(a, 0, sizeof *a);
}

static int answer_init(df_answer *a, df_fail *f) {
    memset(a, 0, sizeof *a);
    df_fail_clear(f);
    if (df_mapping_init(&a->map, 16) || df_mapping_init(&a->base, 16)) {
        df_answer_free(a);
        return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

static int lib_fail(df_fail *f, const char *what, const df_err *e) {
    if (e->code == DF_EINFEASIBLE) return df_fail_from_err(f, DF_FAIL_BUDGET, e, "/budget");
    if (e->code == DF_ECANCELED) return df_fail_set(f, DF_FAIL_DEADLINE, NULL, "%s stopped: deadline passed", what);
    return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "%s failed: %s", what, e->msg[0] ? e->msg : df_status_name(e->code));
}

/* ---- auto: the exact solver's predicted time ---------------------------------------------------- */

/* The exact DP evaluates, for every start layer i, the groups [i, j] while some micro-batch fits, for
 * every micro-batch candidate: about L x R x M group evaluations (R: the mean reach of a group from its
 * start at micro-batch 1, M: the candidates of the batch), each costing O(group length). R is probed
 * here at four starts with micro-batch 1 (at most 4 R cheap evaluations). The time is then modelled
 * as a power law in L, R and M whose exponents are fitted (answer.h: DF_ANSWER_FIT_*). */
void df_answer_exact_features(const df_net *net, df_exact_features *x) {
    int32_t L = df_net_layers(net), N = df_net_batch(net);
    int32_t mb[64], *mbp = N <= 64 ? mb : malloc((size_t)N * sizeof *mbp);
    int32_t M = mbp ? df_micro_batches(N, mbp) : N;
    if (mbp != mb) free(mbp);
    double reach = 0;
    int probes = 0;
    for (int k = 0; k < 4; k++) {
        int32_t i = (int32_t)((int64_t)L * k / 4);
        if (i >= L) continue;
        int32_t j = i;
        for (; j < L; j++) {
            df_group_cost g;
            df_group_eval(net, i, j, 1, &g);
            if (!g.feasible) break;
        }
        reach += j - i;
        probes++;
    }
    double R = probes ? reach / probes : 1;
    x->layers = L;
    x->reach = R < 1 ? 1 : R;
    x->micro_batches = M;
}

double df_answer_exact_predict_ms(const df_net *net, df_objective obj) {
    df_exact_features x;
    df_answer_exact_features(net, &x);
    double t = exp(DF_ANSWER_FIT_C0 + DF_ANSWER_FIT_CL * log(x.layers) + DF_ANSWER_FIT_CR * log(x.reach) +
                   DF_ANSWER_FIT_CM * log(x.micro_batches));
    return obj == DF_OBJ_EDP ? t * 4 : t; /* edp keeps Pareto fronts: a few times the scalar DP */
}

df_solver df_answer_auto_pick(const df_request *r, int have_transformer, char *why, size_t n) {
    double p = df_answer_exact_predict_ms(r->net, r->obj);
    double lim = AUTO_EXACT_MS;
    if (r->deadline_ms > 0 && r->deadline_ms / 10 < lim) lim = r->deadline_ms / 10;
    if (!have_transformer || p <= lim || r->w.n_layers < 2) {
        if (why)
            snprintf(why, n, "auto: exact, its predicted time %.3g ms is within %.3g ms%s", p, lim,
                     have_transformer ? "" : " (no transformer here)");
        return DF_SOLVER_EXACT;
    }
    if (why)
        snprintf(why, n, "auto: transformer + check, the exact solver's predicted time %.3g ms is above %.3g ms", p,
                 lim);
    return DF_SOLVER_TRANSFORMER;
}

df_solver df_request_effective_solver(const df_request *r, int have_transformer, char *why, size_t n) {
    if (why && n) why[0] = '\0';
    if (r->solver != DF_SOLVER_AUTO) return (df_solver)r->solver;
    if (r->space == DF_SPACE_DEPTH_FIRST) { /* the depth-first model is not measured good enough to pick */
        if (why)
            snprintf(why, n,
                     "auto: exact over the depth-first space (auto picks the transformer in the batch space only)");
        return DF_SOLVER_EXACT;
    }
    return df_answer_auto_pick(r, have_transformer, why, n);
}

int df_answer_layout_covers(int layout, df_space space) {
    return layout == (space == DF_SPACE_DEPTH_FIRST ? DF_LAYOUT_DEPTH_FIRST : DF_LAYOUT_BATCH);
}

/* One request decoded on mp with the request's sampling seed (the daemon's loop admits its decode
 * items with the same seed, so both doors sample the same candidates). */
static int decode(df_mapper *mp, const df_request *r, df_mapping *out, df_err *e) {
    df_mapper_job *j;
    int rc = df_mapper_admit(mp, r->net, r->obj, r->candidates > 0 ? r->candidates : 1, r->seed, NULL, &j, e);
    if (rc) return rc;
    df_mapper_job *done = NULL;
    while (!done) {
        int32_t fin = 0;
        if ((rc = df_mapper_step(mp, &fin, e))) {
            df_mapper_job_free(mp, j);
            return rc;
        }
        for (df_mapper_job *d; (d = df_mapper_pop_done(mp));)
            if (d == j) done = d;
    }
    rc = df_mapper_job_result(j, out, NULL, NULL, e);
    df_mapper_job_free(mp, j);
    return rc;
}

/* ---- the check before reply ------------------------------------------------------------------- */

static void note_add(df_answer *a, const char *s) {
    if (!s || !*s) return;
    size_t l = strlen(a->note);
    snprintf(a->note + l, sizeof a->note - l, "%s%s", l ? "; " : "", s);
}

/* The check of a->map (a->path set by the caller); t1 = when the check started. */
int df_answer_base_compute(const df_request *r, df_answer_base *out) {
    df_err e;
    df_err_clear(&e);
    out->rc = df_solve_lbl(r->net, r->obj, &out->map, NULL, &e);
    if (out->rc == DF_OK && df_mapping_eval(r->net, &out->map, &out->met, NULL, &e) != DF_OK) out->rc = DF_EINVAL;
    return out->rc;
}

/* The depth-first check of a decoded a->map (scored in a->met, value *v; vb the layer-by-layer value,
 * INFINITY when none). The decode's groups get each group's best form (df_repair_forms: the micro-batch
 * and tile the cost model scores best for them; path "repaired" when that changes the mapping): it
 * costs a few per cent of the decode (bench_dfheads, docs/depth_first_results.md). The depth-first
 * space holds the batch-only one, so a decode worse than the batch-only optimum is a defect as much
 * as one worse than layer-by-layer: that optimum is solved (df_solve_exact) when its predicted time
 * is at most DF_BATCH_REF_MS and, with its groups' best forms too, replaces the answer when better
 * ("exact-fallback"). What is left worse than layer-by-layer (no batch-only optimum solved, or no
 * feasible form) goes on to the general repair. Returns -1 when out of memory (a freed). */
static int check_depth_first(const df_request *r, df_solve_stats *st, df_answer *a, double *v, double vb,
                             int *changed) {
    df_err e;
    df_mapping ref;
    if (df_mapping_init(&ref, 16)) {
        df_answer_free(a);
        return -1;
    }
    double vr = INFINITY;
    df_metrics rm, m2;
    int rc = 0;
    if (df_answer_exact_predict_ms(r->net, r->obj) <= DF_BATCH_REF_MS &&
        df_solve_exact(r->net, r->obj, &ref, st, &e) == DF_OK &&
        df_mapping_eval(r->net, &ref, &rm, NULL, &e) == DF_OK && rm.feasible)
        vr = df_objective_value(r->obj, &rm);
    double bar = vr < vb ? vr : vb;
    int worse = !a->met.feasible || !(*v <= bar * (1 + WORSE_EPS));
    int32_t n = 0;
    if (df_repair_forms(r->net, r->obj, DF_SPACE_DEPTH_FIRST, &a->map, &n, st, &e) == DF_ENOMEM) goto oom;
    if (n > 0 && df_mapping_eval(r->net, &a->map, &m2, NULL, &e) == DF_OK) {
        a->met = m2;
        *v = df_objective_value(r->obj, &m2);
        *changed = 1;
        a->path = "repaired";
    }
    if (isfinite(vr) && (!a->met.feasible || vr < *v * (1 - WORSE_EPS))) {
        /* the batch-only optimum's own groups with their best forms (tiles): no worse than it */
        if (df_repair_forms(r->net, r->obj, DF_SPACE_DEPTH_FIRST, &ref, &n, st, &e) == DF_ENOMEM) goto oom;
        if (n > 0 && df_mapping_eval(r->net, &ref, &rm, NULL, &e) == DF_OK) vr = df_objective_value(r->obj, &rm);
        if (df_mapping_copy(&a->map, &ref)) goto oom;
        a->met = rm;
        *v = vr;
        *changed = 1;
        a->path = "exact-fallback";
        note_add(a, "the decoded answer was worse than the batch-only optimum (exact), which replaced it with each "
                    "group's micro-batch and tile chosen by the cost model");
    } else if (*changed) {
        if (worse)
            note_add(a, vr < vb ? "the decoded answer was worse than the batch-only optimum"
                                : "the decoded answer was worse than layer-by-layer");
        note_add(a, "the decoded groups kept, each group's micro-batch and tile chosen by the cost model");
    }
    goto done;
oom:
    df_answer_free(a);
    rc = -1;
done:
    df_mapping_free(&ref);
    return rc;
}

/* The check of a->map (a->path set by the caller); t1 = when the check started; pre (nullable): the
 * baseline of an identical problem computed before (df_answer_base_compute, DF_OK only). */
static int check_pre(const df_request *r, const atomic_int *cancel, df_answer *a, int try_repair, double t1,
                     const df_answer_base *pre, df_fail *f);
static int check(const df_request *r, const atomic_int *cancel, df_answer *a, int try_repair, double t1, df_fail *f) {
    return check_pre(r, cancel, a, try_repair, t1, NULL, f);
}
static int check_pre(const df_request *r, const atomic_int *cancel, df_answer *a, int try_repair, double t1,
                     const df_answer_base *pre, df_fail *f) {
    df_err e;
    df_err_clear(&e);
    df_solve_stats st = {.cancel = cancel};
    /* the first score fills the per-group costs the reply shows; they are scored again only when the
     * mapping changes below (repair, exact fallback): one evaluation per request in the common case */
    free(a->gc);
    a->gc = calloc((size_t)(a->map.n_groups > 0 ? a->map.n_groups : 1), sizeof *a->gc);
    if (!a->gc) {
        df_answer_free(a);
        return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
    }
    int ok = a->map.n_groups > 0 && df_mapping_eval(r->net, &a->map, &a->met, a->gc, &e) == DF_OK;
    int changed = 0;
    int use_pre = pre && pre->rc == DF_OK;
    int lrc = use_pre ? df_mapping_copy(&a->base, &pre->map) : df_solve_lbl(r->net, r->obj, &a->base, NULL, &e);
    if (use_pre && lrc != DF_OK) df_err_set(&e, lrc, NULL, "out of memory");
    if (use_pre && lrc == DF_OK) a->base_met = pre->met;
    a->have_base = 1;
    if (lrc == DF_EINFEASIBLE && r->space != DF_SPACE_BATCH) { /* only tiles fit: no baseline to compare with */
        a->have_base = 0;
        a->base.n_groups = 0;
        memset(&a->base_met, 0, sizeof a->base_met);
        df_err_clear(&e);
    } else if (lrc != DF_OK || (!use_pre && df_mapping_eval(r->net, &a->base, &a->base_met, NULL, &e) != DF_OK)) {
        df_answer_free(a);
        return lib_fail(f, "layer-by-layer baseline", &e);
    }
    double vb = a->have_base ? df_objective_value(r->obj, &a->base_met) : INFINITY;
    double v = ok ? df_objective_value(r->obj, &a->met) : INFINITY;
    int bad = !ok || !a->met.feasible || !(v <= vb * (1 + WORSE_EPS));
    if (try_repair && ok && r->space == DF_SPACE_DEPTH_FIRST) { /* a depth-first decode: also the batch-only bar */
        int rc = check_depth_first(r, &st, a, &v, vb, &changed);
        if (rc) return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
        bad = !a->met.feasible || !(v <= vb * (1 + WORSE_EPS));
    }
    if (bad && try_repair && ok) {
        if (df_repair_in(r->net, r->obj, r->space, &a->map, REPAIR_MOVES, &st, &e) == DF_OK &&
            df_mapping_eval(r->net, &a->map, &a->met, NULL, &e) == DF_OK) {
            v = df_objective_value(r->obj, &a->met);
            bad = !a->met.feasible || !(v <= vb * (1 + WORSE_EPS));
            changed = 1;
            a->path = "repaired";
            note_add(a, "the first answer was worse than layer-by-layer; repaired by local search");
        }
    }
    if (bad) {
        if (df_solve_exact_in(r->net, r->obj, r->space, &a->map, &st, &e) != DF_OK ||
            df_mapping_eval(r->net, &a->map, &a->met, NULL, &e) != DF_OK) {
            df_answer_free(a);
            return lib_fail(f, "exact fallback", &e);
        }
        changed = 1;
        if (strcmp(a->path, "exact") != 0) { /* an exact answer is never worse: nothing to fall back to */
            a->path = "exact-fallback";
            note_add(a, "the answer was infeasible or worse than layer-by-layer; solved exactly");
        }
    }
    if (changed) {
        free(a->gc);
        a->gc = calloc((size_t)a->map.n_groups, sizeof *a->gc);
        if (!a->gc || df_mapping_eval(r->net, &a->map, &a->met, a->gc, &e) != DF_OK) {
            df_answer_free(a);
            return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
        }
    }
    a->check_ms = now_ms() - t1;
    return 0;
}

int df_answer_solve(const df_request *r, df_mapper *mp, const atomic_int *cancel, df_answer *a, df_fail *f) {
    if (answer_init(a, f)) return -1;
    char why[sizeof a->note];
    df_solver s = df_request_effective_solver(r, 1, why, sizeof why); /* the caller loads the mapper auto needs */
    df_err e;
    df_err_clear(&e);
    a->stats = (df_solve_stats){.cancel = cancel};
    double t0 = now_ms();
    int rc;
    switch (s) {
    case DF_SOLVER_EXACT: rc = df_solve_exact_in(r->net, r->obj, r->space, &a->map, &a->stats, &e); break;
    case DF_SOLVER_LBL: rc = df_solve_lbl(r->net, r->obj, &a->map, &a->stats, &e); break;
    case DF_SOLVER_GA: rc = df_solve_ga_in(r->net, r->obj, r->space, &r->ga, &a->map, &a->stats, &e); break;
    case DF_SOLVER_TRANSFORMER:
        if (!mp) {
            df_answer_free(a);
            return df_fail_set(f, DF_FAIL_SOLVER, "/solver", "the transformer is not loaded here");
        }
        double d0 = now_ms();
        /* weights of the other map-space: not decoded, answered exactly (as the daemon's loop does) */
        rc = df_answer_layout_covers(df_mapper_layout(mp), r->space) ? decode(mp, r, &a->map, &e) : DF_EUNSUPPORTED;
        if (rc == DF_EUNSUPPORTED) {
            df_answer_free(a);
            return df_answer_check_decoded(r, cancel, rc, NULL, 0, why, a, f);
        }
        /* the same check as a daemon answer decoded on its loop */
        if (rc == DF_OK || rc == DF_EINVAL) {
            df_mapping dec = a->map;
            a->map = (df_mapping){0};
            df_answer_free(a);
            int crc = df_answer_check_decoded(r, cancel, rc, rc == DF_OK ? &dec : NULL, now_ms() - d0, why, a, f);
            df_mapping_free(&dec);
            return crc;
        }
        break;
    default: rc = df_err_set(&e, DF_EINVAL, "/solver", "unknown solver"); break;
    }
    if (rc != DF_OK) {
        df_answer_free(a);
        return lib_fail(f, df_solver_name(s), &e);
    }
    double t1 = now_ms();
    a->solve_ms = t1 - t0;
    a->solver = a->path = df_solver_name(s);
    note_add(a, why);
    return check(r, cancel, a, 0, t1, f);
}

int df_answer_check_decoded(const df_request *r, const atomic_int *cancel, int decode_status, const df_mapping *decoded,
                            double decode_ms, const char *auto_why, df_answer *a, df_fail *f) {
    return df_answer_check_decoded_base(r, cancel, decode_status, decoded, decode_ms, auto_why, NULL, a, f);
}

int df_answer_check_decoded_base(const df_request *r, const atomic_int *cancel, int decode_status,
                                 const df_mapping *decoded, double decode_ms, const char *auto_why,
                                 const df_answer_base *base, df_answer *a, df_fail *f) {
    if (answer_init(a, f)) return -1;
    double t1 = now_ms();
    a->solve_ms = decode_ms;
    a->solver = a->path = "transformer";
    note_add(a, auto_why);
    if (decode_status == DF_OK && decoded && df_mapping_copy(&a->map, decoded) == DF_OK)
        return check_pre(r, cancel, a, 1, t1, base, f);
    /* not decoded: solved exactly, and the note says why */
    a->map.n_groups = 0;
    note_add(a, decode_status == DF_EINVAL ? "the workload is longer than the transformer's context; solved exactly"
                : decode_status == DF_EIO  ? "no transformer weights are loaded; solved exactly"
                : decode_status == DF_EUNSUPPORTED
                    ? (r->space == DF_SPACE_DEPTH_FIRST
                           ? "the loaded transformer weights decode the batch space, not depth_first; solved exactly"
                           : "the loaded transformer weights decode the depth_first space, not batch; solved exactly")
                    : "the transformer could not decode this request; solved exactly");
    df_err e;
    df_err_clear(&e);
    df_solve_stats st = {.cancel = cancel};
    if (df_solve_exact_in(r->net, r->obj, r->space, &a->map, &st, &e) != DF_OK) {
        df_answer_free(a);
        return lib_fail(f, "exact fallback", &e);
    }
    a->path = "exact-fallback";
    return check(r, cancel, a, 0, t1, f);
}

int df_answer_offer(const df_request *r, const df_mapping *cand, int64_t cand_budget, df_answer *a) {
    if (!cand || cand->n_groups == 0) return 0;
    df_metrics m;
    df_err e;
    df_err_clear(&e);
    if (df_mapping_eval(r->net, cand, &m, NULL, &e) != DF_OK || !m.feasible) return 0;
    double v = df_objective_value(r->obj, &m), cur = df_objective_value(r->obj, &a->met);
    if (!(v < cur * (1 - WORSE_EPS))) return 0;
    df_group_cost *gc = calloc((size_t)cand->n_groups, sizeof *gc);
    if (!gc || df_mapping_copy(&a->map, cand) != DF_OK) {
        free(gc);
        return -1;
    }
    df_mapping_eval(r->net, &a->map, &a->met, gc, &e);
    free(a->gc);
    a->gc = gc;
    a->path = "carried";
    char why[160], b[32];
    snprintf(why, sizeof why, "the answer at the smaller budget %s of this sweep is better here; it is kept",
             df_format_size(cand_budget, b, sizeof b));
    note_add(a, why);
    return 1;
}
