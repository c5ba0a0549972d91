/* check_hw.c - unit tests of src/core/hw.c: presets, default energies, validation of every field
 * (bounded so that no metric can overflow), dataflow names and PE-array parsing. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dnnfuser/hw.h"
#include "dnnfuser/json.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

#define EPS 1e-12

static void check_preset(const char *name, int32_t rows, int32_t cols, df_dataflow d, int64_t buf, double dram_bw,
                         double noc_bw, double clock, int32_t eb) {
    df_hw h;
    df_err e;
    df_err_clear(&e);
    ck_assert_int_eq(df_hw_preset(name, &h, &e), DF_OK);
    ck_assert_str_eq(h.name, name);
    ck_assert_int_eq(h.pe_rows, rows);
    ck_assert_int_eq(h.pe_cols, cols);
    ck_assert_int_eq(h.dataflow, d);
    ck_assert_int_eq(h.buffer_bytes, buf);
    ck_assert_double_eq(h.dram_bw, dram_bw);
    ck_assert_double_eq(h.noc_bw, noc_bw);
    ck_assert_double_eq(h.clock_hz, clock);
    ck_assert_int_eq(h.elem_bytes, eb);
    df_energy de = df_hw_energy_default(&h);
    ck_assert_double_eq(h.energy.mac, de.mac);
    ck_assert_double_eq(h.energy.rf, de.rf);
    ck_assert_double_eq(h.energy.noc, de.noc);
    ck_assert_double_eq(h.energy.buf, de.buf);
    ck_assert_double_eq(h.energy.dram, de.dram);
    ck_assert_int_eq(df_hw_validate(&h, &e), DF_OK);
}

START_TEST(test_presets) {
    ck_assert_int_eq(df_hw_preset_count(), 4);
    ck_assert_str_eq(df_hw_preset_name(0), "edge");
    ck_assert_str_eq(df_hw_preset_name(1), "mobile");
    ck_assert_str_eq(df_hw_preset_name(2), "cloud");
    ck_assert_str_eq(df_hw_preset_name(3), "eyeriss");
    ck_assert_ptr_null(df_hw_preset_name(4));
    ck_assert_ptr_null(df_hw_preset_name(-1));
    check_preset("edge", 16, 16, DF_DATAFLOW_WS, 512 * 1024, 16, 64, 500e6, 1);
    check_preset("mobile", 32, 32, DF_DATAFLOW_WS, 2 * 1024 * 1024, 32, 128, 1e9, 1);
    check_preset("cloud", 128, 128, DF_DATAFLOW_WS, 32LL * 1024 * 1024, 256, 1024, 1e9, 2);
    /* [EYE17]: 64-bit link at 60 MHz = 2.4 B per 200 MHz cycle; filter and psum buses 64-bit, ifmap 16-bit */
    check_preset("eyeriss", 12, 14, DF_DATAFLOW_RS, 108 * 1024, 2.4, 18, 200e6, 2);
    df_hw h;
    ck_assert_int_eq(df_hw_preset("eyeriss", &h, NULL), DF_OK);
    ck_assert_int_eq(h.tech_nm, 65);
    ck_assert_double_eq(h.noc_bw_w, 8);
    ck_assert_double_eq(h.noc_bw_in, 2);
    ck_assert_double_eq(h.noc_bw_out, 8);
    ck_assert_double_eq(h.noc_hops, 1);
    /* 65 nm: the ISCA 2016 Table IV ratios to a 16-bit MAC of 0.85 pJ x 1.78 */
    ck_assert_double_eq_tol(h.energy.mac, (0.8 + 0.06) * (65.0 / 45) / 0.81, 1e-12);
    ck_assert_double_eq_tol(h.energy.rf / h.energy.mac, 1, 1e-12);
    ck_assert_double_eq_tol(h.energy.noc / h.energy.mac, 2, 1e-12);
    ck_assert_double_eq_tol(h.energy.buf / h.energy.mac, 6, 1e-12);
    ck_assert_double_eq_tol(h.energy.dram / h.energy.mac, 200, 1e-12);
    ck_assert_int_eq(df_hw_preset("edge", &h, NULL), DF_OK);
    ck_assert_int_eq(h.tech_nm, 45);
    ck_assert(h.noc_bw_w == 0 && h.noc_bw_in == 0 && h.noc_bw_out == 0); /* share noc_bw */
}
END_TEST

