/* sweeppoint.h - what a budget-sweep picture shows of one answered point (issue #12 item 3): the
 * layer-by-layer baseline, the answer, and the exact optimum for the same request, taken from the
 * answer struct (df_answer) instead of a JSON reply, so the pictures (df_svg_sweep, svg.h) only draw.
 * The optimum is the answer itself when the exact solver produced it; otherwise it is solved here,
 * in the answer layer, where solving belongs. */
#ifndef DNNFUSER_SWEEPPOINT_H
#define DNNFUSER_SWEEPPOINT_H

#include <stdatomic.h>

#include "dnnfuser/answer.h"

typedef struct {
    int answered;       /* 0: the point failed (a problem instead of an answer) */
    df_metrics answer;  /* the checked answer */
    df_metrics lbl;     /* its layer-by-layer baseline */
    df_metrics optimum; /* the exact optimum; have_optimum 0 when not asked for or not found */
    int have_optimum;
    char path[24]; /* the answer's path ("exact", "transformer", "repaired", ...) */
} df_sweep_point;

/* Fills p from a checked answer of r. want_optimum: also the exact optimum (solved on r's net, over
 * r's map-space, unless the answer already is the exact solver's; an infeasible or cancelled solve
 * leaves have_optimum 0).
 * cancel (nullable) is polled by the solver. Returns DF_OK, or DF_ENOMEM. */
int df_sweep_point_of(const df_request *r, const df_answer *a, int want_optimum, const atomic_int *cancel,
                      df_sweep_point *p);

#endif
