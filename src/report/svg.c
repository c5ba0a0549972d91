/* svg.c - SVG pictures of a mapping (footprint per layer under the budget, fusion groups as bands)
 * and of a budget sweep (latency and energy against a log budget axis), see svg.h. Owns the growing
 * text buffer, XML escaping of user text, axis/tick layout and the two renderers. Pure: no I/O, no
 * global mutable state; numbers are printed with fixed formats so the bytes are deterministic. */
#include "dnnfuser/svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the buffer -------------------------------------------------------------------------------- */

void df_svg_buf_init(df_svg_buf *b) { memset(b, 0, sizeof *b); }

void df_svg_buf_free(df_svg_buf *b) {
    if (!b) return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

char *df_svg_buf_take(df_svg_buf *b, size_t *len) {
    char *d = b->data;
    if (len) *len = b->len;
    memset(b, 0, sizeof *b);
    return d;
}

static int grow(df_svg_buf *b, size_t extra) {
    if (b->oom) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->oom = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

static void put(df_svg_buf *b, const char *s, size_t n) {
    if (grow(b, n)) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_(df_svg_buf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(df_svg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(df_svg_buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        put(b, tmp, (size_t)n);
        return;
    }
    if (grow(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid (overlong, surrogate, > U+10FFFF,
 * truncated, or U+FFFE/U+FFFF which XML does not allow). */
static int utf8_len(const unsigned char *s) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF)) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        return 4;
    }
    return 0;
}

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */
#define ELLIPSIS "\xE2\x80\xA6"    /* U+2026 */
#define MICRO "\xC2\xB5"           /* U+00B5 */
#define TIMES "\xC3\x97"           /* U+00D7 */
#define MIDDOT " \xC2\xB7 "        /* " U+00B7 " */

/* Code points of s as put_esc will write them (invalid bytes count one each). */
static size_t cp_count(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
        int l = utf8_len(p);
        p += l ? l : 1;
    }
    return n;
}

/* Appends s as XML character data (also safe inside attribute values): & < > " ' escaped, control
 * characters -> space, invalid UTF-8 -> U+FFFD; more than max_cp code points (0 = no limit) are cut
 * to max_cp - 1 and an ellipsis. */
static void put_esc(df_svg_buf *b, const char *s, size_t max_cp) {
    if (!s) return;
    size_t total = cp_count(s), keep = max_cp && total > max_cp ? max_cp - 1 : total, n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < keep; n++) {
        int l = utf8_len(p);
        switch (l ? *p : 0x100) {
        case '&': puts_(b, "&amp;"); break;
        case '<': puts_(b, "&lt;"); break;
        case '>': puts_(b, "&gt;"); break;
        case '"': puts_(b, "&quot;"); break;
        case '\'': puts_(b, "&#39;"); break;
        case 0x100: puts_(b, REPLACEMENT); break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                put(b, " ", 1);
            else
                put(b, (const char *)p, (size_t)l);
        }
        p += l ? l : 1;
    }
    if (keep < total) puts_(b, ELLIPSIS);
}

/* Rough advance of a string in DejaVu Sans at `size` px (0.58 em per character, a little generous
 * for lower case). */
static double text_width(const char *s, double size) { return 0.58 * size * (double)cp_count(s); }

/* <text x y [attrs]>escaped s</text>; attrs is trusted markup (font-size, anchor, fill...). */
static void text(df_svg_buf *b, double x, double y, const char *attrs, const char *s, size_t max_cp) {
    putf(b, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, attrs && *attrs ? " " : "", attrs ? attrs : "");
    put_esc(b, s, max_cp);
    puts_(b, "</text>\n");
}

/* <title>escaped s</title>: a tooltip for the enclosing element. */
static void title(df_svg_buf *b, const char *s) {
    puts_(b, "<title>");
    put_esc(b, s, 0);
    puts_(b, "</title>");
}

static void doc_open(df_svg_buf *b, int w, int h, const char *doc_title) {
    putf(b,
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
         "font-family=\"DejaVu Sans, Verdana, Arial, Helvetica, sans-serif\" font-size=\"12\" fill=\"#222\">\n",
         w, h, w, h);
    title(b, doc_title);
    putf(b, "\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
}

/* ---- units and ticks --------------------------------------------------------------------------- */

static void fmt_seconds(double s, char *buf, size_t n) {
    if (!(s > 0) || !isfinite(s))
        snprintf(buf, n, "-");
    else if (s >= 1)
        snprintf(buf, n, "%.3f s", s);
    else if (s >= 1e-3)
        snprintf(buf, n, "%.3f ms", s * 1e3);
    else
        snprintf(buf, n, "%.3f " MICRO "s", s * 1e6);
}

static void fmt_energy(double pj, char *buf, size_t n) {
    if (!(pj > 0) || !isfinite(pj))
        snprintf(buf, n, "-");
    else if (pj >= 1e12)
        snprintf(buf, n, "%.3f J", pj / 1e12);
    else if (pj >= 1e9)
        snprintf(buf, n, "%.3f mJ", pj / 1e9);
    else if (pj >= 1e6)
        snprintf(buf, n, "%.3f " MICRO "J", pj / 1e6);
    else if (pj >= 1e3)
        snprintf(buf, n, "%.3f nJ", pj / 1e3);
    else
        snprintf(buf, n, "%.1f pJ", pj);
}

static void fmt_bytes(double v, char *buf, size_t n) {
    if (v >= 1e9)
        snprintf(buf, n, "%.1f GB", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, n, "%.1f MB", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, n, "%.1f kB", v / 1e3);
    else
        snprintf(buf, n, "%.0f B", v);
}

/* A "nice" step (1, 2 or 5 x 10^k) giving at most max_ticks intervals over span. */
static double nice_step(double span, int max_ticks) {
    if (!(span > 0)) return 1;
    double raw = span / max_ticks, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* A unit that makes the values of an axis readable: divisor and name. */
typedef struct {
    double div;
    const char *name;
} unit;

static unit time_unit(double max_s) {
    if (max_s >= 1) return (unit){1, "s"};
    if (max_s >= 1e-3) return (unit){1e-3, "ms"};
    return (unit){1e-6, MICRO "s"};
}

static unit energy_unit(double max_pj) {
    if (max_pj >= 1e12) return (unit){1e12, "J"};
    if (max_pj >= 1e9) return (unit){1e9, "mJ"};
    if (max_pj >= 1e6) return (unit){1e6, MICRO "J"};
    if (max_pj >= 1e3) return (unit){1e3, "nJ"};
    return (unit){1, "pJ"};
}

static unit byte_unit(double max_b) {
    if (max_b >= 1073741824.0) return (unit){1073741824.0, "GiB"};
    if (max_b >= 1048576.0) return (unit){1048576.0, "MiB"};
    if (max_b >= 1024.0) return (unit){1024.0, "KiB"};
    return (unit){1, "B"};
}

/* A tick value in its unit: as few decimals as the step needs. */
static void fmt_tick(double v, double step, const char *unit_name, char *buf, size_t n) {
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 6) dec = 6;
    if (fabs(v) < step * 1e-9) {
        snprintf(buf, n, "0");
        return;
    }
    snprintf(buf, n, "%.*f%s%s", dec, v, unit_name && *unit_name ? " " : "", unit_name ? unit_name : "");
}

/* ---- the mapping picture ----------------------------------------------------------------------- */

#define MAP_W 1200
#define MAP_PL 96.0   /* plot left */
#define MAP_PR 1112.0 /* plot right (the % axis is outside) */
#define MAP_PT 118.0
#define MAP_PB 590.0
/* Layer names under the axis are rotated by 55 degrees: neighbours need NAME_PITCH px apart (the
 * 11 px line height over sin 55) to not overlap. Names are shown for every k-th layer with k the
 * smallest step that gives that pitch, up to NAME_STEP_MAX (every 2nd); beyond it, numbered ticks. */
#define NAME_PITCH 13.5
#define NAME_STEP_MAX 2

static const char *const band_fill[6] = {"#dbe8f5", "#fde4cc", "#dcefd7", "#ebdff2", "#fbe0e6", "#ece7da"};

static const char *elem_name(int32_t eb) { return eb == 1 ? "int8" : eb == 2 ? "fp16" : eb == 4 ? "fp32" : "elements"; }

typedef struct {
    double y0, y1;   /* data range (bytes) */
    double top, bot; /* pixels */
} lin_axis;

static double lin_y(const lin_axis *a, double v) {
    if (v < a->y0) v = a->y0;
    if (v > a->y1) v = a->y1;
    return a->bot - (v - a->y0) / (a->y1 - a->y0) * (a->bot - a->top);
}

/* ---- depth-first tiles (issue 14) -------------------------------------------------------------- */

/* With a tiled group the strip at the top of the plot (above the bytes axis) holds, under the
 * micro-batch and latency rows, the tile rows: "tile RxC, overlap" and the recomputed MACs, next to a
 * glyph of the tile grid. */
#define STRIP_ROW_TILE 40.0   /* baseline of "tile RxC, overlap" below MAP_PT */
#define STRIP_ROW_RECOMP 52.0 /* baseline of "+x% MACs recomputed" */
#define STRIP_TILED 60.0      /* the bytes axis starts this far below MAP_PT when a group is tiled */
#define GLYPH_W 30.0          /* the tile glyph's largest box */
#define GLYPH_H 22.0
#define GLYPH_MIN 6.0

/* 1 when the group runs in more than one tile per sample (the cost model's figure). */
static int group_tiled(const df_group_cost *g) { return (int64_t)g->tiles_y * g->tiles_x > 1; }

/* The effective tile of g's last output (0 or more than the extent = the whole extent), as the
 * replies write it. */
static void group_tile(const df_workload *w, const df_group *g, int32_t *rows, int32_t *cols) {
    const df_layer *l = &w->layers[g->last];
    *rows = g->tile_rows > 0 && g->tile_rows < l->P ? g->tile_rows : l->P;
    *cols = g->tile_cols > 0 && g->tile_cols < l->Q ? g->tile_cols : l->Q;
}

/* Extra MACs from recomputed halos, in percent of the group's layer MACs (the cost model's macs and
 * layer_macs, df_group_cost; 0 for a whole tile). */
static double recompute_pct(const df_group_cost *g) {
    return g->layer_macs > 0 && g->macs > g->layer_macs ? 100.0 * (g->macs / g->layer_macs - 1.0) : 0;
}

/* The recomputed MACs in three lengths (form 0 longest). */
static void fmt_recompute(double pct, int form, char *buf, size_t n) {
    if (pct < 0.05)
        snprintf(buf, n, "%s", form == 0 ? "no MACs recomputed" : form == 1 ? "+0% MACs" : "+0%");
    else if (form == 0)
        snprintf(buf, n, "+%.1f%% MACs recomputed", pct);
    else if (form == 1)
        snprintf(buf, n, "+%.1f%% MACs", pct);
    else
        snprintf(buf, n, "+%.0f%%", pct);
}

/* The glyph of a tiled group: its last output as a box (aspect kept within maxw x GLYPH_H, maxw at
 * most GLYPH_W), the tile grid in it where the lines are at least 2.5 px apart, and the first tile
 * filled. *w_out gets the glyph's width (and nothing is drawn when draw is 0). */
static void tile_glyph(df_svg_buf *b, double x, double y, double maxw, const df_layer *l, int32_t rows, int32_t cols,
                       const df_group_cost *gc, int draw, double *w_out) {
    double P = l->P > 0 ? l->P : 1, Q = l->Q > 0 ? l->Q : 1, s = fmin(maxw / Q, GLYPH_H / P);
    double gw = fmin(maxw, fmax(GLYPH_MIN, Q * s)), gh = fmin(GLYPH_H, fmax(GLYPH_MIN, P * s));
    *w_out = gw;
    if (!draw) return;
    double y0 = y + (GLYPH_H - gh) / 2;
    putf(b,
         "<g class=\"tile-grid\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" "
         "stroke=\"#1a3d6e\" stroke-width=\"1\"/>",
         x, y0, gw, gh);
    double tw = gw * cols / Q, th = gh * rows / P; /* one tile; the last row/column of tiles may be smaller */
    putf(b,
         "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1a3d6e\" fill-opacity=\"0.75\" "
         "stroke=\"none\"/>",
         x, y0, fmin(fmax(2, tw), gw), fmin(fmax(2, th), gh));
    if (gc->tiles_y > 1 && th >= 2.5) {
        puts_(b, "<path fill=\"none\" stroke=\"#1a3d6e\" stroke-width=\"0.6\" d=\"");
        for (int32_t k = 1; k < gc->tiles_y; k++) putf(b, "M%.1f %.1fh%.1f", x, y0 + th * k, gw);
        puts_(b, "\"/>");
    }
    if (gc->tiles_x > 1 && tw >= 2.5) {
        puts_(b, "<path fill=\"none\" stroke=\"#1a3d6e\" stroke-width=\"0.6\" d=\"");
        for (int32_t k = 1; k < gc->tiles_x; k++) putf(b, "M%.1f %.1fv%.1f", x + tw * k, y0, gh);
        puts_(b, "\"/>");
    }
    puts_(b, "</g>");
}

/* The tile rows of one tiled group's band [x0, x1): the glyph and beside it "tile RxC, overlap" and
 * the recomputed MACs, each in the longest form that fits; without the glyph when only so the tile
 * text fits; the glyph alone (narrowed to the band) when no text does. */
static void group_tiles(df_svg_buf *b, const df_workload *w, const df_group *g, const df_group_cost *gc, double x0,
                        double x1) {
    int32_t rows, cols;
    group_tile(w, g, &rows, &cols);
    const df_layer *l = &w->layers[g->last];
    const char *mode = df_overlap_name((df_overlap)g->overlap);
    char t[3][64], r[3][40];
    snprintf(t[0], sizeof t[0], "tile %d" TIMES "%d, %s", rows, cols, mode);
    snprintf(t[1], sizeof t[1], "%d" TIMES "%d %s", rows, cols, mode);
    snprintf(t[2], sizeof t[2], "%d" TIMES "%d", rows, cols);
    double pct = recompute_pct(gc), room = x1 - x0 - 6, gwid;
    for (int k = 0; k < 3; k++) fmt_recompute(pct, k, r[k], sizeof r[k]);
    tile_glyph(b, 0, 0, GLYPH_W, l, rows, cols, gc, 0, &gwid);
    double gy = MAP_PT + STRIP_ROW_TILE - 10;
    for (int with_glyph = 1; with_glyph >= 0; with_glyph--) {
        double lead = with_glyph ? gwid + 4 : 0, avail = room - lead;
        int kt = 0, kr = 0;
        while (kt < 3 && text_width(t[kt], 10) > avail) kt++;
        while (kr < 3 && text_width(r[kr], 10) > avail) kr++;
        if (kt == 3) continue;
        double tw = fmax(text_width(t[kt], 10), kr < 3 ? text_width(r[kr], 10) : 0);
        double bx = (x0 + x1) / 2 - (lead + tw) / 2;
        if (with_glyph) tile_glyph(b, bx, gy, GLYPH_W, l, rows, cols, gc, 1, &gwid);
        text(b, bx + lead, MAP_PT + STRIP_ROW_TILE, "class=\"tile\"", t[kt], 0);
        if (kr < 3) text(b, bx + lead, MAP_PT + STRIP_ROW_RECOMP, "class=\"recompute\"", r[kr], 0);
        return;
    }
    /* no text fits: the glyph alone, narrowed to the band when need be */
    double maxw = fmin(GLYPH_W, room);
    if (maxw < GLYPH_MIN) return;
    tile_glyph(b, 0, 0, maxw, l, rows, cols, gc, 0, &gwid);
    tile_glyph(b, (x0 + x1) / 2 - gwid / 2, gy, maxw, l, rows, cols, gc, 1, &gwid);
}

/* The title: "[INFEASIBLE: ]workload · solver mapping: gain". The workload name is the user's: it is
 * cut (and the font made smaller) so the gain always fits the width. */
static void map_title(df_svg_buf *b, const df_svg_map_opts *o, const df_workload *w, const df_metrics *m, int tiled,
                      double recomp) {
    char tail[260] = "";
    const df_metrics *base = o->baseline;
    if (base && base->latency_cycles > 0 && m->latency_cycles > 0) {
        double sp = base->latency_cycles / m->latency_cycles;
        char dram[80];
        if (base->dram_bytes <= 0)
            snprintf(dram, sizeof dram, "DRAM traffic n/a");
        else {
            double red = (1.0 - m->dram_bytes / base->dram_bytes) * 100.0;
            if (fabs(red) < 0.05)
                snprintf(dram, sizeof dram, "the same DRAM traffic as");
            else
                snprintf(dram, sizeof dram, "%.1f%% %s DRAM traffic than", fabs(red), red > 0 ? "less" : "more");
        }
        snprintf(tail, sizeof tail, ": %.2f" TIMES " speedup, %s layer-by-layer", sp, dram);
    }
    if (tiled && recomp >= 0.05) { /* depth-first: what recomputed halos cost over the whole mapping */
        size_t tl = strlen(tail);
        char rc[40];
        fmt_recompute(recomp, 0, rc, sizeof rc);
        snprintf(tail + tl, sizeof tail - tl, "%s%s", tl ? ", " : ": ", rc);
    }
    const char *solver = o->solver && *o->solver ? o->solver : "fusion";
    const char *bad = m->feasible ? "" : "INFEASIBLE: ";
    size_t name_cp = cp_count(w->name), solver_cp = cp_count(solver);
    if (name_cp > 40) name_cp = 40;
    if (solver_cp > 24) solver_cp = 24;
    const char *kind = tiled ? " depth-first mapping" : " mapping";
    size_t fixed = cp_count(bad) + 3 + solver_cp + cp_count(kind) + cp_count(tail);
    double size = 18, avail = MAP_W - 48;
    if (0.62 * size * (double)(fixed + name_cp) > avail) size = avail / (0.62 * (double)(fixed + name_cp));
    if (size < 13) {
        size = 13;
        double room = avail / (0.62 * size) - (double)fixed;
        name_cp = room > 8 ? (size_t)room : 8;
    }
    putf(b, "<text x=\"24\" y=\"30\" font-size=\"%.1f\" font-weight=\"bold\">", size);
    if (*bad) putf(b, "<tspan fill=\"#c0392b\">%s</tspan>", bad);
    put_esc(b, w->name, name_cp);
    puts_(b, MIDDOT);
    put_esc(b, solver, 24);
    puts_(b, kind);
    put_esc(b, tail, 0);
    puts_(b, "</text>\n");
}

static void map_subtitles(df_svg_buf *b, const df_svg_map_opts *o, const df_metrics *m, int over) {
    const df_hw *hw = df_net_hw(o->net);
    char line[640], s1[32], s2[32], s3[32], s4[32];
    snprintf(line, sizeof line,
             "%s: %dx%d PEs %s, %g B/cycle DRAM, %.2f GHz, %s" MIDDOT "budget %s" MIDDOT "batch %d" MIDDOT
             "objective %s",
             hw->name, hw->pe_rows, hw->pe_cols, df_dataflow_name(hw->dataflow), hw->dram_bw, hw->clock_hz / 1e9,
             elem_name(hw->elem_bytes), df_format_size(hw->buffer_bytes, s1, sizeof s1), df_net_batch(o->net),
             df_objective_name(o->objective));
    text(b, 24, 52, "font-size=\"13\" fill=\"#444\"", line, 180);
    fmt_seconds(m->latency_s, s2, sizeof s2);
    fmt_energy(m->energy_pj, s3, sizeof s3);
    fmt_bytes(m->dram_bytes, s4, sizeof s4);
    size_t len = (size_t)snprintf(
        line, sizeof line,
        "%d group%s" MIDDOT "peak %s (%.1f%% of the budget)" MIDDOT "latency %s" MIDDOT "energy %s" MIDDOT "DRAM %s",
        o->map->n_groups, o->map->n_groups == 1 ? "" : "s", df_format_size(m->peak_bytes, s1, sizeof s1),
        hw->buffer_bytes > 0 ? 100.0 * (double)m->peak_bytes / (double)hw->buffer_bytes : 0.0, s2, s3, s4);
    if (o->baseline && o->baseline->latency_cycles > 0 && len < sizeof line) { /* none: no layer-by-layer fits */
        fmt_seconds(o->baseline->latency_s, s2, sizeof s2);
        fmt_bytes(o->baseline->dram_bytes, s4, sizeof s4);
        snprintf(line + len, sizeof line - len, " (layer-by-layer: %s, DRAM %s)", s2, s4);
    }
    text(b, 24, 72, over ? "font-size=\"13\" fill=\"#c0392b\"" : "font-size=\"13\" fill=\"#444\"", line, 180);
}

/* Legend row: swatches and what they mean. */
static void map_legend(df_svg_buf *b, int over, int clipped, int tiled) {
    static const char *const lab[] = {"fusion group (m = micro-batch; its latency below)",
                                      "weights on chip",
                                      "activations on chip (" TIMES " m)",
                                      "on-chip budget",
                                      "over the budget",
                                      "cut at 4" TIMES " the budget",
                                      "fusion group (m, latency, tile below)",
                                      "untiled"};
    double x = MAP_PL, y = 98, gap = 20;
    putf(b, "<g font-size=\"12\">\n");
    putf(b,
         "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"12\" fill=\"%s\"/><rect x=\"%.1f\" y=\"%.1f\" "
         "width=\"14\" height=\"12\" fill=\"%s\"/>\n",
         x, y - 10, band_fill[0], x + 14, y - 10, band_fill[1]);
    const char *lg = tiled ? lab[6] : lab[0];
    text(b, x + 34, y, NULL, lg, 0);
    x += 34 + text_width(lg, 12) + gap;
    putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#34568b\"/>\n", x, y - 10);
    text(b, x + 18, y, NULL, lab[1], 0);
    x += 18 + text_width(lab[1], 12) + gap;
    putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#8db4e2\"/>\n", x, y - 10);
    text(b, x + 18, y, NULL, lab[2], 0);
    x += 18 + text_width(lab[2], 12) + gap;
    putf(b,
         "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c0392b\" stroke-width=\"2\" "
         "stroke-dasharray=\"7 4\"/>\n",
         x, y - 4, x + 28, y - 4);
    text(b, x + 34, y, NULL, lab[3], 0);
    x += 34 + text_width(lab[3], 12) + gap;
    if (tiled) { /* the dashed outline over a tiled group's bars: its footprint with the whole tensor */
        putf(b,
             "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"none\" stroke=\"#333\" "
             "stroke-dasharray=\"3 2\"/>\n",
             x + 0.5, y - 9.5);
        text(b, x + 18, y, NULL, lab[7], 0);
        x += 18 + text_width(lab[7], 12) + gap;
    }
    if (over) {
        putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#e74c3c\"/>\n", x, y - 10);
        text(b, x + 18, y, NULL, lab[4], 0);
        x += 18 + text_width(lab[4], 12) + gap;
    }
    if (clipped) {
        putf(b, "<path d=\"M%.1f %.1fl4 -7l4 7z\" fill=\"#a93226\"/>\n", x + 2, y - 2);
        text(b, x + 16, y, NULL, lab[5], 0);
    }
    puts_(b, "</g>\n");
}

/* A group's latency in seconds, and its share of the mapping's latency in percent. */
static double group_seconds(const df_group_cost *g, const df_hw *hw) {
    return hw->clock_hz > 0 ? g->latency_cycles / hw->clock_hz : 0;
}

static double group_share(const df_group_cost *g, const df_metrics *m) {
    return m->latency_cycles > 0 ? 100.0 * g->latency_cycles / m->latency_cycles : 0;
}

int df_svg_map(const df_svg_map_opts *o, df_svg_buf *out, df_err *err) {
    df_err_clear(err);
    if (!o || !o->net || !o->map) return df_err_set(err, DF_EINVAL, NULL, "svg map: no net or mapping");
    out->len = 0;
    out->oom = 0;
    const df_net *net = o->net;
    const df_workload *w = df_net_workload(net);
    const df_hw *hw = df_net_hw(net);
    const df_mapping *map = o->map;
    int32_t L = df_net_layers(net), G = map->n_groups;
    df_metrics met;
    df_group_cost *gc = calloc((size_t)(G > 0 ? G : 1), sizeof *gc);
    /* fp: the bytes live per layer as the mapping runs (a tiled group's: one tile's regions, halos and
     * caches, the cost model's df_mapping_footprints); whole: the same with every group untiled */
    df_layer_footprint *fp = calloc((size_t)L, sizeof *fp), *whole = calloc((size_t)L, sizeof *whole);
    int32_t *grp = calloc((size_t)L, sizeof *grp);
    df_mapping untiled = {0};
    int rc = !gc || !fp || !whole || !grp ? df_err_set(err, DF_ENOMEM, NULL, "out of memory") : DF_OK;
    if (rc == DF_OK) rc = df_mapping_eval(net, map, &met, gc, err);
    if (rc == DF_OK) rc = df_mapping_footprints(net, map, fp, err);
    int tiled = 0;
    double macs = 0, layer_macs = 0;
    for (int32_t g = 0; rc == DF_OK && g < G; g++) {
        tiled += group_tiled(&gc[g]);
        macs += gc[g].macs;
        layer_macs += gc[g].layer_macs;
    }
    if (rc == DF_OK && tiled) {
        if (df_mapping_copy(&untiled, map) != DF_OK) rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        for (int32_t g = 0; rc == DF_OK && g < G; g++) untiled.groups[g].tile_rows = untiled.groups[g].tile_cols = 0;
        if (rc == DF_OK) rc = df_mapping_footprints(net, &untiled, whole, err);
    }
    df_mapping_free(&untiled);
    if (rc != DF_OK) {
        free(gc);
        free(fp);
        free(whole);
        free(grp);
        return rc;
    }
    /* extra MACs of the recomputed halos over the whole mapping, in percent of its layer MACs */
    double recomp = layer_macs > 0 && macs > layer_macs ? 100.0 * (macs / layer_macs - 1.0) : 0;
    for (int32_t g = 0; g < G; g++)
        for (int32_t i = map->groups[g].first; i <= map->groups[g].last; i++) grp[i] = g;

    double budget = (double)hw->buffer_bytes, maxv = budget;
    int over = 0;
    for (int32_t i = 0; i < L; i++) {
        if ((double)fp[i].bytes > maxv) maxv = (double)fp[i].bytes;
        if ((double)fp[i].bytes > budget) over = 1;
    }
    /* a wildly infeasible mapping must not flatten the picture: clip at 4x the budget */
    int clipped = maxv > 4 * budget;
    if (clipped) maxv = 4 * budget;
    unit bu = byte_unit(maxv);
    double step = nice_step(maxv * 1.06 / bu.div, 7) * bu.div;
    /* a tiled group's tile rows take a strip above the bytes axis */
    lin_axis ya = {0, ceil(maxv * 1.06 / step) * step, MAP_PT + (tiled ? STRIP_TILED : 0), MAP_PB};

    double slot = (MAP_PR - MAP_PL) / L;
    int name_step = (int)ceil(NAME_PITCH / slot - 1e-9);
    if (name_step < 1) name_step = 1;
    int names = name_step <= NAME_STEP_MAX;
    int H = names ? 790 : 680;
    char line[1024], s1[32], s2[32];
    snprintf(line, sizeof line, "%s: %s fusion mapping", w->name, o->solver && *o->solver ? o->solver : "the");
    doc_open(out, MAP_W, H, line);
    map_title(out, o, w, &met, tiled, recomp);
    map_subtitles(out, o, &met, over);
    map_legend(out, over, clipped, tiled);

    /* fusion groups: bands with their micro-batch */
    puts_(out, "<g id=\"groups\">\n");
    for (int32_t g = 0; g < G; g++) {
        const df_group *gr = &map->groups[g];
        double x0 = MAP_PL + gr->first * slot, x1 = MAP_PL + (gr->last + 1) * slot;
        putf(out, "<rect class=\"group\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\">", x0, MAP_PT,
             x1 - x0, MAP_PB - MAP_PT, band_fill[g % 6]);
        fmt_seconds(group_seconds(&gc[g], hw), s2, sizeof s2);
        snprintf(line, sizeof line,
                 "group %d: layers %d..%d (%s .. %s), micro-batch %d, latency %s (%.1f%% of the total), footprint %s, "
                 "weights %s%s",
                 g, gr->first, gr->last, w->layers[gr->first].name, w->layers[gr->last].name, gr->micro_batch, s2,
                 group_share(&gc[g], &met), df_format_size(gc[g].footprint_bytes, s1, sizeof s1),
                 gc[g].weights_resident ? "resident" : "streamed", gc[g].feasible ? "" : ", OVER THE BUDGET");
        if (group_tiled(&gc[g])) { /* depth-first: the tile, how many, the halos */
            int32_t tr, tc;
            size_t len = strlen(line);
            char rc_s[40];
            group_tile(w, gr, &tr, &tc);
            fmt_recompute(recompute_pct(&gc[g]), 0, rc_s, sizeof rc_s);
            snprintf(line + len, sizeof line - len,
                     "; depth-first: tile %d" TIMES "%d of %s's %d" TIMES "%d output, %d" TIMES "%d = %lld tiles per "
                     "sample, overlap %s, %s (recompute factor %.4f)",
                     tr, tc, w->layers[gr->last].name, w->layers[gr->last].P, w->layers[gr->last].Q, gc[g].tiles_y,
                     gc[g].tiles_x, (long long)gc[g].tiles_y * gc[g].tiles_x, df_overlap_name((df_overlap)gr->overlap),
                     rc_s, gc[g].layer_macs > 0 ? gc[g].macs / gc[g].layer_macs : 1.0);
        }
        title(out, line);
        puts_(out, "</rect>\n");
    }
    puts_(out, "</g>\n");

    /* grid and the left (bytes) and right (% of budget) axes */
    puts_(out, "<g id=\"axes\" font-size=\"11\">\n");
    for (double v = 0; v <= ya.y1 + step * 1e-6; v += step) {
        double y = lin_y(&ya, v);
        putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-opacity=\"0.08\"/>\n",
             MAP_PL, y, MAP_PR, y);
        fmt_tick(v / bu.div, step / bu.div, bu.name, s1, sizeof s1);
        text(out, MAP_PL - 6, y + 4, "text-anchor=\"end\"", s1, 0);
    }
    double top_pct = ya.y1 / budget * 100, pstep = nice_step(top_pct, 8);
    if (pstep < 5) pstep = 5;
    for (double p = 0; p <= top_pct + 1e-9; p += pstep) {
        double y = lin_y(&ya, p / 100 * budget);
        putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n", MAP_PR, y, MAP_PR + 4,
             y);
        snprintf(s1, sizeof s1, "%.0f%%", p);
        text(out, MAP_PR + 7, y + 4, NULL, s1, 0);
    }
    putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n", MAP_PL, MAP_PT, MAP_PL,
         MAP_PB);
    putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n", MAP_PR, MAP_PT, MAP_PR,
         MAP_PB);
    putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n", MAP_PL, MAP_PB, MAP_PR,
         MAP_PB);
    putf(out,
         "<text transform=\"translate(22 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">"
         "bytes live on chip while the layer runs (linear)</text>\n",
         (MAP_PT + MAP_PB) / 2);
    putf(out,
         "<text transform=\"translate(%d %.1f) rotate(90)\" text-anchor=\"middle\" font-size=\"13\">"
         "%% of the on-chip budget</text>\n",
         MAP_W - 22, (MAP_PT + MAP_PB) / 2);
    puts_(out, "</g>\n");

    /* one bar per layer: weights (dark) below activations (light); red over the budget; in a tiled
     * group a dashed outline behind it up to the layer's footprint with the whole tensor */
    double bw = slot * 0.72;
    if (bw > 36) bw = 36;
    if (bw < 1) bw = slot < 1 ? slot : 1;
    puts_(out, "<g id=\"layers\">\n");
    for (int32_t i = 0; i < L; i++) {
        double xc = MAP_PL + (i + 0.5) * slot, tot = (double)fp[i].bytes, wb = (double)fp[i].weight_bytes;
        int bad = tot > budget;
        const df_group *gr = &map->groups[grp[i]];
        char act[32];
        df_format_size(fp[i].bytes - fp[i].weight_bytes, act, sizeof act);
        snprintf(line, sizeof line,
                 "layer %d %s (%s): %s live = weights %s + activations %s; group %d, micro-batch %d%s", i,
                 w->layers[i].name, df_layer_type_name(w->layers[i].type), df_format_size(fp[i].bytes, s1, sizeof s1),
                 df_format_size(fp[i].weight_bytes, s2, sizeof s2), act, grp[i], gr->micro_batch,
                 bad ? ", OVER THE BUDGET" : "");
        int in_tiled = group_tiled(&gc[grp[i]]);
        if (in_tiled) {
            int32_t tr, tc;
            size_t len = strlen(line);
            group_tile(w, gr, &tr, &tc);
            snprintf(line + len, sizeof line - len,
                     "; tile %d" TIMES "%d %s: the activations are one tile's regions, "
                     "halos and caches; untiled %s",
                     tr, tc, df_overlap_name((df_overlap)gr->overlap), df_format_size(whole[i].bytes, s1, sizeof s1));
        }
        double yb = lin_y(&ya, 0), yw = lin_y(&ya, wb), yt = lin_y(&ya, tot);
        puts_(out, "<g class=\"layer\">");
        title(out, line);
        if (in_tiled && whole[i].bytes > fp[i].bytes) { /* open at the top when above the axis */
            double yu = lin_y(&ya, (double)whole[i].bytes), xl = xc - bw / 2 - 0.5;
            double xr = xl + bw + 1;
            putf(out,
                 "<path class=\"untiled\" fill=\"none\" stroke=\"#333\" stroke-dasharray=\"3 2\" "
                 "d=\"M%.2f %.2fV%.2f",
                 xl, yb, yu);
            if ((double)whole[i].bytes > ya.y1)
                putf(out, "M%.2f %.2fV%.2f\"/>", xr, yu, yb);
            else
                putf(out, "H%.2fV%.2f\"/>", xr, yb);
        }
        if (yb - yw > 0)
            putf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>", xc - bw / 2, yw, bw,
                 yb - yw, bad ? "#a93226" : "#34568b");
        if (yw - yt > 0)
            putf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>", xc - bw / 2, yt, bw,
                 yw - yt, bad ? "#e74c3c" : "#8db4e2");
        if (clipped && tot > ya.y1) /* clipped: a marker above the plot */
            putf(out, "<path d=\"M%.2f %.1fl%.2f -7l%.2f 7z\" fill=\"#a93226\"/>", xc - 4, ya.top - 2, 4.0, 4.0);
        puts_(out, "</g>\n");
    }
    puts_(out, "</g>\n");

    /* the groups' micro-batch and latency, on top of the bars (white halo): the latency as a time
     * where it fits, else as a share of the total, else left to the tooltip */
    puts_(out, "<g id=\"micro-batches\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\" stroke=\"#fff\" "
               "stroke-width=\"3\" paint-order=\"stroke\">\n");
    for (int32_t g = 0; g < G; g++) {
        const df_group *gr = &map->groups[g];
        double x0 = MAP_PL + gr->first * slot, x1 = MAP_PL + (gr->last + 1) * slot, gw = x1 - x0;
        char lab[32];
        snprintf(lab, sizeof lab, "m=%d", gr->micro_batch);
        if (gw < text_width(lab, 11) + 4) snprintf(lab, sizeof lab, "%d", gr->micro_batch);
        if (gw >= text_width(lab, 11) + 2) text(out, (x0 + x1) / 2, MAP_PT + 14, NULL, lab, 0);
    }
    puts_(out, "</g>\n");
    puts_(out, "<g id=\"group-latency\" font-size=\"10\" text-anchor=\"middle\" fill=\"#1a3d6e\" stroke=\"#fff\" "
               "stroke-width=\"3\" paint-order=\"stroke\">\n");
    for (int32_t g = 0; g < G; g++) {
        const df_group *gr = &map->groups[g];
        double x0 = MAP_PL + gr->first * slot, x1 = MAP_PL + (gr->last + 1) * slot, gw = x1 - x0;
        char lab[32];
        fmt_seconds(group_seconds(&gc[g], hw), lab, sizeof lab);
        if (gw < text_width(lab, 10) + 6) snprintf(lab, sizeof lab, "%.0f%%", group_share(&gc[g], &met));
        if (gw >= text_width(lab, 10) + 6) text(out, (x0 + x1) / 2, MAP_PT + 27, "class=\"glat\"", lab, 0);
    }
    puts_(out, "</g>\n");
    if (tiled) { /* the tile rows: headed in the left margin, a glyph and labels per tiled group */
        puts_(out, "<g id=\"tiles\" font-size=\"10\" fill=\"#1a3d6e\" stroke=\"#fff\" stroke-width=\"3\" "
                   "paint-order=\"stroke\">\n");
        text(out, MAP_PL - 6, MAP_PT + STRIP_ROW_TILE, "text-anchor=\"end\" fill=\"#555\"", "tile, overlap", 0);
        text(out, MAP_PL - 6, MAP_PT + STRIP_ROW_RECOMP, "text-anchor=\"end\" fill=\"#555\"", "halo recompute", 0);
        for (int32_t g = 0; g < G; g++)
            if (group_tiled(&gc[g]))
                group_tiles(out, w, &map->groups[g], &gc[g], MAP_PL + map->groups[g].first * slot,
                            MAP_PL + (map->groups[g].last + 1) * slot);
        puts_(out, "</g>\n");
    }

    /* the budget line */
    double yB = lin_y(&ya, budget);
    putf(out,
         "<line id=\"budget\" x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#c0392b\" stroke-width=\"2\" "
         "stroke-dasharray=\"7 4\"/>\n",
         MAP_PL, yB, MAP_PR, yB);
    snprintf(line, sizeof line, "budget %s", df_format_size(hw->buffer_bytes, s1, sizeof s1));
    text(out, MAP_PR - 6, yB - 6,
         "text-anchor=\"end\" font-size=\"12\" font-weight=\"bold\" fill=\"#c0392b\" stroke=\"#fff\" "
         "stroke-width=\"3\" paint-order=\"stroke\"",
         line, 0);

    /* x axis: every layer's name for small networks, numbered ticks otherwise */
    puts_(out, "<g id=\"xaxis\" font-size=\"10\">\n");
    if (names) { /* every layer ticked, every name_step-th named */
        for (int32_t i = 0; i < L; i++) {
            double xc = MAP_PL + (i + 0.5) * slot;
            int named = i % name_step == 0;
            putf(out, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#555\"/>", xc, MAP_PB, xc,
                 MAP_PB + (named ? 4 : 2));
            if (!named) continue;
            putf(out, "<text class=\"lname\" transform=\"translate(%.2f %.1f) rotate(-55)\" text-anchor=\"end\">",
                 xc + 3, MAP_PB + 10);
            put_esc(out, w->layers[i].name, 24);
            puts_(out, "</text>\n");
        }
    } else {
        static const int steps[] = {1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000};
        int st = 1000;
        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++)
            if (L / steps[k] <= 24) {
                st = steps[k];
                break;
            }
        for (int32_t i = 0; i < L; i += st) {
            double xc = MAP_PL + (i + 0.5) * slot;
            putf(out, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"#555\"/>", xc, MAP_PB, xc,
                 MAP_PB + 5);
            putf(out, "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%d</text>\n", xc,
                 MAP_PB + 18, i);
        }
    }
    if (names && name_step > 1)
        snprintf(line, sizeof line,
                 "layer (execution order, %d layers; every %d%s name shown, hover a bar for the others)", L, name_step,
                 name_step == 2   ? "nd"
                 : name_step == 3 ? "rd"
                                  : "th");
    else
        snprintf(line, sizeof line, "layer (execution order, %d layer%s)%s", L, L == 1 ? "" : "s",
                 names ? "" : "; hover a bar for its name and footprint");
    text(out, (MAP_PL + MAP_PR) / 2, H - 14, "text-anchor=\"middle\" font-size=\"13\"", line, 0);
    puts_(out, "</g>\n</svg>\n");

    free(gc);
    free(fp);
    free(whole);
    free(grp);
    if (out->oom) return df_err_set(err, DF_ENOMEM, NULL, "out of memory rendering the SVG");
    return DF_OK;
}

