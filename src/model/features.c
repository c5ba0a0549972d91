/* features.c - the transformer mapper's view of a request: per-layer features (static: layer shape,
 * DAG structure, hardware, budget, batch, objective, cost-model hints; dynamic: the partial schedule),
 * the action space (join current group / start a group with a micro-batch slot) and the feasibility
 * mask, computed incrementally with df_group_eval, the cost model's single feasibility rule. */
#include "dnnfuser/features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const int32_t df_slot_nmicro[DF_MB_SLOTS] = {1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32, 48, 64, 128};

enum { STATIC_FEATURES = 54, DYNAMIC_FEATURES = 10 + DF_ACTIONS + 1 };
_Static_assert(STATIC_FEATURES + DYNAMIC_FEATURES == DF_FEATURES, "feature layout out of sync");

static float lg(double v) { return (float)log2(v > 1e-30 ? v : 1e-30); }
static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

void df_episode_free(df_episode *ep) {
    if (!ep) return;
    free(ep->max_single_m);
    free(ep->lbl_cost);
    free(ep->static_feat);
    free(ep->start_ok);
    free(ep->n_opts);
    free(ep->opts);
    free(ep->alone_cost);
    memset(ep, 0, sizeof *ep);
}

/* lbl_cost holds, per layer, [latency, energy, dram] of its best single-layer group. */
#define LBL(ep, t, k) ((ep)->lbl_cost[(size_t)(t)*3 + (k)])

void df_close_group(const df_episode *ep, int32_t first, int32_t last, int32_t m, int c, df_group *out) {
    memset(out, 0, sizeof *out);
    out->first = first;
    out->last = last;
    out->micro_batch = m;
    if (c > 0 && ep->opts && c <= ep->n_opts[last]) {
        const df_close_option *o = &ep->opts[(size_t)last * DF_CLOSE_MAX_OPTIONS + c - 1];
        out->tile_rows = o->rows;
        out->tile_cols = o->cols;
        out->overlap = o->overlap;
    }
}

/* A group's tile options planned one after another (df_tiled_prepare_reuse): the per-axis passes of
 * [first, last] shared, the previous option's figures and the regions' workspace reused; without the
 * passes (out of memory) each option planned alone (df_tiled_prepare, the same numbers). */
typedef struct {
    df_tile_axes *axes;
    df_tiled *tp[2]; /* this option's and the previous one's (its figures) */
    int cur;
    df_tile_suffix *geo; /* the regions' workspace */
    df_tiled *one;       /* the plan of an option planned alone */
} opt_plans;

static void opt_plans_init(opt_plans *p, const df_net *net, int32_t first, int32_t last) {
    *p = (opt_plans){0};
    if (df_tile_axes_new_range(df_net_workload(net), first, last, &p->axes) != DF_OK) p->axes = NULL;
}

/* g's plan (valid until the next call), NULL when it cannot be made */
static const df_tiled *opt_plans_next(opt_plans *p, const df_net *net, const df_group *g) {
    df_tiled_free(p->one);
    p->one = NULL;
    if (!p->axes) return df_tiled_prepare(net, g, &p->one) == DF_OK ? p->one : NULL;
    if (df_tiled_prepare_reuse(net, p->axes, g, p->tp[1 - p->cur], &p->geo, &p->tp[p->cur]) != DF_OK) return NULL;
    const df_tiled *t = p->tp[p->cur];
    p->cur = 1 - p->cur;
    return t;
}

static void opt_plans_free(opt_plans *p) {
    df_tiled_free(p->tp[0]);
    df_tiled_free(p->tp[1]);
    df_tiled_free(p->one);
    df_tile_suffix_free(p->geo);
    df_tile_axes_free(p->axes);
}

/* the close slots of [first, last] at m: cost and feasibility of each (slot 0 by df_group_eval, through
 * memo when given, the tiles by df_group_eval_tiled, the cost model's rule: opt_plans with the per-axis
 * passes shared by the options, the same numbers); returns 1 if any is feasible */
static int eval_slots(const df_episode *ep, df_group_memo *memo, int32_t first, int32_t last, int32_t m,
                      df_group_cost *cost, uint8_t *ok) {
    int any = 0;
    memset(ok, 0, DF_CLOSE_SLOTS);
    opt_plans op = {0};
    int have = 0;
    for (int c = 0; c <= ep->n_opts[last]; c++) {
        df_group g;
        df_close_group(ep, first, last, m, c, &g);
        int rc;
        if (c == 0)
            rc = df_group_eval_memo(ep->net, memo, first, last, m, &cost[c]);
        else if (df_group_is_whole(ep->net, &g))
            rc = df_group_eval_tiled(ep->net, &g, &cost[c]);
        else {
            if (!have) opt_plans_init(&op, ep->net, first, last), have = 1;
            const df_tiled *tp = opt_plans_next(&op, ep->net, &g);
            rc = tp ? df_tiled_cost(ep->net, tp, m, &cost[c]) : DF_ENOMEM;
        }
        if (rc) continue;
        ok[c] = (uint8_t)(cost[c].feasible != 0);
        any |= ok[c];
    }
    opt_plans_free(&op);
    return any;
}

