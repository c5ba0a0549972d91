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
 *        that they scale with buffer size and element width. */

#define SMALL_BUF (64LL << 10)   /* at or below: 2.5 pJ/byte ([HOR] 32 KB: 20 pJ / 8 bytes) */
#define LARGE_BUF (1LL << 20)    /* at or above: 12.5 pJ/byte ([HOR] 1 MB: 100 pJ / 8 bytes) */
#define SMALL_BUF_PJ_PER_BYTE 2.5
#define LARGE_BUF_PJ_PER_BYTE 12.5
#define DRAM_PJ_PER_BYTE 160.0   /* [HOR] DRAM 1.3 nJ per 64-bit access (lower end) / 8 bytes = 162.5 */

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
    if (elem_bytes <= 1)
        e.mac = 0.2 + 0.03;   /* [HOR] 8-bit integer mult 0.2 pJ + add 0.03 pJ */
    else if (elem_bytes == 2)
        e.mac = 1.1 + 0.4;    /* [HOR] 16-bit FP mult 1.1 pJ + add 0.4 pJ */
    else
        e.mac = 3.7 + 0.9;    /* [HOR] 32-bit FP mult 3.7 pJ + add 0.9 pJ */
    e.rf = 1.0 * e.mac;       /* [EYE] RF access 1x a MAC */
    e.noc = 2.0 * e.mac;      /* [EYE] inter-PE / array NoC transfer 2x a MAC */
    double eb = elem_bytes > 0 ? (double)elem_bytes : 1.0;
    e.buf = eb * buf_pj_per_byte(buffer_bytes);  /* [HOR] SRAM read energy by capacity */
    e.dram = eb * DRAM_PJ_PER_BYTE;              /* [HOR] DRAM access */
    return e;
}

/* ---- presets ---------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int32_t rows, cols;
    df_dataflow dataflow;
    int64_t buffer;
    double dram_bw, noc_bw, clock_hz;
    int32_t elem_bytes;
} preset_def;

static const preset_def presets[] = {
    {"edge", 16, 16, DF_DATAFLOW_WS, 512LL << 10, 16, 64, 500e6, 1},
    {"mobile", 32, 32, DF_DATAFLOW_WS, 2LL << 20, 32, 128, 1e9, 1},
    {"cloud", 128, 128, DF_DATAFLOW_WS, 32LL << 20, 256, 1024, 1e9, 2},
    /* Chen et al., "Eyeriss: An Energy-Efficient Reconfigurable Accelerator for Deep Convolutional
     * Neural Networks", JSSC 2017: 168 PEs in 12 rows x 14 columns, row-stationary, 108 KB global
     * buffer, 16-bit fixed point, 200 MHz nominal clock. */
    {"eyeriss", 12, 14, DF_DATAFLOW_RS, 108LL << 10, 8, 32, 200e6, 2},
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
        out->energy = df_energy_default(p->elem_bytes, p->buffer);
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
#define MAX_BW 1e6
#define MAX_CLOCK 1e11

static int bad_double(df_err *err, const char *field, const char *what, double v, double max) {
    char ptr[64];
    snprintf(ptr, sizeof ptr, "/hardware/%s", field);
    if (!isfinite(v))
        return df_err_set(err, DF_EINVAL, ptr, "hardware %s (%s) = %g is not a finite number", field, what, v);
    return df_err_set(err, DF_EINVAL, ptr, "hardware %s (%s) = %g out of range (0, %g]", field, what, v, max);
}

int df_hw_validate(const df_hw *hw, df_err *err) {
    df_err_clear(err);
    if (hw->pe_rows < 1 || hw->pe_rows > MAX_DIM)
        return df_err_set(err, DF_EINVAL, "/hardware/pe_rows", "hardware pe_rows = %d out of range [1, %d]",
                          hw->pe_rows, MAX_DIM);
    if (hw->pe_cols < 1 || hw->pe_cols > MAX_DIM)
        return df_err_set(err, DF_EINVAL, "/hardware/pe_cols", "hardware pe_cols = %d out of range [1, %d]",
                          hw->pe_cols, MAX_DIM);
    if ((int64_t)hw->pe_rows * hw->pe_cols > DF_HW_MAX_PES)
        return df_err_set(err, DF_EINVAL, "/hardware/pe_cols",
                          "hardware pe_rows x pe_cols = %dx%d = %lld PEs exceeds the maximum of %d", hw->pe_rows,
                          hw->pe_cols, (long long)hw->pe_rows * hw->pe_cols, DF_HW_MAX_PES);
    if ((int)hw->dataflow < 0 || hw->dataflow >= DF_DATAFLOW_COUNT)
        return df_err_set(err, DF_EINVAL, "/hardware/dataflow", "hardware dataflow = %d is not one of ws, os, rs",
                          (int)hw->dataflow);
    if (hw->buffer_bytes < 1 || hw->buffer_bytes > MAX_BUFFER)
        return df_err_set(err, DF_EINVAL, "/hardware/buffer",
                          "hardware buffer (global buffer bytes) = %lld out of range [1, %lld]",
                          (long long)hw->buffer_bytes, (long long)MAX_BUFFER);
    if (!isfinite(hw->dram_bw) || hw->dram_bw <= 0 || hw->dram_bw > MAX_BW)
        return bad_double(err, "dram_bw", "bytes/cycle", hw->dram_bw, MAX_BW);
    if (!isfinite(hw->noc_bw) || hw->noc_bw <= 0 || hw->noc_bw > MAX_BW)
        return bad_double(err, "noc_bw", "bytes/cycle", hw->noc_bw, MAX_BW);
    if (!isfinite(hw->clock_hz) || hw->clock_hz <= 0 || hw->clock_hz > MAX_CLOCK)
        return bad_double(err, "clock_hz", "Hz", hw->clock_hz, MAX_CLOCK);
    if (hw->elem_bytes != 1 && hw->elem_bytes != 2 && hw->elem_bytes != 4)
        return df_err_set(err, DF_EINVAL, "/hardware/elem_bytes", "hardware elem_bytes = %d must be 1, 2 or 4",
                          hw->elem_bytes);
    const struct { const char *name; double v; } en[] = {
        {"mac", hw->energy.mac}, {"rf", hw->energy.rf}, {"noc", hw->energy.noc},
        {"buf", hw->energy.buf}, {"dram", hw->energy.dram},
    };
    for (size_t i = 0; i < sizeof en / sizeof en[0]; i++) {
        if (!isfinite(en[i].v) || en[i].v < 0) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/hardware/energy_pj/%s", en[i].name);
            return df_err_set(err, DF_EINVAL, ptr, "hardware energy_pj.%s = %g must be a finite number >= 0 (pJ)",
                              en[i].name, en[i].v);
        }
    }
    return DF_OK;
}

/* ---- names and parsers ------------------------------------------------------------------------ */

static const char *const dataflow_names[DF_DATAFLOW_COUNT] = {"ws", "os", "rs"};

const char *df_dataflow_name(df_dataflow d) {
    return ((int)d >= 0 && d < DF_DATAFLOW_COUNT) ? dataflow_names[d] : "?";
}

int df_dataflow_parse(const char *s, df_dataflow *out) {
    for (int i = 0; s && i < DF_DATAFLOW_COUNT; i++)
        if (strcmp(s, dataflow_names[i]) == 0) { *out = (df_dataflow)i; return DF_OK; }
    return DF_EINVAL;
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
