/* cost.c - the analytical fusion cost model: per-layer figures per dataflow, fusion-group scoring
 * (the single feasibility rule), whole-mapping evaluation, objectives and mapping storage.
 *
 * Sources for the formulas:
 *  [MAESTRO]  Kwon et al., "Understanding Reuse, Performance, and Hardware Cost of DNN Dataflows:
 *             A Data-Centric Approach", MICRO 2019, §4 (spatial multicast/reduction, temporal reuse,
 *             runtime as the max of compute and communication delays under double buffering).
 *  [PRED]     Zhao et al., "DNN-Chip Predictor", ICASSP 2020, §2 (per-level access counts x unit energy,
 *             latency as max over memory levels and compute).
 *  [NVDLA]    NVDLA primer: weight-stationary, K x C partitioned MAC array (our `ws`).
 *  [SDN]      Du et al., "ShiDianNao", ISCA 2015, §5-6: output-stationary, outputs mapped on the PE
 *             grid, inputs forwarded between neighbouring PEs (our `os`).
 *  [EYERISS]  Chen, Emer, Sze, "Eyeriss", ISCA 2016, §V: row-stationary, filter rows on PE rows,
 *             output rows on PE columns, psums accumulated vertically, replication of PE sets (`rs`).
 *  [EYE17]    Chen, Krishna, Emer, Sze, "Eyeriss: An Energy-Efficient Reconfigurable Accelerator for
 *             Deep Convolutional Neural Networks", IEEE JSSC 52(1), 2017: §IV-A PE-set mapping
 *             (strip mining, segments), p/q/r/t and processing passes, §IV-B run-length coding, §V-B
 *             NoC, §V-C scratchpads and zero gating, §VI measured AlexNet (docs/eyeriss/).
 *  [DNNF]     Kao, Huang, Krishna, "DNNFuser", arXiv 2201.11218, §3: fused layer groups processed one
 *             micro-batch at a time with intermediate activations staged on chip.
 *  [DESIGN]   shared/DESIGN.md §2: the exact group semantics implemented by df_group_eval.
 */
#include "dnnfuser/cost.h"
#include "cost_ops.h" /* issue 16: the data-movement and vector layer types, deconv */

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct df_net {
    df_workload w;
    df_hw hw;
    int32_t N, L;
    double pes;
    df_layer_figures *fig;       /* [L] */
    int64_t *out_elems;          /* [L+1] per-sample output elements; [L] = network input tensor */
    int64_t *w_tile;             /* [L] weight elements that must be on chip when weights stream */
    int64_t *in_tile;            /* [L*DF_MAX_INPUTS] per-sample elements of a streamed input operand */
    int64_t *out_tile;           /* [L] per-sample elements of a streamed output (one output row) */
    int32_t *cons_off;           /* [L+2] CSR offsets of consumers per tensor (tensor L = network input) */
    int32_t *cons;               /* ascending consumer layer indices, each layer at most once per tensor */
    double *noc_ps;              /* [L] buffer<->array elements per sample */
    double *noc_mb;              /* [L] buffer<->array elements per micro-batch (ws/rs weights: stationary) */
    struct df_pass_plan_s *plan; /* [L] processing passes of each layer */
    double *rlc;                 /* [L+1] DRAM size of each tensor relative to dense (run-length coding) */
    double *e_sample;            /* [L] energy per sample independent of grouping: MAC + RF + NoC + buffer */
    /* 1 once df_net_check_budget found every layer fitting alone: derived from the fields above, which
     * never change after df_net_init (a request asks at parse, admission and in the baseline solve) */
    atomic_int budget_fits;
};

static inline int32_t tensor_of(const df_net *n, int32_t producer) { return producer < 0 ? n->L : producer; }

static double ceil_div(double a, double b) { return ceil(a / b); }

/* How one layer runs on the array as processing passes ([EYE17] §IV "processing pass"; [MAESTRO]
 * §4.3 steady state): npass passes, each computing c1 cycles and moving w1 weights, x1 inputs,
 * p1 psums read back and o1 psums/outputs written (elements). per_sample = 0: a pass processes every
 * sample of the micro-batch, so c1, x1, p1, o1 are per sample and w1 is per pass; per_sample = 1: the
 * passes repeat for every sample and all figures are per pass. streamed: elementwise layers without
 * passes. ct: input channels one pass consumes (the streamed input's line buffer holds only these,
 * the psums of the output row stay in the buffer). */
typedef struct df_pass_plan_s {
    double npass, c1, w1, x1, p1, o1, ct;
    double win;    /* w_ramp: input elements of every PE's first window, needed before the first MAC */
    double reread; /* input elements per sample read from DRAM again, beyond the first read, when the
                    * layer streams its input from DRAM (rs: the ifmap per filter pass, rs_plan) */
    int per_sample, streamed;
    int w_ramp;    /* 1: the PEs cannot hold the next pass's weights while computing (rs: 2 p q S > filter
                  * spad), so every pass first waits for its weights ([EYE17] §VI ramp-up) */
    int w_dram_ps; /* 1: the passes run one sample at a time (rs n = 1, [EYE17] §IV-A), so weights that do
                    * not stay in the buffer are read from DRAM again for every sample, not per micro-batch */
} df_pass_plan;

/* Smallest padded work ceil(n / (x k)) x k over tile sizes k in [1, kmax] for x parallel units, the
 * largest such k on ties: the tile a PE holds in its scratchpad, chosen so that no pass runs half
 * empty when a smaller tile divides the work evenly (Eyeriss picks p = 16 filters for AlexNet CONV1's
 * 96 = 2 sets x 16 x 3 passes although 20 would fit, [EYE17] Table IV). */
static double best_tile(double n, double x, double kmax, double *k_out) {
    double best = INFINITY, bk = 1;
    kmax = fmax(1, fmin(kmax, ceil_div(n, x)));
    for (double k = 1; k <= kmax; k++) {
        double w = ceil_div(n, x * k) * k;
        if (w <= best) {
            best = w;
            bk = k;
        }
    }
    *k_out = bk;
    return best;
}

/* Cycles to deliver elems elements over a network of bw bytes/cycle ([MAESTRO] §4.3 and its NoC model:
 * delay = hop latency + ceil(data / bandwidth)). Without the ceil: the per-pass figures are averages
 * over a layer's passes (fractional), and a step that is convex in the micro-batch keeps the exact
 * solver's balanced-split argument true (exact.c; checked by brute force in check_exact.c). */
static double deliver(const df_hw *hw, double elems, double bw) {
    return elems > 0 ? hw->noc_hops + elems * hw->elem_bytes / bw : 0;
}

/* Array time of a pass plan for s samples: its processing passes, each taking max(ingress, compute,
 * egress) with double-buffered scratchpads, the first pass's ingress and the last pass's egress not
 * overlapped ([MAESTRO] §4.3 steady state; [EYE17] §IV processing passes). With separate networks
 * ([EYE17] §V-B: a filter GIN, an ifmap GIN and a psum GIN from the buffer to the array and the GON
 * back, filter and psum GINs and the GON 64-bit, ifmap GIN 16-bit) ingress is the slowest of the
 * filter, ifmap and psum-read-back deliveries and egress (psums/outputs written) has the GON to
 * itself; otherwise all share noc_bw (psums in and out counted as egress, as before).
 * Ramp-up ([EYE17] §VI: "it takes time to load data from the GLB into the PE array to ramp up each
 * processing pass"): a PE interleaves all p x q filter rows of its pass on every ifmap value
 * ([EYE17] Fig. 6, §IV-A), so it cannot start a pass before that pass's filters are in its filter
 * spad, nor before its first ifmap window is; when the spad cannot also hold the next pass's filters
 * (w_ramp) those deliveries are paid in every pass, the filter and ifmap GINs working in parallel.
 * Ifmaps and psums then stream through the PE FIFOs during the pass ([EYE17] §V-C), as above. */
static double plan_cycles(const df_hw *hw, const df_pass_plan *pp, double s) {
    double np = pp->per_sample ? pp->npass * s : pp->npass, k = pp->per_sample ? 1 : s;
    double c = pp->c1 * k, w = pp->w1, x = pp->x1 * k, ps = pp->p1 * k, o = pp->o1 * k;
    double in_t, out_t, steady, ramp = 0;
    if (hw->noc_bw_w > 0 || hw->noc_bw_in > 0 || hw->noc_bw_out > 0) {
        double bw_w = hw->noc_bw_w > 0 ? hw->noc_bw_w : hw->noc_bw;
        double bw_in = hw->noc_bw_in > 0 ? hw->noc_bw_in : hw->noc_bw;
        double bw_out = hw->noc_bw_out > 0 ? hw->noc_bw_out : hw->noc_bw;
        double wt = deliver(hw, w, bw_w), rest = fmax(deliver(hw, x, bw_in), deliver(hw, ps, bw_out));
        if (pp->w_ramp) {
            ramp = fmax(wt, deliver(hw, pp->win, bw_in));
            in_t = rest;
        } else {
            in_t = fmax(wt, rest);
        }
        out_t = deliver(hw, o, bw_out);
        steady = fmax(fmax(in_t, c), out_t);
    } else if (pp->w_ramp) {
        ramp = deliver(hw, w + pp->win, hw->noc_bw);
        in_t = deliver(hw, x, hw->noc_bw);
        out_t = deliver(hw, ps + o, hw->noc_bw);
        steady = fmax(c, deliver(hw, x + ps + o, hw->noc_bw));
    } else {
        in_t = deliver(hw, w + x, hw->noc_bw);
        out_t = deliver(hw, ps + o, hw->noc_bw);
        steady = fmax(c, deliver(hw, w + x + ps + o, hw->noc_bw));
    }
    return np * ramp + in_t + (np - 1) * steady + c + out_t;
}

/* Row-stationary pass tiling ([EYERISS] §V, [EYE17] §IV): a logical PE set of R filter rows x E
 * ofmap rows; each PE runs 1-D convolutions (S weights over Q outputs) for p filters x q channels
 * held in its scratchpads (p q S <= filter spad, q S <= ifmap spad, p <= psum spad). The set is placed
 * on the physical array as it is when it fits, folded into segments stacked vertically when it is too
 * wide but the segments fit (CONV2's 5 x 27 as 5 x 14 + 5 x 13), else strip-mined into sets of e
 * ofmap rows (CONV1's 11 x 55 as 11 x 7); filter rows beyond the array height fold over time. The
 * sets on the array are split into r sets over channels (psums accumulated down the columns) and t
 * sets over filters (ifmaps multicast to them). One processing pass: every set runs its p x q tile,
 * for all samples of the micro-batch (weights reused across them, [EYE17] parameter n); the split is
 * chosen for the net's batch. */
