/* repair.c - local search that makes a mapping feasible and improves it (see df_repair in solve.h):
 * the "repair" path of the check before every reply. Moves are scored with df_mapping_eval, so the
 * cost model's one feasibility rule decides, as everywhere. In the depth-first space (df_repair_in)
 * a group's tile and overlap mode are moves too (every option of df_tile_options and the whole
 * tensor, at the group's micro-batch), groups keep their tiles through the other moves, and a group
 * that fits no micro-batch whole may be made feasible by a tile. */
#include "dnnfuser/solve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const df_net *net;
    df_objective obj;
    df_space space;
    int32_t N;
    df_mapping cand;
    int64_t evals;
    int oom; /* the cost model ran out of memory: an error to report, not an infeasible move */
} rctx;

/* Objective of a mapping, +inf when infeasible or malformed (an out-of-memory sets c->oom). */
static double score(rctx *c, const df_mapping *m) {
    df_metrics mt;
    c->evals += m->n_groups;
    int rc = df_mapping_eval(c->net, m, &mt, NULL, NULL);
    if (rc == DF_ENOMEM) c->oom = 1;
    if (rc || !mt.feasible) return INFINITY;
    return df_objective_value(c->obj, &mt);
}

/* Next / previous micro-batch candidate (the exact solver's set ceil(N/k)). */
static int32_t mb_step(int32_t N, int32_t m, int dir) {
    if (dir > 0) {
        for (int32_t k = (N + m - 1) / m; k >= 1; k--) {
            int32_t v = (N + k - 1) / k;
            if (v > m) return v;
        }
        return m;
    }
    for (int32_t k = (N + m - 1) / m; k <= N; k++) {
        int32_t v = (N + k - 1) / k;
        if (v < m) return v;
    }
    return m;
}

/* Largest feasible micro-batch of group [f, l], 0 if none (or out of memory: c->oom). */
static int32_t best_fit_mb(rctx *c, int32_t f, int32_t l) {
    int32_t N = df_net_batch(c->net), best = 0;
    for (int32_t k = N; k >= 1; k--) {
        int32_t m = (N + k - 1) / k;
        df_group_cost g;
        if (df_group_eval(c->net, f, l, m, &g) == DF_ENOMEM) {
            c->oom = 1;
            return 0;
        }
        if (!g.feasible) break;
        best = m;
    }
    return best;
}

/* Depth-first: the first tile option of group [f, l] feasible at micro-batch 1 (0 if none). */
static int tiled_fit(rctx *c, int32_t f, int32_t l, df_group *out) {
    df_tile_option opt[DF_MAX_TILE_OPTIONS];
    int32_t no = df_tile_options(df_net_workload(c->net), l, opt);
    for (int32_t o = 0; o < no; o++) {
        df_group g = {.first = f,
                      .last = l,
                      .micro_batch = 1,
                      .tile_rows = opt[o].rows,
                      .tile_cols = opt[o].cols,
                      .overlap = opt[o].overlap};
        df_group_cost gc;
        if (df_group_eval_tiled(c->net, &g, &gc) == DF_ENOMEM) {
            c->oom = 1;
            return 0;
        }
        if (gc.feasible) {
            *out = g;
            return 1;
        }
    }
    return 0;
}

/* Makes every group feasible: lower its micro-batch, else split it into feasible prefixes (in the
 * depth-first space a prefix may also be made feasible by a tile). A group that already fits keeps
 * its form. */
