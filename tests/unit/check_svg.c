/* check_svg.c - Check suite "svg": the mapping and sweep pictures are well-formed XML (a small
 * tag-balance and entity checker), hostile user text (<script>&"', control characters, invalid UTF-8)
 * comes out escaped, the picture shows one band per fusion group and the budget line, gaps for
 * infeasible sweep points, a depth-first mapping's tiles and recompute share, and the same input gives
 * the same bytes. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "dnnfuser/svg.h"

#define HOSTILE "<script>alert(1)</script>&\"'"

/* ---- a small XML well-formedness check ---------------------------------------------------------- */

/* 1 when text (character data or an attribute value) has no '<' and every '&' starts a known entity. */
static int text_ok(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') return 0;
        if (s[i] != '&') continue;
        static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&apos;"};
        int ok = 0;
        for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++)
            if (strncmp(s + i, ents[k], strlen(ents[k])) == 0) ok = 1;
        if (!ok) return 0;
    }
    return 1;
}

/* Checks tag balance, quoted attributes with clean values, clean character data, one root <svg>,
 * nothing but whitespace after it. Returns NULL or a description of the first problem. */
static const char *xml_problem(const char *doc) {
    static char why[160];
    const char *stack[64];
    size_t depth = 0, roots = 0;
    const char *p = doc;
    if (strncmp(p, "<?xml ", 6) == 0) {
        p = strstr(p, "?>");
        if (!p) return "unterminated XML declaration";
        p += 2;
    }
    while (*p) {
        const char *lt = strchr(p, '<');
        size_t tn = lt ? (size_t)(lt - p) : strlen(p);
        if (!text_ok(p, tn)) {
            snprintf(why, sizeof why, "bad character data near '%.40s'", p);
            return why;
        }
        if (depth == 0)
            for (size_t i = 0; i < tn; i++)
                if (p[i] != ' ' && p[i] != '\n') return "text outside the root element";
        if (!lt) break;
        const char *q = lt + 1;
        int closing = *q == '/';
        if (closing) q++;
        const char *name = q;
        while (*q && (('a' <= *q && *q <= 'z') || ('A' <= *q && *q <= 'Z') || ('0' <= *q && *q <= '9') || *q == '-' ||
                      *q == ':'))
            q++;
        size_t nl = (size_t)(q - name);
        if (nl == 0) {
            snprintf(why, sizeof why, "bad tag near '%.40s'", lt);
            return why;
        }
        /* attributes: name="value" */
        for (;;) {
            while (*q == ' ' || *q == '\n') q++;
            if (*q == '>' || (q[0] == '/' && q[1] == '>')) break;
            if (closing || !*q) return "malformed tag";
            while (*q && *q != '=' && *q != '>' && *q != ' ') q++;
            if (q[0] != '=' || q[1] != '"') {
                snprintf(why, sizeof why, "unquoted attribute near '%.40s'", lt);
                return why;
            }
            const char *v = q + 2, *e = strchr(v, '"');
            if (!e || !text_ok(v, (size_t)(e - v))) {
                snprintf(why, sizeof why, "bad attribute value near '%.40s'", lt);
                return why;
            }
            q = e + 1;
        }
        int self = *q == '/';
        q += self ? 2 : 1;
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) < nl || strncmp(stack[depth - 1], name, nl) != 0 ||
                !strchr(" >/\n", stack[depth - 1][nl])) {
                snprintf(why, sizeof why, "mismatched </%.*s>", (int)nl, name);
                return why;
            }
            depth--;
        } else if (!self) {
            if (depth == 0 && roots++ > 0) return "more than one root element";
            if (depth == 0 && strncmp(name, "svg", 3) != 0) return "the root is not <svg>";
            if (depth == 64) return "too deep";
            stack[depth++] = name;
        }
        p = q;
    }
    if (depth) return "unclosed element";
    if (roots != 1) return "no root element";
    return NULL;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* ---- fixtures ----------------------------------------------------------------------------------- */

/* A chain of L convs named by name_of; hostile names when hostile != 0. */
static void chain(df_workload *w, int32_t L, const char *wname, int hostile) {
    df_workload_init(w, "x");
    snprintf(w->name, sizeof w->name, "%s", wname);
    int32_t C = 3;
    for (int32_t i = 0; i < L; i++) {
        int32_t K = 8 + 8 * (i % 3);
        tu_conv(w, i - 1, C, 16, 16, K, 3, 1);
        if (hostile) snprintf(w->layers[i].name, sizeof w->layers[i].name, "%s%d", i % 2 ? HOSTILE : "\x01\xff", i);
        C = K;
    }
    df_err e;
    ck_assert_msg(df_workload_validate(w, 0, &e) == DF_OK, "%s", e.msg);
}