static void rs_plan(const df_layer *l, const df_hw *hw, double batch, double G, double Kg, double Cg,
                    df_layer_figures *f, df_pass_plan *pp) {
    double rows = hw->pe_rows, cols = hw->pe_cols;
    double P = l->P, Q = l->Q, R = l->R, S = l->S, st = l->stride;
    double rf_w = hw->rf_w > 0 ? hw->rf_w : 224, rf_in = hw->rf_in > 0 ? hw->rf_in : 12;
    double rf_out = hw->rf_out > 0 ? hw->rf_out : 24;
    double rfold = ceil_div(R, rows), Rr = ceil_div(R, rfold);
    /* Placements of the set: as it is, folded, or (too wide for the folding) strip-mined to e ofmap
     * rows, every e with the most busy PEs per pass being a candidate (Eyeriss picks the strip width
     * by optimisation, [EYE17] §IV-A; CONV1: 7). */
    double cand_e[64], cand_sets[64], cand_strips[64];
    int ncand = 0;
    if (P <= cols) {
        cand_e[0] = P, cand_sets[0] = floor(rows / Rr) * floor(cols / P), cand_strips[0] = 1, ncand = 1;
    } else if (Rr * ceil_div(P, cols) <= rows) {
        cand_e[0] = P, cand_sets[0] = floor(rows / (Rr * ceil_div(P, cols))), cand_strips[0] = 1, ncand = 1;
    } else {
        double most = -1;
        for (double c = 1; c <= cols; c++) most = fmax(most, P / (ceil_div(P, c) * c) * c * floor(cols / c));
        for (double c = cols; c >= 1 && ncand < 64; c--)
            if (P / (ceil_div(P, c) * c) * c * floor(cols / c) >= most * (1 - 1e-12))
                cand_e[ncand] = c, cand_sets[ncand] = floor(rows / Rr) * floor(cols / c),
                cand_strips[ncand++] = ceil_div(P, c);
    }
    double qmax = fmax(1, floor(rf_in / S));
    double tx = fmin((double)l->X, fmin((Q - 1) * st + S, Q * S)); /* columns the windows touch */
    double Wt = (double)f->weight_elems, out = (double)f->out_elems;
    /* Images per pass n ([EYE17] §IV-A, Table III: the chip runs CONV1-2 with n = 1, CONV3-5 with
     * n = 4 = N): n = the whole batch (weights reused across the samples of a pass) or n = 1 (the
     * passes repeat per sample, per_sample = 1). For each n the fastest plan as below; between the two,
     * the one of least DRAM traffic (Eyeriss's mapper minimises the energy of the whole system,
     * [EYE17] §IV-A, and a DRAM access costs 200x a MAC against 6x for the buffer, [EYERISS] Table IV,
     * so DRAM decides), ties to the faster. A plan's DRAM beyond the compulsory once-per-sample
     * tensors: the ifmap re-reads of its pass order (reread below, run-length coded as the input) and,
     * with n = 1, its filters once per sample when they do not stay in the buffer beside the pass's
     * working set (hold below). */
    double ebuf = (double)hw->buffer_bytes / hw->elem_bytes, Wt0 = (double)f->weight_elems;
    double din = l->density > 0 && l->density < 1 ? fmin(1.0, l->density * (64.0 / 3.0) / 16.0) : 1;
    double best_dram = INFINITY, best_tm = INFINITY;
    df_layer_figures f0 = *f, fbest = *f;
    df_pass_plan pbest;
    memset(&pbest, 0, sizeof pbest);
    /* The two searches (n = batch, n = 1) share every candidate placement, split and tile (none of
     * those depends on n); only the pass's working set, its re-reads and its time do. One walk over
     * the candidates keeps the fastest plan for each n, exactly as two separate walks would. */
    int nn = batch > 1 ? 2 : 1;
    double nbs[2] = {batch, 1}, best[2] = {INFINITY, INFINITY}, best_tr[2] = {INFINITY, INFINITY};
    double hn[2] = {0, 0}; /* the working set of the fastest plan's pass (elements), per n */
    df_layer_figures cf = f0, fn[2] = {f0, f0};
    df_pass_plan cp, pn[2];
    memset(pn, 0, sizeof pn);
    /* The split r x t and the tiles p, q: the shortest array time for n images per pass (the
     * mapping is chosen per layer for its shape and the hardware, [EYE17] §IV), then (as Eyeriss's
     * mapper optimises energy, [EYERISS] §VI) the least buffer<->array traffic. */
    for (int ci = 0; ci < ncand; ci++) {
        double e = cand_e[ci], sets = cand_sets[ci], strips = cand_strips[ci];
        double ty = fmin((double)l->Y, fmin((e - 1) * st + Rr, e * Rr)); /* ifmap rows of one strip */
        double rmax = fmin(sets, Cg);
        for (double r0 = 1; r0 <= rmax;) {
            /* for one t = floor(sets / r) the largest r is never worse: visit O(sqrt(sets)) splits */
            double t = floor(sets / r0), r = fmin(floor(sets / t), rmax), q, p;
            best_tile(Cg, r, qmax, &q);
            double pmax = fmax(1, fmin(rf_out, floor(rf_w / (q * S))));
            best_tile(Kg, t, pmax, &p);
            double nf = ceil_div(Kg, p * t), nc = ceil_div(Cg, q * r);
            memset(&cp, 0, sizeof cp);
            cp.npass = G * nf * nc * strips * rfold;
            cp.c1 = p * q * Q * S; /* MACs of one PE in one pass, one per cycle */
            cf.compute_cycles = cp.npass * cp.c1;
            cf.active_pes = fmin(r, ceil_div(Cg, q)) * fmin(t, ceil_div(Kg, p)) * Rr * e;
            /* Traffic of the layer, then per pass. Filters: loaded once per strip and filter fold (the
             * spads keep them for the whole pass, every sample). Ifmaps: one strip's rows of the r x q
             * channels, multicast to the t filter sets, re-sent for each filter pass. Psums: written per
             * channel pass and row fold, read back for all but the first. */
            cf.noc_w = Wt * strips;
            cf.noc_in = G * Cg * nf * strips * ty * tx;
            cf.noc_out = out * (2 * nc * rfold - 1);
            cp.w1 = cf.noc_w / cp.npass;
            cp.x1 = cf.noc_in / cp.npass;
            cp.o1 = out * nc * rfold / cp.npass;
            cp.p1 = out * (nc * rfold - 1) / cp.npass;
            cp.ct = fmin(Cg, q * r);
            /* the filter spad holds p q S weights; with less than twice that it cannot take the next
             * pass's filters while this pass computes ([EYE17] §V-C: 224 entries; AlexNet's p = 16
             * tiles use 144-192). The first window: S columns of each ifmap row of the pass. */
            cp.w_ramp = 2 * p * q * S > rf_w;
            cp.win = cp.w_ramp ? fmin(Cg, q * r) * ty * fmin(S, tx) : 0;
            for (int ni = 0; ni < nn; ni++) {
                double nb = nbs[ni];
                /* DRAM re-reads of the pass order ([EYE17] §IV-A: "n x q x r 2-D ifmaps and n x m 2-D
                 * psums have to be stored in the GLB" during a pass). Passes run strip by strip, and
                 * within a strip filter pass by filter pass (the filters stay in the spads for the pass,
                 * the ifmaps are re-sent to the array for each filter pass, noc_in above). The ifmaps
                 * come from DRAM once only if the strip's ifmap rows of all Cg channels of the group stay
                 * in the buffer beside the psums of a pass, for nb images per pass (the batch or 1,
                 * above); otherwise the strip's rows are read again from DRAM for every further filter
                 * pass. Charged by the group evaluation when the layer's input streams from DRAM
                 * (pass_liveness); the buffer is the hardware's whole buffer (nothing fitted). */
                double hold = nb * (Cg * ty * (double)l->X + fmin(Kg, p * t) * e * Q);
                cp.reread = G * strips * (nf - 1) * fmin(Cg * ty * (double)l->X, fmax(0, hold - ebuf) / nb);
                /* n = 1: the plan's figures are per pass of one sample (plan_cycles, per_sample) */
                cp.per_sample = cp.w_dram_ps = nb < batch;
                double tm = plan_cycles(hw, &cp, batch), tr = cf.noc_w / nb + cf.noc_in + cf.noc_out;
                if (tm < best[ni] * (1 - 1e-12) || (tm <= best[ni] * (1 + 1e-12) && tr < best_tr[ni])) {
                    best[ni] = fmin(best[ni], tm);
                    best_tr[ni] = tr;
                    fn[ni] = cf;
                    pn[ni] = cp;
                    hn[ni] = hold;
                }
            }
            r0 = r + 1;
        }
    }
    for (int ni = 0; ni < nn; ni++) {
        double dram = batch * pn[ni].reread * din + (pn[ni].w_dram_ps && Wt0 + hn[ni] > ebuf ? batch : 1) * Wt0;
        if (dram < best_dram * (1 - 1e-9) || (dram <= best_dram * (1 + 1e-9) && best[ni] < best_tm)) {
            best_dram = fmin(best_dram, dram);
            best_tm = best[ni];
            fbest = fn[ni];
            pbest = pn[ni];
        }
    }
    *f = fbest;
    *pp = pbest;
}

/* Per-sample compute cycles, buffer<->array traffic and the processing-pass tiling of one layer.
 * Conv-like loop nest per group g: K/G x C/G x P x Q x R x S ([MAESTRO] §3 notation). fc is the 1x1
 * case with P = Q = 1; matmul maps its rows to P. */
static void layer_figures(const df_layer *l, const df_hw *hw, int32_t batch, df_layer_figures *f, df_pass_plan *pp,
                          int64_t in_total) {
    df_layer eq; /* hooks (cost_ops.c): deconv as its direct-conv equivalent; the vector layer types */
    if (df_ops_conv_equivalent(l, &eq)) {
        layer_figures(&eq, hw, batch, f, pp, in_total);
        df_ops_deconv_fixup(l, f);
        return;
    }
    if (df_ops_figures(l, hw, f, in_total)) { /* data movement and vector work: streamed, no passes */
        memset(pp, 0, sizeof *pp);
        pp->streamed = 1;
        return;
    }
    memset(f, 0, sizeof *f);
    memset(pp, 0, sizeof *pp);
    double rows = hw->pe_rows, cols = hw->pe_cols, pes = rows * cols;
    f->macs = (double)df_layer_macs(l);
    f->weight_elems = df_layer_weight_elems(l);
    f->out_elems = df_layer_out_elems(l);
    if (l->type == DF_LAYER_POOL || l->type == DF_LAYER_ADD || l->type == DF_LAYER_CONCAT) {
        /* No MACs: elementwise work on the array, one op per PE per cycle ([PRED] §2 treats
         * non-MAC layers as data movement plus a vector op per element); streamed, no passes. */
        double ops = l->type == DF_LAYER_POOL  ? (double)f->out_elems * l->R * l->S
                     : l->type == DF_LAYER_ADD ? (double)f->out_elems * (l->n_inputs - 1)
                                               : 0.0;
        f->compute_cycles = ceil_div(ops, pes);
        f->noc_in = (double)in_total;
        f->noc_out = (double)f->out_elems;
        f->active_pes = fmin(pes, ops);
        pp->streamed = 1;
        /* pool and add work per channel: a pass takes at most one channel per PE, so their line
         * buffer holds PEs channels at a time (the output row stays in the buffer) */
        pp->ct = l->type == DF_LAYER_CONCAT ? l->C : fmin(l->C, pes);
        return;
    }
    double G = (l->type == DF_LAYER_FC) ? 1 : l->groups;
    double Kg = l->K / G, Cg = l->C / G;
    double P = l->P, Q = l->Q, R = l->R, S = l->S, st = l->stride;
    double Wt = (double)f->weight_elems, out = (double)f->out_elems;
    switch (hw->dataflow) {
    case DF_DATAFLOW_WS: {
        /* [NVDLA]/[MAESTRO] KC-P: K on columns, C on rows; one pass holds one cols x rows fold of the
         * weights in the PEs while all outputs of the micro-batch stream past (temporal reuse over
         * N*P*Q); inputs are multicast along a row to the K columns; psums are reduced spatially down
         * the C rows and read back for every further C fold. */
        double kf = ceil_div(Kg, cols), cf = ceil_div(Cg, rows);
        pp->per_sample = 0;
        pp->npass = G * kf * cf;
        pp->c1 = P * Q * R * S;
        f->compute_cycles = pp->npass * pp->c1;
        f->active_pes = fmin(Kg, cols) * fmin(Cg, rows);
        f->noc_w = Wt; /* once per micro-batch (stationary) */
        /* re-read for every K fold; along a row the R x S window slides, so each output row reads
         * R x ((Q-1) stride + S) inputs per channel, not R x S per output (matches MAESTRO's KC-P
         * within 0.1% on stride-1 layers, docs/maestro/README.md) */
        f->noc_in = G * kf * Cg * P * R * fmin((Q - 1) * st + S, Q * S); /* stride > S skips columns */
        f->noc_out = out * (2 * cf - 1); /* write, plus read-modify-write per extra C fold */
        pp->w1 = Wt / pp->npass;
        pp->x1 = f->noc_in / pp->npass;
        pp->o1 = out * cf / pp->npass;
        pp->p1 = out * (cf - 1) / pp->npass;
        pp->ct = fmin(Cg, rows);
        break;
    }
    case DF_DATAFLOW_OS: {
        /* [SDN]/[MAESTRO] YX-P: output rows x cols on the PE grid, each PE accumulates one output;
         * one pass = one output tile of one output channel, per sample: its filter broadcast to all
         * PEs, the input patch of the tile read once and forwarded between neighbouring PEs ([SDN] §6),
         * the finished outputs written once. */
        double tp = ceil_div(P, rows), tq = ceil_div(Q, cols);
        /* the input patch a tile touches: with stride > kernel the skipped rows/cols are not read
         * (docs/maestro/README.md, difference 6) */
        double tr = fmin(P, rows), tc = fmin(Q, cols);
        double ph = fmin((tr - 1) * st + R, tr * R), pw = fmin((tc - 1) * st + S, tc * S);
        pp->per_sample = 1;
        pp->npass = tp * tq * l->K;
        pp->c1 = Cg * R * S;
        f->compute_cycles = pp->npass * pp->c1;
        f->active_pes = tr * tc;
        f->noc_w = Wt * tp * tq; /* per sample: one broadcast per output tile */
        f->noc_in = l->K * Cg * tp * tq * ph * pw;
        f->noc_out = out;
        pp->w1 = f->noc_w / pp->npass;
        pp->x1 = f->noc_in / pp->npass;
        pp->o1 = out / pp->npass;
        pp->ct = Cg;
        break;
    }
    case DF_DATAFLOW_RS:
    default: rs_plan(l, hw, batch, G, Kg, Cg, f, pp); break;
    }
    f->passes = pp->npass;
    f->utilization = f->compute_cycles > 0 ? f->macs / (f->compute_cycles * pes) : 0;
}