static int make_feasible(rctx *c, df_mapping *m) {
    df_mapping *o = &c->cand;
    o->n_groups = 0;
    for (int32_t g = 0; g < m->n_groups; g++) {
        df_group gc0 = m->groups[g];
        df_group_cost cur;
        if (df_group_eval_tiled(c->net, &gc0, &cur) == DF_ENOMEM) return DF_ENOMEM;
        if (cur.feasible) {
            if (df_mapping_push_group(o, &gc0)) return DF_ENOMEM;
            continue;
        }
        int32_t f = gc0.first, l = gc0.last;
        while (f <= l) {
            int32_t e = l, mb = 0;
            df_group tg;
            int tiled = 0;
            while (e >= f && !(mb = best_fit_mb(c, f, e)) && !c->oom &&
                   !(c->space == DF_SPACE_DEPTH_FIRST && (tiled = tiled_fit(c, f, e, &tg))) && !c->oom)
                e--;
            if (c->oom) return DF_ENOMEM;
            if (e < f) return DF_EINFEASIBLE;
            int32_t want = gc0.micro_batch;
            if (tiled ? df_mapping_push_group(o, &tg) : df_mapping_push(o, f, e, want <= mb ? want : mb))
                return DF_ENOMEM;
            f = e + 1;
        }
    }
    return df_mapping_copy(m, o);
}

static int try_move(rctx *c, df_mapping *m, double *cur) {
    double v = score(c, &c->cand);
    if (c->oom) return -1;
    if (v < *cur * (1 - 1e-12)) {
        *cur = v;
        return df_mapping_copy(m, &c->cand) ? -1 : 1;
    }
    return 0;
}

int df_repair(const df_net *net, df_objective obj, df_mapping *map, int32_t max_moves, df_solve_stats *st,
              df_err *err) {
    return df_repair_in(net, obj, DF_SPACE_BATCH, map, max_moves, st, err);
}