/* eval_slots through share[0..n) (nullable): an entry of the same group and micro-batch is copied (the
 * same numbers: eval_slots is a function of them; memo only spares work), else the evaluation is stored
 * over an entry of another last (the candidates' earlier steps) or the one its first hashes to */
static void eval_slots_shared(const df_episode *ep, df_group_memo *memo, df_slot_entry *share, int32_t n, int32_t first,
                              int32_t last, int32_t m, df_group_cost *cost, uint8_t *ok) {
    if (!share || n < 1) {
        eval_slots(ep, memo, first, last, m, cost, ok);
        return;
    }
    int32_t slot = -1;
    for (int32_t i = 0; i < n; i++) {
        df_slot_entry *e = &share[i];
        if (e->last == last && e->first == first && e->m == m) {
            memcpy(cost, e->cost, sizeof e->cost);
            memcpy(ok, e->ok, sizeof e->ok);
            return;
        }
        if (slot < 0 && e->last != last) slot = i;
    }
    eval_slots(ep, memo, first, last, m, cost, ok);
    df_slot_entry *e = &share[slot >= 0 ? slot : first % n];
    e->first = first;
    e->last = last;
    e->m = m;
    memcpy(e->cost, cost, sizeof e->cost);
    memcpy(e->ok, ok, sizeof e->ok);
}

#define ALONE(ep, t, k) ((ep)->alone_cost[(size_t)(t)*3 + (k)])

static void alone_min(df_episode *ep, int32_t t, const df_group_cost *g) {
    if (g->latency_cycles < ALONE(ep, t, 0)) ALONE(ep, t, 0) = g->latency_cycles;
    if (g->energy_pj < ALONE(ep, t, 1)) ALONE(ep, t, 1) = g->energy_pj;
    if (g->dram_bytes < ALONE(ep, t, 2)) ALONE(ep, t, 2) = g->dram_bytes;
}

/* depth-first layout: the options per layer, the slots whose layer alone has a feasible close and the
 * least cost of the layer alone over every feasible slot x close (the join rule's "start it alone") */
static int episode_init_df(df_episode *ep, df_err *err) {
    int32_t L = ep->L;
    ep->join_margin = DF_JOIN_MARGIN;
    ep->close_margin = DF_CLOSE_MARGIN;
    ep->start_ok = calloc((size_t)L, sizeof *ep->start_ok);
    ep->n_opts = calloc((size_t)L, sizeof *ep->n_opts);
    ep->opts = calloc((size_t)L * DF_CLOSE_MAX_OPTIONS, sizeof *ep->opts);
    ep->alone_cost = malloc((size_t)L * 3 * sizeof *ep->alone_cost);
    if (!ep->start_ok || !ep->n_opts || !ep->opts || !ep->alone_cost)
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    for (int32_t t = 0; t < L; t++) {
        ALONE(ep, t, 0) = ALONE(ep, t, 1) = ALONE(ep, t, 2) = INFINITY;
        ep->n_opts[t] = df_tile_options(df_net_workload(ep->net), t, &ep->opts[(size_t)t * DF_CLOSE_MAX_OPTIONS]);
        for (int k = 0; k < DF_MB_SLOTS; k++) {
            if (!ep->slot_m[k]) continue;
            df_group_cost g;
            if (df_group_eval(ep->net, t, t, ep->slot_m[k], &g) == DF_OK && g.feasible) {
                ep->start_ok[t] |= 1u << k;
                alone_min(ep, t, &g);
            }
        }
        /* the options share the per-axis passes (opt_plans: the numbers of df_tiled_prepare) */
        opt_plans op = {0};
        if (ep->n_opts[t] > 0) opt_plans_init(&op, ep->net, t, t);
        for (int c = 1; c <= ep->n_opts[t]; c++) {
            df_group g;
            df_close_group(ep, t, t, 1, c, &g);
            const df_tiled *x = opt_plans_next(&op, ep->net, &g);
            if (!x) continue;
            for (int k = 0; k < DF_MB_SLOTS; k++) {
                df_group_cost gc;
                if (ep->slot_m[k] && df_tiled_cost(ep->net, x, ep->slot_m[k], &gc) == DF_OK && gc.feasible) {
                    ep->start_ok[t] |= 1u << k;
                    alone_min(ep, t, &gc);
                }
            }
        }
        opt_plans_free(&op);
    }
    return DF_OK;
}

int df_episode_init(df_episode *ep, const df_net *net, df_objective obj, df_err *err) {
    return df_episode_init_layout(ep, net, obj, DF_LAYOUT_BATCH, err);
}