START_TEST(test_preset_unknown) {
    df_hw h;
    df_err e;
    df_err_clear(&e);
    ck_assert_int_eq(df_hw_preset("tpu", &h, &e), DF_ENOTFOUND);
    ck_assert_int_eq(e.code, DF_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(e.msg, "tpu"));
    ck_assert_ptr_nonnull(strstr(e.msg, "edge"));
    ck_assert_ptr_nonnull(strstr(e.msg, "mobile"));
    ck_assert_ptr_nonnull(strstr(e.msg, "cloud"));
    ck_assert_ptr_nonnull(strstr(e.msg, "eyeriss"));
    ck_assert_int_eq(df_hw_preset("Edge", &h, &e), DF_ENOTFOUND);
    ck_assert_int_eq(df_hw_preset("", &h, &e), DF_ENOTFOUND);
    ck_assert_int_eq(df_hw_preset(NULL, &h, NULL), DF_ENOTFOUND);
}
END_TEST

START_TEST(test_energy_values) {
    df_energy e1 = df_energy_default(1, 64 * 1024);
    ck_assert_double_eq_tol(e1.mac, 0.23, EPS);
    ck_assert_double_eq_tol(e1.rf, 0.23, EPS);
    ck_assert_double_eq_tol(e1.noc, 0.46, EPS);
    ck_assert_double_eq_tol(e1.buf, 2.5, EPS);
    ck_assert_double_eq_tol(e1.dram, 160.0, EPS);
    df_energy e2 = df_energy_default(2, 1 << 20);
    ck_assert_double_eq_tol(e2.mac, 1.5, EPS);
    ck_assert_double_eq_tol(e2.rf, 1.5, EPS);
    ck_assert_double_eq_tol(e2.noc, 3.0, EPS);
    ck_assert_double_eq_tol(e2.buf, 25.0, EPS);
    ck_assert_double_eq_tol(e2.dram, 320.0, EPS);
    df_energy e4 = df_energy_default(4, 32LL << 20);
    ck_assert_double_eq_tol(e4.mac, 4.6, EPS);
    ck_assert_double_eq_tol(e4.noc, 9.2, EPS);
    ck_assert_double_eq_tol(e4.buf, 50.0, EPS);
    ck_assert_double_eq_tol(e4.dram, 640.0, EPS);
    /* flat below 64 KiB and above 1 MiB; strictly between in the middle */
    ck_assert_double_eq_tol(df_energy_default(1, 1024).buf, 2.5, EPS);
    ck_assert_double_eq_tol(df_energy_default(1, 1LL << 40).buf, 12.5, EPS);
    double mid = df_energy_default(1, 256 * 1024).buf;
    ck_assert(mid > 2.5 && mid < 12.5);
    /* power-law interpolation: 256 KiB is half-way in log size between 64 KiB and 1 MiB */
    ck_assert_double_eq_tol(mid, sqrt(2.5 * 12.5), 1e-9);
}
END_TEST

