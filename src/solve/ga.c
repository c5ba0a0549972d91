/* ga.c - owns the genetic-search solver (df_ga_params_default, df_solve_ga): the search-teacher
 * style of DNNFuser (Kao, Huang, Krishna, "DNNFuser: Generative Pre-Trained Transformer as a
 * Generalized Mapper for Layer Fusion in DNN Accelerators", arXiv 2201.11218, which trains its
 * transformer on the answers of a GA-based mapper) and the baseline for the paper's speed claim.
 *
 * Genome (2 genes per layer i, L layers):
 *   cut[i]  1 = layer i starts a new fusion group (cut[0] = 1 always);
 *   mb[i]   index into the micro-batch candidates; a group's micro-batch is the gene of its first
 *           layer (the genes of the other layers are dormant until a cut makes them a group start).
 * Candidates are the distinct ceil(N/k), k = 1..N, ascending: the set the exact solver uses. For a
 * fixed group and number of micro-batches ceil(N/m), the balanced split (the smallest m giving that
 * count) never costs more: each layer step max(compute, DRAM, NoC) is convex in the micro-batch size
 * and the footprint grows with m (exact.c; confirmed by brute force in check_exact.c).
 * Gene domain: mb[i] <= top[i], the largest candidate at which layer i fits alone. A group starting at
 * i holds at least what i alone holds (its inputs, its output, its weights or weight tile, all
 * growing with m), so a larger gene could never give a feasible group: nothing is lost.
 *
 * Fitness: the genome is decoded into a df_mapping and scored by df_mapping_eval (so df_group_eval,
 * the single feasibility rule, decides). Feasible individuals rank by df_objective_value; infeasible
 * ones rank after every feasible one, ordered by their overflow sum over groups of
 * max(0, footprint - budget) / budget, which pulls the search toward feasibility.
 *
 * Initial population: the all-singleton layer-by-layer mapping at m = 1 (feasible whenever
 * df_net_check_budget passes), the layer-by-layer mapping with each layer's best feasible candidate
 * for the objective (the df_solve_lbl baseline for the separable objectives), the layer-by-layer
 * mapping at each layer's largest feasible candidate, then about half the population at random cut
 * densities (spread over (0, 1)) and the rest uniformly random.
 * Generation: elitism (the p->elites best are copied with their fitness), the rest are children of two
 * tournament winners (size p->tournament, clamped to the population; elites clamped to population - 1,
 * so the defaults work for every population >= 2): two-point crossover over the layer axis with probability
 * p->crossover (both gene strings of the segment are exchanged, so groups move with their
 * micro-batch), then per-gene mutation with probability p->mutation (<= 0: 1/L): a cut flips; a
 * micro-batch gene moves one candidate up or down or, one time in four, is resampled in its domain.
 * Randomness is a df_rng seeded with p->seed; ranks break ties by position, so a seed fixes the answer.
 * The answer is the best feasible individual ever evaluated. All arrays are allocated once.
 *
 * Depth-first space (df_solve_ga_in, issue 14): a third gene per layer, tl[i], the tile of a group
 * starting at i: 0 = the whole tensor, k = option k - 1 of df_tile_options of the group's last layer,
 * read modulo that layer's option count + 1 (so every value is some form of any group). Gene domains
 * and the per-layer seeds then take every form of a layer alone; tl[i] moves with the segments of a
 * crossover and mutates with the per-gene probability: one step, or (one time in two) resampled.
 * The batch space draws no random numbers for tl, so its answers are the ones before this gene. In
 * the depth-first space the micro-batch domain (the largest m at which layer i fits alone in some
 * form) is a heuristic bound, not the proven one above: a tiled group's region at its first layer is
 * not always one of that layer's single-layer forms. The exact solver is the optimum; this is a search. */
#include "dnnfuser/solve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void df_ga_params_default(df_ga_params *p) {
    *p = (df_ga_params){
        .population = 64, .generations = 200, .tournament = 3, .crossover = 0.9, .mutation = 0, .elites = 2, .seed = 1};
}

typedef struct {
    uint16_t *cut; /* [L] 0/1 */
    uint16_t *mb;  /* [L] candidate index; at most about 2 sqrt(N) <= 512 candidates for N <= 65536 */
    uint16_t *tl;  /* [L] tile gene (depth-first space; 0 = whole) */
    int feasible;
    double value; /* objective value (feasible) */
    double over;  /* sum over groups of max(0, footprint - budget) / budget (infeasible) */
} indiv;

