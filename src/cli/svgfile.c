/* svgfile.c - the --svg pictures of the command line: renders a map or eval report with the
 * library's df_svg_map and writes SVG text to the file the user named (sweep builds its own series
 * in cmd_sweep.c and writes through cli_write_svg). */
#include "cli.h"

#include <errno.h>
#include <string.h>

int cli_write_svg(const char *path, const df_svg_buf *b) {
    FILE *f = fopen(path, "wb");
    if (!f) return cli_fail(CLI_EXIT_USAGE, "--svg: cannot write %s: %s", path, strerror(errno));
    size_t n = b->len;
    int bad = n > 0 && fwrite(b->data, 1, n, f) != n;
    if (fclose(f) != 0) bad = 1;
    if (bad) return cli_fail(CLI_EXIT_USAGE, "--svg: cannot write %s: %s", path, strerror(errno));
    return 0;
}

int cli_write_map_svg(const char *path, const cli_report *r) {
    df_svg_buf b;
    df_svg_buf_init(&b);
    const char *who = strcmp(r->solver, "eval") == 0 ? "given" : r->solver;
    df_svg_map_opts so = {.net = r->net,
                          .map = &r->sol->map,
                          .solver = who,
                          .objective = r->objective,
                          .baseline = r->base && r->base->ok ? &r->base->met : NULL};
    df_err e;
    int rc = df_svg_map(&so, &b, &e);
    if (rc != DF_OK)
        rc = cli_fail_err("--svg", &e);
    else
        rc = cli_write_svg(path, &b);
    df_svg_buf_free(&b);
    return rc;
}