/* ---- the sweep picture ------------------------------------------------------------------------- */

#define SW_W 1200
#define SW_H 800
#define SW_PL 100.0
#define SW_PR 1160.0

static const char *const series_color[DF_SVG_MAX_SERIES] = {"#7f7f7f", "#1f77b4", "#ff7f0e",
                                                            "#2ca02c", "#9467bd", "#8c564b"};
/* later series are drawn thinner on top, so identical lines still show both colours */
static const double series_width[DF_SVG_MAX_SERIES] = {2.0, 4.0, 2.0, 1.6, 1.4, 1.2};
static const double series_radius[DF_SVG_MAX_SERIES] = {3.0, 5.0, 3.2, 2.6, 2.4, 2.2};

#define MIN_REL_RANGE 0.05  /* a linear y axis spans at least 5% of its largest value */
#define KNEE_TOL 0.1        /* the knee: 90% of the sweep's latency gain reached */
#define KNEE_MIN_GAIN 0.005 /* no knee when the latency moves by less than 0.5% over the sweep */

typedef struct {
    int64_t budget;
    int32_t idx;
} pt_order;

static int cmp_pt(const void *a, const void *b) {
    const pt_order *x = a, *y = b;
    if (x->budget != y->budget) return x->budget < y->budget ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct {
    double lo, hi; /* data range (log10 for log axes) */
    double p0, p1; /* pixel range */
    int log;
} axis;

static double ax_map(const axis *a, double v) {
    double t = a->log ? log10(v) : v;
    return a->p0 + (t - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

static int have(double v) { return isfinite(v) && v > 0; }

/* One panel: frame, y axis (log when the values span more than 10x), lines, markers. */
static void sweep_panel(df_svg_buf *b, const df_svg_sweep_opts *o, const pt_order *ord, const axis *xa, double top,
                        double bot, int energy, const char *label) {
    int32_t n = o->n_points;
    double mn = INFINITY, mx = 0;
    for (int32_t s = 0; s < o->n_series; s++)
        for (int32_t i = 0; i < n; i++) {
            double v = energy ? o->series[s].energy_pj[i] : o->series[s].latency_s[i];
            if (!have(v)) continue;
            if (v < mn) mn = v;
            if (v > mx) mx = v;
        }
    char buf[128], tick[48];
    putf(b, "<g class=\"panel\" id=\"%s\">\n", energy ? "energy" : "latency");
    putf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#555\"/>\n", SW_PL, top,
         SW_PR - SW_PL, bot - top);
    if (!(mx > 0)) {
        text(b, (SW_PL + SW_PR) / 2, (top + bot) / 2, "text-anchor=\"middle\" font-size=\"14\" fill=\"#888\"",
             "no feasible point", 0);
        putf(b, "<text transform=\"translate(24 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">",
             (top + bot) / 2);
        put_esc(b, label, 0);
        puts_(b, "</text>\n</g>\n");
        return;
    }
    unit u = energy ? energy_unit(mx) : time_unit(mx);
    axis ya = {0, 0, bot, top, mx / mn > 10};
    if (ya.log) {
        ya.lo = floor(log10(mn) * 10) / 10 - 0.05;
        ya.hi = ceil(log10(mx) * 10) / 10 + 0.05;
        /* ticks at 1, 2, 5 x 10^k (only 10^k when the range is wide) */
        int wide = ya.hi - ya.lo > 4;
        for (int k = (int)floor(ya.lo); k <= (int)ceil(ya.hi); k++)
            for (int m = 0; m < 3; m++) {
                static const double mult[3] = {1, 2, 5};
                if (wide && m > 0) continue;
                double v = mult[m] * pow(10, k), t = log10(v);
                if (t < ya.lo || t > ya.hi) continue;
                double y = ax_map(&ya, v);
                putf(
                    b,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-opacity=\"0.08\"/>\n",
                    SW_PL, y, SW_PR, y);
                double tv = v / u.div;
                snprintf(tick, sizeof tick, tv >= 1 ? "%.0f %s" : tv >= 0.01 ? "%.2g %s" : "%.1e %s", tv, u.name);
                text(b, SW_PL - 6, y + 4, "text-anchor=\"end\" font-size=\"11\"", tick, 0);
            }
    } else {
        /* the axis covers at least MIN_REL_RANGE of the largest value, so a change of a fraction of a
         * percent stays a small step on the picture instead of a cliff from top to bottom */
        double pad = (mx - mn) * 0.08;
        if (mx - mn + 2 * pad < MIN_REL_RANGE * mx) pad = (MIN_REL_RANGE * mx - (mx - mn)) / 2;
        if (pad <= 0) pad = mx * 0.05;
        double step = nice_step((mx - mn + 2 * pad) / u.div, 6) * u.div;
        ya.lo = floor((mn - pad) / step) * step;
        ya.hi = ceil((mx + pad) / step) * step;
        if (ya.lo < 0) ya.lo = 0;
        for (double v = ya.lo; v <= ya.hi + step * 1e-6; v += step) {
            double y = ax_map(&ya, v);
            putf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-opacity=\"0.08\"/>\n",
                 SW_PL, y, SW_PR, y);
            fmt_tick(v / u.div, step / u.div, u.name, tick, sizeof tick);
            text(b, SW_PL - 6, y + 4, "text-anchor=\"end\" font-size=\"11\"", tick, 0);
        }
    }
    snprintf(buf, sizeof buf, "%s (%s%s)", label, u.name,
             ya.log      ? ", log scale"
             : ya.lo > 0 ? ", axis not from 0"
                         : "");
    putf(b, "<text transform=\"translate(24 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">",
         (top + bot) / 2);
    put_esc(b, buf, 0);
    puts_(b, "</text>\n");
    if (!ya.log && ya.lo > 0) { /* an axis not from 0 says how far the values really move */
        char lo_s[32], hi_s[32];
        if (energy) {
            fmt_energy(mn, lo_s, sizeof lo_s);
            fmt_energy(mx, hi_s, sizeof hi_s);
        } else {
            fmt_seconds(mn, lo_s, sizeof lo_s);
            fmt_seconds(mx, hi_s, sizeof hi_s);
        }
        double rel = 100.0 * (mx - mn) / mx;
        snprintf(buf, sizeof buf, "the %s values span %.*f%% (%s .. %s); the axis does not start at 0", label,
                 rel < 1 ? 2 : 1, rel, lo_s, hi_s);
        text(b, SW_PR - 8, top + 16,
             "class=\"span\" text-anchor=\"end\" font-size=\"12\" fill=\"#8a4b00\" stroke=\"#fff\" "
             "stroke-width=\"3\" paint-order=\"stroke\"",
             buf, 0);
    }
    /* vertical grid at the x ticks is drawn by the caller; the lines: */
    int markers = n <= 80;
    for (int32_t s = 0; s < o->n_series; s++) {
        const double *v = energy ? o->series[s].energy_pj : o->series[s].latency_s;
        const char *col = series_color[s];
        putf(b, "<g class=\"series\" stroke=\"%s\" fill=\"%s\">\n", col, col);
        for (int32_t k = 0; k < n;) {
            while (k < n && !have(v[ord[k].idx])) k++;
            int32_t k0 = k;
            while (k < n && have(v[ord[k].idx])) k++;
            if (k - k0 >= 2) {
                putf(b, "<polyline fill=\"none\" stroke-width=\"%.1f\" stroke-linejoin=\"round\"%s points=\"",
                     series_width[s], s == 0 ? " stroke-dasharray=\"8 5\"" : "");
                for (int32_t j = k0; j < k; j++)
                    putf(b, "%s%.1f,%.1f", j > k0 ? " " : "", ax_map(xa, (double)ord[j].budget),
                         ax_map(&ya, v[ord[j].idx]));
                puts_(b, "\"/>\n");
            }
            for (int32_t j = k0; j < k && (markers || k - k0 == 1); j++) {
                char bs[32];
                double val = v[ord[j].idx];
                if (energy)
                    fmt_energy(val, tick, sizeof tick);
                else
                    fmt_seconds(val, tick, sizeof tick);
                putf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" stroke=\"none\">",
                     ax_map(xa, (double)ord[j].budget), ax_map(&ya, val), series_radius[s]);
                snprintf(buf, sizeof buf, "%s at %s: %s", o->series[s].name ? o->series[s].name : "?",
                         df_format_size(ord[j].budget, bs, sizeof bs), tick);
                title(b, buf);
                puts_(b, "</circle>\n");
            }
        }
        puts_(b, "</g>\n");
    }
    puts_(b, "</g>\n");
}