/* Whether two layers get the same figures and pass plan from layer_figures: every field it reads
 * (all but the name, the producers and the density) and the same total input elements. */
static int same_figures(const df_layer *a, const df_layer *b, int64_t in_a, int64_t in_b) {
    return in_a == in_b && a->type == b->type && a->K == b->K && a->C == b->C && a->Y == b->Y && a->X == b->X &&
           a->R == b->R && a->S == b->S && a->stride == b->stride && a->pad == b->pad && a->groups == b->groups &&
           a->n_inputs == b->n_inputs && a->P == b->P && a->Q == b->Q && a->stride_x == b->stride_x &&
           a->pad_t == b->pad_t && a->pad_b == b->pad_b && a->pad_l == b->pad_l && a->pad_r == b->pad_r &&
           a->out_y == b->out_y && a->out_x == b->out_x && a->op == b->op;
}

#define FIG_CACHE 32 /* distinct layer shapes remembered by df_net_init (repeated blocks reuse them) */

int df_net_init(df_net **out, const df_workload *w, const df_hw *hw, int32_t batch, df_err *err) {
    *out = NULL;
    df_err_clear(err);
    if (batch < 1 || batch > DF_MAX_BATCH)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_BATCH, NULL, "batch = %d out of range [1, %d]", batch,
                                DF_MAX_BATCH);
    if (w->n_layers < 1) return df_err_set_field(err, DF_EINVAL, DF_FIELD_LAYERS, NULL, "workload has no layers");
    df_net *n = calloc(1, sizeof *n);
    if (!n) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    int32_t L = w->n_layers;
    n->L = L;
    n->N = batch;
    n->hw = *hw;
    n->pes = (double)hw->pe_rows * hw->pe_cols;
    if (df_workload_copy(&n->w, w, err)) {
        free(n);
        return DF_ENOMEM;
    }
    n->fig = calloc((size_t)L, sizeof *n->fig);
    n->out_elems = calloc((size_t)L + 1, sizeof *n->out_elems);
    n->w_tile = calloc((size_t)L, sizeof *n->w_tile);
    n->in_tile = calloc((size_t)L * DF_MAX_INPUTS, sizeof *n->in_tile);
    n->out_tile = calloc((size_t)L, sizeof *n->out_tile);
    n->cons_off = calloc((size_t)L + 2, sizeof *n->cons_off);
    n->e_sample = calloc((size_t)L, sizeof *n->e_sample);
    n->noc_ps = calloc((size_t)L, sizeof *n->noc_ps);
    n->noc_mb = calloc((size_t)L, sizeof *n->noc_mb);
    n->plan = calloc((size_t)L, sizeof *n->plan);
    n->rlc = calloc((size_t)L + 1, sizeof *n->rlc);
    if (!n->fig || !n->out_elems || !n->w_tile || !n->in_tile || !n->out_tile || !n->cons_off || !n->e_sample ||
        !n->noc_ps || !n->noc_mb || !n->plan || !n->rlc) {
        df_net_free(n);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    const df_layer *ly = n->w.layers;
    /* Network input tensor: the input operand of its first consumer (validation made all agree). */
    for (int32_t i = 0; i < L && !n->out_elems[L]; i++)
        for (int j = 0; j < ly[i].n_inputs; j++)
            if (ly[i].inputs[j] < 0) {
                n->out_elems[L] = (j == 1 && ly[i].type == DF_LAYER_MATMUL)
                                      ? (int64_t)ly[i].K * (ly[i].C / ly[i].groups)
                                      : df_layer_in_elems(&ly[i]);
                break;
            }
    for (int32_t i = 0; i < L; i++) n->out_elems[i] = df_layer_out_elems(&ly[i]);
    /* consumers (CSR), deduplicated per consumer layer */
    int32_t total = 0;
    for (int32_t i = 0; i < L; i++)
        for (int j = 0; j < ly[i].n_inputs; j++) {
            int dup = 0;
            for (int k = 0; k < j; k++) dup |= ly[i].inputs[k] == ly[i].inputs[j];
            if (!dup) {
                n->cons_off[tensor_of(n, ly[i].inputs[j]) + 1]++;
                total++;
            }
        }
    for (int32_t t = 0; t <= L; t++) n->cons_off[t + 1] += n->cons_off[t];
    n->cons = malloc((size_t)(total ? total : 1) * sizeof *n->cons);
    int32_t *fill = calloc((size_t)L + 1, sizeof *fill);
    if (!n->cons || !fill) {
        free(fill);
        df_net_free(n);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    for (int32_t i = 0; i < L; i++)
        for (int j = 0; j < ly[i].n_inputs; j++) {
            int dup = 0;
            for (int k = 0; k < j; k++) dup |= ly[i].inputs[k] == ly[i].inputs[j];
            if (dup) continue;
            int32_t t = tensor_of(n, ly[i].inputs[j]);
            n->cons[n->cons_off[t] + fill[t]++] = i; /* i ascending: lists come out sorted */
        }
    free(fill);
    /* Run-length coding of activations in DRAM ([EYE17] §V-C: a 64-bit word holds three pairs of a
     * 5-bit zero run and a 16-bit value): a tensor of non-zero density d takes min(1, d x 64/3 / 16)
     * of its dense size; dense data is sent uncoded. A tensor's density is the one its first consumer
     * declares (layer field density, the fraction of non-zero input activations); unset = dense. */
    for (int32_t t = 0; t <= L; t++) {
        n->rlc[t] = 1;
        int32_t c = n->cons_off[t] < n->cons_off[t + 1] ? n->cons[n->cons_off[t]] : -1;
        double d = c >= 0 ? ly[c].density : 0;
        if (d > 0 && d < 1) n->rlc[t] = fmin(1.0, d * (64.0 / 3.0) / 16.0);
    }
    const df_energy *e = &hw->energy;
    /* Networks repeat their blocks: a layer shaped like one of the last FIG_CACHE distinct shapes takes
     * its figures instead of searching its pass plan again (the rs search is most of this function's
     * time, and the daemon binds a net per request; tests/bench/bench_netinit.c). */
    int32_t seen[FIG_CACHE];
    int64_t seen_in[FIG_CACHE];
    int nseen = 0, next_seen = 0;
    for (int32_t i = 0; i < L; i++) {
        const df_layer *l = &ly[i];
        int64_t in_total = 0;
        for (int j = 0; j < l->n_inputs; j++) in_total += n->out_elems[tensor_of(n, l->inputs[j])];
        int hit = -1;
        for (int k = 0; k < nseen && hit < 0; k++)
            if (same_figures(l, &ly[seen[k]], in_total, seen_in[k])) hit = seen[k];
        if (hit >= 0) {
            n->fig[i] = n->fig[hit];
            n->plan[i] = n->plan[hit];
        } else {
            layer_figures(l, hw, batch, &n->fig[i], &n->plan[i], in_total);
            seen[next_seen] = i;
            seen_in[next_seen] = in_total;
            next_seen = (next_seen + 1) % FIG_CACHE;
            if (nseen < FIG_CACHE) nseen++;
        }
        for (int j = 0; j < l->n_inputs; j++) {
            int64_t op = n->out_elems[tensor_of(n, l->inputs[j])];
            /* A streamed operand needs on chip the input rows of one output row (a line buffer of
             * min(Y, R) rows, [DESIGN] "current tile"), and of those only the channels the current
             * pass consumes: the output row's psums stay in the buffer while the channel tiles pass
             * ([EYE17] §IV: psums kept in the global buffer across processing passes), so a layer a
             * chip runs with channel tiling fits its buffer. The second operand of an activation x
             * activation matmul is needed whole by every output row. */
            int64_t rowsneed = l->R < l->Y ? l->R : l->Y;
            double chan = l->C > 0 ? fmin(1.0, n->plan[i].ct / (double)l->C) : 1.0;
            n->in_tile[(size_t)i * DF_MAX_INPUTS + j] =
                ((l->type == DF_LAYER_MATMUL && j == 1) || df_ops_whole_operand(l, j))
                    ? op
                    : (int64_t)ceil((double)op * rowsneed / l->Y * chan);
        }
        n->out_tile[i] = (int64_t)l->K * l->Q; /* one output row */
        /* Streaming weights keeps one array pass resident: PEs x R x S elements ([DESIGN]). */
        int64_t pass = (int64_t)n->pes * l->R * l->S;
        n->w_tile[i] = n->fig[i].weight_elems < pass ? n->fig[i].weight_elems : pass;
        /* [PRED] §2: energy = sum over levels of accesses x unit energy. Per MAC: one multiply-add and
         * three register-file accesses (two operand reads, one psum update) ([EYERISS] §III). With an
         * input density d < 1, zero gating skips the filter read, the psum update and the MAC of
         * every zero input; the input read that detects the zero remains ([EYE17] §V-C).
         * Array traffic crosses the NoC once and the buffer once. ws and rs weight traffic is per
         * micro-batch (the PEs keep a pass's weights for all its samples) and is added in group
         * scoring. */
        const df_layer_figures *f = &n->fig[i];
        int per_mb = !n->plan[i].per_sample && !n->plan[i].streamed;
        n->noc_ps[i] = f->noc_in + f->noc_out + (per_mb ? 0 : f->noc_w);
        n->noc_mb[i] = per_mb ? f->noc_w : 0;
        double d = l->density > 0 && l->density <= 1 ? l->density : 1;
        n->e_sample[i] = f->macs * (d * (e->mac + 2 * e->rf) + e->rf) + n->noc_ps[i] * (e->noc + e->buf);
    }
    *out = n;
    return DF_OK;
}

void df_net_free(df_net *n) {
    if (!n) return;
    df_workload_free(&n->w);
    free(n->fig);
    free(n->out_elems);
    free(n->w_tile);
    free(n->in_tile);
    free(n->out_tile);
    free(n->cons_off);
    free(n->cons);
    free(n->e_sample);
    free(n->noc_ps);
    free(n->noc_mb);
    free(n->plan);
    free(n->rlc);
    free(n);
}

const df_workload *df_net_workload(const df_net *n) { return &n->w; }
const df_hw *df_net_hw(const df_net *n) { return &n->hw; }
int32_t df_net_batch(const df_net *n) { return n->N; }
int32_t df_net_layers(const df_net *n) { return n->L; }
const df_layer_figures *df_net_layer_figures(const df_net *n, int32_t i) {
    return (i >= 0 && i < n->L) ? &n->fig[i] : NULL;
}

/* Array time of layer i for a micro-batch of s samples (plan_cycles); elementwise layers stream:
 * max(compute, traffic / noc_bw) ([PRED] §2). */
static double array_cycles(const df_net *n, int32_t i, double s) {
    const df_pass_plan *pp = &n->plan[i];
    const df_hw *hw = &n->hw;
    if (pp->streamed) return fmax(s * n->fig[i].compute_cycles, s * n->noc_ps[i] * hw->elem_bytes / hw->noc_bw);
    return plan_cycles(hw, pp, s);
}

/* One layer step for a micro-batch of s samples ([MAESTRO] §4.3: the global buffer double-buffers
 * DRAM against the array, so a step takes the max of the array time and the DRAM delay). dram_ps:
 * DRAM elements per sample; wload: weight elements loaded from DRAM with this micro-batch. */
static double step_cycles(const df_net *n, int32_t i, double s, double dram_ps, double wload) {
    double dram = (s * dram_ps + wload) * n->hw.elem_bytes / n->hw.dram_bw;
    return fmax(array_cycles(n, i, s), dram);
}

#define STACK_LAYERS 512

/* Per-layer accumulators of one group (index l - first), filled by pass_liveness. */
typedef struct {
    int64_t *live; /* [len+1] difference array of held activations (per sample) */
    int64_t *tile; /* [len] streamed tiles live while the layer runs (per sample) */
    double *dram;  /* [len] DRAM activation elements per sample */
    double wsum;   /* group weight elements */
    void *heap;    /* owned when the group is longer than the stack arrays */
    int64_t st_live[STACK_LAYERS + 1], st_tile[STACK_LAYERS];
    double st_dram[STACK_LAYERS];
} group_scratch;

static int scratch_init(group_scratch *s, int32_t len) {
    s->heap = NULL;
    s->wsum = 0;
    if (len > STACK_LAYERS) {
        s->heap = calloc((size_t)len * 3 + 1, sizeof(int64_t));
        if (!s->heap) return DF_ENOMEM;
        s->live = s->heap;
        s->tile = s->live + len + 1;
        s->dram = (double *)(s->tile + len);
        return DF_OK;
    }
    s->live = s->st_live;
    s->tile = s->st_tile;
    s->dram = s->st_dram;
    memset(s->live, 0, (size_t)(len + 1) * sizeof *s->live);
    memset(s->tile, 0, (size_t)len * sizeof *s->tile);
    memset(s->dram, 0, (size_t)len * sizeof *s->dram);
    return DF_OK;
}

/* Pass 1, liveness ([DESIGN] §2): for every tensor the group touches, where it lives on chip (held
 * from producer or first consumer to its last consumer in the group, as a difference array; or
 * streamed through a tile) and how often it crosses DRAM (once per sample, run-length coded when its
 * density is given, [EYE17] §IV-B). */
/* Layer i's part of pass_liveness for the group [first, last]: adds sign x its held elements to live
 * (at its own index and where they end) and sign x its streamed tiles to tile[i - first], and returns
 * its DRAM activation elements per sample, summed in order (dram[i - first] has no other term). Only
 * consumers of the tensors layer i touches decide it, so a layer whose tensors have no consumer past
 * `last` gets the same part in any longer group (df_group_eval_memo). */
static inline __attribute__((always_inline)) double
liveness_layer(const df_net *n, int32_t first, int32_t last, int32_t i, int64_t sign, int64_t *live, int64_t *tile) {
    const df_layer *l = &n->w.layers[i];
    int32_t k = i - first;
    double dram = 0;
    /* Output tensor of i: held on chip from i to its last consumer inside the group; written to
     * DRAM once per sample if consumed after the group or a network output; when not held it
     * streams out through a one-row tile. */
    int32_t t = i, lo = n->cons_off[t], hi = n->cons_off[t + 1];
    int32_t last_in = -1, external = (lo == hi);
    for (int32_t c = lo; c < hi; c++) {
        if (n->cons[c] <= last)
            last_in = n->cons[c];
        else
            external = 1;
    }
    if (last_in >= 0) {
        live[k] += sign * n->out_elems[t];
        live[last_in - first + 1] -= sign * n->out_elems[t];
    } else
        tile[k] += sign * n->out_tile[i];
    if (external) dram += (double)n->out_elems[t] * n->rlc[t];
    /* Input tensors produced before the group (or the network input): read from DRAM once per
     * sample at their first consumer in the group; held until the last consumer in the group when
     * used more than once, else streamed through a tile. */
    for (int j = 0; j < l->n_inputs; j++) {
        int32_t p = l->inputs[j];
        if (p >= first) continue;
        int dup = 0;
        for (int q = 0; q < j; q++) dup |= l->inputs[q] == p;
        if (dup) continue;
        t = tensor_of(n, p);
        lo = n->cons_off[t];
        hi = n->cons_off[t + 1];
        int32_t c0 = -1, c1 = -1;
        for (int32_t c = lo; c < hi; c++) {
            int32_t cc = n->cons[c];
            if (cc < first || cc > last) continue;
            if (c0 < 0) c0 = cc;
            c1 = cc;
        }
        if (c0 != i) continue; /* accounted at its first consumer */
        dram += (double)n->out_elems[t] * n->rlc[t];
        if (c1 > c0) {
            live[k] += sign * n->out_elems[t];
            live[c1 - first + 1] -= sign * n->out_elems[t];
        } else {
            tile[k] += sign * n->in_tile[(size_t)i * DF_MAX_INPUTS + j];
            /* streamed from DRAM through a line buffer: the re-reads its pass order needs (rs_plan) */
            if (j == 0) dram += n->plan[i].reread * n->rlc[t];
        }
    }
    return dram;
}

static inline __attribute__((always_inline)) void pass_liveness(const df_net *n, int32_t first, int32_t last,
                                                                group_scratch *s) {
    for (int32_t i = first; i <= last; i++) {
        s->wsum += (double)n->fig[i].weight_elems;
        s->dram[i - first] += liveness_layer(n, first, last, i, 1, s->live, s->tile);
    }
}

static int64_t bytes_i64(double b) { return b > 9.0e18 ? INT64_MAX : (int64_t)b; }

/* The footprint rule shared by whole and tiled groups ([DESIGN] §2): per layer k of the group (len
 * layers from first) m x (running sum of live[] + tile[k] + cache) activations, plus all group weights
 * wsum when they fit beside the activation peak (resident) or else the layer's weight tile (streamed).
 * Fills the footprint fields of out and, when per_layer is given, each layer's live bytes. */
/* footprint_of's running state over the first k layers of a group: the running sum of live[], the
 * activation peak and the streamed peak with their layers (kept per k by df_group_memo) */
typedef struct {
    int64_t run, peak_act, peak_stream;
    int32_t peak_act_l, peak_stream_l;
} fp_state;

static inline void fp_begin(fp_state *f, int32_t first) {
    f->run = 0;
    f->peak_act = f->peak_stream = -1;
    f->peak_act_l = f->peak_stream_l = first;
}

/* layer k (index from first) of the group joins the running state */
static inline __attribute__((always_inline)) void fp_layer(const df_net *n, fp_state *f, int32_t first, int32_t k,
                                                           int32_t m, int64_t live_k, int64_t tile_k, int64_t cache) {
    f->run += live_k;
    int64_t act = f->run + tile_k + cache;
    if (act > f->peak_act) {
        f->peak_act = act;
        f->peak_act_l = first + k;
    }
    int64_t st = (int64_t)m * act + n->w_tile[first + k];
    if (st > f->peak_stream) {
        f->peak_stream = st;
        f->peak_stream_l = first + k;
    }
}

/* the footprint fields of out from the state after the whole group */
static inline __attribute__((always_inline)) void fp_finish(const df_net *n, const fp_state *f, int32_t m, double wsum,
                                                            df_group_cost *out) {
    double eb = n->hw.elem_bytes, budget = (double)n->hw.buffer_bytes;
    double res_bytes = (wsum + (double)m * f->peak_act) * eb;
    int resident = res_bytes <= budget;
    double fp = resident ? res_bytes : (double)f->peak_stream * eb;
    out->weights_resident = resident;
    out->micro_batch = m;
    out->n_micro = (n->N + m - 1) / m;
    out->footprint_bytes = bytes_i64(fp);
    out->peak_layer = resident ? f->peak_act_l : f->peak_stream_l;
    out->feasible = fp <= budget;
}

static void footprint_of(const df_net *n, int32_t first, int32_t len, int32_t m, const int64_t *live,
                         const int64_t *tile, int64_t cache, double wsum, df_group_cost *out,
                         df_layer_footprint *per_layer) {
    double eb = n->hw.elem_bytes;
    fp_state f;
    fp_begin(&f, first);
    for (int32_t k = 0; k < len; k++) fp_layer(n, &f, first, k, m, live[k], tile[k], cache);
    fp_finish(n, &f, m, wsum, out);
    int resident = out->weights_resident;
    if (!per_layer) return;
    int64_t run = 0;
    for (int32_t k = 0; k < len; k++) {
        run += live[k];
        double act = (double)m * (double)(run + tile[k] + cache) * eb;
        double wb = (resident ? wsum : (double)n->w_tile[first + k]) * eb;
        per_layer[k].weight_bytes = bytes_i64(wb);
        per_layer[k].bytes = bytes_i64(act + wb);
    }
}

/* Pass 2, peak and residency ([DESIGN] §2): activations x m, plus either all group weights
 * (resident, when they fit with the activation peak) or the current layer's weight tile (streamed).
 * Fills the footprint fields of out and, when per_layer is given, each layer's live bytes. */
static void pass_footprint(const df_net *n, int32_t first, int32_t last, int32_t m, const group_scratch *s,
                           df_group_cost *out, df_layer_footprint *per_layer) {
    footprint_of(n, first, last - first + 1, m, s->live, s->tile, 0, s->wsum, out, per_layer);
}

/* Pass 3, latency and energy: micro-batches run the group's layers in turn ([DNNF] §3); the last
 * micro-batch may be partial. Resident weights are loaded with the first micro-batch only, streamed
 * ones with every micro-batch. ws reads weights into the array once per micro-batch ([NVDLA]). */
/* pass_time_energy's sums over the first k layers of a group, in layer order (kept per k by
 * df_group_memo) */
typedef struct {
    double lat, energy, dram_el, compute, macs;
} te_sums;

/* layer i of a group at m (nmb micro-batches, the last of lastsz samples) with dps DRAM elements per
 * sample joins the sums */
static inline __attribute__((always_inline)) void te_layer(const df_net *n, int32_t i, int32_t m, int32_t nmb,
                                                           int32_t lastsz, int resident, double dps, te_sums *t) {
    const df_energy *e = &n->hw.energy;
    const df_layer_figures *f = &n->fig[i];
    double W = (double)f->weight_elems;
    /* streamed weights with one-sample passes (rs n = 1): read again for every sample ([EYE17]
     * §IV-A: a pass's filters serve its n images only) */
    int wps = !resident && n->plan[i].w_dram_ps;
    double loads = resident ? 1 : wps ? n->N : nmb, Wm = wps ? W * m : W, Wl = wps ? W * lastsz : W;
    if (nmb == 1) {
        t->lat += step_cycles(n, i, lastsz, dps, Wl);
    } else if (resident) {
        t->lat +=
            step_cycles(n, i, m, dps, W) + (nmb - 2) * step_cycles(n, i, m, dps, 0) + step_cycles(n, i, lastsz, dps, 0);
    } else {
        t->lat += (nmb - 1) * step_cycles(n, i, m, dps, Wm) + step_cycles(n, i, lastsz, dps, Wl);
    }
    double d = n->N * dps + loads * W;
    t->dram_el += d;
    t->compute += n->N * f->compute_cycles;
    t->macs += n->N * f->macs;
    /* DRAM transfers also fill or drain the global buffer once ([PRED] §2). */
    t->energy += n->N * n->e_sample[i] + nmb * n->noc_mb[i] * (e->noc + e->buf) + d * (e->dram + e->buf);
}

static void te_finish(const df_net *n, const te_sums *t, df_group_cost *out) {
    const df_energy *e = &n->hw.energy;
    /* clock and static energy per cycle ([PRED] §2: a per-cycle term next to the access counts) */
    out->latency_cycles = t->lat;
    out->energy_pj = t->energy + e->stat * t->lat;
    out->dram_bytes = t->dram_el * n->hw.elem_bytes;
    out->compute_cycles = t->compute;
    out->macs = t->macs;
    out->layer_macs = t->macs;
    out->tiles_y = out->tiles_x = 1;
}

static void pass_time_energy(const df_net *n, int32_t first, int32_t last, int32_t m, const group_scratch *s,
                             df_group_cost *out) {
    int32_t nmb = out->n_micro, lastsz = n->N - (nmb - 1) * m;
    te_sums t = {0, 0, 0, 0, 0};
    for (int32_t i = first; i <= last; i++)
        te_layer(n, i, m, nmb, lastsz, out->weights_resident, s->dram[i - first], &t);
    te_finish(n, &t, out);
}

/* The one group scoring ([DESIGN] §2) as three passes: liveness, peak/residency, latency/energy.
 * per_layer (nullable) receives, for each layer of the group, the bytes live on chip while it runs
 * under the same resident/streamed decision; their max is out->footprint_bytes. Returns DF_OK,
 * DF_EINVAL (bad range) or DF_ENOMEM (long group, no memory); on error out says infeasible with
 * footprint_bytes = INT64_MAX, so a caller that ignores the code still never accepts the group. */
static int group_eval(const df_net *n, int32_t first, int32_t last, int32_t m, df_group_cost *out,
                      df_layer_footprint *per_layer) {
    memset(out, 0, sizeof *out);
    out->footprint_bytes = INT64_MAX;
    int32_t len = last - first + 1;
    if (first < 0 || last >= n->L || len < 1 || m < 1 || m > n->N) return DF_EINVAL;
    group_scratch s;
    if (scratch_init(&s, len) != DF_OK) return DF_ENOMEM;
    pass_liveness(n, first, last, &s);
    pass_footprint(n, first, last, m, &s, out, per_layer);
    pass_time_energy(n, first, last, m, &s, out);
    free(s.heap);
    return DF_OK;
}

int df_group_eval(const df_net *n, int32_t first, int32_t last, int32_t m, df_group_cost *out) {
    return group_eval(n, first, last, m, out, NULL);
}

/* ---- A layer alone (df_layer_alone_key, cost.h) -------------------------------------------------
 * Every input of group_eval for the group [t, t], at any micro-batch, apart from t itself: the
 * liveness of the layer (liveness_layer with first = last = t: its DRAM elements per sample and
 * streamed tile; nothing is held, as its consumers come after it and its producers before, but
 * live[0] is kept too), its weights and weight tile (footprint pass), and the per-layer figures of
 * the time pass (te_layer, step_cycles, array_cycles and plan_cycles read these and the net's
 * hardware only). Two layers with the same key get the same group cost at every m bit for bit, all
 * but peak_layer. The words: 16 doubles, 3 int64, 4 flags packed in one word. */
void df_layer_alone_key_of(const df_net *n, int32_t t, df_layer_alone_key *key) {
    int64_t live[3] = {0, 0, 0}, tile = 0; /* a group of one: live[1] is its end, never past it */
    double dram = 0;
    dram += liveness_layer(n, t, t, t, 1, live, &tile); /* as pass_liveness: 0 + the layer's sum */
    const df_pass_plan *pp = &n->plan[t];
    const double d[16] = {dram,
                          (double)n->fig[t].weight_elems,
                          n->fig[t].compute_cycles,
                          n->fig[t].macs,
                          n->noc_ps[t],
                          n->e_sample[t],
                          n->noc_mb[t],
                          pp->npass,
                          pp->c1,
                          pp->w1,
                          pp->x1,
                          pp->p1,
                          pp->o1,
                          pp->ct,
                          pp->win,
                          pp->reread};
    memcpy(key->w, d, sizeof d);
    key->w[16] = (uint64_t)live[0];
    key->w[17] = (uint64_t)tile;
    key->w[18] = (uint64_t)n->w_tile[t];
    key->w[19] = (uint64_t)(pp->per_sample != 0) | (uint64_t)(pp->streamed != 0) << 1 |
                 (uint64_t)(pp->w_ramp != 0) << 2 | (uint64_t)(pp->w_dram_ps != 0) << 3;
}

/* ---- A growing group's evaluation (df_group_memo, cost.h) ----------------------------------------
 * group_eval's three passes keep running state from layer to layer: the footprint pass a running sum
 * and two peaks (fp_state), the time pass five sums in layer order (te_sums). The memo keeps that
 * state after every layer of the last group it evaluated, and that group's liveness (live, tile, dram
 * per layer), which does not depend on the micro-batch. A longer group with the same first layer
 * changes the liveness of its
 * earlier layers only where a tensor gains a consumer among the new layers (the tensor is then held
 * instead of written out, or held longer): memo_grow redoes those layers' parts (liveness_layer) and
 * adds the new layers', and the other two passes restart at the first layer whose inputs changed (at
 * layer 0 when the residency flips or the micro-batch changed). A decode that extends the open group
 * by one layer per step thus redoes a few layers, not the group, and the episode's evaluations of one
 * layer at every micro-batch share its liveness. Any other call (shorter, another start) runs the
 * liveness pass afresh and restarts at the first difference (memo_fresh). Every layer's figures are
 * the same operations on the same operands as in group_eval, so the results are identical bit for bit
 * (check_cost compares every field). */
struct df_group_memo {
    const df_net *net;      /* the net it serves (df_group_memo_new) */
    int32_t first, m, len;  /* the memo holds [first, first + len - 1] at m; len 0: nothing */
    int resident;           /* that group's residency (the time sums assume it) */
    int64_t *live, *tile;   /* [L + 1], [L]: pass_liveness of the held group */
    double *dram;           /* [L] */
    int64_t *nlive, *ntile; /* the same for a group evaluated afresh (swapped in after) */
    double *ndram;
    double *wsum;   /* [L + 1]: weight elements of the first k layers, summed in order (wlen valid) */
    int32_t wlen;   /* entries of wsum valid for `first` */
    uint32_t *mark; /* [L] stamp of the layers redone by a growth (no layer twice) */
    uint32_t stamp;
    fp_state *fp; /* [L + 1]: footprint state after k layers */
    te_sums *te;  /* [L + 1]: time and energy sums after k layers */
};

int df_group_memo_new(const df_net *n, df_group_memo **out) {
    *out = NULL;
    df_group_memo *g = calloc(1, sizeof *g);
    if (!g) return DF_ENOMEM;
    size_t c = (size_t)n->L;
    g->net = n;
    g->live = calloc(c + 1, sizeof *g->live);
    g->nlive = calloc(c + 1, sizeof *g->nlive);
    g->tile = calloc(c, sizeof *g->tile);
    g->ntile = calloc(c, sizeof *g->ntile);
    g->dram = calloc(c, sizeof *g->dram);
    g->ndram = calloc(c, sizeof *g->ndram);
    g->wsum = calloc(c + 1, sizeof *g->wsum);
    g->mark = calloc(c, sizeof *g->mark);
    g->fp = calloc(c + 1, sizeof *g->fp);
    g->te = calloc(c + 1, sizeof *g->te);
    if (!g->live || !g->nlive || !g->tile || !g->ntile || !g->dram || !g->ndram || !g->wsum || !g->mark || !g->fp ||
        !g->te) {
        df_group_memo_free(g);
        return DF_ENOMEM;
    }
    *out = g;
    return DF_OK;
}

void df_group_memo_free(df_group_memo *g) {
    if (!g) return;
    free(g->live);
    free(g->nlive);
    free(g->tile);
    free(g->ntile);
    free(g->dram);
    free(g->ndram);
    free(g->wsum);
    free(g->mark);
    free(g->fp);
    free(g->te);
    free(g);
}

/* The held group [first, first + old - 1] grows to len layers: the liveness of the layers whose
 * tensors gain a consumer among the new ones is redone (their old part taken out, the new one put in:
 * live and tile are integers; their dram entry is recomputed whole), the new layers' parts are added.
 * *jf, *jt: the first layer whose live/tile or dram entry may have changed. */
static void memo_grow(const df_net *n, df_group_memo *g, int32_t first, int32_t old, int32_t len, int32_t *jf,
                      int32_t *jt) {
    int32_t old_last = first + old - 1, last = first + len - 1;
    memset(g->live + old + 1, 0, (size_t)(len - old) * sizeof *g->live);
    memset(g->tile + old, 0, (size_t)(len - old) * sizeof *g->tile);
    memset(g->dram + old, 0, (size_t)(len - old) * sizeof *g->dram);
    *jf = *jt = old;
    if (++g->stamp == 0) { /* wrapped: clear stale marks */
        memset(g->mark, 0, (size_t)n->L * sizeof *g->mark);
        g->stamp = 1;
    }
    for (int32_t ni = old_last + 1; ni <= last; ni++) {
        const df_layer *l = &n->w.layers[ni];
        for (int j = 0; j < l->n_inputs; j++) {
            int32_t p = l->inputs[j], a = -1;
            if (p >= first) {
                a = p <= old_last ? p : -1; /* a producer in the held group gains a consumer */
            } else {                        /* an input from before the group: its first consumer in it */
                int32_t t = tensor_of(n, p);
                for (int32_t c = n->cons_off[t]; c < n->cons_off[t + 1] && a < 0; c++)
                    if (n->cons[c] >= first && n->cons[c] <= last) a = n->cons[c];
                if (a > old_last) a = -1; /* a new layer: added below */
            }
            if (a < 0 || g->mark[a] == g->stamp) continue;
            g->mark[a] = g->stamp;
            int32_t k = a - first;
            liveness_layer(n, first, old_last, a, -1, g->live, g->tile);
            double d = liveness_layer(n, first, last, a, 1, g->live, g->tile);
            if (k < *jf) *jf = k;
            if (memcmp(&d, &g->dram[k], sizeof d)) {
                g->dram[k] = 0;
                g->dram[k] += d; /* as pass_liveness: 0 + the layer's sum */
                if (k < *jt) *jt = k;
            }
        }
    }
    for (int32_t i = old_last + 1; i <= last; i++)
        g->dram[i - first] += liveness_layer(n, first, last, i, 1, g->live, g->tile);
}

/* The group evaluated afresh into the spare arrays, compared with the held one (any last): *jf, *jt the
 * first layer whose live/tile or dram entry differs; the spare arrays become the held ones. */
static void memo_fresh(const df_net *n, df_group_memo *g, int32_t first, int32_t len, int32_t *jf, int32_t *jt) {
    group_scratch s;
    s.heap = NULL;
    s.wsum = 0;
    s.live = g->nlive;
    s.tile = g->ntile;
    s.dram = g->ndram;
    memset(s.live, 0, (size_t)(len + 1) * sizeof *s.live);
    memset(s.tile, 0, (size_t)len * sizeof *s.tile);
    memset(s.dram, 0, (size_t)len * sizeof *s.dram);
    pass_liveness(n, first, first + len - 1, &s);
    int32_t keep = g->len < len ? g->len : len;
    *jf = *jt = 0;
    while (*jf < keep && s.live[*jf] == g->live[*jf] && s.tile[*jf] == g->tile[*jf]) (*jf)++;
    while (*jt < keep && !memcmp(&s.dram[*jt], &g->dram[*jt], sizeof s.dram[*jt])) (*jt)++;
    int64_t *tl = g->live, *tt = g->tile;
    double *td = g->dram;
    g->live = g->nlive, g->tile = g->ntile, g->dram = g->ndram;
    g->nlive = tl, g->ntile = tt, g->ndram = td;
}

int df_group_eval_memo(const df_net *n, df_group_memo *g, int32_t first, int32_t last, int32_t m, df_group_cost *out) {
    if (!g || g->net != n) return group_eval(n, first, last, m, out, NULL);
    memset(out, 0, sizeof *out);
    out->footprint_bytes = INT64_MAX;
    int32_t len = last - first + 1;
    if (first < 0 || last >= n->L || len < 1 || m < 1 || m > n->N) return DF_EINVAL;
    if (g->first != first) g->len = g->wlen = 0; /* another start: nothing to reuse */
    int32_t jf, jt;
    if (g->len > 0 && len >= g->len)
        memo_grow(n, g, first, g->len, len, &jf, &jt);
    else
        memo_fresh(n, g, first, len, &jf, &jt);
    if (g->m != m) jf = jt = 0; /* the liveness holds for any m, the footprint and time passes do not */
    g->wsum[0] = 0;             /* pass_liveness's wsum: the layers' weights in order */
    for (; g->wlen < len; g->wlen++)
        g->wsum[g->wlen + 1] = g->wsum[g->wlen] + (double)n->fig[first + g->wlen].weight_elems;
    fp_begin(&g->fp[0], first);
    fp_state f = g->fp[jf];
    for (int32_t k = jf; k < len; k++) {
        fp_layer(n, &f, first, k, m, g->live[k], g->tile[k], 0);
        g->fp[k + 1] = f;
    }
    fp_finish(n, &f, m, g->wsum[len], out);
    if (g->len == 0 || out->weights_resident != g->resident) jt = 0;
    int32_t nmb = out->n_micro, lastsz = n->N - (nmb - 1) * m;
    memset(&g->te[0], 0, sizeof g->te[0]);
    te_sums t = g->te[jt];
    for (int32_t k = jt; k < len; k++) {
        te_layer(n, first + k, m, nmb, lastsz, out->weights_resident, g->dram[k], &t);
        g->te[k + 1] = t;
    }
    te_finish(n, &t, out);
    g->first = first;
    g->m = m;
    g->len = len;
    g->resident = out->weights_resident;
    return DF_OK;
}

/* ---- Depth-first tiles (issue 14; docs/COST_MODEL.md "Depth-first tiles") ------------------------
 * A tiled group runs its layers tile by tile (tile.h: the geometry). Sources, besides those above:
 *  [ALW]  Alwani, Chen, Ferdman, Milder, "Fused-Layer CNN Accelerators", MICRO 2016: §3 (a tile's
 *         pyramid through the fused layers; recomputing or reusing the overlap), §4 (the on-chip
 *         buffers of one pyramid and the reuse buffers; weights kept on chip for all pyramids).
 *  [DFN]  Mei, Goetschalckx, Symons, Verhelst, "DeFiNES", HPCA 2023: §III-A (tile back-propagation),
 *         §III-B (the three overlap modes and their caches), §IV (per tile type and layer the
 *         single-layer cost model run on the tile's shape, plus the data-copy actions of the caches;
 *         each operand in the lowest memory level it fits, DRAM otherwise).
 * What is per tile: the dataflow figures of the largest tile of each layer (layer_figures on the
 * tile's shape, so a small tile under-fills the array as the dataflow says) times the tile-equivalents
 * a sample computes (computed elements / largest tile, recomputed halos included), never better per
 * output element than the whole layer (a tile does not make the array more efficient). Every call of
 * the pass plan pays its first ingress and last egress: the per-tile fill and drain. */

typedef struct {
    df_layer_figures f; /* the largest tile of the layer */
    df_pass_plan pp;
    double n_eq;     /* tile-equivalents per sample: computed_elems / max_out_elems */
    double rho;      /* computed_elems / out_elems: >= 1, the recompute factor */
    double noc1;     /* buffer<->array elements of one tile (streamed layers' delivery time) */
    double noc_ps;   /* buffer<->array elements per sample over all tiles */
    double noc_mb;   /* per micro-batch: stationary weights, delivered again for every tile */
    double e_ps;     /* energy per sample independent of m and of outside inputs: MACs, RF, NoC, caches */
    double dram_out; /* DRAM elements per sample of its output when read after the group */
    double W, macs_ps, compute_ps;
    int32_t last_in;             /* its last consumer in the group, -1 = none (streamed out) */
    int32_t fr, fc;              /* the tile shape f and pp were computed for */
    int64_t held, stream, cache; /* one tile's region held / one row streamed out / its overlap cache */
} tl_layer;

/* A tiled group [first, last]: the per-layer figures that do not depend on first (ly, owned or a
 * row's), and what does (outside reads, liveness). */
struct df_tiled {
    int32_t first, last, len, tiles, tiles_y, tiles_x;
    int64_t *live; /* [len+1] difference array of tile regions held for later layers (per sample) */
    int64_t *tile; /* [len] streamed rows and line buffers live while the layer runs */
    int64_t cache; /* every overlap cache of the group: kept across all tiles ([DFN] §III-B) */
    double wsum;
    double *dram_ps;    /* [len] DRAM activation elements per sample */
    double *e_ps;       /* [len] energy per sample independent of m */
    const tl_layer *ly; /* [len]: layer first + k */
    tl_layer *own;      /* ly when prepared alone */
    int32_t cap;        /* layers the arrays hold (df_tiled_prepare_reuse) */
};

void df_tiled_free(df_tiled *t) {
    if (!t) return;
    free(t->live);
    free(t->tile);
    free(t->dram_ps);
    free(t->e_ps);
    free(t->own);
    free(t);
}

static df_tiled *tiled_alloc(int32_t len) {
    df_tiled *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->live = calloc((size_t)len + 1, sizeof *t->live);
    t->tile = calloc((size_t)len, sizeof *t->tile);
    t->dram_ps = calloc((size_t)len, sizeof *t->dram_ps);
    t->e_ps = calloc((size_t)len, sizeof *t->e_ps);
    if (!t->live || !t->tile || !t->dram_ps || !t->e_ps) {
        df_tiled_free(t);
        return NULL;
    }
    t->cap = len;
    return t;
}

static void tile_extent(const df_net *n, const df_group *g, int32_t *rows, int32_t *cols) {
    const df_layer *L = &n->w.layers[g->last];
    *rows = g->tile_rows <= 0 || g->tile_rows >= L->P ? L->P : g->tile_rows;
    *cols = g->tile_cols <= 0 || g->tile_cols >= L->Q ? L->Q : g->tile_cols;
}

int df_group_is_whole(const df_net *n, const df_group *g) {
    int32_t r, c;
    tile_extent(n, g, &r, &c);
    return r == n->w.layers[g->last].P && c == n->w.layers[g->last].Q;
}

/* Dataflow figures of layer i on one tile of rows x cols outputs: the layer reshaped to the tile
 * (its input the tile's receptive field, tile.h) and run through layer_figures ([DFN] §IV: the
 * single-layer model on each tile type). */
static void tile_figures(const df_net *n, int32_t i, int32_t rows, int32_t cols, df_layer_figures *f,
                         df_pass_plan *pp) {
    const df_layer *l = &n->w.layers[i];
    if (rows >= l->P && cols >= l->Q) {
        *f = n->fig[i];
        *pp = n->plan[i];
        return;
    }
    df_layer lt = *l;
    lt.P = rows;
    lt.Q = cols;
    lt.Y = df_tile_in_extent(l, 0, rows);
    lt.X = df_tile_in_extent(l, 1, cols);
    if (lt.out_y) lt.out_y = lt.P;
    if (lt.out_x) lt.out_x = lt.Q;
    double scale = (double)lt.Y * lt.X / ((double)l->Y * l->X);
    int64_t in_total = 0;
    for (int j = 0; j < l->n_inputs; j++) {
        int64_t op = n->out_elems[tensor_of(n, l->inputs[j])];
        int whole = (l->type == DF_LAYER_MATMUL && j == 1) || df_ops_whole_operand(l, j);
        in_total += whole ? op : (int64_t)ceil((double)op * scale);
    }
    layer_figures(&lt, &n->hw, n->N, f, pp, in_total);
}

/* Layer i of a tiled group ending at `last`, from its tile regions tl: everything that does not
 * depend on where the group starts. */
static void tl_base(const df_net *n, int32_t i, int32_t last, const df_tile_layer *tl, const tl_layer *like,
                    tl_layer *x) {
    const df_layer *l = &n->w.layers[i];
    const df_energy *e = &n->hw.energy;
    memset(x, 0, sizeof *x);
    x->W = (double)n->fig[i].weight_elems;
    /* Its output, as in pass_liveness but one tile's region: held to its last consumer in the
     * group ([ALW] §4: the pyramid's intermediate buffers), else streamed out one row of the tile
     * at a time; written to DRAM once when read after the group ([DFN] §IV: every output tile is
     * written once, only overlaps are recomputed). */
    int32_t lo = n->cons_off[i], hi = n->cons_off[i + 1], external = lo == hi;
    x->last_in = -1;
    for (int32_t c = lo; c < hi; c++) {
        if (n->cons[c] <= last)
            x->last_in = n->cons[c];
        else
            external = 1;
    }
    x->held = tl->max_out_elems;
    int64_t row = (int64_t)l->K * tl->max_cols;
    x->stream = row < tl->max_out_elems ? row : tl->max_out_elems;
    x->dram_out = external ? (double)n->out_elems[i] * n->rlc[i] : 0;
    x->cache = tl->cache_elems;
    /* Time and energy figures of its tiles. */
    x->fr = tl->max_rows;
    x->fc = tl->max_cols;
    if (like && like->fr == x->fr && like->fc == x->fc) { /* the same tile shape: the same figures */
        x->f = like->f;
        x->pp = like->pp;
    } else {
        tile_figures(n, i, tl->max_rows, tl->max_cols, &x->f, &x->pp);
    }
    x->rho = tl->out_elems > 0 ? (double)tl->computed_elems / (double)tl->out_elems : 1;
    x->n_eq = tl->max_out_elems > 0 ? (double)tl->computed_elems / (double)tl->max_out_elems : 1;
    if (x->rho < 1) x->rho = 1;
    int per_mb = !x->pp.per_sample && !x->pp.streamed;
    x->noc1 = x->f.noc_in + x->f.noc_out + (per_mb ? 0 : x->f.noc_w);
    x->noc_ps = fmax(x->n_eq * x->noc1, x->rho * n->noc_ps[i]);
    x->noc_mb = fmax(x->n_eq * (per_mb ? x->f.noc_w : 0), n->noc_mb[i]);
    /* MAC and RF energy of the whole layer (e_sample less its array traffic) times the recompute
     * factor; array traffic x (NoC + buffer) ([PRED] §2); a cached element is written to the
     * buffer once and read back instead of recomputed ([DFN] §IV data-copy actions). */
    double e_mac = n->e_sample[i] - n->noc_ps[i] * (e->noc + e->buf);
    x->e_ps = x->rho * e_mac + x->noc_ps * (e->noc + e->buf) + 2.0 * (double)tl->reused_elems * e->buf;
    x->macs_ps = x->rho * n->fig[i].macs;
    x->compute_ps = fmax(x->n_eq * x->f.compute_cycles, x->rho * n->fig[i].compute_cycles);
}

/* Liveness, caches and outside reads of group [t->first, t->last] over the per-layer figures t->ly
 * and the group's outside inputs. */
static void tiled_assemble(const df_net *n, df_tiled *t, const df_tile_input *inputs, int32_t n_inputs) {
    int32_t first = t->first, len = t->len;
    const df_layer *ly = n->w.layers;
    const df_energy *e = &n->hw.energy;
    memset(t->live, 0, sizeof *t->live * ((size_t)len + 1));
    memset(t->tile, 0, sizeof *t->tile * (size_t)len);
    t->cache = 0;
    t->wsum = 0;
    for (int32_t k = 0; k < len; k++) {
        const tl_layer *x = &t->ly[k];
        t->wsum += x->W;
        if (x->last_in >= 0) {
            t->live[k] += x->held;
            t->live[x->last_in - first + 1] -= x->held;
        } else
            t->tile[k] += x->stream;
        t->cache += x->cache;
        t->dram_ps[k] = x->dram_out;
        t->e_ps[k] = x->e_ps;
    }
    /* Tensors read from outside: each tile's region read at its first consumer in the group, halo
     * re-reads included in recompute ([ALW] §3, [DFN] §III-B); held to the last consumer when read by
     * two or more group layers, else streamed through a line buffer of the tile's width (the rule of
     * pass_liveness: min(R, rows) input rows of the channels one pass consumes). */
    for (int32_t q = 0; q < n_inputs; q++) {
        const df_tile_input *in = &inputs[q];
        int32_t k0 = in->first_use - first, tn = tensor_of(n, in->producer);
        t->dram_ps[k0] += (double)in->read_elems * n->rlc[tn];
        t->e_ps[k0] += 2.0 * (double)in->reused_elems * e->buf;
        t->cache += in->cache_elems;
        if (in->last_use > in->first_use) {
            t->live[k0] += in->max_elems;
            t->live[in->last_use - first + 1] -= in->max_elems;
            continue;
        }
        const df_layer *l = &ly[in->first_use];
        int32_t j = 0;
        while (j < l->n_inputs && l->inputs[j] != in->producer) j++;
        int whole = j >= l->n_inputs || (l->type == DF_LAYER_MATMUL && j == 1) || df_ops_whole_operand(l, j);
        int64_t need = in->max_elems;
        /* streamed from DRAM: the re-reads of each tile's pass order (rs_plan, as pass_liveness) */
        if (j == 0 && !whole) t->dram_ps[k0] += t->ly[k0].n_eq * t->ly[k0].pp.reread * n->rlc[tn];
        if (!whole && in->max_rows > 0) {
            int64_t rowsneed = l->R < in->max_rows ? l->R : in->max_rows;
            double chan = l->C > 0 ? fmin(1.0, n->plan[in->first_use].ct / (double)l->C) : 1.0;
            need = (int64_t)ceil((double)in->max_elems * rowsneed / in->max_rows * chan);
        }
        t->tile[k0] += need;
    }
}

static int tiled_args_ok(const df_net *n, const df_group *g) {
    return g->first >= 0 && g->last < n->L && g->last >= g->first && g->tile_rows >= 0 && g->tile_cols >= 0 &&
           g->overlap >= 0 && g->overlap < DF_OVERLAP_COUNT;
}

int df_tiled_prepare_in(const df_net *n, df_tile_axes *axes, const df_group *g, const df_tiled *like, df_tiled **out) {
    *out = NULL;
    df_tile_suffix *geo = NULL;
    int rc = df_tiled_prepare_reuse(n, axes, g, like, &geo, out);
    df_tile_suffix_free(geo);
    return rc;
}

int df_tiled_prepare_reuse(const df_net *n, df_tile_axes *axes, const df_group *g, const df_tiled *like,
                           df_tile_suffix **geo, df_tiled **io) {
    df_tiled *t = *io;
    *io = NULL;
    if (!axes || !tiled_args_ok(n, g)) {
        df_tiled_free(t);
        return DF_EINVAL;
    }
    int32_t first = g->first, last = g->last, len = last - first + 1, rows, cols;
    tile_extent(n, g, &rows, &cols);
    if (t && (t->cap < len || !t->own)) { /* too small: anew */
        df_tiled_free(t);
        t = NULL;
    }
    if (!t) {
        t = tiled_alloc(len);
        if (t) t->own = calloc((size_t)len, sizeof *t->own);
        if (!t || !t->own) {
            df_tiled_free(t);
            return DF_ENOMEM;
        }
    }
    int rc = df_tile_suffix_plan_reuse(axes, rows, cols, (df_overlap)g->overlap, geo, NULL);
    if (rc) {
        df_tiled_free(t);
        return rc;
    }
    df_tile_suffix *s = *geo;
    if (!df_tile_suffix_layer(s, first) || !df_tile_suffix_layer(s, last) || df_tile_suffix_layer(s, last + 1)) {
        df_tiled_free(t); /* axes of another last, or not reaching first */
        return DF_EINVAL;
    }
    const df_tile_input *in;
    int32_t n_in = df_tile_suffix_inputs(s, first, &in);
    if (n_in < 0) {
        df_tiled_free(t);
        return DF_ENOMEM;
    }
    t->first = first;
    t->last = last;
    t->len = len;
    df_tile_suffix_shape(s, &t->tiles_y, &t->tiles_x);
    t->tiles = t->tiles_y * t->tiles_x;
    if (like && (like->first != first || like->last != last || like == t)) like = NULL;
    /* like: the figures of a layer whose tile shape is the same (tile_figures of the same layer and
     * shape: the same values) */
    for (int32_t k = 0; k < len; k++)
        tl_base(n, first + k, last, df_tile_suffix_layer(s, first + k), like ? &like->ly[k] : NULL, &t->own[k]);
    t->ly = t->own;
    tiled_assemble(n, t, in, n_in);
    *io = t;
    return DF_OK;
}

int df_tiled_prepare(const df_net *n, const df_group *g, df_tiled **out) {
    *out = NULL;
    if (!tiled_args_ok(n, g)) return DF_EINVAL;
    df_tile_axes *axes;
    if (df_tile_axes_new_range(&n->w, g->first, g->last, &axes)) return DF_ENOMEM;
    int rc = df_tiled_prepare_in(n, axes, g, NULL, out);
    df_tile_axes_free(axes);
    return rc;
}

/* Array cycles of layer i's tiles for a micro-batch of s samples: n_eq tiles of the largest tile's
 * pass plan (array_cycles on the tile's plan), never below the whole layer's cycles per output
 * element times the elements computed. */
static double tile_cycles(const df_net *n, const tl_layer *x, double s) {
    return x->pp.streamed ? fmax(s * x->f.compute_cycles, s * x->noc1 * n->hw.elem_bytes / n->hw.noc_bw)
                          : plan_cycles(&n->hw, &x->pp, s);
}

static double tiled_array_cycles(const df_net *n, int32_t i, const tl_layer *x, double s) {
    return fmax(x->n_eq * tile_cycles(n, x, s), x->rho * array_cycles(n, i, s));
}

/* One layer step ([MAESTRO] §4.3 as step_cycles) from its array cycles ac (no NaN here: a plain max). */
static inline double tiled_step(const df_net *n, double ac, double dram_ps, double s, double wload) {
    double dram = (s * dram_ps + wload) * n->hw.elem_bytes / n->hw.dram_bw;
    return ac > dram ? ac : dram;
}

/* The group's cost at micro-batch m. acm, acl (nullable, [len]): tiled_array_cycles of each layer at
 * m and at the last micro-batch's size, when the caller has them. */
static int tiled_cost(const df_net *n, const df_tiled *t, int32_t m, df_group_cost *out, df_layer_footprint *per_layer,
                      const double *acm, const double *acl, int fit_only) {
    memset(out, 0, sizeof *out);
    out->footprint_bytes = INT64_MAX;
    if (m < 1 || m > n->N) return DF_EINVAL;
    int32_t first = t->first, len = t->len;
    /* Footprint ([DESIGN] §2 with tile regions): m x (held regions + streamed rows + the caches) plus
     * resident group weights ([ALW] §4: weights stay on chip for every pyramid) or the layer's weight
     * tile, then fetched again for every tile. */
    footprint_of(n, first, len, m, t->live, t->tile, t->cache, t->wsum, out, per_layer);
    double eb = n->hw.elem_bytes;
    int resident = out->weights_resident;
    out->tiles_y = t->tiles_y;
    out->tiles_x = t->tiles_x;
    if (fit_only && !out->feasible) return DF_OK; /* the solvers drop it: latency etc. stay 0 */
    /* Latency and energy as pass_time_energy, per layer over all its tiles of a micro-batch. */
    int32_t nmb = out->n_micro, lastsz = n->N - (nmb - 1) * m;
    double lat = 0, energy = 0, dram_el = 0, compute = 0, macs = 0, lmacs = 0;
    const df_energy *e = &n->hw.energy;
    for (int32_t k = 0; k < len; k++) {
        int32_t i = first + k;
        const tl_layer *x = &t->ly[k];
        double W = x->W, Wt = W * t->tiles, dps = t->dram_ps[k]; /* streamed weights: fetched for every tile */
        /* and, with one-sample passes (rs n = 1), for every sample (as pass_time_energy) */
        int wps = x->pp.w_dram_ps;
        double Wm = wps ? Wt * m : Wt, Wl = wps ? Wt * lastsz : Wt;
        double am = acm ? acm[k] : tiled_array_cycles(n, i, x, m);
        double al = acl ? acl[k] : lastsz == m ? am : tiled_array_cycles(n, i, x, lastsz);
        if (nmb == 1) {
            lat += tiled_step(n, al, dps, lastsz, resident ? W : Wl);
        } else if (resident) {
            lat += tiled_step(n, am, dps, m, W) + (nmb - 2) * tiled_step(n, am, dps, m, 0) +
                   tiled_step(n, al, dps, lastsz, 0);
        } else {
            lat += (nmb - 1) * tiled_step(n, am, dps, m, Wm) + tiled_step(n, al, dps, lastsz, Wl);
        }
        double d = n->N * dps + (resident ? W : wps ? n->N * Wt : nmb * Wt);
        dram_el += d;
        compute += n->N * x->compute_ps;
        macs += n->N * x->macs_ps;
        lmacs += n->N * n->fig[i].macs;
        energy += n->N * t->e_ps[k] + nmb * x->noc_mb * (e->noc + e->buf) + d * (e->dram + e->buf);
    }
    out->latency_cycles = lat;
    out->energy_pj = energy + e->stat * lat;
    out->dram_bytes = dram_el * eb;
    out->compute_cycles = compute;
    out->macs = macs;
    out->layer_macs = lmacs;
    return DF_OK;
}

int df_tiled_cost(const df_net *n, const df_tiled *t, int32_t m, df_group_cost *out) {
    return tiled_cost(n, t, m, out, NULL, NULL, NULL, 0);
}

/* ---- every group ending at one layer, one tile option (the exact solver's inner loop) ---------- */

struct df_tiled_row {
    int32_t last, nm;
    const int32_t *mb;
    df_tile_suffix *geo; /* the regions, shared by every first */
    tl_layer *base;      /* [last + 1] per-layer figures, shared by every first */
    double *acyc;        /* [nm][2][last + 1]: tiled_array_cycles at mb[q] and at its last micro-batch */
    double *tt, *wh;     /* the same layout: its two terms, one tile's cycles and the whole layer's */
    double *lb;          /* [3][last + 2]: suffix sums of per-layer lower bounds (latency, energy, dram) */
    df_tiled *t;         /* the group of the last df_tiled_row_group (arrays for last + 1 layers) */
};

void df_tiled_row_free(df_tiled_row *r) {
    if (!r) return;
    df_tile_suffix_free(r->geo);
    free(r->base);
    free(r->acyc);
    free(r->tt);
    free(r->wh);
    free(r->lb);
    df_tiled_free(r->t);
    free(r);
}

int df_tiled_row_prepare(const df_net *n, int32_t last, int32_t rows, int32_t cols, int32_t overlap, const int32_t *mb,
                         int32_t nm, df_tile_axes *axes, const df_tiled_row *like, df_tiled_row **out) {
    *out = NULL;
    df_group g = {.first = 0, .last = last, .micro_batch = 1, .tile_rows = rows, .tile_cols = cols, .overlap = overlap};
    if (last < 0 || !tiled_args_ok(n, &g) || nm < 1) return DF_EINVAL;
    int32_t r0, c0;
    tile_extent(n, &g, &r0, &c0);
    df_tiled_row *r = calloc(1, sizeof *r);
    if (!r) return DF_ENOMEM;
    r->last = last;
    r->mb = mb;
    r->nm = nm;
    int rc = axes ? df_tile_suffix_plan_in(axes, r0, c0, (df_overlap)overlap, &r->geo, NULL)
                  : df_tile_suffix_plan(&n->w, last, r0, c0, (df_overlap)overlap, &r->geo, NULL);
    if (rc) {
        df_tiled_row_free(r);
        return rc;
    }
    size_t L1 = (size_t)last + 1;
    r->base = malloc(L1 * sizeof *r->base); /* every entry written by tl_base */
    r->acyc = malloc(sizeof *r->acyc * (size_t)nm * 2 * L1);
    r->tt = malloc(sizeof *r->tt * (size_t)nm * 2 * L1);
    r->wh = malloc(sizeof *r->wh * (size_t)nm * 2 * L1);
    r->lb = calloc(3 * (L1 + 1), sizeof *r->lb);
    r->t = tiled_alloc(last + 1);
    if (!r->base || !r->acyc || !r->tt || !r->wh || !r->lb || !r->t) {
        df_tiled_row_free(r);
        return DF_ENOMEM;
    }
    if (like && (like->last != last || like->nm != nm || like->mb != mb)) like = NULL; /* not a sibling */
    df_tile_suffix_shape(r->geo, &r->t->tiles_y, &r->t->tiles_x);
    r->t->tiles = r->t->tiles_y * r->t->tiles_x;
    r->t->last = last;
    /* a sibling row (same last, another mode or tile): its figures where a layer's tile shape is the
     * same, and its whole-layer cycles always (tiled_array_cycles term by term, the same values) */
    for (int32_t i = 0; i <= last; i++)
        tl_base(n, i, last, df_tile_suffix_layer(r->geo, i), like ? &like->base[i] : NULL, &r->base[i]);
    for (int32_t q = 0; q < nm; q++) {
        int32_t m = mb[q], nmb = (n->N + m - 1) / m, lastsz = n->N - (nmb - 1) * m;
        size_t o = (size_t)q * 2 * L1;
        double *am = r->acyc + o, *al = am + L1, *tm = r->tt + o, *tl = tm + L1, *wm = r->wh + o, *wl = wm + L1;
        for (int32_t i = 0; i <= last; i++) {
            const tl_layer *x = &r->base[i];
            int same = like && like->base[i].fr == x->fr && like->base[i].fc == x->fc;
            if (like) {
                wm[i] = like->wh[o + (size_t)i];
                wl[i] = like->wh[o + L1 + (size_t)i];
            } else {
                wm[i] = array_cycles(n, i, m);
                wl[i] = lastsz == m ? wm[i] : array_cycles(n, i, lastsz);
            }
            if (same) {
                tm[i] = like->tt[o + (size_t)i];
                tl[i] = like->tt[o + L1 + (size_t)i];
            } else {
                tm[i] = tile_cycles(n, x, m);
                tl[i] = lastsz == m ? tm[i] : tile_cycles(n, x, lastsz);
            }
            am[i] = fmax(x->n_eq * tm[i], x->rho * wm[i]);
            al[i] = lastsz == m ? am[i] : fmax(x->n_eq * tl[i], x->rho * wl[i]);
        }
    }
    /* Lower bounds of every group [first, last] of this row, whatever first and m, term by term of
     * tiled_cost: a layer's steps over the micro-batches take at least its array cycles for all N
     * samples at once (tiled_array_cycles is superadditive in s: plan_cycles is a sum and max of
     * affine terms with non-negative intercepts, and so is the streamed form); its energy at least
     * N x its per-sample energy without outside reads, its stationary weights delivered once, its
     * weights and outputs through DRAM once, and the static energy of that latency; its DRAM at least
     * its weights once and its outputs. Outside reads, re-fetched weights, more micro-batches only add. */
    const df_energy *e = &n->hw.energy;
    const double *aN = r->acyc + (size_t)(nm - 1) * 2 * L1; /* mb[nm - 1] = N: one micro-batch */
    int have_N = mb[nm - 1] == n->N;
    double *lbl = r->lb, *lbe = lbl + L1 + 1, *lbd = lbe + L1 + 1;
    for (int32_t i = last; i >= 0; i--) {
        const tl_layer *x = &r->base[i];
        double lat = have_N ? aN[i] : 0, d = n->N * x->dram_out + x->W;
        lbl[i] = lbl[i + 1] + lat;
        lbe[i] = lbe[i + 1] + n->N * x->e_ps + x->noc_mb * (e->noc + e->buf) + d * (e->dram + e->buf) + e->stat * lat;
        lbd[i] = lbd[i + 1] + d * n->hw.elem_bytes;
    }
    *out = r;
    return DF_OK;
}

double df_tiled_row_bound(const df_tiled_row *r, int32_t first, df_objective obj) {
    if (first < 0 || first > r->last) return 0;
    size_t L1 = (size_t)r->last + 1;
    switch (obj) {
    case DF_OBJ_LATENCY: return r->lb[first];
    case DF_OBJ_ENERGY: return r->lb[L1 + 1 + first];
    case DF_OBJ_DRAM: return r->lb[2 * (L1 + 1) + first];
    default: return 0;
    }
}

int df_tiled_row_group(const df_net *n, df_tiled_row *r, int32_t first) {
    if (first < 0 || first > r->last) return DF_EINVAL;
    df_tiled *t = r->t;
    t->first = first;
    t->len = r->last - first + 1;
    t->ly = r->base + first;
    const df_tile_input *in;
    int32_t n_in = df_tile_suffix_inputs(r->geo, first, &in);
    if (n_in < 0) return DF_ENOMEM;
    tiled_assemble(n, t, in, n_in);
    return DF_OK;
}

int df_tiled_row_cost(const df_net *n, const df_tiled_row *r, int32_t q, df_group_cost *out) {
    if (q < 0 || q >= r->nm) {
        memset(out, 0, sizeof *out);
        out->footprint_bytes = INT64_MAX;
        return DF_EINVAL;
    }
    size_t L1 = (size_t)r->last + 1;
    const double *am = r->acyc + (size_t)q * 2 * L1, *al = am + L1;
    return tiled_cost(n, r->t, r->mb[q], out, NULL, am + r->t->first, al + r->t->first, 1);
}

static int group_eval_tiled(const df_net *n, const df_group *g, df_group_cost *out, df_layer_footprint *per_layer) {
    if (!tiled_args_ok(n, g)) {
        memset(out, 0, sizeof *out);
        out->footprint_bytes = INT64_MAX;
        return DF_EINVAL;
    }
    if (df_group_is_whole(n, g)) return group_eval(n, g->first, g->last, g->micro_batch, out, per_layer);
    df_tiled *t;
    int rc = df_tiled_prepare(n, g, &t);
    if (rc == DF_OK)
        rc = tiled_cost(n, t, g->micro_batch, out, per_layer, NULL, NULL, 0);
    else {
        memset(out, 0, sizeof *out);
        out->footprint_bytes = INT64_MAX;
    }
    df_tiled_free(t);
    return rc;
}

int df_group_eval_tiled(const df_net *n, const df_group *g, df_group_cost *out) {
    return group_eval_tiled(n, g, out, NULL);
}

/* Names group g as the field of err (DF_FIELD_GROUPS, sub "<g>"): formatted on failure only, never on
 * the success path (PLATFORM.md: formatting a pointer per group was half the evaluation time). */
static int at_group(df_err *err, int32_t g, int rc) {
    char gi[16];
    snprintf(gi, sizeof gi, "%d", (int)g);
    df_err_at(err, DF_FIELD_GROUPS, gi);
    return rc;
}

int df_mapping_footprints(const df_net *n, const df_mapping *map, df_layer_footprint *per_layer, df_err *err) {
    df_err_clear(err);
    int32_t next = 0;
    for (int32_t g = 0; g < map->n_groups; g++) {
        const df_group *gr = &map->groups[g];
        if (gr->first != next || gr->last < gr->first || gr->last >= n->L || gr->micro_batch < 1 ||
            gr->micro_batch > n->N) {
            return at_group(err, g,
                            df_err_set(err, DF_EINVAL, NULL,
                                       "group %d (layers %d..%d, micro-batch %d) is not a valid group here "
                                       "(see df_mapping_eval)",
                                       g, gr->first, gr->last, gr->micro_batch));
        }
        df_group_cost gc;
        if (gr->tile_rows < 0 || gr->tile_cols < 0 || gr->overlap < 0 || gr->overlap >= DF_OVERLAP_COUNT) {
            return at_group(err, g,
                            df_err_set(err, DF_EINVAL, NULL,
                                       "group %d: bad tile %dx%d or overlap %d (see df_mapping_eval)", g, gr->tile_rows,
                                       gr->tile_cols, gr->overlap));
        }
        if (group_eval_tiled(n, gr, &gc, per_layer + gr->first) != DF_OK)
            return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        next = gr->last + 1;
    }
    if (next != n->L || map->n_groups < 1)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GROUPS, NULL,
                                "the groups do not cover the %d layers of the workload", n->L);
    return DF_OK;
}