int df_repair_in(const df_net *net, df_objective obj, df_space space, df_mapping *map, int32_t max_moves,
                 df_solve_stats *st, df_err *err) {
    df_err_clear(err);
    df_solve_stats_reset(st);
    int rc = space == DF_SPACE_BATCH ? df_net_check_budget(net, err) : DF_OK; /* tiles may fit what whole does not */
    if (rc) return rc;
    rctx c = {.net = net, .obj = obj, .space = space, .N = df_net_batch(net)};
    if (df_mapping_init(&c.cand, map->n_groups + 2)) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    df_metrics mt;
    if ((rc = df_mapping_eval(net, map, &mt, NULL, err))) goto done;
    if (!mt.feasible && (rc = make_feasible(&c, map))) {
        if (rc == DF_ENOMEM) goto oom;
        df_err_set_field(err, rc, DF_FIELD_GROUPS, NULL, "could not make the mapping feasible");
        goto done;
    }
    double cur = score(&c, map);
    if (c.oom) goto oom;
    for (int32_t moves = 0; moves < max_moves;) {
        if (df_solve_cancelled(st)) { /* map is still feasible and no worse than it came */
            rc = df_err_set(err, DF_ECANCELED, NULL, "cancelled after %d moves", (int)moves);
            goto done;
        }
        int improved = 0;
        for (int32_t g = 0; g < map->n_groups && !improved; g++) {
            df_group gr = map->groups[g];
            /* micro-batch up / down */
            for (int dir = -1; dir <= 1 && !improved; dir += 2) {
                int32_t nm = mb_step(c.N, gr.micro_batch, dir);
                if (nm == gr.micro_batch) continue;
                df_mapping_copy(&c.cand, map);
                c.cand.groups[g].micro_batch = nm;
                if ((improved = try_move(&c, map, &cur)) < 0) goto oom;
            }
            /* depth-first: another tile or overlap mode (the whole tensor first) at this micro-batch */
            if (space == DF_SPACE_DEPTH_FIRST && !improved) {
                df_tile_option opt[DF_MAX_TILE_OPTIONS + 1];
                int32_t no = df_tile_options(df_net_workload(net), gr.last, opt + 1);
                opt[0] = (df_tile_option){0, 0, 0};
                for (int32_t o = 0; o <= no && !improved; o++) {
                    if (opt[o].rows == gr.tile_rows && opt[o].cols == gr.tile_cols && opt[o].overlap == gr.overlap)
                        continue;
                    df_mapping_copy(&c.cand, map);
                    c.cand.groups[g].tile_rows = opt[o].rows;
                    c.cand.groups[g].tile_cols = opt[o].cols;
                    c.cand.groups[g].overlap = opt[o].overlap;
                    if ((improved = try_move(&c, map, &cur)) < 0) goto oom;
                }
            }
            if (g + 1 < map->n_groups) {
                df_group nx = map->groups[g + 1];
                /* boundary one layer left / right */
                if (!improved && gr.last > gr.first) {
                    df_mapping_copy(&c.cand, map);
                    c.cand.groups[g].last--;
                    c.cand.groups[g + 1].first--;
                    if ((improved = try_move(&c, map, &cur)) < 0) goto oom;
                }
                if (!improved && nx.last > nx.first) {
                    df_mapping_copy(&c.cand, map);
                    c.cand.groups[g].last++;
                    c.cand.groups[g + 1].first++;
                    if ((improved = try_move(&c, map, &cur)) < 0) goto oom;
                }
                /* merge with the next group, at either group's micro-batch */
                for (int which = 0; which < 2 && !improved; which++) {
                    c.cand.n_groups = 0;
                    for (int32_t h = 0; h < map->n_groups; h++) {
                        if (h == g + 1) continue;
                        df_group x = map->groups[h];
                        if (h == g) { /* the merged group ends where nx did: it takes nx's tile */
                            x.last = nx.last;
                            x.micro_batch = which ? nx.micro_batch : gr.micro_batch;
                            x.tile_rows = nx.tile_rows;
                            x.tile_cols = nx.tile_cols;
                            x.overlap = nx.overlap;
                        }
                        if (df_mapping_push_group(&c.cand, &x)) goto oom;
                    }
                    if ((improved = try_move(&c, map, &cur)) < 0) goto oom;
                }
            }
            /* split in two (each half keeps the micro-batch) */
            for (int32_t s = gr.first + 1; s <= gr.last && !improved; s++) {
                c.cand.n_groups = 0;
                for (int32_t h = 0; h < map->n_groups; h++) {
                    df_group x = map->groups[h];
                    if (h == g) { /* the first half gets the whole tensor, the second keeps the tile */
                        if (df_mapping_push(&c.cand, x.first, s - 1, x.micro_batch)) goto oom;
                        x.first = s;
                        if (df_mapping_push_group(&c.cand, &x)) goto oom;
                    } else if (df_mapping_push_group(&c.cand, &x))
                        goto oom;
                }
                if ((improved = try_move(&c, map, &cur)) < 0) goto oom;
            }
        }
        if (!improved) break;
        moves++;
    }
    if (st) st->groups_evaluated = c.evals;
    rc = isfinite(cur)
             ? DF_OK
             : df_err_set_field(err, DF_EINFEASIBLE, DF_FIELD_GROUPS, NULL, "repair found no feasible mapping");
    goto done;
oom:
    rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
done:
    df_mapping_free(&c.cand);
    return rc;
}

/* The objective of totals (latency, energy, DRAM summed over the groups, df_mapping_eval; EDP their
 * product with the latency in seconds, as df_objective_value). */
static double totals_value(df_objective obj, double lat, double en, double dram, double clock_hz) {
    df_metrics m = {
        .feasible = 1, .latency_cycles = lat, .latency_s = lat / clock_hz, .energy_pj = en, .dram_bytes = dram};
    return df_objective_value(obj, &m);
}

