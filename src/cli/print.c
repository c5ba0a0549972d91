/* print.c - the reports of map and eval: the human header, group table, metrics and gain over
 * layer-by-layer, and the same content as one JSON object (the API's shape). */
#include "cli.h"

#include <math.h>
#include <string.h>

static const char *elem_name(int32_t eb) {
    switch (eb) {
    case 1: return "int8";
    case 2: return "fp16";
    case 4: return "fp32";
    default: return "?";
    }
}

void cli_hw_summary(const df_hw *hw, char *buf, size_t n) {
    snprintf(buf, n, "%s: %dx%d PEs %s, %g B/cycle DRAM, %g B/cycle NoC, %.2f GHz, %s", hw->name, hw->pe_rows,
             hw->pe_cols, df_dataflow_name(hw->dataflow), hw->dram_bw, hw->noc_bw, hw->clock_hz / 1e9,
             elem_name(hw->elem_bytes));
}

/* "conv1 .. layer1.0.conv3", shortened to fit width (keeps both ends readable). */
static void group_label(const df_workload *w, const df_group *g, char *buf, size_t n) {
    if (g->first == g->last)
        snprintf(buf, n, "%s", w->layers[g->first].name);
    else
        snprintf(buf, n, "%s .. %s", w->layers[g->first].name, w->layers[g->last].name);
}

static double ratio(double base, double v) { return v > 0 && base > 0 ? base / v : 0; }

static void print_change(FILE *f, const char *what, double base, double v) {
    if (base <= 0) {
        fprintf(f, "%s n/a", what);
        return;
    }
    double pct = (1.0 - v / base) * 100.0;
    if (fabs(pct) < 0.05)
        fprintf(f, "%s unchanged", what);
    else
        fprintf(f, "%s %.1f%% %s", what, fabs(pct), pct > 0 ? "lower" : "higher");
}