typedef struct {
    const df_net *net;
    df_objective obj;
    int32_t L, nm;
    const int32_t *mbv;        /* [nm] candidates ascending */
    const df_tile_option *opt; /* [L x DF_MAX_TILE_OPTIONS] tile options per last layer (depth-first) */
    const int32_t *nopt;       /* [L] their counts; NULL in the batch space */
    df_mapping map;            /* scratch, capacity L: pushes never reallocate */
    df_group_cost *gc;         /* [L] scratch */
    double budget;
    int64_t evals; /* df_group_eval calls */
} ctx_t;

/* 1 when a ranks strictly before b. */
static int better(const indiv *a, const indiv *b) {
    if (a->feasible != b->feasible) return a->feasible;
    return a->feasible ? a->value < b->value : a->over < b->over;
}

static void decode(const indiv *x, const ctx_t *c, df_mapping *map) {
    int32_t L = c->L;
    map->n_groups = 0;
    for (int32_t i = 0; i < L; i++) {
        if (i == 0 || x->cut[i])
            map->groups[map->n_groups++] = (df_group){.first = i, .last = i, .micro_batch = c->mbv[x->mb[i]]};
        else
            map->groups[map->n_groups - 1].last = i;
    }
    if (!c->nopt) return;
    for (int32_t g = 0; g < map->n_groups; g++) {
        df_group *gr = &map->groups[g];
        int32_t k = x->tl[gr->first] % (c->nopt[gr->last] + 1);
        if (k == 0) continue;
        const df_tile_option *o = &c->opt[(size_t)gr->last * DF_MAX_TILE_OPTIONS + k - 1];
        gr->tile_rows = o->rows;
        gr->tile_cols = o->cols;
        gr->overlap = o->overlap;
    }
}

static void evaluate(ctx_t *c, indiv *x) {
    decode(x, c, &c->map);
    df_metrics mt;
    x->feasible = 0;
    x->value = INFINITY;
    x->over = INFINITY;
    /* well-formed by construction; a failure here would be a bug, and ranks the individual last */
    if (df_mapping_eval(c->net, &c->map, &mt, c->gc, NULL) != DF_OK) return;
    c->evals += c->map.n_groups;
    x->value = df_objective_value(c->obj, &mt);
    double over = 0;
    for (int32_t g = 0; g < c->map.n_groups; g++)
        if (!c->gc[g].feasible) over += ((double)c->gc[g].footprint_bytes - c->budget) / c->budget;
    x->over = over;
    x->feasible = mt.feasible;
}

static int check_params(const df_ga_params *p, df_err *err) {
    if (p->population < 2)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GA, "population", "population = %d must be >= 2",
                                p->population);
    if (p->generations < 1)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GA, "generations", "generations = %d must be >= 1",
                                p->generations);
    if (p->tournament < 1)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GA, "tournament", "tournament = %d must be >= 1",
                                p->tournament);
    if (!(p->crossover >= 0 && p->crossover <= 1))
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GA, "crossover", "crossover = %g out of range [0, 1]",
                                p->crossover);
    if (!(p->mutation <= 1))
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GA, "mutation",
                                "mutation = %g must be <= 1 (<= 0 means 1/layers)", p->mutation);
    if (p->elites < 0)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GA, "elites", "elites = %d must be >= 0", p->elites);
    return DF_OK;
}

/* Tournament size and elite count are fractions of a population in all but name: the defaults (3 and
 * 2) suit the default 64 but not the smallest population the API allows (2). So they are clamped to
 * what the population can hold: a tournament draws at most `population` contestants, and at most
 * population - 1 individuals are elites (every generation breeds at least one child). */
static void clamp_params(df_ga_params *p) {
    if (p->tournament > p->population) p->tournament = p->population;
    if (p->elites > p->population - 1) p->elites = p->population - 1;
}

static int32_t tournament(const indiv *pop, int32_t n, int32_t k, df_rng *r) {
    int32_t best = df_rng_range(r, n);
    for (int32_t i = 1; i < k; i++) {
        int32_t c = df_rng_range(r, n);
        if (better(&pop[c], &pop[best]) || (!better(&pop[best], &pop[c]) && c < best)) best = c;
    }
    return best;
}