int32_t df_svg_knee(int32_t n, const int64_t *budgets, const double *values, double tol) {
    if (n < 3 || !budgets || !values) return -1;
    double best = INFINITY, worst = 0;
    int32_t have_n = 0;
    for (int32_t i = 0; i < n; i++)
        if (have(values[i]) && budgets[i] > 0) {
            have_n++;
            if (values[i] < best) best = values[i];
            if (values[i] > worst) worst = values[i];
        }
    if (have_n < 3 || !(worst > best * (1 + KNEE_MIN_GAIN))) return -1; /* nothing worth a knee */
    /* the smallest budget from which every larger budget's value is within tol of the sweep's gain */
    double near = best + tol * (worst - best);
    int32_t knee = -1;
    for (int32_t i = 0; i < n; i++) {
        if (!have(values[i]) || budgets[i] <= 0 || values[i] > near) continue;
        if (knee >= 0 && budgets[i] >= budgets[knee]) continue;
        int all = 1;
        for (int32_t j = 0; j < n && all; j++)
            if (budgets[j] > budgets[i] && have(values[j]) && values[j] > near) all = 0;
        if (all) knee = i;
    }
    return knee;
}

/* The knee of the optimum's latency (series 1, else 0): a dashed line through both panels at that
 * budget (label 0: drawn under the panels' lines and texts) and a label saying what it means
 * (label 1: drawn over them). */
