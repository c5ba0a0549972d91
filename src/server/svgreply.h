/* svgreply.h - the format=svg replies (issue #5): POST /v1/map?format=svg answers the picture of the
 * mapping, POST /v1/map/batch?format=svg the picture of a budget sweep (base + grid over budgets).
 *
 * A rendering hook, not a second answer path: the worker first builds the JSON reply exactly as for
 * format=json (check before reply included), then these functions draw it (core/svg.c) from that
 * reply and the parsed request (for its df_net), so how batches are processed can change without
 * touching the pictures. Errors stay application/problem+json. Pure functions: any thread, no HTTP. */
#ifndef DNNFUSER_SERVER_SVGREPLY_H
#define DNNFUSER_SERVER_SVGREPLY_H

#include <jansson.h>

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

/* The picture of a /v1/map reply (the object srv_map_reply built for r). *body is malloc'ed.
 * Returns 0, or -1 with f set (500: the reply does not fit the request, out of memory). */
int srv_svg_map(const srv_map_req *r, const json_t *reply, char **body, size_t *len, srv_fail *f);

/* The sweep picture of a /v1/map/batch reply ({"results": [...]} for b, items in grid order with
 * budgets[i] from srv_svg_batch_budgets): layer-by-layer (each item's baseline), the exact optimum
 * (each item's answer when the solver is exact, else solved here), and the solver's answers when
 * it is neither exact nor lbl; failed items are gaps. Returns 0 or -1 with f set. */
int srv_svg_batch(const srv_batch_req *b, const int64_t *budgets, int32_t n_budgets, const json_t *reply, char **body,
                  size_t *len, srv_fail *f);

#endif