void cli_print_report(FILE *f, const cli_report *r) {
    const df_workload *w = df_net_workload(r->net);
    const df_hw *hw = df_net_hw(r->net);
    const cli_solution *s = r->sol;
    char hws[256], b1[32], b2[32];
    cli_hw_summary(hw, hws, sizeof hws);
    fprintf(f, "%s: %d layers, %.3f GMAC/sample | %s | budget %s | batch %d | objective %s | solver %s\n", w->name,
            w->n_layers, (double)df_workload_macs(w) / 1e9, hws, df_format_size(hw->buffer_bytes, b1, sizeof b1),
            df_net_batch(r->net), df_objective_name(r->objective), r->solver);

    /* group table */
    char label[2 * DF_NAME_MAX + 8];
    int lw = 6;
    for (int32_t g = 0; g < s->map.n_groups; g++) {
        group_label(w, &s->map.groups[g], label, sizeof label);
        int len = (int)strlen(label);
        if (len > lw) lw = len;
    }
    /* depth-first columns only when some group is tiled: the tile of its last output (rows x cols, and
     * how many per sample), the overlap mode, the extra MACs of recomputed halos */
    int tiled = 0;
    double macs = 0, layer_macs = 0;
    for (int32_t g = 0; g < s->map.n_groups; g++) {
        tiled += s->gc[g].tiles_y * s->gc[g].tiles_x > 1;
        macs += s->gc[g].macs;
        layer_macs += s->gc[g].layer_macs;
    }
    fprintf(f, "\n%4s  %-*s %6s %6s %12s %14s %8s  %-9s %8s", "group", lw, "layers", "n", "mb", "footprint", "bytes",
            "budget", "weights", "latency");
    if (tiled) fprintf(f, "  %-14s %-10s %9s", "tile (tiles)", "overlap", "recompute");
    fputc('\n', f);
    for (int32_t g = 0; g < s->map.n_groups; g++) {
        const df_group *gr = &s->map.groups[g];
        const df_group_cost *gc = &s->gc[g];
        group_label(w, gr, label, sizeof label);
        double share = s->met.latency_cycles > 0 ? 100.0 * gc->latency_cycles / s->met.latency_cycles : 0;
        double used = hw->buffer_bytes > 0 ? 100.0 * (double)gc->footprint_bytes / (double)hw->buffer_bytes : 0;
        fprintf(f, "%5d  %-*s %6d %6d %12s %14lld %7.1f%%  %-9s %7.1f%%", g, lw, label, gr->last - gr->first + 1,
                gr->micro_batch, df_format_size(gc->footprint_bytes, b1, sizeof b1), (long long)gc->footprint_bytes,
                used, gc->weights_resident ? "resident" : "streamed", share);
        if (tiled && gc->tiles_y * gc->tiles_x > 1) {
            const df_layer *lo = &w->layers[gr->last];
            char tile[48], rc[16];
            snprintf(tile, sizeof tile, "%dx%d (%d)",
                     gr->tile_rows > 0 && gr->tile_rows < lo->P ? gr->tile_rows : lo->P,
                     gr->tile_cols > 0 && gr->tile_cols < lo->Q ? gr->tile_cols : lo->Q, gc->tiles_y * gc->tiles_x);
            snprintf(rc, sizeof rc, "+%.1f%%", gc->layer_macs > 0 ? 100.0 * (gc->macs / gc->layer_macs - 1) : 0.0);
            fprintf(f, "  %-14s %-10s %9s", tile, df_overlap_name((df_overlap)gr->overlap), rc);
        } else if (tiled) {
            fprintf(f, "  %-14s %-10s %9s", "whole", "-", "-");
        }
        fprintf(f, "%s\n", gc->feasible ? "" : "  OVER BUDGET");
    }

    /* metrics */
    const df_metrics *m = &s->met;
    fprintf(f, "\n%-13s %.0f cycles (%.3f ms)\n", "latency", m->latency_cycles, m->latency_s * 1e3);
    fprintf(f, "%-13s %.1f samples/s\n", "throughput", m->throughput_sps);
    fprintf(f, "%-13s %.3f uJ\n", "energy", m->energy_pj / 1e6);
    fprintf(f, "%-13s %.3f MB\n", "DRAM", m->dram_bytes / 1e6);
    fprintf(f, "%-13s %s of %s (%.1f%%)\n", "peak buffer", df_format_size(m->peak_bytes, b1, sizeof b1),
            df_format_size(hw->buffer_bytes, b2, sizeof b2),
            hw->buffer_bytes > 0 ? 100.0 * (double)m->peak_bytes / (double)hw->buffer_bytes : 0);
    fprintf(f, "%-13s %.1f%%\n", "utilization", m->utilization * 100.0);
    if (tiled)
        fprintf(f, "%-13s %d of %d groups tiled, +%.1f%% MACs from recomputed halos\n", "depth-first", tiled,
                s->map.n_groups, layer_macs > 0 ? 100.0 * (macs / layer_macs - 1) : 0.0);
    fprintf(f, "%-13s %s\n", "feasible", m->feasible ? "yes" : "NO");

    /* gain over layer-by-layer */
    if (!m->feasible) {
        fprintf(f, "%-13s no comparison: the mapping does not fit the budget\n", "vs lbl");
    } else if (r->base && r->base->ok) {
        const df_metrics *b = &r->base->met;
        fprintf(f, "%-13s %.3fx speedup, ", "vs lbl", ratio(b->latency_cycles, m->latency_cycles));
        print_change(f, "energy", b->energy_pj, m->energy_pj);
        fprintf(f, ", ");
        print_change(f, "DRAM", b->dram_bytes, m->dram_bytes);
        fprintf(f, " (layer-by-layer: %d groups, %.0f cycles, %.3f uJ, %.3f MB)\n", r->base->map.n_groups,
                b->latency_cycles, b->energy_pj / 1e6, b->dram_bytes / 1e6);
    } else {
        fprintf(f, "%-13s layer-by-layer baseline not available\n", "vs lbl");
    }
    if (strcmp(r->solver, "eval") == 0) {
        fprintf(f, "%-13s evaluated in %.3f ms\n", "time", s->ms);
    } else {
        fprintf(f, "%-13s %s in %.3f ms (%lld group evaluations%s)\n", "solve time", r->path ? r->path : r->solver,
                s->ms, (long long)s->stats.groups_evaluated, s->stats.exact ? ", optimal" : "");
    }
    if (r->path)
        fprintf(f, "%-13s %s%s%s%s\n", "answered by", r->path, r->note ? " (" : "", r->note ? r->note : "",
                r->note ? ")" : "");
}

int cli_print_json(FILE *f, const json_t *j) {
    if (!j) return cli_fail(CLI_EXIT_USAGE, "out of memory building the JSON answer");
    if (json_dumpf(j, f, DF_ANSWER_JSON_PRETTY) != 0) return cli_fail(CLI_EXIT_USAGE, "cannot write the JSON answer");
    fputc('\n', f);
    return 0;
}

int cli_overflow_text(const df_net *net, const df_mapping *map, const df_group_cost *gc, char *buf, size_t n) {
    const df_workload *w = df_net_workload(net);
    const df_hw *hw = df_net_hw(net);
    int over = 0, first = -1;
    for (int32_t g = 0; g < map->n_groups; g++)
        if (!gc[g].feasible) {
            if (first < 0) first = g;
            over++;
        }
    if (first < 0) return 0;
    const df_group *gr = &map->groups[first];
    const df_group_cost *c = &gc[first];
    char b1[32], b2[32];
    int32_t pl = c->peak_layer >= 0 && c->peak_layer < w->n_layers ? c->peak_layer : gr->first;
    snprintf(buf, n,
             "group %d (layers %d..%d, %s .. %s, micro-batch %d) needs %s (%lld bytes) at layer %d (%s), "
             "over the budget of %s (%lld bytes)%s",
             first, gr->first, gr->last, w->layers[gr->first].name, w->layers[gr->last].name, gr->micro_batch,
             df_format_size(c->footprint_bytes, b1, sizeof b1), (long long)c->footprint_bytes, pl, w->layers[pl].name,
             df_format_size(hw->buffer_bytes, b2, sizeof b2), (long long)hw->buffer_bytes,
             over > 1 ? " (and more groups overflow)" : "");
    return 1;
}