static void sweep_knee(df_svg_buf *b, const df_svg_sweep_opts *o, const axis *xa, double t1, double b1, double t2,
                       double b2, int label) {
    int32_t s = o->n_series > 1 ? 1 : 0;
    int32_t k = df_svg_knee(o->n_points, o->budgets, o->series[s].latency_s, KNEE_TOL);
    if (k < 0) return;
    double x = ax_map(xa, (double)o->budgets[k]);
    char bs[32], line[200];
    df_format_size(o->budgets[k], bs, sizeof bs);
    snprintf(line, sizeof line,
             "knee %s: %.0f%% of the latency gain of the sweep reached; more memory buys the last %.0f%%", bs,
             100 - KNEE_TOL * 100, KNEE_TOL * 100);
    if (!label) {
        puts_(b, "<g id=\"knee\">");
        title(b, line);
        putf(b,
             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#2e7d32\" stroke-width=\"1.5\" "
             "stroke-dasharray=\"4 3\"/>",
             x, t1, x, b1);
        putf(b,
             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#2e7d32\" stroke-width=\"1.5\" "
             "stroke-dasharray=\"4 3\"/></g>\n",
             x, t2, x, b2);
        return;
    }
    int right = x + 8 + text_width(line, 12) < SW_PR;
    puts_(b, "<g id=\"knee-label\">");
    text(b, right ? x + 6 : x - 6, t1 + 34,
         right ? "text-anchor=\"start\" font-size=\"12\" font-weight=\"bold\" fill=\"#2e7d32\" stroke=\"#fff\" "
                 "stroke-width=\"3\" paint-order=\"stroke\""
               : "text-anchor=\"end\" font-size=\"12\" font-weight=\"bold\" fill=\"#2e7d32\" stroke=\"#fff\" "
                 "stroke-width=\"3\" paint-order=\"stroke\"",
         line, 0);
    puts_(b, "</g>\n");
}