static df_net *net_of(const df_workload *w, int64_t budget, int32_t N) {
    df_hw h = tu_hw(8, 8, DF_DATAFLOW_WS, budget, 8, 16, 1);
    snprintf(h.name, sizeof h.name, "%s", "hw<&>");
    df_net *n;
    df_err e;
    ck_assert_int_eq(df_net_init(&n, w, &h, N, &e), DF_OK);
    return n;
}

/* Groups of `len` layers (the last one shorter) at micro-batch m. */
static void groups_of(df_mapping *m, int32_t L, int32_t len, int32_t mb) {
    ck_assert_int_eq(df_mapping_init(m, 8), DF_OK);
    for (int32_t i = 0; i < L; i += len)
        ck_assert_int_eq(df_mapping_push(m, i, i + len - 1 < L ? i + len - 1 : L - 1, mb), DF_OK);
}

static char *render_map(const df_net *n, const df_mapping *m, const char *solver, const df_metrics *base) {
    df_svg_buf b;
    df_svg_buf_init(&b);
    df_svg_map_opts o = {.net = n, .map = m, .solver = solver, .objective = DF_OBJ_LATENCY, .baseline = base};
    df_err e;
    ck_assert_msg(df_svg_map(&o, &b, &e) == DF_OK, "%s", e.msg);
    ck_assert(!b.oom && b.data && b.len == strlen(b.data));
    return df_svg_buf_take(&b, NULL);
}

/* ---- the mapping picture ------------------------------------------------------------------------ */