START_TEST(test_energy_monotonic) {
    /* non-decreasing in buffer size, element by element */
    for (int32_t eb = 1; eb <= 4; eb *= 2) {
        double prev = 0;
        for (int64_t b = 1024; b <= (64LL << 20); b = b * 5 / 4 + 1) {
            df_energy e = df_energy_default(eb, b);
            ck_assert_msg(e.buf >= prev, "buf energy decreased at %lld bytes", (long long)b);
            prev = e.buf;
            ck_assert_double_eq(e.mac, df_energy_default(eb, 1024).mac);
            ck_assert_double_eq(e.dram, df_energy_default(eb, 1024).dram);
        }
    }
    ck_assert(df_energy_default(1, 100000).buf < df_energy_default(1, 500000).buf);
    /* strictly increasing in element bytes, every field */
    int64_t sizes[] = {4096, 108 * 1024, 512 * 1024, 4 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        df_energy a = df_energy_default(1, sizes[k]), b = df_energy_default(2, sizes[k]),
                  c = df_energy_default(4, sizes[k]);
        ck_assert(a.mac < b.mac && b.mac < c.mac);
        ck_assert(a.rf < b.rf && b.rf < c.rf);
        ck_assert(a.noc < b.noc && b.noc < c.noc);
        ck_assert(a.buf < b.buf && b.buf < c.buf);
        ck_assert(a.dram < b.dram && b.dram < c.dram);
        /* order of levels: MAC <= RF < NoC < buffer < DRAM */
        ck_assert(a.rf <= a.noc && a.noc < a.buf && a.buf < a.dram);
    }
}
END_TEST

/* One mutation of a valid edge preset and what validation must say about it. */
typedef struct {
    const char *sub;    /* the field's path in the hardware object (err.sub of DF_FIELD_HARDWARE) */
    const char *needle; /* the message names the field */
    void (*mutate)(df_hw *);
} hw_case;

static void m_rows0(df_hw *h) { h->pe_rows = 0; }
static void m_rows_neg(df_hw *h) { h->pe_rows = -3; }
static void m_rows_big(df_hw *h) { h->pe_rows = 4097; }
static void m_cols0(df_hw *h) { h->pe_cols = 0; }
static void m_cols_big(df_hw *h) { h->pe_cols = 5000; }
static void m_pes_product(df_hw *h) {
    h->pe_rows = 2048;
    h->pe_cols = 1024;
}
static void m_dataflow(df_hw *h) { h->dataflow = DF_DATAFLOW_COUNT; }
static void m_dataflow_neg(df_hw *h) { h->dataflow = (df_dataflow)-1; }
static void m_buf0(df_hw *h) { h->buffer_bytes = 0; }
static void m_buf_neg(df_hw *h) { h->buffer_bytes = -5; }
static void m_buf_big(df_hw *h) { h->buffer_bytes = (1LL << 40) + 1; }
static void m_dram0(df_hw *h) { h->dram_bw = 0; }
static void m_dram_nan(df_hw *h) { h->dram_bw = NAN; }
static void m_dram_inf(df_hw *h) { h->dram_bw = INFINITY; }
static void m_dram_big(df_hw *h) { h->dram_bw = 2e6; }
static void m_noc_neg(df_hw *h) { h->noc_bw = -1; }
static void m_noc_nan(df_hw *h) { h->noc_bw = NAN; }
static void m_clock0(df_hw *h) { h->clock_hz = 0; }
static void m_clock_big(df_hw *h) { h->clock_hz = 2e11; }
static void m_clock_inf(df_hw *h) { h->clock_hz = INFINITY; }
static void m_eb3(df_hw *h) { h->elem_bytes = 3; }
static void m_eb0(df_hw *h) { h->elem_bytes = 0; }
static void m_eb8(df_hw *h) { h->elem_bytes = 8; }
static void m_e_mac(df_hw *h) { h->energy.mac = -0.1; }
static void m_e_rf(df_hw *h) { h->energy.rf = NAN; }
static void m_e_noc(df_hw *h) { h->energy.noc = INFINITY; }
static void m_e_buf(df_hw *h) { h->energy.buf = -1; }
static void m_e_dram(df_hw *h) { h->energy.dram = -INFINITY; }
static void m_e_static(df_hw *h) { h->energy.stat = -1; }
static void m_noc_w(df_hw *h) { h->noc_bw_w = -1; }
static void m_noc_in(df_hw *h) { h->noc_bw_in = NAN; }
static void m_noc_out(df_hw *h) { h->noc_bw_out = 2e6; }
static void m_hops(df_hw *h) { h->noc_hops = -1; }
static void m_hops_big(df_hw *h) { h->noc_hops = 1e9; }
static void m_tech(df_hw *h) { h->tech_nm = 28; }
static void m_rf_w(df_hw *h) { h->rf_w = -1; }
static void m_rf_in(df_hw *h) { h->rf_in = 1 << 21; }
static void m_rf_out(df_hw *h) { h->rf_out = -7; }