int df_svg_sweep(const df_svg_sweep_opts *o, df_svg_buf *out, df_err *err) {
    df_err_clear(err);
    if (!o || o->n_points < 1 || !o->budgets) return df_err_set(err, DF_EINVAL, NULL, "svg sweep: no points");
    if (o->n_series < 1 || o->n_series > DF_SVG_MAX_SERIES || !o->series)
        return df_err_set(err, DF_EINVAL, NULL, "svg sweep: %d series (1..%d)", o->n_series, DF_SVG_MAX_SERIES);
    for (int32_t s = 0; s < o->n_series; s++)
        if (!o->series[s].latency_s || !o->series[s].energy_pj)
            return df_err_set(err, DF_EINVAL, NULL, "svg sweep: series %d has no values", s);
    int32_t n = o->n_points;
    pt_order *ord = malloc((size_t)n * sizeof *ord);
    if (!ord) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    for (int32_t i = 0; i < n; i++) {
        if (o->budgets[i] <= 0) {
            free(ord);
            return df_err_set(err, DF_EINVAL, NULL, "svg sweep: budget %d is %lld bytes", i, (long long)o->budgets[i]);
        }
        ord[i] = (pt_order){o->budgets[i], i};
    }
    qsort(ord, (size_t)n, sizeof *ord, cmp_pt);
    out->len = 0;
    out->oom = 0;

    double lo = log10((double)ord[0].budget), hi = log10((double)ord[n - 1].budget);
    if (hi - lo < 0.3) {
        lo -= 0.15;
        hi += 0.15;
    }
    double pad = (hi - lo) * 0.04;
    axis xa = {lo - pad, hi + pad, SW_PL, SW_PR, 1};
    const double t1 = 150, b1 = 432, t2 = 470, b2 = 735;

    doc_open(out, SW_W, SW_H, o->title ? o->title : "budget sweep");
    text(out, 24, 30, "font-size=\"18\" font-weight=\"bold\"", o->title ? o->title : "budget sweep", 120);
    if (o->subtitle) text(out, 24, 52, "font-size=\"13\" fill=\"#444\"", o->subtitle, 180);

    /* budgets where no series has a point: shaded */
    int shaded = 0;
    puts_(out, "<g id=\"infeasible\" fill=\"#000\" fill-opacity=\"0.07\">\n");
    for (int32_t k = 0; k < n; k++) {
        int any = 0;
        for (int32_t s = 0; s < o->n_series && !any; s++)
            any = have(o->series[s].latency_s[ord[k].idx]) || have(o->series[s].energy_pj[ord[k].idx]);
        if (any) continue;
        int32_t k1 = k;
        while (k1 + 1 < n) {
            int any2 = 0;
            for (int32_t s = 0; s < o->n_series && !any2; s++)
                any2 = have(o->series[s].latency_s[ord[k1 + 1].idx]) || have(o->series[s].energy_pj[ord[k1 + 1].idx]);
            if (any2) break;
            k1++;
        }
        double xl = k == 0 ? SW_PL : (ax_map(&xa, (double)ord[k - 1].budget) + ax_map(&xa, (double)ord[k].budget)) / 2;
        double xr =
            k1 == n - 1 ? SW_PR : (ax_map(&xa, (double)ord[k1].budget) + ax_map(&xa, (double)ord[k1 + 1].budget)) / 2;
        putf(out,
             "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
             "height=\"%.1f\"/>\n",
             xl, t1, xr - xl, b1 - t1, xl, t2, xr - xl, b2 - t2);
        if (xr - xl >= 70)
            text(out, (xl + xr) / 2, t1 + 16,
                 "text-anchor=\"middle\" font-size=\"11\" fill=\"#666\" fill-opacity=\"1\"", "no feasible mapping", 0);
        shaded = 1;
        k = k1;
    }
    puts_(out, "</g>\n");

    /* legend */
    double lx = SW_PL, ly = 80;
    puts_(out, "<g id=\"legend\" font-size=\"12\">\n");
    for (int32_t s = 0; s < o->n_series; s++) {
        const char *name = o->series[s].name ? o->series[s].name : "?";
        double wname = text_width(name, 12);
        if (wname > 360) wname = 360;
        if (lx + 40 + wname > SW_PR) {
            lx = SW_PL;
            ly += 18;
        }
        putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>", lx,
             ly - 4, lx + 30, ly - 4, series_color[s], series_width[s] < 2.5 ? 2.5 : series_width[s],
             s == 0 ? " stroke-dasharray=\"8 5\"" : "");
        putf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>\n", lx + 15, ly - 4, series_radius[s],
             series_color[s]);
        text(out, lx + 36, ly, NULL, name, 60);
        lx += 36 + wname + 26;
    }
    const char *gap = shaded ? "gap or shade = no feasible mapping at that budget" : "a gap = no feasible mapping";
    if (lx + text_width(gap, 12) > SW_PR) {
        lx = SW_PL;
        ly += 18;
    }
    text(out, lx, ly, "fill=\"#666\"", gap, 0);
    puts_(out, "</g>\n");
    /* the best speedup of every other series over series 0 (the baseline) */
    char line[600], bs[32];
    size_t len = 0;
    line[0] = '\0';
    for (int32_t s = 1; s < o->n_series && len < sizeof line; s++) {
        double best = 0;
        int32_t at = -1;
        for (int32_t k = 0; k < n; k++) {
            double v0 = o->series[0].latency_s[ord[k].idx], v = o->series[s].latency_s[ord[k].idx];
            if (have(v0) && have(v) && v0 / v > best * (1 + 1e-12)) {
                best = v0 / v;
                at = k;
            }
        }
        if (at < 0) continue;
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%s %.2f" TIMES " at %s", len ? MIDDOT : "",
                                o->series[s].name ? o->series[s].name : "?", best,
                                df_format_size(ord[at].budget, bs, sizeof bs));
    }
    if (len) {
        ly += 20;
        putf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"#444\">best speedup over ", SW_PL, ly);
        put_esc(out, o->series[0].name ? o->series[0].name : "?", 40);
        puts_(out, ": ");
        put_esc(out, line, 150);
        puts_(out, "</text>\n");
    }
    if (o->note) text(out, SW_PL, ly + 18, "font-size=\"12\" fill=\"#666\"", o->note, 170);

    /* x grid and ticks (powers of two, thinned to at most 12 labels), and a rug of the sampled budgets */
    char tick[48];
    int p0 = (int)ceil(xa.lo / log10(2.0) - 1e-9), p1 = (int)floor(xa.hi / log10(2.0) + 1e-9);
    int every = 1;
    while ((p1 - p0) / every > 11) every++;
    if (every > 1 && every % 2) every++; /* 2, 4, 6 ... powers apart: 4x, 16x, 64x */
    puts_(out, "<g id=\"xaxis\" font-size=\"11\">\n");
    for (int p = p0; p <= p1; p++) {
        if (p < 0 || p > 62 || p % every) continue;
        double x = ax_map(&xa, ldexp(1.0, p));
        putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-opacity=\"0.08\"/>", x,
             t1, x, b1);
        putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-opacity=\"0.08\"/>\n",
             x, t2, x, b2);
        text(out, x, b2 + 18, "text-anchor=\"middle\"", df_format_size((int64_t)1 << p, tick, sizeof tick), 0);
    }
    for (int32_t k = 0; k < n; k++) {
        if (k > 0 && ord[k].budget == ord[k - 1].budget) continue;
        double x = ax_map(&xa, (double)ord[k].budget);
        putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>", x, b2, x, b2 + 5);
        putf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n", x, b1, x, b1 + 5);
    }
    text(out, (SW_PL + SW_PR) / 2, b2 + 44, "text-anchor=\"middle\" font-size=\"13\"",
         "on-chip budget (log scale; ticks below the panels mark the budgets run)", 0);
    puts_(out, "</g>\n");

    if (!o->no_knee) sweep_knee(out, o, &xa, t1, b1, t2, b2, 0);
    sweep_panel(out, o, ord, &xa, t1, b1, 0, "latency");
    sweep_panel(out, o, ord, &xa, t2, b2, 1, "energy");
    if (!o->no_knee) sweep_knee(out, o, &xa, t1, b1, t2, b2, 1);
    puts_(out, "</svg>\n");
    free(ord);
    if (out->oom) return df_err_set(err, DF_ENOMEM, NULL, "out of memory rendering the SVG");
    return DF_OK;
}
