/* Time parsing and formatting for AWS timestamps, and the pinnable "now". */
#include "pp_core.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

time_t pp_time_now(void)
{
    const char *pin = getenv("PARAPET_NOW");
    time_t t;
    if (pin && *pin && pp_time_parse(pin, &t) == 0)
        return t;
    return time(NULL);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int pp_time_parse(const char *s, time_t *out)
{
    if (!s)
        return pp_err_set(PP_EINVAL, "missing timestamp");
    size_t len = strlen(s);
    /* epoch seconds, possibly fractional, as JSON protocols send them */
    if (len && (isdigit((unsigned char)s[0])) && !strchr(s, '-')) {
        char *end = NULL;
        double d = strtod(s, &end);
        if (*end == '\0' && d >= 0 && d < 1e12) {
            *out = (time_t)d;
            return 0;
        }
        return pp_err_set(PP_EINVAL, "'%s' is not a timestamp", s);
    }
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return pp_err_set(PP_EINVAL, "'%s' is not a timestamp", s);
    const char *p = s + 10;
    long offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        if (strlen(p) < 9 || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi) ||
            p[6] != ':' || digits(p + 7, 2, &sec))
            return pp_err_set(PP_EINVAL, "'%s' is not a timestamp", s);
        p += 9;
        if (*p == '.' || *p == ',') {
            p++;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            int sign = *p == '-' ? -1 : 1;
            if (digits(p + 1, 2, &oh))
                return pp_err_set(PP_EINVAL, "'%s' is not a timestamp", s);
            const char *q = p + 3;
            if (*q == ':')
                q++;
            if (digits(q, 2, &om))
                return pp_err_set(PP_EINVAL, "'%s' is not a timestamp", s);
            offset = sign * (oh * 3600L + om * 60L);
            p = q + 2;
        }
    }
    if (*p)
        return pp_err_set(PP_EINVAL, "'%s' is not a timestamp", s);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return pp_err_set(PP_EINVAL, "'%s' is not a timestamp", s);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = timegm(&tm) - offset;
    return 0;
}

void pp_time_format(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
