/* The last-error convention (libgit2 style): one message per thread, set where the failure is
 * understood, read by cli/ when it prints the one line a user sees. */
#include "pp_core.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

int pp_err_set(int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    va_end(ap);
    pp_redact_inplace(last_error);
    return rc;
}

int pp_err_prefix(int rc, const char *fmt, ...)
{
    char prefix[512];
    char old[sizeof(last_error)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof(old));
    if (old[0])
        snprintf(last_error, sizeof(last_error), "%s: %s", prefix, old);
    else
        snprintf(last_error, sizeof(last_error), "%s", prefix);
    pp_redact_inplace(last_error);
    return rc;
}

const char *pp_err_msg(void)
{
    return last_error[0] ? last_error : "unknown error";
}

void pp_err_clear(void)
{
    last_error[0] = '\0';
}