/* values that would overflow a metric (cycles, seconds, energy, EDP) */
static void m_dram_tiny(df_hw *h) { h->dram_bw = 1e-308; }
static void m_noc_tiny(df_hw *h) { h->noc_bw = 1e-308; }
static void m_clock_tiny(df_hw *h) { h->clock_hz = 1e-308; }
static void m_noc_in_tiny(df_hw *h) { h->noc_bw_in = 1e-308; }
static void m_e_mac_huge(df_hw *h) { h->energy.mac = 1e308; }
static void m_e_rf_huge(df_hw *h) { h->energy.rf = 1e308; }
static void m_e_noc_huge(df_hw *h) { h->energy.noc = 1e308; }
static void m_e_buf_huge(df_hw *h) { h->energy.buf = 1e308; }
static void m_e_dram_huge(df_hw *h) { h->energy.dram = 1e308; }
static void m_e_static_huge(df_hw *h) { h->energy.stat = 1e308; }

static const hw_case hw_cases[] = {
    {"pe_rows", "pe_rows", m_rows0},
    {"pe_rows", "pe_rows", m_rows_neg},
    {"pe_rows", "4096", m_rows_big},
    {"pe_cols", "pe_cols", m_cols0},
    {"pe_cols", "pe_cols", m_cols_big},
    {"pe_cols", "PEs", m_pes_product},
    {"dataflow", "dataflow", m_dataflow},
    {"dataflow", "dataflow", m_dataflow_neg},
    {"buffer", "buffer", m_buf0},
    {"buffer", "buffer", m_buf_neg},
    {"buffer", "1099511627776", m_buf_big},
    {"dram_bw", "dram_bw", m_dram0},
    {"dram_bw", "dram_bw", m_dram_nan},
    {"dram_bw", "dram_bw", m_dram_inf},
    {"dram_bw", "dram_bw", m_dram_big},
    {"noc_bw", "noc_bw", m_noc_neg},
    {"noc_bw", "noc_bw", m_noc_nan},
    {"clock_hz", "clock_hz", m_clock0},
    {"clock_hz", "clock_hz", m_clock_big},
    {"clock_hz", "clock_hz", m_clock_inf},
    {"elem_bytes", "elem_bytes = 3", m_eb3},
    {"elem_bytes", "elem_bytes", m_eb0},
    {"elem_bytes", "elem_bytes", m_eb8},
    {"energy_pj/mac", "mac", m_e_mac},
    {"energy_pj/rf", "rf", m_e_rf},
    {"energy_pj/noc", "noc", m_e_noc},
    {"energy_pj/buf", "buf", m_e_buf},
    {"energy_pj/dram", "dram", m_e_dram},
    {"energy_pj/static", "static", m_e_static},
    {"noc_bw_w", "noc_bw_w", m_noc_w},
    {"noc_bw_in", "noc_bw_in", m_noc_in},
    {"noc_bw_out", "noc_bw_out", m_noc_out},
    {"noc_hops", "noc_hops", m_hops},
    {"noc_hops", "noc_hops", m_hops_big},
    {"tech_nm", "tech_nm", m_tech},
    {"rf_w", "rf_w", m_rf_w},
    {"rf_in", "rf_in", m_rf_in},
    {"rf_out", "rf_out", m_rf_out},
    {"dram_bw", "dram_bw", m_dram_tiny},
    {"noc_bw", "noc_bw", m_noc_tiny},
    {"clock_hz", "clock_hz", m_clock_tiny},
    {"noc_bw_in", "noc_bw_in", m_noc_in_tiny},
    {"energy_pj/mac", "energy_pj.mac", m_e_mac_huge},
    {"energy_pj/rf", "energy_pj.rf", m_e_rf_huge},
    {"energy_pj/noc", "energy_pj.noc", m_e_noc_huge},
    {"energy_pj/buf", "energy_pj.buf", m_e_buf_huge},
    {"energy_pj/dram", "energy_pj.dram", m_e_dram_huge},
    {"energy_pj/static", "energy_pj.static", m_e_static_huge},
};