int df_repair_forms(const df_net *net, df_objective obj, df_space space, df_mapping *map, int32_t *changed,
                    df_solve_stats *st, df_err *err) {
    df_err_clear(err);
    df_solve_stats_reset(st);
    if (changed) *changed = 0;
    int32_t N = df_net_batch(net), G = map->n_groups;
    int32_t *mbs = malloc((size_t)N * sizeof *mbs);
    df_group_cost *gc = calloc((size_t)(G > 0 ? G : 1), sizeof *gc);
    df_mapping out = {0};
    int rc = DF_OK;
    if (!mbs || !gc || df_mapping_init(&out, G > 0 ? G : 1) || df_mapping_copy(&out, map)) {
        rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        goto done;
    }
    df_metrics mt;
    if ((rc = df_mapping_eval(net, map, &mt, gc, err))) goto done;
    int32_t nm = df_micro_batches(N, mbs);
    double clock = df_net_hw(net)->clock_hz, lat = mt.latency_cycles, en = mt.energy_pj, dram = mt.dram_bytes;
    int64_t evals = 0;
    int32_t nchanged = 0, infeasible = 0;
    for (int32_t g = 0; g < G; g++) {
        if (df_solve_cancelled(st)) {
            rc = df_err_set(err, DF_ECANCELED, NULL, "cancelled at group %d of %d", (int)g, (int)G);
            goto done;
        }
        df_group *gr = &out.groups[g];
        df_group_cost *cur = &gc[g];
        /* this group's share out of the totals; an infeasible group's figures are only diagnostics */
        double l0 = lat - cur->latency_cycles, e0 = en - cur->energy_pj, d0 = dram - cur->dram_bytes;
        double best = cur->feasible ? totals_value(obj, lat, en, dram, clock) : INFINITY;
        df_tile_option opt[DF_MAX_TILE_OPTIONS + 1];
        opt[0] = (df_tile_option){0, 0, 0}; /* the whole tensor */
        int32_t no = 1 + (space == DF_SPACE_DEPTH_FIRST ? df_tile_options(df_net_workload(net), gr->last, opt + 1) : 0);
        df_group bg = *gr;
        df_group_cost bc = *cur;
        for (int32_t o = 0; o < no; o++) {
            df_group c = {.first = gr->first,
                          .last = gr->last,
                          .micro_batch = 1,
                          .tile_rows = opt[o].rows,
                          .tile_cols = opt[o].cols,
                          .overlap = opt[o].overlap};
            /* a tile's plan is prepared once for every micro-batch (df_tiled_cost = df_group_eval_tiled) */
            df_tiled *tp = NULL;
            if (!df_group_is_whole(net, &c) && df_tiled_prepare(net, &c, &tp) != DF_OK) {
                df_tiled_free(tp);
                rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
                goto done;
            }
            for (int32_t k = 0; k < nm; k++) { /* micro-batches ascending: the footprint of a form grows with m */
                c.micro_batch = mbs[k];
                df_group_cost cc;
                evals++;
                if ((tp ? df_tiled_cost(net, tp, c.micro_batch, &cc) : df_group_eval_tiled(net, &c, &cc)) ==
                    DF_ENOMEM) {
                    df_tiled_free(tp);
                    rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
                    goto done;
                }
                if (!cc.feasible) break;
                double v = totals_value(obj, l0 + cc.latency_cycles, e0 + cc.energy_pj, d0 + cc.dram_bytes, clock);
                if (v < best * (1 - 1e-12)) {
                    best = v;
                    bg = c;
                    bc = cc;
                }
            }
            df_tiled_free(tp);
        }
        if (!bc.feasible) {
            infeasible++;
            continue;
        }
        if (bg.micro_batch != gr->micro_batch || bg.tile_rows != gr->tile_rows || bg.tile_cols != gr->tile_cols ||
            bg.overlap != gr->overlap) {
            nchanged++;
            *gr = bg;
            lat = l0 + bc.latency_cycles;
            en = e0 + bc.energy_pj;
            dram = d0 + bc.dram_bytes;
            *cur = bc;
        }
    }
    if (st) st->groups_evaluated = evals;
    df_metrics nt;
    if (nchanged > 0 && (rc = df_mapping_eval(net, &out, &nt, NULL, err))) goto done;
    /* kept only when feasible and no worse than map (the totals were summed in another order) */
    if (nchanged > 0 && !infeasible && nt.feasible &&
        (!mt.feasible || df_objective_value(obj, &nt) <= df_objective_value(obj, &mt))) {
        if ((rc = df_mapping_copy(map, &out))) {
            rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
            goto done;
        }
        if (changed) *changed = nchanged;
    }
done:
    free(mbs);
    free(gc);
    df_mapping_free(&out);
    return rc;
}
