/* The writer table and the two entry points: one format to one file, or a list of formats into
 * a folder. Files are written beside their final name and renamed, so a reader never sees half a
 * report, and are created 0600: findings describe weaknesses. */
#include "report_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const pp_report_writer writers[] = {
    {"json", "report.json", "native JSON report (docs/report-schema.json)", pp_report_json},
    {"html", "report.html", "self-contained HTML report for auditors", pp_report_html},
    {"ocsf", "report.ocsf.json", "OCSF Detection Findings (class 2004)", pp_report_ocsf},
    {"csv", "report.csv", "one row per finding (RFC 4180)", pp_report_csv},
    {"sarif", "report.sarif", "SARIF 2.1.0 for code scanning", pp_report_sarif},
    {"junit", "report.junit.xml", "JUnit XML, one testcase per rule and resource", pp_report_junit},
};

#define N_WRITERS (sizeof(writers) / sizeof(writers[0]))

const pp_report_writer *pp_report_writer_find(const char *format)
{
    for (size_t i = 0; format && i < N_WRITERS; i++)
        if (strcmp(writers[i].name, format) == 0)
            return &writers[i];
    return NULL;
}

const pp_report_writer *pp_report_writer_at(size_t i)
{
    return i < N_WRITERS ? &writers[i] : NULL;
}

static int unknown_format(const char *format)
{
    return pp_err_set(PP_EINVAL, "unknown report format '%s' (json, html, ocsf, csv, sarif, junit)",
                      format ? format : "");
}

static int write_one(const pp_report_writer *w, const pp_report_input *in, const char *path)
{
    int rc = 0, fd = -1;
    FILE *out = NULL;
    char *tmp = pp_xasprintf("%s.tmp.XXXXXX", path);

    fd = mkstemp(tmp); /* 0600 */
    if (fd < 0) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    out = fdopen(fd, "w");
    if (out)
        setvbuf(out, NULL, _IOFBF, 1 << 20);
    if (!out) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    fd = -1;
    /* writers emit many small pieces; a large buffer keeps the syscall count down */
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    rc = w->write(in, out);
    if (rc < 0)
        goto _exit;
    if (fflush(out) != 0 || ferror(out)) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    int cr = fclose(out);
    out = NULL;
    if (cr != 0) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    if (rename(tmp, path) != 0) {
        rc = pp_err_set(PP_EIO, "%s: %s", path, strerror(errno));
        goto _exit;
    }
    pp_log(PP_LOG_INFO, "reports", "wrote %s report %s", w->name, path);

_exit:
    if (out)
        fclose(out);
    if (fd >= 0)
        close(fd);
    if (rc < 0 && tmp)
        unlink(tmp);
    free(tmp);
    return rc;
}

int pp_report_write(const char *format, const pp_report_input *in, const char *path)
{
    const pp_report_writer *w = pp_report_writer_find(format);
    if (!w)
        return unknown_format(format);
    if (!in || !in->results || !path)
        return pp_err_set(PP_EINVAL, "report: no results to write");
    return write_one(w, in, path);
}

int pp_report_check_dir(const char *dir)
{
    struct stat st;
    if (!dir || !*dir)
        return pp_err_set(PP_EINVAL, "report: no folder to write to");
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? 0 : pp_err_set(PP_EIO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return pp_err_set(PP_EIO, "%s: not a directory", dir);
    /* Findings describe weaknesses: never into a folder where another user can swap files. */
    if ((st.st_mode & S_IWOTH) && st.st_uid != geteuid())
        return pp_err_set(PP_EINVAL,
                          "%s: refusing a world-writable folder owned by another user (uid %ld); "
                          "use a folder of your own",
                          dir, (long)st.st_uid);
    return 0;
}

int pp_report_write_all(const char *formats, const pp_report_input *in, const char *dir)
{
    int rc = 0;
    size_t n = 0;
    char **names = pp_str_split(formats ? formats : "", ',', &n);
    const pp_report_writer *chosen[N_WRITERS];
    size_t n_chosen = 0;

    if (!in || !in->results || !dir) {
        rc = pp_err_set(PP_EINVAL, "report: no results to write");
        goto _exit;
    }
    if (n == 0) {
        rc = pp_err_set(PP_EINVAL, "report: no format given");
        goto _exit;
    }
    for (size_t i = 0; i < n; i++) {
        const pp_report_writer *w = pp_report_writer_find(names[i]);
        if (!w) {
            rc = unknown_format(names[i]);
            goto _exit;
        }
        bool dup = false;
        for (size_t j = 0; j < n_chosen; j++)
            dup |= chosen[j] == w;
        if (!dup)
            chosen[n_chosen++] = w;
    }
    if ((rc = pp_report_check_dir(dir)))
        goto _exit;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = pp_err_set(PP_EIO, "%s: %s", dir, strerror(errno));
        goto _exit;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = pp_err_set(PP_EIO, "%s: not a directory", dir);
        goto _exit;
    }
    for (size_t i = 0; i < n_chosen; i++) {
        char *path = pp_xasprintf("%s/%s", dir, chosen[i]->filename);
        rc = write_one(chosen[i], in, path);
        free(path);
        if (rc < 0)
            goto _exit;
    }

_exit:
    pp_strv_free(names);
    return rc;
}