/* Sorts pop by rank, stably (ties keep their order, independent of the C library's qsort): bottom-up
 * merge sort through tmp[n]. */
static void rank_sort(indiv *pop, indiv *tmp, int32_t n) {
    indiv *src = pop, *dst = tmp;
    for (int32_t w = 1; w < n; w *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * w) {
            int32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = better(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        indiv *t = src;
        src = dst;
        dst = t;
    }
    if (src != pop) memcpy(pop, src, (size_t)n * sizeof *pop);
}

/* Per-layer objective-like score of a single group, to pick the layer-by-layer seed. */
static double group_score(df_objective obj, const df_group_cost *g) {
    switch (obj) {
    case DF_OBJ_ENERGY: return g->energy_pj;
    case DF_OBJ_DRAM: return g->dram_bytes;
    case DF_OBJ_EDP: return g->energy_pj * g->latency_cycles;
    case DF_OBJ_LATENCY:
    default: return g->latency_cycles;
    }
}

static void copy_genes(indiv *dst, const indiv *src, int32_t L) {
    memcpy(dst->cut, src->cut, (size_t)L * sizeof *dst->cut);
    memcpy(dst->mb, src->mb, (size_t)L * sizeof *dst->mb);
    memcpy(dst->tl, src->tl, (size_t)L * sizeof *dst->tl);
}

int df_solve_ga(const df_net *net, df_objective obj, const df_ga_params *pp, df_mapping *out, df_solve_stats *st,
                df_err *err) {
    return df_solve_ga_in(net, obj, DF_SPACE_BATCH, pp, out, st, err);
}

int df_solve_ga_in(const df_net *net, df_objective obj, df_space space, const df_ga_params *pp, df_mapping *out,
                   df_solve_stats *st, df_err *err) {
    df_err_clear(err);
    df_solve_stats_reset(st);
    df_ga_params p;
    if (pp)
        p = *pp;
    else
        df_ga_params_default(&p);
    int rc = check_params(&p, err);
    if (rc) return rc;
    clamp_params(&p);
    if (obj < 0 || obj >= DF_OBJ_COUNT)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_OBJECTIVE, NULL, "unknown objective");
    if (space < 0 || space >= DF_SPACE_COUNT)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_SPACE, NULL, "unknown map-space");
    int df = space == DF_SPACE_DEPTH_FIRST;
    if (!df && (rc = df_net_check_budget(net, err))) return rc; /* depth-first: tiles may fit */

    int32_t L = df_net_layers(net), N = df_net_batch(net), P = p.population;
    double mut = p.mutation > 0 ? p.mutation : 1.0 / L;
    ctx_t c = {.net = net, .obj = obj, .L = L, .budget = (double)df_net_hw(net)->buffer_bytes};
    int32_t *mbv = malloc((size_t)N * sizeof *mbv);
    uint16_t *top = malloc((size_t)L * sizeof *top);
    c.gc = malloc((size_t)L * sizeof *c.gc);
    indiv *pop = calloc((size_t)P, sizeof *pop), *nxt = calloc((size_t)P, sizeof *nxt);
    indiv *tmp = calloc((size_t)P, sizeof *tmp);
    /* gene storage: 2P individuals + the best-ever, each cut[L], mb[L], tl[L] */
    uint16_t *genes = calloc((size_t)(2 * (size_t)P + 1) * 3 * (size_t)L, sizeof *genes);
    df_tile_option *opt = df ? malloc(sizeof *opt * (size_t)L * DF_MAX_TILE_OPTIONS) : NULL;
    int32_t *nopt = df ? calloc((size_t)L, sizeof *nopt) : NULL;
    uint16_t *lbl_tl = df ? calloc((size_t)L, sizeof *lbl_tl) : NULL;
    if (!mbv || !top || !c.gc || !pop || !nxt || !tmp || !genes || df_mapping_init(&c.map, L) ||
        (df && (!opt || !nopt || !lbl_tl))) {
        rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        goto done;
    }
    c.nm = df_micro_batches(N, mbv);
    c.mbv = mbv;
    if (df) {
        for (int32_t i = 0; i < L; i++)
            nopt[i] = df_tile_options(df_net_workload(net), i, opt + (size_t)i * DF_MAX_TILE_OPTIONS);
        c.opt = opt;
        c.nopt = nopt;
    }
    for (int32_t n = 0; n < P; n++) {
        pop[n].cut = genes + (size_t)n * 3 * L;
        pop[n].mb = pop[n].cut + L;
        pop[n].tl = pop[n].mb + L;
        nxt[n].cut = genes + (size_t)(P + n) * 3 * L;
        nxt[n].mb = nxt[n].cut + L;
        nxt[n].tl = nxt[n].mb + L;
    }
    indiv best = {.cut = genes + (size_t)2 * P * 3 * L, .value = INFINITY};
    best.mb = best.cut + L;
    best.tl = best.mb + L;

    /* Gene domains and the layer-by-layer seeds: per layer, the largest candidate at which it fits
     * alone (footprints grow with m, so stop at the first misfit) and the best-scoring one. */
    uint16_t *lbl_best = nxt[0].mb; /* borrowed scratch: nxt is first written when children are bred */
    for (int32_t i = 0; i < L; i++) {
        int32_t hi = 0, arg = 0;
        double sbest = INFINITY;
        for (int32_t q = 0; q < c.nm; q++) {
            df_group_cost g;
            df_group_eval(net, i, i, mbv[q], &g);
            c.evals++;
            if (!g.feasible) break;
            hi = q;
            double s = group_score(obj, &g);
            if (s < sbest) {
                sbest = s;
                arg = q;
            }
        }
        /* depth-first: every tile of the layer alone too (k = tile gene) */
        for (int32_t k = 1; df && k <= nopt[i]; k++) {
            const df_tile_option *o = &opt[(size_t)i * DF_MAX_TILE_OPTIONS + k - 1];
            for (int32_t q = 0; q < c.nm; q++) {
                df_group g = {.first = i,
                              .last = i,
                              .micro_batch = mbv[q],
                              .tile_rows = o->rows,
                              .tile_cols = o->cols,
                              .overlap = o->overlap},
                         *gp = &g;
                df_group_cost gc;
                df_group_eval_tiled(net, gp, &gc);
                c.evals++;
                if (!gc.feasible) break;
                if (q > hi) hi = q;
                double s = group_score(obj, &gc);
                if (s < sbest) {
                    sbest = s;
                    arg = q;
                    lbl_tl[i] = (uint16_t)k;
                }
            }
        }
        top[i] = (uint16_t)hi;
        lbl_best[i] = (uint16_t)arg;
    }
    df_rng r;
    df_rng_seed(&r, p.seed);
    for (int32_t n = 0; n < P; n++) {
        indiv *x = &pop[n];
        if (n <= 2) { /* layer-by-layer seeds: m = 1, best per layer, largest per layer */
            for (int32_t i = 0; i < L; i++) {
                x->cut[i] = 1;
                x->mb[i] = n == 0 ? 0 : n == 1 ? lbl_best[i] : top[i];
                x->tl[i] = df && n == 1 ? lbl_tl[i] : 0;
            }
            continue;
        }
        /* about half at spread cut densities, the rest uniformly random (density 1/2) */
        double density = n < P / 2 ? (n - 2.5) / (P / 2 - 2) : 0.5;
        for (int32_t i = 0; i < L; i++) {
            x->cut[i] = i == 0 || df_rng_uniform(&r) < density;
            x->mb[i] = (uint16_t)df_rng_range(&r, top[i] + 1);
            if (df) x->tl[i] = (uint16_t)df_rng_range(&r, DF_MAX_TILE_OPTIONS + 1);
        }
    }
    for (int32_t n = 0; n < P; n++) evaluate(&c, &pop[n]);

    for (int32_t gen = 0;; gen++) {
        rank_sort(pop, tmp, P);
        if (pop[0].feasible && pop[0].value < best.value) {
            copy_genes(&best, &pop[0], L);
            best.value = pop[0].value;
            best.feasible = 1;
        }
        if (gen == p.generations) break;
        if (df_solve_cancelled(st)) {
            rc = df_err_set(err, DF_ECANCELED, NULL, "cancelled at generation %d of %d", (int)gen, (int)p.generations);
            goto done;
        }
        for (int32_t n = 0; n < p.elites; n++) {
            copy_genes(&nxt[n], &pop[n], L);
            nxt[n].feasible = pop[n].feasible;
            nxt[n].value = pop[n].value;
            nxt[n].over = pop[n].over;
        }
        for (int32_t n = p.elites; n < P; n++) {
            if (df_solve_cancelled(st)) { /* per child too: a generation of a big population can be long */
                rc = df_err_set(err, DF_ECANCELED, NULL, "cancelled in generation %d of %d", (int)gen,
                                (int)p.generations);
                goto done;
            }
            indiv *x = &nxt[n];
            const indiv *a = &pop[tournament(pop, P, p.tournament, &r)];
            const indiv *b = &pop[tournament(pop, P, p.tournament, &r)];
            copy_genes(x, a, L);
            int changed = 0;
            if (a != b && df_rng_uniform(&r) < p.crossover) { /* two-point crossover, segment lo..hi from b */
                int32_t lo = df_rng_range(&r, L), hi = df_rng_range(&r, L);
                if (lo > hi) {
                    int32_t t = lo;
                    lo = hi;
                    hi = t;
                }
                memcpy(x->cut + lo, b->cut + lo, (size_t)(hi - lo + 1) * sizeof *x->cut);
                memcpy(x->mb + lo, b->mb + lo, (size_t)(hi - lo + 1) * sizeof *x->mb);
                memcpy(x->tl + lo, b->tl + lo, (size_t)(hi - lo + 1) * sizeof *x->tl);
                x->cut[0] = 1;
                changed = 1;
            }
            for (int32_t i = 0; i < L; i++) {
                if (i > 0 && df_rng_uniform(&r) < mut) {
                    /* half the time the flip keeps the groups' micro-batches sensible: a split hands
                     * the group's micro-batch to the new group (a part of a fitting group fits), a merge
                     * keeps the smaller of the two */
                    if (df_rng_range(&r, 2)) {
                        int32_t s = i - 1;
                        while (s > 0 && !x->cut[s]) s--;
                        if (x->cut[i])
                            x->mb[s] = x->mb[s] < x->mb[i] ? x->mb[s] : x->mb[i];
                        else
                            x->mb[i] = x->mb[s] < top[i] ? x->mb[s] : top[i];
                    }
                    x->cut[i] ^= 1;
                    changed = 1;
                }
                if (df_rng_uniform(&r) < mut) {
                    int32_t v;
                    if (df_rng_range(&r, 4) == 0)
                        v = df_rng_range(&r, top[i] + 1);
                    else
                        v = x->mb[i] + (df_rng_range(&r, 2) ? 1 : -1);
                    x->mb[i] = (uint16_t)(v < 0 ? 0 : v > top[i] ? top[i] : v);
                    changed = 1;
                }
                if (df && df_rng_uniform(&r) < mut) {
                    int32_t v = df_rng_range(&r, 2) ? df_rng_range(&r, DF_MAX_TILE_OPTIONS + 1)
                                                    : x->tl[i] + (df_rng_range(&r, 2) ? 1 : -1);
                    x->tl[i] = (uint16_t)(v < 0 ? DF_MAX_TILE_OPTIONS : v > DF_MAX_TILE_OPTIONS ? 0 : v);
                    changed = 1;
                }
            }
            if (changed) {
                evaluate(&c, x);
            } else { /* an unchanged copy of a: same fitness, no evaluation */
                x->feasible = a->feasible;
                x->value = a->value;
                x->over = a->over;
            }
        }
        indiv *t = pop;
        pop = nxt;
        nxt = t;
    }
    if (!best.feasible) { /* cannot happen: the m = 1 layer-by-layer seed is feasible */
        rc = df_err_set_field(err, DF_EINFEASIBLE, DF_FIELD_BUDGET, NULL, "genetic search found no feasible mapping");
        goto done;
    }
    decode(&best, &c, &c.map);
    if (df_mapping_copy(out, &c.map)) {
        rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        goto done;
    }
    if (st) st->groups_evaluated = c.evals;
done:
    df_mapping_free(&c.map);
    free(mbv);
    free(top);
    free(c.gc);
    free(pop); /* the two population arrays, in whichever order the generations left them */
    free(nxt);
    free(tmp);
    free(genes);
    free(opt);
    free(nopt);
    free(lbl_tl);
    return rc;
}