START_TEST(test_validate_fields) {
    const hw_case *c = &hw_cases[_i];
    df_hw h;
    df_err e;
    ck_assert_int_eq(df_hw_preset("edge", &h, NULL), DF_OK);
    ck_assert_int_eq(df_hw_validate(&h, &e), DF_OK);
    c->mutate(&h);
    ck_assert_int_eq(df_hw_validate(&h, &e), DF_EINVAL);
    ck_assert_int_eq(e.code, DF_EINVAL);
    ck_assert_int_eq(e.field, DF_FIELD_HARDWARE);
    ck_assert_str_eq(e.sub, c->sub);
    ck_assert_str_eq(e.pointer, ""); /* a library error names the field by id; the JSON reader points */
    ck_assert_msg(strstr(e.msg, c->needle) != NULL, "case %d: message '%s' lacks '%s'", _i, e.msg, c->needle);
}
END_TEST

/* No metric can overflow: a bandwidth or clock of 1e-308 or an energy of 1e308 is a 422-style input
 * error naming the field (the hw_cases above, and here through the JSON reader); at the extreme
 * accepted values a large network at the largest batch still gives finite metrics. */
START_TEST(test_overflow_json_rejected) {
    const char *docs[][2] = {
        {"{\"dram_bw\": 1e-308}", "/hardware/dram_bw"},
        {"{\"noc_bw\": 1e-308}", "/hardware/noc_bw"},
        {"{\"clock_hz\": 1e-308}", "/hardware/clock_hz"},
        {"{\"energy_pj\": {\"dram\": 1e308}}", "/hardware/energy_pj/dram"},
        {"{\"energy_pj\": {\"mac\": 1e308}}", "/hardware/energy_pj/mac"},
    };
    for (size_t k = 0; k < sizeof docs / sizeof docs[0]; k++) {
        json_t *j = json_loads(docs[k][0], 0, NULL);
        ck_assert_ptr_nonnull(j);
        df_hw h;
        df_err e;
        ck_assert_int_eq(df_hw_from_json(j, "/hardware", &h, &e), DF_EINVAL);
        ck_assert_str_eq(e.pointer, docs[k][1]);
        json_decref(j);
    }
}
END_TEST

/* The reader turns a validation error's field id into the pointer of where the hardware object sits
 * (a grid's /grid/hardware/N), and a pe_rows/pe_cols error into "pes" when the document said pes. */
START_TEST(test_json_points_where_the_object_sits) {
    const char *docs[][3] = {
        {"{\"pes\": \"5000x1\"}", "/grid/hardware/1", "/grid/hardware/1/pes"},
        {"{\"pe_rows\": 5000}", "/grid/hardware/1", "/grid/hardware/1/pe_rows"},
        {"{\"pes\": \"2048x1024\"}", "/hardware", "/hardware/pes"},
        {"{\"pe_rows\": 2048, \"pe_cols\": 1024}", "/hardware", "/hardware/pe_cols"},
        {"{\"energy_pj\": {\"mac\": -1}}", "/grid/hardware/0", "/grid/hardware/0/energy_pj/mac"},
        {"{\"tech_nm\": 28}", "", "/tech_nm"},
    };
    for (size_t k = 0; k < sizeof docs / sizeof docs[0]; k++) {
        json_t *j = json_loads(docs[k][0], 0, NULL);
        ck_assert_ptr_nonnull(j);
        df_hw h;
        df_err e;
        ck_assert_int_eq(df_hw_from_json(j, docs[k][1], &h, &e), DF_EINVAL);
        ck_assert_str_eq(e.pointer, docs[k][2]);
        ck_assert_int_eq(e.field, DF_FIELD_NONE);
        ck_assert_str_eq(e.sub, "");
        json_decref(j);
    }
}
END_TEST

