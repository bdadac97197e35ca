/* credential_process (aws-protocols.md section 5): the profile's command is split the way
 * Python's shlex.split would (botocore's own behaviour) and started with posix_spawnp, without a
 * shell. Its stdout must be one JSON object with "Version": 1; stdout is capped, stderr is kept
 * for the error message, and the command gets a deadline after which it is killed. */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define STDERR_KEEP 1024

static void strv_push(char ***v, size_t *n, char *s)
{
    *v = pp_xrealloc(*v, (*n + 2) * sizeof(**v));
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

int pp_creds_shell_split(const char *command, char ***argv_out)
{
    int rc = 0;
    char **argv = NULL;
    size_t argc = 0;
    pp_buf word;
    bool in_word = false;
    const char *p = command ? command : "";

    pp_buf_init(&word, 0);
    *argv_out = NULL;
    while (*p) {
        char ch = *p;
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            if (in_word) {
                strv_push(&argv, &argc, word.data ? pp_buf_steal(&word) : pp_xstrdup(""));
                in_word = false;
            }
            p++;
        } else if (ch == '\'') {
            const char *close = strchr(p + 1, '\'');
            if (!close) {
                rc = pp_err_set(PP_EINVAL, "unterminated single quote");
                goto _exit;
            }
            pp_buf_append(&word, p + 1, (size_t)(close - p - 1));
            in_word = true;
            p = close + 1;
        } else if (ch == '"') {
            p++;
            while (*p && *p != '"') {
                /* Inside double quotes a backslash escapes only these, as in sh. */
                if (*p == '\\' && p[1] && strchr("\\\"$`\n", p[1]))
                    p++;
                pp_buf_putc(&word, *p++);
            }
            if (*p != '"') {
                rc = pp_err_set(PP_EINVAL, "unterminated double quote");
                goto _exit;
            }
            in_word = true;
            p++;
        } else if (ch == '\\') {
            if (!p[1]) {
                rc = pp_err_set(PP_EINVAL, "trailing backslash");
                goto _exit;
            }
            if (p[1] != '\n')
                pp_buf_putc(&word, p[1]);
            in_word = true;
            p += 2;
        } else {
            pp_buf_putc(&word, ch);
            in_word = true;
            p++;
        }
    }
    if (in_word)
        strv_push(&argv, &argc, word.data ? pp_buf_steal(&word) : pp_xstrdup(""));
    if (argc == 0) {
        rc = pp_err_set(PP_EINVAL, "empty command");
        goto _exit;
    }
    *argv_out = argv;
    argv = NULL;

_exit:
    pp_strv_free(argv);
    pp_buf_free(&word);
    return rc;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* First line of the command's stderr, for the error message. */
static const char *first_line(char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    s[strcspn(s, "\r\n")] = '\0';
    return s;
}

/* Runs argv, collecting stdout (at most max_out bytes) and the start of stderr. */
static int run_capture(char **argv, long timeout_ms, size_t max_out, pp_buf *out, pp_buf *err,
                       int *status)
{
    int rc = 0;
    int op[2] = {-1, -1}, ep[2] = {-1, -1};
    pid_t pid = -1;
    bool fa_init = false;
    posix_spawn_file_actions_t fa;

    if (pipe2(op, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
        rc = pp_err_set(PP_EIO, "pipe: %s", strerror(errno));
        goto _exit;
    }
    posix_spawn_file_actions_init(&fa);
    fa_init = true;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, op[1], 1);
    posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
    int serr = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    if (serr) {
        pid = -1;
        rc = pp_err_set(PP_EINVAL, "cannot run '%s': %s", argv[0], strerror(serr));
        goto _exit;
    }
    close(op[1]);
    close(ep[1]);
    op[1] = ep[1] = -1;

    long deadline = now_ms() + timeout_ms;
    while (op[0] >= 0 || ep[0] >= 0) {
        struct pollfd fds[2] = {{.fd = op[0], .events = POLLIN}, {.fd = ep[0], .events = POLLIN}};
        long left = deadline - now_ms();
        if (left <= 0) {
            rc = pp_err_set(PP_EINVAL, "'%s' did not finish within %ld.%ld s", argv[0],
                            timeout_ms / 1000, timeout_ms % 1000 / 100);
            goto _exit;
        }
        int n = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR) {
            rc = pp_err_set(PP_EIO, "poll: %s", strerror(errno));
            goto _exit;
        }
        for (int i = 0; i < 2 && n > 0; i++) {
            if (!fds[i].revents)
                continue;
            char chunk[4096];
            ssize_t got = read(fds[i].fd, chunk, sizeof(chunk));
            if (got < 0 && errno == EINTR)
                continue;
            int *fdp = i == 0 ? &op[0] : &ep[0];
            if (got <= 0) {
                close(*fdp);
                *fdp = -1;
                continue;
            }
            if (i == 0 && pp_buf_append(out, chunk, (size_t)got)) {
                rc = pp_err_set(PP_EINVAL, "'%s' printed more than %zu bytes", argv[0], max_out);
                goto _exit;
            }
            if (i == 1 && err->len < STDERR_KEEP)
                pp_buf_append(err, chunk, (size_t)got > STDERR_KEEP ? STDERR_KEEP : (size_t)got);
        }
    }
    /* Both pipes are closed; the command may still be exiting. */
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid) {
            pid = -1;
            break;
        }
        if (w < 0 && errno != EINTR) {
            pid = -1;
            rc = pp_err_set(PP_EIO, "waitpid: %s", strerror(errno));
            goto _exit;
        }
        if (now_ms() >= deadline) {
            rc = pp_err_set(PP_EINVAL, "'%s' did not finish within %ld.%ld s", argv[0],
                            timeout_ms / 1000, timeout_ms % 1000 / 100);
            goto _exit;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }

_exit:
    if (pid > 0) {
        /* Our own child, stopped by the pid posix_spawnp gave us. */
        kill(pid, SIGKILL);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
    }
    for (int i = 0; i < 2; i++) {
        if (op[i] >= 0)
            close(op[i]);
        if (ep[i] >= 0)
            close(ep[i]);
    }
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    return rc;
}

int pp_creds_process_run(const char *command, long timeout_ms, size_t max_out, pp_creds *out)
{
    int rc = 0;
    char **argv = NULL;
    pp_buf sout, serr;
    json_t *doc = NULL;
    int status = 0;

    memset(out, 0, sizeof(*out));
    pp_buf_init(&sout, max_out);
    pp_buf_init(&serr, 0);
    rc = pp_creds_shell_split(command, &argv);
    if (rc) {
        rc = pp_err_prefix(rc, "credential_process");
        goto _exit;
    }
    rc = run_capture(argv, timeout_ms, max_out, &sout, &serr, &status);
    if (rc) {
        rc = pp_err_prefix(rc, "credential_process");
        goto _exit;
    }
    if (serr.data)
        pp_redact_inplace(serr.data);
    if (WIFSIGNALED(status)) {
        rc = pp_err_set(PP_EINVAL, "credential_process: '%s' was killed by signal %d", argv[0],
                        WTERMSIG(status));
        goto _exit;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        const char *why = serr.data ? first_line(serr.data) : "";
        rc = pp_err_set(PP_EINVAL, "credential_process: '%s' exited with status %d%s%s", argv[0],
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1, *why ? ": " : "", why);
        goto _exit;
    }
    json_error_t jerr;
    doc = json_loadb(pp_buf_cstr(&sout), sout.len, 0, &jerr);
    if (!json_is_object(doc)) {
        /* The output may hold secrets: describe it, never echo it. */
        rc = pp_err_set(PP_EINVAL,
                        "credential_process: '%s' did not print a JSON object (%s at line %d)",
                        argv[0], doc ? "not an object" : jerr.text, jerr.line);
        goto _exit;
    }
    /* Register before anything below can mention them. */
    pp_redact_register(json_string_value(json_object_get(doc, "SecretAccessKey")));
    pp_redact_register(json_string_value(json_object_get(doc, "SessionToken")));
    json_t *version = json_object_get(doc, "Version");
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        char got[32] = "missing";
        if (json_is_integer(version))
            snprintf(got, sizeof(got), "%lld", (long long)json_integer_value(version));
        else if (version)
            snprintf(got, sizeof(got), "not an integer");
        rc = pp_err_set(PP_EINVAL, "credential_process: '%s': Version must be 1 (got %s)", argv[0],
                        got);
        goto _exit;
    }
    char what[512];
    snprintf(what, sizeof(what), "credential_process: '%s'", argv[0]);
    rc = pp_creds_from_json(doc, "SessionToken", what, out);

_exit:
    json_decref(doc);
    pp_strv_free(argv);
    if (sout.data)
        explicit_bzero(sout.data, sout.len);
    pp_buf_free(&sout);
    pp_buf_free(&serr);
    return rc;
}