int df_net_check_budget(const df_net *n, df_err *err) {
    df_err_clear(err);
    if (atomic_load_explicit(&n->budget_fits, memory_order_acquire)) return DF_OK;
    int64_t need = 0;
    int32_t worst = -1;
    for (int32_t i = 0; i < n->L; i++) {
        df_group_cost g;
        if (group_eval(n, i, i, 1, &g, NULL) != DF_OK)
            return df_err_set(err, DF_ENOMEM, NULL, "out of memory"); /* not cached */
        if (!g.feasible && g.footprint_bytes > need) {
            need = g.footprint_bytes;
            worst = i;
        }
    }
    if (worst < 0) {
        /* a cache in the (heap, never const-defined) net: every caller computes the same value */
        atomic_store_explicit(&((df_net *)n)->budget_fits, 1, memory_order_release);
        return DF_OK;
    }
    char b1[32], b2[32];
    df_err_set_field(err, DF_EINFEASIBLE, DF_FIELD_BUDGET, NULL,
                     "budget %s too small: layer %d (%s) needs at least %s on chip even alone at micro-batch 1",
                     df_format_size(n->hw.buffer_bytes, b1, sizeof b1), worst, n->w.layers[worst].name,
                     df_format_size(need, b2, sizeof b2));
    if (err) {
        err->layer = worst;
        err->need_bytes = need;
    }
    return DF_EINFEASIBLE;
}