int df_episode_init_layout(df_episode *ep, const df_net *net, df_objective obj, int layout, df_err *err) {
    df_err_clear(err);
    if (layout < 0 || layout >= DF_LAYOUT_COUNT) return df_err_set(err, DF_EINVAL, NULL, "unknown layout %d", layout);
    memset(ep, 0, sizeof *ep);
    ep->net = net;
    ep->obj = obj;
    ep->L = df_net_layers(net);
    ep->N = df_net_batch(net);
    int32_t L = ep->L, N = ep->N;
    for (int k = 0; k < DF_MB_SLOTS; k++) {
        /* n_micro beyond N means one sample per micro-batch: m = 1 always has a slot */
        int32_t nm = df_slot_nmicro[k] < N ? df_slot_nmicro[k] : N, m = (N + nm - 1) / nm;
        ep->slot_m[k] = m;
        for (int j = 0; j < k; j++)
            if (ep->slot_m[j] == m) ep->slot_m[k] = 0;
    }
    ep->max_single_m = calloc((size_t)L, sizeof *ep->max_single_m);
    ep->lbl_cost = calloc((size_t)L * 3, sizeof *ep->lbl_cost);
    ep->static_feat = calloc((size_t)L * DF_FEATURES, sizeof *ep->static_feat);
    if (!ep->max_single_m || !ep->lbl_cost || !ep->static_feat) {
        df_episode_free(ep);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    const df_workload *w = df_net_workload(net);
    const df_hw *hw = df_net_hw(net);
    double budget = (double)hw->buffer_bytes, eb = hw->elem_bytes;
    /* per layer the footprint of [t, t] at m = 1 (one of the slots' evaluations) and of [t, t+1] at
     * m = 1 (the next layer's [t'-1, t']): each evaluated once */
    double *fp1 = malloc((size_t)L * 2 * sizeof *fp1);
    if (!fp1) {
        df_episode_free(ep);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    /* through a memo (df_group_eval_memo, the same bits): the layer's evaluations at every slot share
     * its liveness, and [t, t+1] grows from [t, t] (NULL if out of memory: df_group_eval). A layer whose
     * evaluation alone has the inputs of an earlier one (df_layer_alone_key: a repeated block) takes
     * that layer's figures, which the slot loop would compute bit for bit; the earlier keys sit in an
     * open-addressing table (out of memory: every layer evaluated) */
    df_group_memo *memo = NULL;
    if (df_group_memo_new(net, &memo) != DF_OK) memo = NULL;
    size_t tsize = 16;
    while (tsize < 2 * (size_t)L) tsize *= 2;
    int32_t *tab = malloc(tsize * sizeof *tab);
    df_layer_alone_key *keys = malloc((size_t)L * sizeof *keys);
    if (tab)
        for (size_t q = 0; q < tsize; q++) tab[q] = -1;
    for (int32_t t = 0; t < L; t++) {
        int32_t u = -1;
        if (tab && keys) {
            df_layer_alone_key_of(net, t, &keys[t]);
            uint64_t h = 0;
            for (int k = 0; k < (int)(sizeof keys[t].w / sizeof keys[t].w[0]); k++)
                h = (h ^ keys[t].w[k]) * 0x9e3779b97f4a7c15ULL;
            size_t q = (size_t)(h >> 20) & (tsize - 1);
            while (tab[q] >= 0 && memcmp(&keys[tab[q]], &keys[t], sizeof keys[t])) q = (q + 1) & (tsize - 1);
            if (tab[q] >= 0)
                u = tab[q];
            else
                tab[q] = t;
        }
        if (u >= 0) {
            ep->max_single_m[t] = ep->max_single_m[u];
            for (int k = 0; k < 3; k++) LBL(ep, t, k) = LBL(ep, u, k);
            fp1[2 * t] = fp1[2 * u];
        } else {
            LBL(ep, t, 0) = LBL(ep, t, 1) = LBL(ep, t, 2) = INFINITY;
            int have1 = 0;
            for (int k = 0; k < DF_MB_SLOTS; k++) {
                if (!ep->slot_m[k]) continue;
                df_group_cost g;
                df_group_eval_memo(net, memo, t, t, ep->slot_m[k], &g);
                if (ep->slot_m[k] == 1) {
                    fp1[2 * t] = g.footprint_bytes;
                    have1 = 1;
                }
                if (!g.feasible) continue;
                if (ep->slot_m[k] > ep->max_single_m[t]) ep->max_single_m[t] = ep->slot_m[k];
                if (g.latency_cycles < LBL(ep, t, 0)) LBL(ep, t, 0) = g.latency_cycles;
                if (g.energy_pj < LBL(ep, t, 1)) LBL(ep, t, 1) = g.energy_pj;
                if (g.dram_bytes < LBL(ep, t, 2)) LBL(ep, t, 2) = g.dram_bytes;
            }
            if (!have1) {
                df_group_cost g1;
                df_group_eval_memo(net, memo, t, t, 1, &g1);
                fp1[2 * t] = g1.footprint_bytes;
            }
        }
        if (t + 1 < L) {
            df_group_cost g1;
            df_group_eval_memo(net, memo, t, t + 1, 1, &g1);
            fp1[2 * t + 1] = g1.footprint_bytes;
        }
    }
    free(tab);
    free(keys);
    df_group_memo_free(memo);
    /* consumers: last consumer index and count per layer output */
    int32_t *last_cons = malloc((size_t)L * sizeof *last_cons), *ncons = calloc((size_t)L, sizeof *ncons);
    if (!last_cons || !ncons) {
        free(last_cons);
        free(ncons);
        free(fp1);
        df_episode_free(ep);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    for (int32_t t = 0; t < L; t++) last_cons[t] = -1;
    for (int32_t t = 0; t < L; t++)
        for (int j = 0; j < w->layers[t].n_inputs; j++) {
            int32_t p = w->layers[t].inputs[j];
            if (p >= 0) {
                last_cons[p] = t;
                ncons[p]++;
            }
        }
    /* the request's own features: the same for every layer, computed once */
    const float lg_L = lg(L), lg_budget = lg(budget), lg_N = lg(N), lg_rows = lg(hw->pe_rows),
                lg_cols = lg(hw->pe_cols), lg_dram_bw = lg(hw->dram_bw), lg_noc_bw = lg(hw->noc_bw);
    for (int32_t t = 0; t < L; t++) {
        const df_layer *l = &w->layers[t];
        const df_layer_figures *f = df_net_layer_figures(net, t);
        float *x = &ep->static_feat[(size_t)t * DF_FEATURES];
        int i = 0;
        for (int k = 0; k < DF_LAYER_TYPE_COUNT; k++) x[i++] = (int)l->type == k;
        x[i++] = lg(l->K);
        x[i++] = lg(l->C);
        x[i++] = lg(l->Y);
        x[i++] = lg(l->X);
        x[i++] = (float)l->R;
        x[i++] = (float)l->S;
        x[i++] = (float)l->stride;
        x[i++] = lg(l->groups);
        double in_el = 0;
        int32_t maxdist = 0;
        int skip_in = 0;
        for (int j = 0; j < l->n_inputs; j++) {
            int32_t p = l->inputs[j];
            in_el += p >= 0 ? (double)df_layer_out_elems(&w->layers[p]) : (double)df_layer_in_elems(l);
            int32_t dist = p >= 0 ? t - p : t + 1;
            if (dist > maxdist) maxdist = dist;
            if (dist > 1 && t > 0) skip_in = 1;
        }
        x[i++] = lg(1 + f->macs);
        x[i++] = lg(1 + f->weight_elems * eb);
        x[i++] = lg(f->out_elems * eb);
        x[i++] = lg(in_el * eb);
        x[i++] = (float)l->n_inputs;
        x[i++] = (float)skip_in;
        x[i++] = lg(1 + maxdist);
        x[i++] = last_cons[t] > t + 1;
        x[i++] = last_cons[t] > t ? lg(1 + last_cons[t] - t) : 0;
        x[i++] = (float)ncons[t];
        x[i++] = last_cons[t] < 0;
        x[i++] = (float)t / L;
        x[i++] = (float)(L - 1 - t) / L;
        x[i++] = lg_L;
        x[i++] = lg_budget;
        x[i++] = lg_N;
        x[i++] = lg_rows;
        x[i++] = lg_cols;
        for (int k = 0; k < DF_DATAFLOW_COUNT; k++) x[i++] = (int)hw->dataflow == k;
        x[i++] = lg_dram_bw;
        x[i++] = lg_noc_bw;
        x[i++] = (float)eb;
        for (int k = 0; k < DF_OBJ_COUNT; k++) x[i++] = (int)obj == k;
        /* cost-model hints */
        x[i++] = clampf(lg(fp1[2 * t] / budget), -24, 8);
        x[i++] = ep->max_single_m[t] ? lg((double)ep->max_single_m[t] / N) : -16;
        double dram_cyc = (in_el + f->out_elems) * eb / hw->dram_bw;
        x[i++] = lg(1 + f->compute_cycles);
        x[i++] = lg(1 + dram_cyc);
        x[i++] = lg(1 + f->compute_cycles) - lg(1 + dram_cyc);
        x[i++] = clampf(lg((f->weight_elems * eb + 1) / budget), -24, 16);
        x[i++] = clampf(lg(f->out_elems * eb / budget), -24, 16);
        x[i++] = t > 0 ? clampf(lg(fp1[2 * (t - 1) + 1] / budget), -24, 8) : 8;
        x[i++] = t + 1 < L ? clampf(lg(fp1[2 * t + 1] / budget), -24, 8) : 8;
        x[i++] = isfinite(LBL(ep, t, 0)) ? lg(1 + LBL(ep, t, 0)) : 0;
        x[i++] = isfinite(LBL(ep, t, 1)) ? lg(1 + LBL(ep, t, 1)) : 0;
    }
    free(last_cons);
    free(ncons);
    free(fp1);
    ep->layout = layout;
    if (layout == DF_LAYOUT_DEPTH_FIRST) {
        int rc = episode_init_df(ep, err);
        if (rc) {
            df_episode_free(ep);
            return rc;
        }
    }
    return DF_OK;
}

void df_sched_begin(df_sched *s) {
    memset(s, 0, sizeof *s);
    s->prev_action = -1;
}

/* the objective's per-group cost (latency, energy, DRAM: df_mapping_eval sums them over groups) */
static double group_metric(int k, const df_group_cost *c) {
    return k == 0 ? c->latency_cycles : k == 1 ? c->energy_pj : c->dram_bytes;
}

static double best_slot(int k, const df_group_cost *opt, const uint8_t *ok) {
    double b = INFINITY;
    for (int c = 0; c < DF_CLOSE_SLOTS; c++)
        if (ok[c] && group_metric(k, &opt[c]) < b) b = group_metric(k, &opt[c]);
    return b;
}

/* df_sched_join_ratio given the close slots jopt/jok of [gstart, t] at gm. Per metric k: the best close
 * of the joined group over the best close of the open group [gstart, t-1] (s->opt) plus the layer alone
 * (ep->alone_cost): both alternatives are whole schedules of the same layers, and latency, energy and
 * DRAM bytes of a mapping are sums over its groups (COST_MODEL.md "Fused groups"), so the ratio is what
 * the join costs over what splitting here costs for these layers. */
static double join_ratio(const df_episode *ep, const df_sched *s, const df_group_cost *jopt, const uint8_t *jok) {
    int32_t t = s->t;
    if (ep->layout != DF_LAYOUT_DEPTH_FIRST || t <= 0 || !s->open || !ep->alone_cost) return 0;
    int ks[2] = {ep->obj == DF_OBJ_ENERGY ? 1 : ep->obj == DF_OBJ_DRAM ? 2 : 0, 1};
    int nk = ep->obj == DF_OBJ_EDP ? 2 : 1;
    double r = INFINITY;
    for (int i = 0; i < nk; i++) {
        double j = best_slot(ks[i], jopt, jok), now = best_slot(ks[i], s->opt, s->opt_ok) + ALONE(ep, t, ks[i]);
        if (!isfinite(j) || !isfinite(now) || now <= 0) return 0;
        if (j / now < r) r = j / now;
    }
    return r;
}

double df_sched_join_ratio(const df_episode *ep, const df_sched *s) {
    if (ep->layout != DF_LAYOUT_DEPTH_FIRST || s->t <= 0 || s->t >= ep->L || !s->open) return 0;
    df_group_cost *jopt = malloc(DF_CLOSE_SLOTS * sizeof *jopt);
    uint8_t jok[DF_CLOSE_SLOTS];
    if (!jopt) return 0;
    eval_slots(ep, NULL, s->gstart, s->t, s->gm, jopt, jok);
    double r = join_ratio(ep, s, jopt, jok);
    free(jopt);
    return r;
}

/* depth-first: the join of layer s->t is allowed (a feasible close of [gstart, t] and the join rule) */
static int join_allowed(const df_episode *ep, const df_sched *s, const df_group_cost *jopt, const uint8_t *jok) {
    int any = 0;
    for (int c = 0; c < DF_CLOSE_SLOTS; c++) any |= jok[c];
    return any && join_ratio(ep, s, jopt, jok) <= ep->join_margin;
}

/* join_any: depth-first layout, [gstart, t] at gm may be joined (join_allowed) */
static int action_allowed(const df_episode *ep, const df_sched *s, int a, const df_group_cost *cont, int join_any) {
    int df = ep->layout == DF_LAYOUT_DEPTH_FIRST;
    if (a == 0) return s->t > 0 && (df ? join_any && s->open : cont->feasible);
    int k = a - 1;
    if (k < 0 || k >= DF_MB_SLOTS || ep->slot_m[k] <= 0) return 0;
    if (df) return (ep->start_ok[s->t] >> k & 1u) && !s->open;
    return ep->slot_m[k] <= ep->max_single_m[s->t];
}

static double rel(double now, double before, double scale) {
    double d = (now - before) / (scale > 0 && isfinite(scale) ? scale : 1);
    return d > 16 ? 16 : d < -16 ? -16 : d;
}

/* features and mask of layer s->t; *contp receives the evaluation of [gstart, t] at gm (zeroed at t = 0),
 * through memo when given (df_group_eval_memo: the same bits); depth-first layout: jopt/jok the close
 * slots of [gstart, t] at gm. The mask is taken as if the open group were closed first (a start closes
 * it). */
static void observe(const df_episode *ep, const df_sched *s, df_group_memo *memo, df_slot_entry *share, int32_t n_share,
                    float *x, uint8_t *mask, df_group_cost *contp, df_group_cost *jopt, uint8_t *jok) {
    int32_t t = s->t;
    memcpy(x, &ep->static_feat[(size_t)t * DF_FEATURES], DF_FEATURES * sizeof *x);
    memset(contp, 0, sizeof *contp);
    int join_any = 0;
    if (ep->layout == DF_LAYOUT_DEPTH_FIRST) {
        memset(jok, 0, DF_CLOSE_SLOTS);
        if (t > 0 && s->open) {
            eval_slots_shared(ep, memo, share, n_share, s->gstart, t, s->gm, jopt, jok);
            join_any = join_allowed(ep, s, jopt, jok);
            *contp = jopt[0];
        }
        df_sched open = *s;
        for (int a = 0; a < DF_ACTIONS; a++) {
            open.open = a == 0 ? s->open : 0;
            mask[a] = (uint8_t)action_allowed(ep, &open, a, contp, join_any);
        }
    } else {
        if (t > 0) df_group_eval_memo(ep->net, memo, s->gstart, t, s->gm, contp);
        for (int a = 0; a < DF_ACTIONS; a++) mask[a] = (uint8_t)action_allowed(ep, s, a, contp, 0);
    }
    const df_group_cost cont = *contp;
    double budget = (double)df_net_hw(ep->net)->buffer_bytes;
    float *d = x + STATIC_FEATURES;
    int i = 0;
    d[i++] = lg(1 + t - s->gstart);
    d[i++] = t > 0 ? (float)s->gm / ep->N : 0;
    d[i++] = t > 0 ? clampf(lg(s->cur.footprint_bytes / budget), -24, 8) : -24;
    d[i++] = mask[0];
    d[i++] = t > 0 ? clampf(lg(cont.footprint_bytes / budget), -24, 8) : 8;
    /* marginal cost of joining vs. running the layer alone (in units of its layer-by-layer cost) */
    d[i++] = t > 0 ? (float)rel(cont.latency_cycles - s->cur.latency_cycles, LBL(ep, t, 0), LBL(ep, t, 0)) : 0;
    d[i++] = t > 0 ? (float)rel(cont.energy_pj - s->cur.energy_pj, LBL(ep, t, 1), LBL(ep, t, 1)) : 0;
    d[i++] = t > 0 ? (float)rel(cont.dram_bytes - s->cur.dram_bytes, LBL(ep, t, 2), LBL(ep, t, 2)) : 0;
    d[i++] = t > 0 ? (float)cont.weights_resident : 0;
    d[i++] = (float)s->n_groups / ep->L;
    for (int a = 0; a < DF_ACTIONS; a++) d[i++] = s->prev_action == a;
    d[i++] = ep->max_single_m[t] ? lg((double)ep->max_single_m[t] / ep->N) : -16;
    /* i == DF_FEATURES - STATIC_FEATURES */
}

void df_sched_observe(const df_episode *ep, const df_sched *s, float *x, uint8_t *mask) {
    df_group_cost cont, *jopt = NULL;
    uint8_t jok[DF_CLOSE_SLOTS];
    if (ep->layout == DF_LAYOUT_DEPTH_FIRST && !(jopt = malloc(DF_CLOSE_SLOTS * sizeof *jopt))) {
        /* no memory for the probe: nothing allowed (a dead end, never an infeasible answer) */
        memset(x, 0, DF_FEATURES * sizeof *x);
        memset(mask, 0, DF_ACTIONS);
        return;
    }
    observe(ep, s, NULL, NULL, 0, x, mask, &cont, jopt, jok);
    free(jopt);
}

void df_sched_observe_step(const df_episode *ep, df_sched *s, float *x, uint8_t *mask) {
    df_sched_observe_step_memo(ep, s, NULL, x, mask);
}

void df_sched_observe_step_memo(const df_episode *ep, df_sched *s, df_group_memo *memo, float *x, uint8_t *mask) {
    df_sched_observe_step_shared(ep, s, memo, NULL, 0, x, mask);
}

void df_sched_observe_step_shared(const df_episode *ep, df_sched *s, df_group_memo *memo, df_slot_entry *share,
                                  int32_t n_share, float *x, uint8_t *mask) {
    observe(ep, s, memo, share, n_share, x, mask, &s->join, s->jopt, s->jopt_ok);
    s->join_t1 = s->t + 1;
}

/* the close rule: slot c of the open group is refused when another feasible slot b beats it by more than
 * ep->close_margin: in the objective's per-group cost (latency, energy, DRAM: sums over the groups, so
 * swapping c for b lowers the mapping's objective by as much), for EDP in both latency and energy
 * (E x D of the mapping falls when both sums do). With a margin >= 1 no optimum is refused: an optimal
 * mapping's close of each group is one of its least-cost slots (up to ties). */
static int close_allowed(const df_episode *ep, const df_sched *s, int c) {
    if (!s->opt_ok[c]) return 0;
    double mg = ep->close_margin;
    if (!(mg < INFINITY)) return 1;
    int k = ep->obj == DF_OBJ_ENERGY ? 1 : ep->obj == DF_OBJ_DRAM ? 2 : 0, edp = ep->obj == DF_OBJ_EDP;
    for (int b = 0; b < DF_CLOSE_SLOTS; b++) {
        if (!s->opt_ok[b] || b == c) continue;
        int beats = group_metric(k, &s->opt[b]) * mg < group_metric(k, &s->opt[c]);
        if (edp) beats = beats && group_metric(1, &s->opt[b]) * mg < group_metric(1, &s->opt[c]);
        if (beats) return 0;
    }
    return 1;
}

int df_sched_close_mask(const df_episode *ep, const df_sched *s, uint8_t *mask) {
    if (!s->open) {
        memset(mask, 0, DF_CLOSE_SLOTS);
        return 0;
    }
    for (int c = 0; c < DF_CLOSE_SLOTS; c++) mask[c] = (uint8_t)close_allowed(ep, s, c);
    return 1;
}

int df_sched_close(const df_episode *ep, df_sched *s, int c) {
    if (ep->layout != DF_LAYOUT_DEPTH_FIRST || !s->open || c < 0 || c >= DF_CLOSE_SLOTS || !close_allowed(ep, s, c))
        return DF_EINVAL;
    /* added in group order (df_mapping_eval's sums) */
    s->closed_latency += s->opt[c].latency_cycles;
    s->closed_energy += s->opt[c].energy_pj;
    s->closed_dram += s->opt[c].dram_bytes;
    s->open = 0;
    return DF_OK;
}

static int sched_apply_df(const df_episode *ep, df_sched *s, int action) {
    int32_t t = s->t;
    if (action == 0) {
        if (s->join_t1 != t + 1 && t > 0 && s->open) eval_slots(ep, NULL, s->gstart, t, s->gm, s->jopt, s->jopt_ok);
        int any = t > 0 && s->open && join_allowed(ep, s, s->jopt, s->jopt_ok);
        s->join_t1 = 0;
        if (!action_allowed(ep, s, 0, NULL, any)) return DF_EINVAL;
        memcpy(s->opt, s->jopt, sizeof s->opt);
        memcpy(s->opt_ok, s->jopt_ok, sizeof s->opt_ok);
        s->cur = s->opt[0];
    } else {
        s->join_t1 = 0;
        if (!action_allowed(ep, s, action, NULL, 0)) return DF_EINVAL;
        s->n_groups++;
        s->gstart = t;
        s->gm = ep->slot_m[action - 1];
        eval_slots(ep, NULL, t, t, s->gm, s->opt, s->opt_ok);
        s->cur = s->opt[0];
        s->open = 1;
    }
    s->prev_action = action;
    s->t++;
    return DF_OK;
}

int df_sched_apply(const df_episode *ep, df_sched *s, int action) {
    if (s->t >= ep->L) return DF_EINVAL;
    if (ep->layout == DF_LAYOUT_DEPTH_FIRST) return sched_apply_df(ep, s, action);
    df_group_cost cont;
    memset(&cont, 0, sizeof cont);
    if (action == 0 && s->t > 0) {
        if (s->join_t1 == s->t + 1)
            cont = s->join; /* observed this step: the same evaluation */
        else
            df_group_eval(ep->net, s->gstart, s->t, s->gm, &cont);
    }
    s->join_t1 = 0;
    if (!action_allowed(ep, s, action, &cont, 0)) return DF_EINVAL;
    if (action == 0) {
        s->cur = cont;
    } else {
        if (s->t > 0) { /* the open group closes: add it in group order (df_mapping_eval's sums) */
            s->closed_latency += s->cur.latency_cycles;
            s->closed_energy += s->cur.energy_pj;
            s->closed_dram += s->cur.dram_bytes;
        }
        s->n_groups++;
        s->gstart = s->t;
        s->gm = ep->slot_m[action - 1];
        df_group_eval(ep->net, s->t, s->t, s->gm, &s->cur);
    }
    s->prev_action = action;
    s->t++;
    return DF_OK;
}

void df_sched_metrics(const df_episode *ep, const df_sched *s, df_metrics *mt) {
    memset(mt, 0, sizeof *mt);
    if (s->t != ep->L || ep->L < 1) return;
    if (ep->layout == DF_LAYOUT_DEPTH_FIRST) { /* every group closed, each added by df_sched_close */
        if (s->open) return;
        mt->latency_cycles = s->closed_latency;
        mt->energy_pj = s->closed_energy;
        mt->dram_bytes = s->closed_dram;
        mt->feasible = 1;
        mt->latency_s = mt->latency_cycles / df_net_hw(ep->net)->clock_hz;
        mt->edp = mt->energy_pj * mt->latency_s;
        return;
    }
    /* 0 + g0 + g1 + ... in group order, as df_mapping_eval accumulates */
    mt->latency_cycles = s->closed_latency + s->cur.latency_cycles;
    mt->energy_pj = s->closed_energy + s->cur.energy_pj;
    mt->dram_bytes = s->closed_dram + s->cur.dram_bytes;
    mt->feasible = s->cur.feasible; /* closed groups were feasible when chosen (the mask) */
    mt->latency_s = mt->latency_cycles / df_net_hw(ep->net)->clock_hz;
    mt->edp = mt->energy_pj * mt->latency_s;
}

int df_sched_actions_to_mapping(const df_episode *ep, const int32_t *actions, df_mapping *out, df_err *err) {
    out->n_groups = 0;
    for (int32_t t = 0; t < ep->L; t++) {
        int a = actions[t];
        if (t == 0 && a == 0) return df_err_set(err, DF_EINVAL, NULL, "layer 0 must start a group");
        if (a < 0 || a >= DF_ACTIONS || (a > 0 && !ep->slot_m[a - 1]))
            return df_err_set(err, DF_EINVAL, NULL, "invalid action %d at layer %d", a, t);
        if (a > 0) {
            if (df_mapping_push(out, t, t, ep->slot_m[a - 1])) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        } else {
            out->groups[out->n_groups - 1].last = t;
        }
    }
    return DF_OK;
}

int df_mapping_to_actions(const df_episode *ep, const df_mapping *map, int32_t *actions, df_err *err) {
    int32_t next = 0;
    for (int32_t g = 0; g < map->n_groups; g++) {
        const df_group *gr = &map->groups[g];
        if (gr->first != next || gr->last < gr->first || gr->last >= ep->L)
            return df_err_set_field(err, DF_EINVAL, DF_FIELD_GROUPS, NULL,
                                    "mapping does not cover the layers in order");
        int best = -1;
        for (int k = 0; k < DF_MB_SLOTS; k++)
            if (ep->slot_m[k] && ep->slot_m[k] <= gr->micro_batch && (best < 0 || ep->slot_m[k] > ep->slot_m[best]))
                best = k;
        if (best < 0)
            return df_err_set_field(err, DF_EINVAL, DF_FIELD_GROUPS, NULL, "no micro-batch slot for group %d", g);
        actions[gr->first] = 1 + best;
        for (int32_t t = gr->first + 1; t <= gr->last; t++) actions[t] = 0;
        next = gr->last + 1;
    }
    if (next != ep->L)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GROUPS, NULL, "mapping does not cover every layer");
    return DF_OK;
}

int df_sched_actions_to_mapping_df(const df_episode *ep, const int32_t *actions, const int32_t *closes, df_mapping *out,
                                   df_err *err) {
    int rc = df_sched_actions_to_mapping(ep, actions, out, err);
    if (rc) return rc;
    for (int32_t g = 0; g < out->n_groups; g++) {
        df_group *gr = &out->groups[g];
        int c = closes[gr->last];
        if (c < 0 || c > ep->n_opts[gr->last])
            return df_err_set(err, DF_EINVAL, NULL, "invalid close slot %d for the group ending at layer %d", c,
                              gr->last);
        df_close_group(ep, gr->first, gr->last, gr->micro_batch, c, gr);
    }
    return DF_OK;
}

int df_mapping_to_actions_df(const df_episode *ep, const df_mapping *map, int32_t *actions, int32_t *closes,
                             df_err *err) {
    int rc = df_mapping_to_actions(ep, map, actions, err);
    if (rc) return rc;
    for (int32_t t = 0; t < ep->L; t++) closes[t] = -1;
    for (int32_t g = 0; g < map->n_groups; g++) {
        const df_group *gr = &map->groups[g];
        int found = df_group_is_whole(ep->net, gr) ? 0 : -1;
        for (int c = 1; found < 0 && c <= ep->n_opts[gr->last]; c++) {
            const df_close_option *o = &ep->opts[(size_t)gr->last * DF_CLOSE_MAX_OPTIONS + c - 1];
            if (o->rows == gr->tile_rows && o->cols == gr->tile_cols && o->overlap == gr->overlap) found = c;
        }
        if (found < 0)
            return df_err_set_field(err, DF_EINVAL, DF_FIELD_GROUPS, NULL,
                                    "group %d's tile %dx%d is not one of the close options", g, gr->tile_rows,
                                    gr->tile_cols);
        closes[gr->last] = found;
    }
    return DF_OK;
}