START_TEST(test_extreme_accepted_values_stay_finite) {
    df_workload w;
    df_err e;
    ck_assert_int_eq(df_zoo_build("vgg16", NULL, &w, &e), DF_OK);
    for (int d = 0; d < DF_DATAFLOW_COUNT; d++) {
        df_hw h;
        ck_assert_int_eq(df_hw_preset("cloud", &h, NULL), DF_OK);
        h.dataflow = (df_dataflow)d;
        h.dram_bw = h.noc_bw = 1e-3;
        h.noc_bw_w = h.noc_bw_in = h.noc_bw_out = 1e-3;
        h.clock_hz = 1;
        h.noc_hops = 4096;
        h.energy = (df_energy){1e6, 1e6, 1e6, 1e6, 1e6, 1e6};
        ck_assert_int_eq(df_hw_validate(&h, &e), DF_OK);
        df_net *n;
        ck_assert_int_eq(df_net_init(&n, &w, &h, DF_MAX_BATCH, &e), DF_OK);
        df_mapping m;
        df_mapping_init(&m, 32);
        ck_assert_int_eq(df_solve_lbl(n, DF_OBJ_EDP, &m, NULL, &e), DF_OK);
        df_metrics mt;
        ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_OK);
        ck_assert(isfinite(mt.latency_cycles) && isfinite(mt.latency_s) && isfinite(mt.energy_pj));
        ck_assert(isfinite(mt.edp) && isfinite(mt.dram_bytes) && isfinite(mt.throughput_sps));
        ck_assert(mt.latency_s > 0 && mt.edp > 0);
        df_mapping_free(&m);
        df_net_free(n);
    }
    df_workload_free(&w);
}
END_TEST

START_TEST(test_validate_bounds_ok) {
    df_hw h;
    df_err e;
    ck_assert_int_eq(df_hw_preset("edge", &h, NULL), DF_OK);
    h.pe_rows = 1;
    h.pe_cols = 1;
    h.buffer_bytes = 1;
    h.dram_bw = 1e6;
    h.noc_bw = 0.001;
    h.clock_hz = 1e11;
    h.elem_bytes = 4;
    h.energy = (df_energy){0, 0, 0, 0, 0, 0};
    ck_assert_int_eq(df_hw_validate(&h, &e), DF_OK);
    h.pe_rows = 4096;
    h.pe_cols = 256;
    h.buffer_bytes = 1LL << 40; /* exactly 2^20 PEs, 1 TiB */
    ck_assert_int_eq(df_hw_validate(&h, &e), DF_OK);
    h.pe_cols = 257;
    ck_assert_int_eq(df_hw_validate(&h, &e), DF_EINVAL);
}
END_TEST

