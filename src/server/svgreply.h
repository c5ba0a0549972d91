/* svgreply.h - the format=svg replies (issue #5): POST /v1/map?format=svg answers the picture of the
 * mapping, POST /v1/map/batch?format=svg the picture of a budget sweep (base + grid over budgets).
 *
 * A rendering hook, not a second answer path: the worker answers exactly as for format=json (check
 * before reply included) and hands these functions the answer structs (df_answer, and per sweep
 * point a df_sweep_point made by the answer layer, dnnfuser/sweeppoint.h); they only draw
 * (report/svg.c): no JSON is parsed back and no solver runs here. Errors stay
 * application/problem+json. Pure functions: any thread, no HTTP. */
#ifndef DNNFUSER_SERVER_SVGREPLY_H
#define DNNFUSER_SERVER_SVGREPLY_H

#include <jansson.h>

#include "dnnfuser/sweeppoint.h"
#include "problem.h"
#include "request.h"

#define SRV_SVG_CONTENT_TYPE "image/svg+xml"

/* The "format" query parameter: NULL or "json" -> 0, "svg" -> 1; anything else -> -1 with f set
 * (400 invalid-request). */
int srv_svg_wanted(const char *format, srv_fail *f);

/* A batch body that can be drawn: base + grid with a non-empty budgets array and at most one
 * hardware. On success *budgets (malloc'ed, caller frees) gets the grid's budgets in bytes, in item
 * order (0 where a budget does not parse: that item fails on its own), *n their count. Call after
 * srv_parse_batch accepted root. Returns 0, or -1 with f set (400 invalid-request). */
int srv_svg_batch_budgets(const json_t *root, int64_t **budgets, int32_t *n, srv_fail *f);

/* The picture of the answer a of r (the answer the /v1/map reply is made from). *body is malloc'ed.
 * Returns 0, or -1 with f set (500: the answer does not fit the request, out of memory). */
int srv_svg_map(const srv_map_req *r, const df_answer *a, char **body, size_t *len, srv_fail *f);

/* 1 when the sweep picture of b shows an exact-optimum series beside the answers (the solver of b is
 * not exact): its points must then be made with want_optimum (df_sweep_point_of). */
int srv_svg_want_optimum(const srv_batch_req *b);

/* The sweep picture of b (items in grid order, budgets[i] from srv_svg_batch_budgets, pts[i] item i's
 * point, answered 0 where it failed): layer-by-layer (each item's baseline), the exact optimum (the
 * answers when the solver is exact, else each point's optimum), and the solver's answers when it is
 * neither exact nor lbl; failed items are gaps. Returns 0 or -1 with f set. */
int srv_svg_batch(const srv_batch_req *b, const int64_t *budgets, int32_t n_budgets, const df_sweep_point *pts,
                  char **body, size_t *len, srv_fail *f);

#endif
