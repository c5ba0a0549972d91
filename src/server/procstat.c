/* procstat.c - the process_* metrics from /proc/self/stat, /proc/stat, /proc/self/fd and
 * getrlimit (see procstat.h). Read at scrape time: no state. */
#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int srv_procstat_parse_stat(const char *text, double *utime, double *stime, double *starttime, double *vsize,
                            double *rss_pages) {
    const char *p = text ? strrchr(text, ')') : NULL; /* comm is "(...)" and may contain ')' */
    if (!p) return -1;
    p++;
    /* fields from 3 (state) on; we want 14 utime, 15 stime, 22 starttime, 23 vsize, 24 rss */
    double f[25] = {0};
    int field = 2;
    while (*p && field < 24) {
        while (*p == ' ') p++;
        if (!*p) break;
        field++;
        char *end;
        double v = strtod(p, &end);
        if (end == p) { /* the state letter */
            while (*p && *p != ' ') p++;
        } else {
            p = end;
        }
        f[field] = v;
    }
    if (field < 24) return -1;
    *utime = f[14];
    *stime = f[15];
    *starttime = f[22];
    *vsize = f[23];
    *rss_pages = f[24];
    return 0;
}

static char *slurp(const char *path, char *buf, size_t n) {
    FILE *fp = fopen(path, "r");
    if (!fp) return NULL;
    size_t k = fread(buf, 1, n - 1, fp);
    fclose(fp);
    buf[k] = '\0';
    return k ? buf : NULL;
}

unsigned srv_procstat_read(srv_procstat *p) {
    memset(p, 0, sizeof *p);
    char buf[4096];
    double ut, st, start, vs, rss;
    long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (tck <= 0) tck = 100;
    if (slurp("/proc/self/stat", buf, sizeof buf) && srv_procstat_parse_stat(buf, &ut, &st, &start, &vs, &rss) == 0) {
        p->cpu_seconds = (ut + st) / (double)tck;
        p->virtual_bytes = vs;
        p->have |= SRV_PROC_CPU | SRV_PROC_VSIZE;
        if (page > 0) {
            p->resident_bytes = rss * (double)page;
            p->have |= SRV_PROC_RSS;
        }
        char sbuf[16384];
        const char *bt = slurp("/proc/stat", sbuf, sizeof sbuf) ? strstr(sbuf, "\nbtime ") : NULL;
        if (bt) {
            p->start_time_seconds = strtod(bt + 7, NULL) + start / (double)tck;
            p->have |= SRV_PROC_START;
        }
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long n = 0;
        for (struct dirent *e; (e = readdir(d));)
            if (e->d_name[0] != '.') n++;
        closedir(d);
        p->open_fds = (double)(n > 0 ? n - 1 : 0); /* less the descriptor of the listing itself */
        p->have |= SRV_PROC_FDS;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        p->max_fds = (double)rl.rlim_cur;
        p->have |= SRV_PROC_MAXFDS;
    }
    return p->have;
}
