/* hw.c - the accelerator description: default per-access energies (with their published sources),
 * the named presets, range validation of every field, and the small parsers for dataflow names and
 * PE-array shapes ("32x32", "256"). See include/dnnfuser/hw.h. */
#include "dnnfuser/hw.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- energies ----------------------------------------------------------------------------------
 * [HOR]  M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
 *        Fig. 1.1.9 (45 nm, 0.9 V): 8-bit int mult 0.2 pJ, add 0.03 pJ; 16-bit FP mult 1.1 pJ,
 *        add 0.4 pJ; 32-bit FP mult 3.7 pJ, add 0.9 pJ; 64-bit cache read 10 pJ (8 KB), 20 pJ (32 KB),
 *        100 pJ (1 MB); DRAM 1.3-2.6 nJ per 64-bit access.
 * [EYE]  Y.-H. Chen, J. Emer, V. Sze, "Eyeriss: A Spatial Architecture for Energy-Efficient Dataflow
 *        for Convolutional Neural Networks", ISCA 2016, §III and Fig. 1 (also Sze et al., "Efficient
 *        Processing of Deep Neural Networks: A Tutorial and Survey", Proc. IEEE 2017, Fig. 23):
 *        normalized energy per access relative to one MAC: RF 1x, inter-PE NoC 2x, global buffer 6x,
 *        DRAM 200x. We take RF and NoC from these ratios and the buffer/DRAM from [HOR] directly, so
 *        that they scale with buffer size and element width (45 nm); the 65 nm preset takes all four.
 * [EYE17] Y.-H. Chen, T. Krishna, J. Emer, V. Sze, "Eyeriss: An Energy-Efficient Reconfigurable
 *        Accelerator for Deep Convolutional Neural Networks", IEEE JSSC 52(1), 2017, and ISSCC 2016
 *        14.5: 65 nm, 12 x 14 PEs, 108 KB global buffer, 16-bit fixed point, per-PE scratchpads of
 *        224 filter weights, 12 ifmap values and 24 psums; separate filter (64-bit), ifmap (16-bit) and
 *        psum (64-bit, in and out) networks with single-cycle multicast; 64-bit off-chip link; Table V
 *        measured at 200 MHz core and 60 MHz link clock (docs/eyeriss/README.md).
 * [DEN]  R. Dennard et al., "Design of ion-implanted MOSFETs with very small physical dimensions",
 *        IEEE JSSC 9(5), 1974: constant-field scaling, switching energy ~ C V^2, C ~ feature size. */

#define SMALL_BUF (64LL << 10) /* at or below: 2.5 pJ/byte ([HOR] 32 KB: 20 pJ / 8 bytes) */
#define LARGE_BUF (1LL << 20)  /* at or above: 12.5 pJ/byte ([HOR] 1 MB: 100 pJ / 8 bytes) */
#define SMALL_BUF_PJ_PER_BYTE 2.5
#define LARGE_BUF_PJ_PER_BYTE 12.5
#define DRAM_PJ_PER_BYTE 160.0 /* [HOR] DRAM 1.3 nJ per 64-bit access (lower end) / 8 bytes = 162.5 */

/* Global-buffer SRAM energy per byte: flat below 64 KiB and above 1 MiB, and in between interpolated
 * linearly in log(energy) over log(size) (a power law, as the [HOR] 8 KB -> 32 KB -> 1 MB figures grow
 * roughly with the square root of the capacity). Monotonic non-decreasing in the size. */
static double buf_pj_per_byte(int64_t bytes) {
    if (bytes <= SMALL_BUF) return SMALL_BUF_PJ_PER_BYTE;
    if (bytes >= LARGE_BUF) return LARGE_BUF_PJ_PER_BYTE;
    double t = log((double)bytes / (double)SMALL_BUF) / log((double)LARGE_BUF / (double)SMALL_BUF);
    return SMALL_BUF_PJ_PER_BYTE * pow(LARGE_BUF_PJ_PER_BYTE / SMALL_BUF_PJ_PER_BYTE, t);
}

df_energy df_energy_default(int32_t elem_bytes, int64_t buffer_bytes) {
    df_energy e;
    memset(&e, 0, sizeof e);
    if (elem_bytes <= 1)
        e.mac = 0.2 + 0.03; /* [HOR] 8-bit integer mult 0.2 pJ + add 0.03 pJ */
    else if (elem_bytes == 2)
        e.mac = 1.1 + 0.4; /* [HOR] 16-bit FP mult 1.1 pJ + add 0.4 pJ */
    else
        e.mac = 3.7 + 0.9; /* [HOR] 32-bit FP mult 3.7 pJ + add 0.9 pJ */
    e.rf = 1.0 * e.mac;    /* [EYE] RF access 1x a MAC */
    e.noc = 2.0 * e.mac;   /* [EYE] inter-PE / array NoC transfer 2x a MAC */
    double eb = elem_bytes > 0 ? (double)elem_bytes : 1.0;
    e.buf = eb * buf_pj_per_byte(buffer_bytes); /* [HOR] SRAM read energy by capacity */
    e.dram = eb * DRAM_PJ_PER_BYTE;             /* [HOR] DRAM access */
    e.stat = 0;                                 /* no clock/static figure published for these generic presets */
    return e;
}