START_TEST(test_map_well_formed_bands_budget) {
    df_workload w;
    chain(&w, 10, "chain10", 0);
    df_net *n = net_of(&w, 1 << 20, 4);
    df_mapping m, base;
    groups_of(&m, 10, 3, 2);
    groups_of(&base, 10, 1, 1);
    df_metrics bm;
    df_err e;
    ck_assert_int_eq(df_mapping_eval(n, &base, &bm, NULL, &e), DF_OK);
    char *svg = render_map(n, &m, "exact", &bm);
    const char *why = xml_problem(svg);
    ck_assert_msg(why == NULL, "not well-formed: %s", why);
    ck_assert_int_eq(count(svg, "class=\"group\""), m.n_groups);
    ck_assert_int_eq(count(svg, "class=\"layer\""), 10);
    ck_assert_int_eq(count(svg, "id=\"budget\""), 1);
    ck_assert(strstr(svg, "budget 1 MiB") != NULL);
    ck_assert(strstr(svg, "m=2") != NULL);
    ck_assert(strstr(svg, "speedup") != NULL && strstr(svg, "layer-by-layer") != NULL);
    ck_assert(strstr(svg, "INFEASIBLE") == NULL);
    /* layer names under the axis for a small network */
    ck_assert(strstr(svg, ">L9<") != NULL);
    free(svg);
    /* without a baseline: no gain in the title, still well-formed */
    svg = render_map(n, &base, NULL, NULL);
    ck_assert_msg(xml_problem(svg) == NULL, "%s", xml_problem(svg));
    ck_assert_int_eq(count(svg, "class=\"group\""), 10);
    ck_assert(strstr(svg, "speedup") == NULL);
    free(svg);
    df_mapping_free(&m);
    df_mapping_free(&base);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_map_escapes_hostile_names) {
    df_workload w;
    chain(&w, 6, HOSTILE "\t\x7f", 1);
    df_net *n = net_of(&w, 1 << 20, 2);
    df_mapping m;
    groups_of(&m, 6, 2, 1);
    char *svg = render_map(n, &m, HOSTILE, NULL);
    const char *why = xml_problem(svg);
    ck_assert_msg(why == NULL, "not well-formed: %s", why);
    ck_assert(strstr(svg, "<script") == NULL);
    ck_assert(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;") != NULL);
    ck_assert(strstr(svg, "hw&lt;&amp;&gt;") != NULL);
    /* \x01 -> space, \xff -> U+FFFD */
    ck_assert(strstr(svg, " \xEF\xBF\xBD"
                          "0") != NULL);
    ck_assert(strchr(svg, '\x01') == NULL && strchr(svg, '\x7f') == NULL && strchr(svg, '\t') == NULL);
    free(svg);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_map_deterministic_and_sizes) {
    /* 1 layer and 300 layers; rendering twice (also from a second net) gives the same bytes */
    for (int t = 0; t < 2; t++) {
        int32_t L = t ? 300 : 1;
        df_workload w;
        chain(&w, L, "net", 0);
        df_net *n1 = net_of(&w, 1 << 20, 8), *n2 = net_of(&w, 1 << 20, 8);
        df_mapping m;
        groups_of(&m, L, 7, 4);
        char *a = render_map(n1, &m, "exact", NULL), *b = render_map(n2, &m, "exact", NULL);
        ck_assert_msg(xml_problem(a) == NULL, "%s", xml_problem(a));
        ck_assert_int_eq(strlen(a), strlen(b));
        ck_assert(memcmp(a, b, strlen(a)) == 0);
        ck_assert_int_eq(count(a, "class=\"group\""), m.n_groups);
        ck_assert_int_eq(count(a, "class=\"layer\""), L);
        /* 300 layers: numbered ticks instead of names */
        if (L == 300) ck_assert(strstr(a, ">L299<") == NULL && strstr(a, ">280<") != NULL);
        free(a);
        free(b);
        df_mapping_free(&m);
        df_net_free(n1);
        df_net_free(n2);
        df_workload_free(&w);
    }
}
END_TEST

START_TEST(test_map_infeasible_and_errors) {
    df_workload w;
    chain(&w, 8, "tight", 0);
    df_net *n = net_of(&w, 24 * 1024, 8);
    df_mapping m;
    groups_of(&m, 8, 8, 8); /* everything fused at micro-batch 8: far over 24 KiB */
    char *svg = render_map(n, &m, "eval", NULL);
    ck_assert_msg(xml_problem(svg) == NULL, "%s", xml_problem(svg));
    ck_assert(strstr(svg, "INFEASIBLE") != NULL && strstr(svg, "OVER THE BUDGET") != NULL);
    ck_assert(strstr(svg, "#e74c3c") != NULL);
    free(svg);
    /* a mapping that does not cover the net is refused with a message */
    m.groups[0].last = 5;
    df_svg_buf b;
    df_svg_buf_init(&b);
    df_svg_map_opts o = {.net = n, .map = &m};
    df_err e;
    ck_assert_int_eq(df_svg_map(&o, &b, &e), DF_EINVAL);
    ck_assert(e.msg[0] != '\0');
    df_svg_buf_free(&b);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* ---- the sweep picture -------------------------------------------------------------------------- */

static char *render_sweep(const df_svg_sweep_opts *o) {
    df_svg_buf b;
    df_svg_buf_init(&b);
    df_err e;
    ck_assert_msg(df_svg_sweep(o, &b, &e) == DF_OK, "%s", e.msg);
    size_t len = 0;
    char *s = df_svg_buf_take(&b, &len);
    ck_assert_int_eq(len, strlen(s));
    ck_assert(b.data == NULL && b.len == 0);
    return s;
}

START_TEST(test_sweep_gaps_and_escaping) {
    /* 6 budgets given out of order; point 0 (the smallest) infeasible for all; the third series has a
     * hole in the middle */
    int64_t budgets[6] = {1 << 20, 1 << 14, 1 << 16, 1 << 18, 1 << 22, 1 << 24};
    double l0[6] = {4e-3, NAN, 5e-3, 4.5e-3, 4e-3, 4e-3}, e0[6] = {9e6, NAN, 8e6, 8.5e6, 9e6, 9e6};
    double l1[6] = {3e-3, NAN, 4.8e-3, 3.9e-3, 2.5e-3, 2.4e-3}, e1[6] = {7e6, NAN, 8e6, 7.5e6, 6e6, 6e6};
    double l2[6] = {NAN, NAN, 4.9e-3, 4e-3, 2.6e-3, 2.4e-3}, e2[6] = {NAN, NAN, 8e6, 7.6e6, 6.1e6, 6e6};
    df_svg_series ser[3] = {{"layer-by-layer", l0, e0}, {"optimum (exact)", l1, e1}, {HOSTILE, l2, e2}};
    df_svg_sweep_opts o = {.title = "sweep " HOSTILE,
                           .subtitle = "sub & title",
                           .note = "a <note>",
                           .n_points = 6,
                           .budgets = budgets,
                           .n_series = 3,
                           .series = ser};
    char *a = render_sweep(&o), *b = render_sweep(&o);
    const char *why = xml_problem(a);
    ck_assert_msg(why == NULL, "not well-formed: %s", why);
    ck_assert(strcmp(a, b) == 0);
    ck_assert(strstr(a, "<script") == NULL && strstr(a, "&lt;script&gt;") != NULL);
    ck_assert(strstr(a, "a &lt;note&gt;") != NULL);
    /* two panels x three series */
    ck_assert_int_eq(count(a, "class=\"series\""), 6);
    ck_assert_int_eq(count(a, "class=\"panel\""), 2);
    /* series 2 is split by its gap at 1 MiB: one line before (64 KiB..256 KiB), one after (4..16 MiB);
     * series 0 and 1 run unbroken from 64 KiB: four polylines per panel */
    ck_assert_int_eq(count(a, "<polyline"), 8);
    /* the budget where nothing is feasible is shaded */
    ck_assert(strstr(a, "gap or shade") != NULL);
    ck_assert(strstr(a, "best speedup over layer-by-layer") != NULL);
    free(a);
    free(b);
    /* nothing feasible at all: still a picture, saying so */
    double nan6[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    df_svg_series none[1] = {{"layer-by-layer", nan6, nan6}};
    df_svg_sweep_opts o2 = {.title = "empty", .n_points = 6, .budgets = budgets, .n_series = 1, .series = none};
    a = render_sweep(&o2);
    ck_assert_msg(xml_problem(a) == NULL, "%s", xml_problem(a));
    ck_assert_int_eq(count(a, "no feasible point"), 2);
    ck_assert_int_eq(count(a, "<polyline"), 0);
    free(a);
}
END_TEST

/* issue #11 item 8: layer names when they fit (all, every 2nd, else numbers), group latency in the
 * bands (a time or a share, the tooltip always) */
START_TEST(test_map_names_and_group_latency) {
    static const struct {
        int32_t L;
        int names;
    } cases[] = {{20, 20}, {72, 72}, {120, 60}, {300, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        df_workload w;
        chain(&w, cases[c].L, "net", 0);
        df_net *n = net_of(&w, 1 << 20, 8);
        df_mapping m;
        groups_of(&m, cases[c].L, 10, 4);
        char *a = render_map(n, &m, "exact", NULL);
        ck_assert_msg(xml_problem(a) == NULL, "%s", xml_problem(a));
        ck_assert_msg(count(a, "class=\"lname\"") == cases[c].names, "%d layers: %d names, want %d", cases[c].L,
                      count(a, "class=\"lname\""), cases[c].names);
        if (cases[c].names == cases[c].L / 2) ck_assert(strstr(a, "every 2nd name shown") != NULL);
        /* every group's tooltip says its latency and share; bands wide enough carry it as text */
        ck_assert_int_eq(count(a, "(of the total)") + count(a, "% of the total)"), m.n_groups);
        if (cases[c].L <= 120) ck_assert_int_ge(count(a, "class=\"glat\""), m.n_groups - 1);
        free(a);
        df_mapping_free(&m);
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

/* issue #11 item 8: the knee is marked where 90% of the latency gain is reached; none for a flat line */
START_TEST(test_sweep_knee) {
    int64_t budgets[6] = {1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 21};
    double lat[6] = {10e-3, 8e-3, 5e-3, 4.1e-3, 4.05e-3, 4e-3}, en[6] = {1e6, 1e6, 1e6, 1e6, 1e6, 1e6};
    /* gain 6 ms; within 0.6 ms of the best from 512 KiB (4.1 ms) on */
    ck_assert_int_eq(df_svg_knee(6, budgets, lat, 0.1), 3);
    /* given out of order: the same budget */
    int64_t b2[6] = {1 << 21, 1 << 16, 1 << 19, 1 << 17, 1 << 20, 1 << 18};
    double l2[6] = {4e-3, 10e-3, 4.1e-3, 8e-3, 4.05e-3, 5e-3};
    ck_assert_int_eq(df_svg_knee(6, b2, l2, 0.1), 2);
    /* a later point that climbs back out of the band moves the knee past it */
    double l3[6] = {10e-3, 4.1e-3, 6e-3, 4.1e-3, 4.05e-3, 4e-3};
    ck_assert_int_eq(df_svg_knee(6, budgets, l3, 0.1), 3);
    double flat[6] = {4e-3, 4e-3, 4.001e-3, 4e-3, 4e-3, 4e-3};
    ck_assert_int_eq(df_svg_knee(6, budgets, flat, 0.1), -1);
    ck_assert_int_eq(df_svg_knee(2, budgets, lat, 0.1), -1);
    df_svg_series ser[2] = {{"layer-by-layer", lat, en}, {"optimum (exact)", lat, en}};
    df_svg_sweep_opts o = {.title = "t", .n_points = 6, .budgets = budgets, .n_series = 2, .series = ser};
    char *a = render_sweep(&o);
    ck_assert_msg(xml_problem(a) == NULL, "%s", xml_problem(a));
    ck_assert_int_eq(count(a, "<g id=\"knee\">"), 1);
    ck_assert(strstr(a, "knee 512 KiB: 90% of the latency gain") != NULL);
    free(a);
    o.no_knee = 1;
    a = render_sweep(&o);
    ck_assert_int_eq(count(a, "id=\"knee\""), 0);
    free(a);
    ser[1].latency_s = flat;
    o.no_knee = 0;
    a = render_sweep(&o);
    ck_assert_int_eq(count(a, "id=\"knee\""), 0);
    free(a);
}
END_TEST

/* The y pixels of the points of the first polyline of the panel with the given id. */
static int polyline_ys(const char *svg, const char *panel, double *ys, int max) {
    char key[64];
    snprintf(key, sizeof key, "id=\"%s\"", panel);
    const char *p = strstr(svg, key);
    ck_assert_ptr_nonnull(p);
    p = strstr(p, "points=\"");
    ck_assert_ptr_nonnull(p);
    p += 8;
    int n = 0;
    while (*p && *p != '"' && n < max) {
        double x, y;
        int used = 0;
        if (sscanf(p, "%lf,%lf%n", &x, &y, &used) != 2) break;
        ys[n++] = y;
        p += used;
        while (*p == ' ') p++;
    }
    return n;
}

/* issue #11 item 8: a 0.2% range is a small step with its span said, not a cliff over the panel */
START_TEST(test_sweep_small_range_not_a_cliff) {
    int64_t budgets[4] = {1 << 18, 1 << 19, 1 << 20, 1 << 21};
    double lat[4] = {100.2e-3, 100.1e-3, 100.0e-3, 100.0e-3}, en[4] = {5e6, 5e6, 5e6, 5e6};
    df_svg_series ser[1] = {{"optimum (exact)", lat, en}};
    df_svg_sweep_opts o = {.title = "t", .n_points = 4, .budgets = budgets, .n_series = 1, .series = ser};
    char *a = render_sweep(&o);
    ck_assert_msg(xml_problem(a) == NULL, "%s", xml_problem(a));
    double ys[8];
    ck_assert_int_eq(polyline_ys(a, "latency", ys, 8), 4);
    /* the latency panel is 282 px high: the 0.2% step takes well under a tenth of it */
    ck_assert_msg(fabs(ys[0] - ys[3]) < 28.2, "the 0.2%% step spans %.1f px", fabs(ys[0] - ys[3]));
    ck_assert(fabs(ys[0] - ys[3]) > 1); /* but it is visible */
    ck_assert(strstr(a, "the latency values span 0.20% (100.000 ms .. 100.200 ms); the axis does not start at 0") !=
              NULL);
    free(a);
    /* a wide range keeps its full height and says its span too */
    double wide[4] = {200e-3, 150e-3, 110e-3, 100e-3};
    ser[0].latency_s = wide;
    a = render_sweep(&o);
    ck_assert_int_eq(polyline_ys(a, "latency", ys, 8), 4);
    ck_assert(fabs(ys[0] - ys[3]) > 200);
    free(a);
}
END_TEST

START_TEST(test_sweep_bad_options) {
    int64_t budgets[2] = {1024, 0};
    double v[2] = {1, 1};
    df_svg_series s[1] = {{"a", v, v}};
    df_svg_sweep_opts o = {.n_points = 2, .budgets = budgets, .n_series = 1, .series = s};
    df_svg_buf b;
    df_svg_buf_init(&b);
    df_err e;
    ck_assert_int_eq(df_svg_sweep(&o, &b, &e), DF_EINVAL); /* a zero budget */
    budgets[1] = 2048;
    o.n_series = 0;
    ck_assert_int_eq(df_svg_sweep(&o, &b, &e), DF_EINVAL);
    o.n_series = DF_SVG_MAX_SERIES + 1;
    ck_assert_int_eq(df_svg_sweep(&o, &b, &e), DF_EINVAL);
    o.n_series = 1;
    o.n_points = 0;
    ck_assert_int_eq(df_svg_sweep(&o, &b, &e), DF_EINVAL);
    /* one point, one budget: fine */
    o.n_points = 1;
    ck_assert_int_eq(df_svg_sweep(&o, &b, &e), DF_OK);
    ck_assert_msg(xml_problem(b.data) == NULL, "%s", xml_problem(b.data));
    df_svg_buf_free(&b);
}
END_TEST

/* issue 14 item 4: a depth-first mapping shows each tiled group's tile (glyph and "tile RxC, mode"),
 * the extra MACs of recomputed halos from the cost model's group figures, the bars as the bytes live
 * under tiling (df_mapping_footprints) with the untiled footprint outlined; a batch-only mapping shows
 * none of it; a band too narrow for text keeps the glyph */
START_TEST(test_map_depth_first_tiles) {
    df_workload w;
    chain(&w, 10, "df10", 0);
    df_net *n = net_of(&w, 1 << 20, 1);
    df_mapping m;
    ck_assert_int_eq(df_mapping_init(&m, 4), DF_OK);
    df_group g0 = {
        .first = 0, .last = 4, .micro_batch = 1, .tile_rows = 4, .tile_cols = 0, .overlap = DF_OVERLAP_RECOMPUTE};
    df_group g1 = {
        .first = 5, .last = 9, .micro_batch = 1, .tile_rows = 4, .tile_cols = 8, .overlap = DF_OVERLAP_CACHE_ALL};
    ck_assert_int_eq(df_mapping_push_group(&m, &g0), DF_OK);
    ck_assert_int_eq(df_mapping_push_group(&m, &g1), DF_OK);
    df_group_cost c0, c1;
    ck_assert_int_eq(df_group_eval_tiled(n, &g0, &c0), DF_OK);
    ck_assert_int_eq(df_group_eval_tiled(n, &g1, &c1), DF_OK);
    ck_assert_int_eq(c0.tiles_y * c0.tiles_x, 4);
    ck_assert_int_eq(c1.tiles_y * c1.tiles_x, 8);
    ck_assert(c0.macs > c0.layer_macs * 1.001); /* 3x3 halos recomputed over 4 row bands */
    char *svg = render_map(n, &m, "exact", NULL);
    const char *why = xml_problem(svg);
    ck_assert_msg(why == NULL, "not well-formed: %s", why);
    ck_assert(strstr(svg, "exact depth-first mapping") != NULL);
    ck_assert_int_eq(count(svg, "class=\"tile-grid\""), 2);
    ck_assert(strstr(svg, ">tile 4\xC3\x97"
                          "16, recompute<") != NULL);
    ck_assert(strstr(svg, ">tile 4\xC3\x97"
                          "8, cache_all<") != NULL);
    /* the recompute share is the cost model's: (macs / layer_macs - 1) of the group */
    char want[96];
    snprintf(want, sizeof want, ">+%.1f%% MACs recomputed<", 100.0 * (c0.macs / c0.layer_macs - 1));
    ck_assert_msg(strstr(svg, want) != NULL, "no %s", want);
    ck_assert(strstr(svg, ">no MACs recomputed<") != NULL);
    snprintf(want, sizeof want,
             "%d\xC3\x97"
             "%d = %d tiles per sample, overlap recompute",
             c0.tiles_y, c0.tiles_x, c0.tiles_y * c0.tiles_x);
    ck_assert_msg(strstr(svg, want) != NULL, "no %s", want);
    /* the bars are the tiled footprints; each tiled layer's tooltip names its untiled bytes, and the
     * outline is drawn where tiling saves bytes */
    df_layer_footprint fp[10], wh[10];
    df_mapping um;
    df_err e;
    ck_assert_int_eq(df_mapping_footprints(n, &m, fp, &e), DF_OK);
    ck_assert_int_eq(df_mapping_init(&um, 4), DF_OK);
    ck_assert_int_eq(df_mapping_push(&um, 0, 4, 1), DF_OK);
    ck_assert_int_eq(df_mapping_push(&um, 5, 9, 1), DF_OK);
    ck_assert_int_eq(df_mapping_footprints(n, &um, wh, &e), DF_OK);
    int saved = 0;
    for (int i = 0; i < 10; i++) {
        char b1[32], b2[32], line[200];
        snprintf(line, sizeof line, "L%d (conv): %s live", i, df_format_size(fp[i].bytes, b1, sizeof b1));
        ck_assert_msg(strstr(svg, line) != NULL, "no %s", line);
        snprintf(line, sizeof line, "halos and caches; untiled %s", df_format_size(wh[i].bytes, b2, sizeof b2));
        ck_assert_msg(strstr(svg, line) != NULL, "no %s", line);
        saved += wh[i].bytes > fp[i].bytes;
    }
    ck_assert_int_gt(saved, 0);
    ck_assert_int_eq(count(svg, "class=\"untiled\""), saved);
    free(svg);
    /* a depth-first answer where no layer-by-layer mapping fits has an empty baseline: no gain, no
     * "layer-by-layer:" figures */
    df_metrics none;
    memset(&none, 0, sizeof none);
    svg = render_map(n, &m, "exact", &none);
    ck_assert(strstr(svg, "layer-by-layer") == NULL && strstr(svg, "speedup") == NULL);
    free(svg);
    /* the same groups untiled: nothing of the above */
    svg = render_map(n, &um, "exact", NULL);
    ck_assert(strstr(svg, "depth-first") == NULL && strstr(svg, "tile-grid") == NULL &&
              strstr(svg, "id=\"tiles\"") == NULL && strstr(svg, "untiled") == NULL);
    free(svg);
    df_mapping_free(&um);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
    /* 300 layers, a tiled one-layer group (4 px wide): the glyph, no text */
    chain(&w, 300, "long", 0);
    n = net_of(&w, 1 << 20, 1);
    groups_of(&m, 300, 1, 1);
    m.groups[7].tile_rows = 2;
    svg = render_map(n, &m, "exact", NULL);
    ck_assert_msg(xml_problem(svg) == NULL, "%s", xml_problem(svg));
    ck_assert_int_eq(count(svg, "class=\"tile-grid\""), 0); /* 3.4 px: not even the glyph fits */
    ck_assert_int_eq(count(svg, "class=\"tile\""), 0);
    ck_assert(strstr(svg, "tiles per sample") != NULL); /* the tooltip still says it */
    free(svg);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
    /* 100 layers (10 px slots), a tiled 2-layer group: room for the glyph only */
    chain(&w, 100, "mid", 0);
    n = net_of(&w, 1 << 20, 1);
    groups_of(&m, 100, 2, 1);
    m.groups[3].tile_rows = 2;
    svg = render_map(n, &m, "exact", NULL);
    ck_assert_msg(xml_problem(svg) == NULL, "%s", xml_problem(svg));
    ck_assert_int_eq(count(svg, "class=\"tile-grid\""), 1);
    ck_assert_int_eq(count(svg, "class=\"tile\""), 0);
    free(svg);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_checker_catches_bad_xml) {
    /* the checker itself: it must reject what it is there to catch */
    ck_assert(xml_problem("<svg><g></svg>") != NULL);
    ck_assert(xml_problem("<svg><text>a<b</text></svg>") != NULL);
    ck_assert(xml_problem("<svg><text>a & b</text></svg>") != NULL);
    ck_assert(xml_problem("<svg x=\"<\"></svg>") != NULL);
    ck_assert(xml_problem("<svg></svg><svg></svg>") != NULL);
    ck_assert(xml_problem("<svg><g/><text>&amp;&lt;</text></svg>\n") == NULL);
}
END_TEST

static Suite *svg_suite(void) {
    Suite *s = suite_create("svg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_checker_catches_bad_xml);
    tcase_add_test(tc, test_map_well_formed_bands_budget);
    tcase_add_test(tc, test_map_escapes_hostile_names);
    tcase_add_test(tc, test_map_deterministic_and_sizes);
    tcase_add_test(tc, test_map_infeasible_and_errors);
    tcase_add_test(tc, test_sweep_gaps_and_escaping);
    tcase_add_test(tc, test_sweep_bad_options);
    tcase_add_test(tc, test_map_names_and_group_latency);
    tcase_add_test(tc, test_sweep_knee);
    tcase_add_test(tc, test_sweep_small_range_not_a_cliff);
    tcase_add_test(tc, test_map_depth_first_tiles);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(svg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