int df_mapping_eval(const df_net *n, const df_mapping *map, df_metrics *mt, df_group_cost *per_group, df_err *err) {
    df_err_clear(err);
    memset(mt, 0, sizeof *mt);
    if (map->n_groups < 1) return df_err_set_field(err, DF_EINVAL, DF_FIELD_GROUPS, NULL, "mapping has no groups");
    int32_t next = 0;
    mt->feasible = 1;
    for (int32_t g = 0; g < map->n_groups; g++) {
        const df_group *gr = &map->groups[g];
        if (gr->first != next)
            return at_group(err, g,
                            df_err_set(err, DF_EINVAL, NULL,
                                       "group %d starts at layer %d, expected %d (groups "
                                       "must be contiguous and cover every layer in order)",
                                       g, gr->first, next));
        if (gr->last < gr->first || gr->last >= n->L)
            return at_group(err, g,
                            df_err_set(err, DF_EINVAL, NULL, "group %d: last = %d out of range [%d, %d]", g, gr->last,
                                       gr->first, n->L - 1));
        if (gr->micro_batch < 1 || gr->micro_batch > n->N)
            return at_group(err, g,
                            df_err_set(err, DF_EINVAL, NULL, "group %d: micro_batch = %d out of range [1, %d]", g,
                                       gr->micro_batch, n->N));
        if (gr->tile_rows < 0 || gr->tile_cols < 0)
            return at_group(err, g,
                            df_err_set(err, DF_EINVAL, NULL, "group %d: tile %d x %d must be >= 0 (0 = whole)", g,
                                       gr->tile_rows, gr->tile_cols));
        if (gr->overlap < 0 || gr->overlap >= DF_OVERLAP_COUNT)
            return at_group(err, g,
                            df_err_set(err, DF_EINVAL, NULL, "group %d: overlap = %d is not a mode", g, gr->overlap));
        df_group_cost gc;
        if (group_eval_tiled(n, gr, &gc, NULL) != DF_OK)
            return df_err_set(err, DF_ENOMEM, NULL, "out of memory scoring group %d (%d layers)", g,
                              gr->last - gr->first + 1);
        if (per_group) per_group[g] = gc;
        mt->feasible &= gc.feasible;
        mt->latency_cycles += gc.latency_cycles;
        mt->energy_pj += gc.energy_pj;
        mt->dram_bytes += gc.dram_bytes;
        mt->macs += gc.macs;
        mt->compute_cycles += gc.compute_cycles;
        if (gc.footprint_bytes > mt->peak_bytes) mt->peak_bytes = gc.footprint_bytes;
        next = gr->last + 1;
    }
    if (next != n->L)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_GROUPS, NULL,
                                "groups end at layer %d but the workload has %d layers", next - 1, n->L);
    mt->latency_s = mt->latency_cycles / n->hw.clock_hz;
    mt->throughput_sps = mt->latency_s > 0 ? n->N / mt->latency_s : 0;
    mt->edp = mt->energy_pj * mt->latency_s;
    mt->utilization = mt->latency_cycles > 0 ? mt->macs / (mt->latency_cycles * n->pes) : 0;
    return DF_OK;
}