/* 65 nm (the Eyeriss chip's process, TSMC 65 nm LP, 1.0 V core [EYE17]): the per-access energies
 * are the [EYE] ISCA 2016 Table IV ratios, measured in a commercial 65 nm process, relative to one
 * 16-bit fixed-point MAC: RF (0.5 KB) 1x, NoC 2x, global buffer (> 100 KB) 6x, DRAM 200x. The MAC
 * itself: a 16-bit integer multiply-add at 45 nm from [HOR] (mult 0.2 pJ at 8 bit, 3.1 pJ at 32 bit,
 * quadratic in the width: 0.8 pJ at 16 bit; add 0.03 pJ at 8 bit, linear: 0.06 pJ), scaled to 65 nm at
 * 1.0 V by the classic constant-field rule E ~ C V^2 with C ~ feature size ([DEN] Dennard et al.,
 * JSSC 1974): x (65/45) x (1.0/0.9)^2 = 1.78, so 0.86 pJ -> 1.53 pJ. Other widths scale the MAC
 * quadratically (mult) and keep the ratios. */
static df_energy energy_65nm(int32_t elem_bytes) {
    df_energy e;
    memset(&e, 0, sizeof e);
    double bits = 8.0 * (elem_bytes > 0 ? elem_bytes : 1);
    double mult45 = 0.2 * (bits / 8) * (bits / 8), add45 = 0.03 * bits / 8; /* [HOR] int, 45 nm */
    double scale = (65.0 / 45.0) * (1.0 / 0.9) * (1.0 / 0.9);               /* [DEN] C V^2 */
    e.mac = (mult45 + add45) * scale;
    e.rf = 1.0 * e.mac;     /* [EYE] Table IV */
    e.noc = 2.0 * e.mac;    /* [EYE] Table IV */
    e.buf = 6.0 * e.mac;    /* [EYE] Table IV */
    e.dram = 200.0 * e.mac; /* [EYE] Table IV */
    e.stat = 0;             /* [EYE17] publishes total chip power only, no clock/static split */
    return e;
}

df_energy df_hw_energy_default(const df_hw *hw) {
    if (hw->tech_nm == 65) return energy_65nm(hw->elem_bytes);
    return df_energy_default(hw->elem_bytes, hw->buffer_bytes);
}

/* ---- presets ---------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int32_t rows, cols;
    df_dataflow dataflow;
    int64_t buffer;
    double dram_bw, noc_bw, clock_hz;
    int32_t elem_bytes, tech_nm;
    double noc_bw_w, noc_bw_in, noc_bw_out, noc_hops;
} preset_def;

/* noc_hops = 1: MAESTRO's default NoC latency (one hop of one cycle per delivery). */
static const preset_def presets[] = {
    {"edge", 16, 16, DF_DATAFLOW_WS, 512LL << 10, 16, 64, 500e6, 1, 45, 0, 0, 0, 1},
    {"mobile", 32, 32, DF_DATAFLOW_WS, 2LL << 20, 32, 128, 1e9, 1, 45, 0, 0, 0, 1},
    {"cloud", 128, 128, DF_DATAFLOW_WS, 32LL << 20, 256, 1024, 1e9, 2, 45, 0, 0, 0, 1},
    /* [EYE17]: 168 PEs in 12 rows x 14 columns, row-stationary, 108 KB global buffer, 16-bit fixed
     * point, 65 nm, 200 MHz core clock. DRAM: the 64-bit link at the measured 60 MHz link clock =
     * 480 MB/s = 2.4 bytes per 200 MHz core cycle. NoC ([EYE17] §V-B): separate input networks for
     * filters (64-bit data bus, 8 B/cycle) and ifmaps (16-bit, 2 B/cycle), psums in on the psum GIN and
     * out on the GON, 64-bit each (8 B/cycle, noc_bw_out); noc_bw = their sum; single-cycle multicast
     * delivery (one hop). */
    {"eyeriss", 12, 14, DF_DATAFLOW_RS, 108LL << 10, 2.4, 18, 200e6, 2, 65, 8, 2, 8, 1},
};
#define N_PRESETS ((int32_t)(sizeof presets / sizeof presets[0]))

int32_t df_hw_preset_count(void) { return N_PRESETS; }

