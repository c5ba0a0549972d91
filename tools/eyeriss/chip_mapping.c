/* chip_mapping.c - development-time diagnostic, not part of the product or of make: the cost model's
 * pass timing (plan_cycles in src/core/cost.c, included here to reach it) applied to the mapping the
 * Eyeriss chip itself used for AlexNet CONV1-5 instead of the mapping the model searches for, so that
 * the error of the timing model and the effect of the mapping choice can be told apart
 * (docs/eyeriss/README.md).
 *
 * The chip's mapping ([EYE17] Table III; the same parameters are hard-coded in MAESTRO's
 * validation/eyeriss/alexnet_rs_validation.m; the text of §IV-A gives t = 2 for CONV1, t = 4 for CONV3
 * and r = t = 2 for CONV4-5): strip width e, r channel sets, t filter sets, p filters and q channels
 * per PE, n images per pass. Traffic per pass as rs_plan counts it.
 *
 *   make && cc -O2 -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Iinclude \
 *      -o build/chip_mapping tools/eyeriss/chip_mapping.c build/libdf_core.a -ljansson -lm && ./build/chip_mapping
 */
#include "../../src/core/cost.c"

#include <jansson.h>
#include "dnnfuser/json.h"

static double chip_ms(const df_layer *l, const df_hw *hw, const double m[6], double N) {
    double e = m[0], r = m[1], t = m[2], p = m[3], q = m[4], n = m[5];
    double G = l->groups, Kg = l->K / G, Cg = l->C / G, P = l->P, Q = l->Q, R = l->R, S = l->S, st = l->stride;
    double strips = ceil(P / e);
    double ty = fmin((double)l->Y, fmin((e - 1) * st + R, e * R));
    double tx = fmin((double)l->X, fmin((Q - 1) * st + S, Q * S));
    double nf = ceil(Kg / (p * t)), nc = ceil(Cg / (q * r));
    double Wt = (double)df_layer_weight_elems(l), out = (double)df_layer_out_elems(l);
    df_pass_plan cp;
    memset(&cp, 0, sizeof cp);
    cp.npass = G * nf * nc * strips;
    cp.c1 = p * q * Q * S;
    cp.w1 = Wt * strips / cp.npass;
    cp.x1 = G * Cg * nf * strips * ty * tx / cp.npass;
    cp.o1 = out * nc / cp.npass;
    cp.p1 = out * (nc - 1) / cp.npass;
    cp.w_ramp = 2 * p * q * S > (hw->rf_w > 0 ? hw->rf_w : 224);
    cp.win = cp.w_ramp ? fmin(Cg, q * r) * ty * fmin(S, tx) : 0;
    cp.per_sample = n == 1; /* n = 1: the passes repeat per image; n = N: a pass takes all images */
    return plan_cycles(hw, &cp, N) / hw->clock_hz * 1e3;
}

int main(void) {
    json_error_t je;
    json_t *j = json_load_file("docs/eyeriss/alexnet.json", 0, &je);
    df_workload w;
    df_err e;
    df_hw h;
    if (!j || df_workload_from_json(j, "", 0, &w, &e) || df_hw_preset("eyeriss", &h, &e)) {
        fprintf(stderr, "chip_mapping: run from the repository root\n");
        return 1;
    }
    json_decref(j);
    FILE *fp = fopen("docs/eyeriss/table5.csv", "r");
    char line[512];
    double chip[5];
    int k = 0, header = 0;
    while (fp && fgets(line, sizeof line, fp) && k < 5) {
        if (line[0] == '#' || !header++) continue;
        char name[16];
        double mw, tot;
        if (sscanf(line, "%15[^,],%lf,%lf,%lf", name, &mw, &tot, &chip[k]) == 4) k++;
    }
    if (fp) fclose(fp);
    if (k != 5) {
        fprintf(stderr, "chip_mapping: docs/eyeriss/table5.csv\n");
        return 1;
    }
    /* e, r, t, p, q, n per layer */
    const double m[5][6] = {
        {7, 1, 2, 16, 1, 1}, {27, 1, 1, 16, 2, 1}, {13, 1, 4, 16, 4, 4}, {13, 2, 2, 16, 3, 4}, {13, 2, 2, 16, 3, 4}};
    const int idx[5] = {0, 2, 4, 5, 6};
    double tot = 0, tchip = 0, mabs = 0;
    for (k = 0; k < 5; k++) {
        double v = chip_ms(&w.layers[idx[k]], &h, m[k], 4);
        tot += v;
        tchip += chip[k];
        mabs += fabs(v / chip[k] - 1) / 5;
        printf("%s: model on the chip's mapping %.2f ms, chip %.1f ms, error %+.1f%%\n", w.layers[idx[k]].name, v,
               chip[k], (v / chip[k] - 1) * 100);
    }
    printf("total %.2f ms vs %.1f ms (rows' sum): %+.1f%%, vs 103.5 ms (total row): %+.1f%%; mean abs %.1f%%\n", tot,
           tchip, (tot / tchip - 1) * 100, (tot / 103.5 - 1) * 100, mabs * 100);
    df_workload_free(&w);
    return 0;
}