int32_t df_micro_batches(int32_t N, int32_t *out) {
    int32_t n = 0;
    for (int32_t k = N; k >= 1; k--) {
        int32_t m = (N + k - 1) / k;
        if (n == 0 || out[n - 1] != m) out[n++] = m;
    }
    return n;
}

double df_objective_value(df_objective obj, const df_metrics *m) {
    switch (obj) {
    case DF_OBJ_ENERGY: return m->energy_pj;
    case DF_OBJ_EDP: return m->energy_pj * m->latency_s;
    case DF_OBJ_DRAM: return m->dram_bytes;
    case DF_OBJ_LATENCY:
    default: return m->latency_cycles;
    }
}

static const char *const obj_names[DF_OBJ_COUNT] = {"latency", "energy", "edp", "dram"};

const char *df_objective_name(df_objective o) { return (o >= 0 && o < DF_OBJ_COUNT) ? obj_names[o] : "?"; }

int df_objective_parse(const char *s, df_objective *out) {
    int i = df_name_find(s, obj_names, DF_OBJ_COUNT);
    if (i < 0) return DF_EINVAL;
    *out = (df_objective)i;
    return DF_OK;
}

int df_mapping_init(df_mapping *map, int32_t cap) {
    map->n_groups = 0;
    map->cap = cap > 0 ? cap : 8;
    map->groups = malloc((size_t)map->cap * sizeof *map->groups);
    if (!map->groups) {
        map->cap = 0;
        return DF_ENOMEM;
    }
    return DF_OK;
}

void df_mapping_free(df_mapping *map) {
    if (!map) return;
    free(map->groups);
    map->groups = NULL;
    map->n_groups = map->cap = 0;
}

int df_mapping_push(df_mapping *map, int32_t first, int32_t last, int32_t m) {
    if (map->n_groups == map->cap) {
        int32_t cap = map->cap ? map->cap * 2 : 8;
        df_group *g = realloc(map->groups, (size_t)cap * sizeof *g);
        if (!g) return DF_ENOMEM;
        map->groups = g;
        map->cap = cap;
    }
    map->groups[map->n_groups++] = (df_group){.first = first, .last = last, .micro_batch = m};
    return DF_OK;
}

int df_mapping_push_group(df_mapping *map, const df_group *g) {
    if (df_mapping_push(map, g->first, g->last, g->micro_batch)) return DF_ENOMEM;
    map->groups[map->n_groups - 1] = *g;
    return DF_OK;
}

int df_mapping_copy(df_mapping *dst, const df_mapping *src) {
    dst->n_groups = 0;
    for (int32_t i = 0; i < src->n_groups; i++)
        if (df_mapping_push_group(dst, &src->groups[i])) return DF_ENOMEM;
    return DF_OK;
}