const char *df_hw_preset_name(int32_t i) { return (i >= 0 && i < N_PRESETS) ? presets[i].name : NULL; }

int df_hw_preset(const char *name, df_hw *out, df_err *err) {
    for (int32_t i = 0; name && i < N_PRESETS; i++) {
        const preset_def *p = &presets[i];
        if (strcmp(name, p->name) != 0) continue;
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", p->name);
        out->pe_rows = p->rows;
        out->pe_cols = p->cols;
        out->dataflow = p->dataflow;
        out->buffer_bytes = p->buffer;
        out->dram_bw = p->dram_bw;
        out->noc_bw = p->noc_bw;
        out->clock_hz = p->clock_hz;
        out->elem_bytes = p->elem_bytes;
        out->tech_nm = p->tech_nm;
        out->noc_bw_w = p->noc_bw_w;
        out->noc_bw_in = p->noc_bw_in;
        out->noc_bw_out = p->noc_bw_out;
        out->noc_hops = p->noc_hops;
        out->energy = df_hw_energy_default(out);
        return DF_OK;
    }
    char names[128];
    size_t len = 0;
    names[0] = '\0';
    for (int32_t i = 0; i < N_PRESETS && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", presets[i].name);
    return df_err_set(err, DF_ENOTFOUND, NULL, "unknown hardware preset '%.64s' (known: %s)", name ? name : "(null)",
                      names);
}

/* ---- validation ------------------------------------------------------------------------------- */

#define MAX_DIM 4096
#define MAX_BUFFER (1LL << 40)
/* Bounds chosen so that no metric can overflow a double: the largest workload (4096 layers of at most
 * 1e15 MACs each, batch 65536) moves under 1e26 elements, so cycles <= 4e26 / MIN_BW, seconds <=
 * cycles / MIN_CLOCK and energy <= 1e26 x MAX_ENERGY_PJ + cycles x MAX_ENERGY_PJ stay finite, and so
 * does their product (EDP, < 1e70). */
#define MIN_BW 1e-3
#define MAX_BW 1e6
#define MIN_CLOCK 1.0
#define MAX_CLOCK 1e11
#define MAX_ENERGY_PJ 1e6
#define MAX_HOPS 4096
#define MAX_RF (1 << 20)

static int bad_double(df_err *err, const char *field, const char *what, double v, double min, double max) {
    if (!isfinite(v))
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, field,
                                "hardware %s (%s) = %g is not a finite number", field, what, v);
    return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, field, "hardware %s (%s) = %g out of range [%g, %g]",
                            field, what, v, min, max);
}

static int out_of(double v, double min, double max) { return !isfinite(v) || v < min || v > max; }

