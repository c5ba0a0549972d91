/* ga.c - genetic search over fusion mappings, the search-teacher style of DNNFuser (Kao et al.,
 * arXiv 2201.11218, which trains on a GA-based mapper's answers) and the baseline for its speed claim.
 *
 * Genome per layer i: cut[i] (1 = layer i starts a group; cut[0] = 1) and mb[i], an index into the
 * micro-batch candidates ceil(N/k) (the exact solver's set: for a fixed group, a balanced split
 * dominates). A group's micro-batch is the gene of its first layer. Fitness is the objective of the
 * mapping scored by df_mapping_eval; infeasible mappings rank after every feasible one, ordered by
 * how far their groups overflow the budget. Tournament selection, two-point crossover, per-gene
 * mutation, elitism; deterministic for a seed. The answer is the best feasible individual ever seen
 * (the layer-by-layer seed guarantees one exists). */
#include "dnnfuser/solve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void df_ga_params_default(df_ga_params *p) {
    *p = (df_ga_params){.population = 64, .generations = 200, .tournament = 3, .crossover = 0.9,
                        .mutation = 0, .elites = 2, .seed = 1};
}

typedef struct {
    uint16_t *cut;  /* [L] 0/1; cut and mb are adjacent in one gene block of 2L */
    uint16_t *mb;   /* [L] candidate index (at most ~2 sqrt(N) <= 512 candidates) */
    double fit;     /* objective, or 1e300 + overflow for infeasible */
} indiv;

typedef struct {
    const df_net *net;
    df_objective obj;
    int32_t L, nm;
    int32_t *mbv;          /* [nm] candidates ascending */
    df_mapping map;        /* scratch */
    df_group_cost *gc;     /* [L] scratch */
    int64_t evals;
} ctx_t;

static double fitness(ctx_t *c, const indiv *x) {
    c->map.n_groups = 0;
    for (int32_t i = 0; i < c->L; i++) {
        if (i == 0 || x->cut[i]) df_mapping_push(&c->map, i, i, c->mbv[x->mb[i]]);
        else c->map.groups[c->map.n_groups - 1].last = i;
    }
    df_metrics mt;
    if (df_mapping_eval(c->net, &c->map, &mt, c->gc, NULL)) return INFINITY;
    c->evals += c->map.n_groups;
    if (mt.feasible) return df_objective_value(c->obj, &mt);
    double over = 0, budget = (double)df_net_hw(c->net)->buffer_bytes;
    for (int32_t g = 0; g < c->map.n_groups; g++)
        if (!c->gc[g].feasible) over += ((double)c->gc[g].footprint_bytes - budget) / budget;
    return 1e300 * (1 + fmin(over, 1e6) * 1e-7); /* after every feasible value, less overflow first */
}

static int check_params(const df_ga_params *p, df_err *err) {
    if (p->population < 2 || p->population > 100000)
        return df_err_set(err, DF_EINVAL, "/ga/population", "population = %d out of range [2, 100000]", p->population);
    if (p->generations < 1 || p->generations > 1000000)
        return df_err_set(err, DF_EINVAL, "/ga/generations", "generations = %d out of range [1, 1000000]", p->generations);
    if (p->tournament < 1 || p->tournament > p->population)
        return df_err_set(err, DF_EINVAL, "/ga/tournament", "tournament = %d out of range [1, population]", p->tournament);
    if (!(p->crossover >= 0 && p->crossover <= 1))
        return df_err_set(err, DF_EINVAL, "/ga/crossover", "crossover = %g out of range [0, 1]", p->crossover);
    if (!(p->mutation <= 1) || isnan(p->mutation))
        return df_err_set(err, DF_EINVAL, "/ga/mutation", "mutation = %g must be <= 1 (<= 0: 1/layers)", p->mutation);
    if (p->elites < 0 || p->elites >= p->population)
        return df_err_set(err, DF_EINVAL, "/ga/elites", "elites = %d out of range [0, population)", p->elites);
    return DF_OK;
}

static int32_t tournament(const indiv *pop, int32_t n, int32_t k, df_rng *r) {
    int32_t best = df_rng_range(r, n);
    for (int32_t i = 1; i < k; i++) {
        int32_t c = df_rng_range(r, n);
        if (pop[c].fit < pop[best].fit) best = c;
    }
    return best;
}

static int cmp_fit(const void *a, const void *b) {
    double x = ((const indiv *)a)->fit, y = ((const indiv *)b)->fit;
    return (x > y) - (x < y);
}

