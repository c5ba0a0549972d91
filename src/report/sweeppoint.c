/* sweeppoint.c - one point of a budget-sweep picture from its answer: baseline, answer and the exact
 * optimum (see sweeppoint.h). */
#include "dnnfuser/sweeppoint.h"

#include <stdio.h>
#include <string.h>

#include "dnnfuser/solve.h"

int df_sweep_point_of(const df_request *r, const df_answer *a, int want_optimum, const atomic_int *cancel,
                      df_sweep_point *p) {
    memset(p, 0, sizeof *p);
    p->answered = 1;
    p->answer = a->met;
    p->lbl = a->base_met;
    snprintf(p->path, sizeof p->path, "%s", a->path ? a->path : "");
    if (!want_optimum) return DF_OK;
    if (a->path && strcmp(a->path, "exact") == 0) { /* the exact solver answered: that is the optimum */
        p->optimum = a->met;
        p->have_optimum = a->met.feasible;
        return DF_OK;
    }
    df_mapping em;
    if (df_mapping_init(&em, 16) != DF_OK) return DF_ENOMEM;
    df_err e;
    df_err_clear(&e);
    df_metrics m;
    df_solve_stats st = {.cancel = cancel};
    if (df_solve_exact_in(r->net, r->obj, r->space, &em, &st, &e) == DF_OK &&
        df_mapping_eval(r->net, &em, &m, NULL, &e) == DF_OK && m.feasible) {
        p->optimum = m;
        p->have_optimum = 1;
    }
    df_mapping_free(&em);
    return e.code == DF_ENOMEM ? DF_ENOMEM : DF_OK;
}