int df_hw_validate(const df_hw *hw, df_err *err) {
    df_err_clear(err);
    if (hw->pe_rows < 1 || hw->pe_rows > MAX_DIM)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, "pe_rows",
                                "hardware pe_rows = %d out of range [1, %d]", hw->pe_rows, MAX_DIM);
    if (hw->pe_cols < 1 || hw->pe_cols > MAX_DIM)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, "pe_cols",
                                "hardware pe_cols = %d out of range [1, %d]", hw->pe_cols, MAX_DIM);
    if ((int64_t)hw->pe_rows * hw->pe_cols > DF_HW_MAX_PES)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, "pe_cols",
                                "hardware pe_rows x pe_cols = %dx%d = %lld PEs exceeds the maximum of %d", hw->pe_rows,
                                hw->pe_cols, (long long)hw->pe_rows * hw->pe_cols, DF_HW_MAX_PES);
    if ((int)hw->dataflow < 0 || hw->dataflow >= DF_DATAFLOW_COUNT)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, "dataflow",
                                "hardware dataflow = %d is not one of ws, os, rs", (int)hw->dataflow);
    if (hw->buffer_bytes < 1 || hw->buffer_bytes > MAX_BUFFER)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, "buffer",
                                "hardware buffer (global buffer bytes) = %lld out of range [1, %lld]",
                                (long long)hw->buffer_bytes, (long long)MAX_BUFFER);
    if (out_of(hw->dram_bw, MIN_BW, MAX_BW))
        return bad_double(err, "dram_bw", "bytes/cycle", hw->dram_bw, MIN_BW, MAX_BW);
    if (out_of(hw->noc_bw, MIN_BW, MAX_BW)) return bad_double(err, "noc_bw", "bytes/cycle", hw->noc_bw, MIN_BW, MAX_BW);
    if (out_of(hw->clock_hz, MIN_CLOCK, MAX_CLOCK))
        return bad_double(err, "clock_hz", "Hz", hw->clock_hz, MIN_CLOCK, MAX_CLOCK);
    const struct {
        const char *name;
        double v;
    } bws[] = {
        {"noc_bw_w", hw->noc_bw_w},
        {"noc_bw_in", hw->noc_bw_in},
        {"noc_bw_out", hw->noc_bw_out},
    };
    for (size_t i = 0; i < sizeof bws / sizeof bws[0]; i++)
        if (bws[i].v != 0 && out_of(bws[i].v, MIN_BW, MAX_BW)) {
            return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, bws[i].name,
                                    "hardware %s = %g must be 0 (share noc_bw) or in [%g, %g] bytes/cycle", bws[i].name,
                                    bws[i].v, MIN_BW, MAX_BW);
        }
    if (!isfinite(hw->noc_hops) || hw->noc_hops < 0 || hw->noc_hops > MAX_HOPS)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, "noc_hops",
                                "hardware noc_hops = %g out of range [0, %d] cycles", hw->noc_hops, MAX_HOPS);
    if (hw->tech_nm != 0 && hw->tech_nm != 45 && hw->tech_nm != 65)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, "tech_nm", "hardware tech_nm = %d must be 45 or 65",
                                hw->tech_nm);
    const struct {
        const char *name;
        int32_t v;
    } rfs[] = {{"rf_w", hw->rf_w}, {"rf_in", hw->rf_in}, {"rf_out", hw->rf_out}};
    for (size_t i = 0; i < sizeof rfs / sizeof rfs[0]; i++)
        if (rfs[i].v < 0 || rfs[i].v > MAX_RF) {
            return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, rfs[i].name,
                                    "hardware %s = %d out of range [0, %d] entries (0 = Eyeriss's)", rfs[i].name,
                                    rfs[i].v, MAX_RF);
        }
    if (hw->elem_bytes != 1 && hw->elem_bytes != 2 && hw->elem_bytes != 4)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, "elem_bytes",
                                "hardware elem_bytes = %d must be 1, 2 or 4", hw->elem_bytes);
    const struct {
        const char *name;
        double v;
    } en[] = {
        {"mac", hw->energy.mac}, {"rf", hw->energy.rf},     {"noc", hw->energy.noc},
        {"buf", hw->energy.buf}, {"dram", hw->energy.dram}, {"static", hw->energy.stat},
    };
    for (size_t i = 0; i < sizeof en / sizeof en[0]; i++) {
        if (out_of(en[i].v, 0, MAX_ENERGY_PJ)) {
            char sub[32];
            snprintf(sub, sizeof sub, "energy_pj/%s", en[i].name);
            return df_err_set_field(err, DF_EINVAL, DF_FIELD_HARDWARE, sub,
                                    "hardware energy_pj.%s = %g must be a finite number in [0, %g] (pJ)", en[i].name,
                                    en[i].v, MAX_ENERGY_PJ);
        }
    }
    return DF_OK;
}

/* ---- names and parsers ------------------------------------------------------------------------ */

static const char *const dataflow_names[DF_DATAFLOW_COUNT] = {"ws", "os", "rs"};

const char *df_dataflow_name(df_dataflow d) { return ((int)d >= 0 && d < DF_DATAFLOW_COUNT) ? dataflow_names[d] : "?"; }

int df_dataflow_parse(const char *s, df_dataflow *out) {
    int i = df_name_find(s, dataflow_names, DF_DATAFLOW_COUNT);
    if (i < 0) return DF_EINVAL;
    *out = (df_dataflow)i;
    return DF_OK;
}

/* Parses a run of decimal digits (no sign, no space) at *s into [1, INT32_MAX]; advances *s. */
static int parse_count(const char **s, int64_t *out) {
    const char *p = *s;
    int64_t v = 0;
    if (!isdigit((unsigned char)*p)) return DF_EINVAL;
    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (*p - '0');
        if (v > INT32_MAX) return DF_EINVAL;
        p++;
    }
    if (v < 1) return DF_EINVAL;
    *s = p;
    *out = v;
    return DF_OK;
}

int df_parse_pes(const char *s, int32_t *rows, int32_t *cols) {
    if (!s) return DF_EINVAL;
    int64_t a, b;
    if (parse_count(&s, &a)) return DF_EINVAL;
    if (*s == '\0') {
        int64_t r = (int64_t)llround(sqrt((double)a));
        while (r * r > a) r--;
        while ((r + 1) * (r + 1) <= a) r++;
        if (r * r != a) return DF_EINVAL;
        *rows = *cols = (int32_t)r;
        return DF_OK;
    }
    if (*s != 'x' && *s != 'X') return DF_EINVAL;
    s++;
    if (parse_count(&s, &b) || *s != '\0') return DF_EINVAL;
    *rows = (int32_t)a;
    *cols = (int32_t)b;
    return DF_OK;
}