START_TEST(test_dataflow_names) {
    df_dataflow d = DF_DATAFLOW_COUNT;
    ck_assert_str_eq(df_dataflow_name(DF_DATAFLOW_WS), "ws");
    ck_assert_str_eq(df_dataflow_name(DF_DATAFLOW_OS), "os");
    ck_assert_str_eq(df_dataflow_name(DF_DATAFLOW_RS), "rs");
    ck_assert_str_eq(df_dataflow_name(DF_DATAFLOW_COUNT), "?");
    ck_assert_int_eq(df_dataflow_parse("ws", &d), DF_OK);
    ck_assert_int_eq(d, DF_DATAFLOW_WS);
    ck_assert_int_eq(df_dataflow_parse("os", &d), DF_OK);
    ck_assert_int_eq(d, DF_DATAFLOW_OS);
    ck_assert_int_eq(df_dataflow_parse("rs", &d), DF_OK);
    ck_assert_int_eq(d, DF_DATAFLOW_RS);
    ck_assert_int_eq(df_dataflow_parse("is", &d), DF_EINVAL);
    ck_assert_int_eq(df_dataflow_parse("", &d), DF_EINVAL);
    ck_assert_int_eq(df_dataflow_parse("ws ", &d), DF_EINVAL);
    ck_assert_int_eq(df_dataflow_parse(NULL, &d), DF_EINVAL);
    ck_assert_int_eq(d, DF_DATAFLOW_RS); /* untouched on failure */
}
END_TEST

START_TEST(test_parse_pes_ok) {
    int32_t r = 0, c = 0;
    ck_assert_int_eq(df_parse_pes("32x32", &r, &c), DF_OK);
    ck_assert_int_eq(r, 32);
    ck_assert_int_eq(c, 32);
    ck_assert_int_eq(df_parse_pes("12X14", &r, &c), DF_OK);
    ck_assert_int_eq(r, 12);
    ck_assert_int_eq(c, 14);
    ck_assert_int_eq(df_parse_pes("256", &r, &c), DF_OK);
    ck_assert_int_eq(r, 16);
    ck_assert_int_eq(c, 16);
    ck_assert_int_eq(df_parse_pes("1", &r, &c), DF_OK);
    ck_assert_int_eq(r, 1);
    ck_assert_int_eq(c, 1);
    ck_assert_int_eq(df_parse_pes("16384", &r, &c), DF_OK);
    ck_assert_int_eq(r, 128);
    ck_assert_int_eq(c, 128);
    ck_assert_int_eq(df_parse_pes("1x4096", &r, &c), DF_OK);
    ck_assert_int_eq(r, 1);
    ck_assert_int_eq(c, 4096);
    /* largest perfect square in int32: 46340^2 */
    ck_assert_int_eq(df_parse_pes("2147395600", &r, &c), DF_OK);
    ck_assert_int_eq(r, 46340);
}
END_TEST

START_TEST(test_parse_pes_bad) {
    static const char *const bad[] = {
        "",      "0",         "0x16", "16x0",    "-16", "-4x4",        "4x-4",          "+16",        "255",
        "168",   "2",         "abc",  "16x",     "x16", "16x16x",      "16x16 ",        " 16x16",     "16 x 16",
        "16*16", "16x16junk", "256k", "16.0x16", "1e2", "99999999999", "4x99999999999", "2147483648", "16xx16",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int32_t r = -7, c = -7;
        ck_assert_msg(df_parse_pes(bad[k], &r, &c) == DF_EINVAL, "accepted '%s'", bad[k]);
        ck_assert_int_eq(r, -7);
        ck_assert_int_eq(c, -7);
    }
    int32_t r, c;
    ck_assert_int_eq(df_parse_pes(NULL, &r, &c), DF_EINVAL);
}
END_TEST

static Suite *hw_suite(void) {
    Suite *s = suite_create("hw");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_presets);
    tcase_add_test(tc, test_preset_unknown);
    tcase_add_test(tc, test_energy_values);
    tcase_add_test(tc, test_energy_monotonic);
    tcase_add_loop_test(tc, test_validate_fields, 0, (int)(sizeof hw_cases / sizeof hw_cases[0]));
    tcase_add_test(tc, test_validate_bounds_ok);
    tcase_add_test(tc, test_overflow_json_rejected);
    tcase_add_test(tc, test_json_points_where_the_object_sits);
    tcase_add_test(tc, test_extreme_accepted_values_stay_finite);
    tcase_add_test(tc, test_dataflow_names);
    tcase_add_test(tc, test_parse_pes_ok);
    tcase_add_test(tc, test_parse_pes_bad);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(hw_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