int df_solve_ga(const df_net *net, df_objective obj, const df_ga_params *pp, df_mapping *out, df_solve_stats *st,
                df_err *err) {
    df_err_clear(err);
    if (st) memset(st, 0, sizeof *st);
    df_ga_params p;
    if (pp) p = *pp;
    else df_ga_params_default(&p);
    int rc = check_params(&p, err);
    if (rc) return rc;
    if (obj < 0 || obj >= DF_OBJ_COUNT) return df_err_set(err, DF_EINVAL, "/objective", "unknown objective");
    if ((rc = df_net_check_budget(net, err))) return rc;
    ctx_t c = {.net = net, .obj = obj, .L = df_net_layers(net)};
    int32_t L = c.L, N = df_net_batch(net), P = p.population;
    double mut = p.mutation > 0 ? p.mutation : 1.0 / L;
    c.mbv = malloc((size_t)N * sizeof *c.mbv);
    c.gc = malloc((size_t)L * sizeof *c.gc);
    indiv *pop = calloc((size_t)P, sizeof *pop), *nxt = calloc((size_t)P, sizeof *nxt), best = {0};
    uint16_t *genes = calloc((size_t)(2 * P + 1) * 2 * L, sizeof *genes);
    size_t gbytes = (size_t)2 * L * sizeof *genes;
    if (!c.mbv || !c.gc || !pop || !nxt || !genes || df_mapping_init(&c.map, L)) {
        rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        goto done;
    }
    for (int32_t k = N; k >= 1; k--) {
        int32_t m = (N + k - 1) / k;
        if (c.nm == 0 || c.mbv[c.nm - 1] != m) c.mbv[c.nm++] = m;
    }
    for (int32_t i = 0; i < P; i++) {
        pop[i].cut = genes + (size_t)i * 2 * L;
        pop[i].mb = pop[i].cut + L;
        nxt[i].cut = genes + (size_t)(P + i) * 2 * L;
        nxt[i].mb = nxt[i].cut + L;
    }
    best.cut = genes + (size_t)2 * P * 2 * L;
    best.mb = best.cut + L;
    best.fit = INFINITY;
    df_rng r;
    df_rng_seed(&r, p.seed);
    /* initial population: layer-by-layer at the largest single-layer-feasible micro-batch, then
     * random cut densities */
    for (int32_t i = 0; i < L; i++) {
        pop[0].cut[i] = 1;
        int32_t k = 0;
        for (int32_t q = 0; q < c.nm; q++) {
            df_group_cost g;
            df_group_eval(net, i, i, c.mbv[q], &g);
            if (!g.feasible) break;
            k = q;
        }
        pop[0].mb[i] = (uint16_t)k;
    }
    for (int32_t n = 1; n < P; n++) {
        double density = df_rng_uniform(&r);
        for (int32_t i = 0; i < L; i++) {
            pop[n].cut[i] = i == 0 || df_rng_uniform(&r) < density;
            pop[n].mb[i] = (uint16_t)df_rng_range(&r, c.nm);
        }
    }
    for (int32_t gen = 0; gen <= p.generations; gen++) {
        for (int32_t n = 0; n < P; n++) {
            pop[n].fit = fitness(&c, &pop[n]);
            if (pop[n].fit < best.fit) {
                memcpy(best.cut, pop[n].cut, gbytes);
                best.fit = pop[n].fit;
            }
        }
        if (gen == p.generations) break;
        qsort(pop, (size_t)P, sizeof *pop, cmp_fit);
        for (int32_t n = 0; n < p.elites; n++) {
            memcpy(nxt[n].cut, pop[n].cut, gbytes);
        }
        for (int32_t n = p.elites; n < P; n++) {
            const indiv *a = &pop[tournament(pop, P, p.tournament, &r)], *b = &pop[tournament(pop, P, p.tournament, &r)];
            memcpy(nxt[n].cut, a->cut, gbytes);
            if (df_rng_uniform(&r) < p.crossover) { /* two-point crossover over the layer axis */
                int32_t lo = df_rng_range(&r, L), hi = df_rng_range(&r, L);
                if (lo > hi) { int32_t t = lo; lo = hi; hi = t; }
                memcpy(nxt[n].cut + lo, b->cut + lo, (size_t)(hi - lo + 1) * sizeof *genes);
                memcpy(nxt[n].mb + lo, b->mb + lo, (size_t)(hi - lo + 1) * sizeof *genes);
            }
            for (int32_t i = 0; i < L; i++) {
                if (i > 0 && df_rng_uniform(&r) < mut) nxt[n].cut[i] ^= 1;
                if (df_rng_uniform(&r) < mut) {
                    int32_t v = nxt[n].mb[i] + (df_rng_range(&r, 2) ? 1 : -1);
                    if (df_rng_range(&r, 4) == 0) v = df_rng_range(&r, c.nm);
                    nxt[n].mb[i] = (uint16_t)(v < 0 ? 0 : v >= c.nm ? c.nm - 1 : v);
                }
            }
        }
        indiv *t = pop;
        pop = nxt;
        nxt = t;
    }
    if (!(best.fit < 1e300)) {
        rc = df_err_set(err, DF_EINFEASIBLE, "/budget", "genetic search found no feasible mapping");
        goto done;
    }
    out->n_groups = 0;
    for (int32_t i = 0; i < L; i++) {
        if (i == 0 || best.cut[i]) {
            if (df_mapping_push(out, i, i, c.mbv[best.mb[i]])) { rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory"); goto done; }
        } else {
            out->groups[out->n_groups - 1].last = i;
        }
    }
    if (st) st->groups_evaluated = c.evals;
done:
    df_mapping_free(&c.map);
    free(c.mbv);
    free(c.gc);
    free(pop); /* the two population arrays, in whichever order the generations left them */
    free(nxt);
    free(genes);
    return rc;
}
