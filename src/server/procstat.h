/* procstat.h - the process_* metrics every Prometheus client library exports (client_golang's
 * process collector), read from /proc at scrape time:
 *
 *   process_cpu_seconds_total        utime + stime of /proc/self/stat, over sysconf(_SC_CLK_TCK)
 *   process_resident_memory_bytes    rss of /proc/self/stat x page size
 *   process_virtual_memory_bytes     vsize of /proc/self/stat
 *   process_open_fds                 entries of /proc/self/fd
 *   process_max_fds                  RLIMIT_NOFILE (soft)
 *   process_start_time_seconds       btime of /proc/stat + starttime / CLK_TCK (Unix time)
 *
 * A value that cannot be read (no /proc) is left out of the exposition, not reported as 0. */
#ifndef DNNFUSER_SERVER_PROCSTAT_H
#define DNNFUSER_SERVER_PROCSTAT_H

typedef struct {
    double cpu_seconds, resident_bytes, virtual_bytes, open_fds, max_fds, start_time_seconds;
    unsigned have; /* bit i: field i above was read */
} srv_procstat;

enum {
    SRV_PROC_CPU = 1,
    SRV_PROC_RSS = 2,
    SRV_PROC_VSIZE = 4,
    SRV_PROC_FDS = 8,
    SRV_PROC_MAXFDS = 16,
    SRV_PROC_START = 32
};

/* Reads what it can of the calling process; returns p->have (0 = nothing could be read). */
unsigned srv_procstat_read(srv_procstat *p);
/* Parses the text of /proc/<pid>/stat (comm may hold spaces and ')'): utime, stime, starttime in
 * clock ticks, vsize in bytes, rss in pages. Returns 0, or -1 when it is not such a line. */
int srv_procstat_parse_stat(const char *text, double *utime, double *stime, double *starttime, double *vsize,
                            double *rss_pages);

#endif
