/* IAM policy analysis for rules: does a policy document allow an action on a resource, and does
 * it grant everything. Action and Resource may be a single value or a list, with * and ?
 * wildcards; NotAction and NotResource invert; an unconditional explicit Deny wins. A Condition
 * may or may not hold, so an Allow with one is taken to apply and a Deny with one is not (the
 * answer is "could this be allowed?"). Actions compare case-insensitively, resources exactly. */
#include "rules_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GLOB_MAX 1024

static bool ceq(char a, char b, bool icase)
{
    return icase ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/* dp[i][j]: p[i..] covers (or overlaps) q[j..]; computed backwards over one table. */
static bool glob_dp(const char *p, const char *q, bool icase, bool overlap)
{
    size_t np = strlen(p), nq = strlen(q);
    if (np > GLOB_MAX || nq > GLOB_MAX)
        return overlap; /* absurd lengths: the cautious answer for each question */
    size_t w = nq + 1;
    bool *dp = pp_xcalloc((np + 1) * w, sizeof(*dp));
    for (size_t ii = np + 1; ii-- > 0;) {
        for (size_t jj = nq + 1; jj-- > 0;) {
            bool v;
            bool pend = ii == np, qend = jj == nq;
            if (pend && qend) {
                v = true;
            } else if (!pend && p[ii] == '*') {
                v = dp[(ii + 1) * w + jj] || (!qend && dp[ii * w + jj + 1]);
            } else if (overlap && !qend && q[jj] == '*') {
                v = dp[ii * w + jj + 1] || (!pend && dp[(ii + 1) * w + jj]);
            } else if (pend || qend) {
                v = false;
            } else if (overlap) {
                v = (p[ii] == '?' || q[jj] == '?' || ceq(p[ii], q[jj], icase)) &&
                    dp[(ii + 1) * w + jj + 1];
            } else if (p[ii] == '?') {
                v = q[jj] != '*' && dp[(ii + 1) * w + jj + 1];
            } else {
                v = q[jj] != '*' && q[jj] != '?' && ceq(p[ii], q[jj], icase) &&
                    dp[(ii + 1) * w + jj + 1];
            }
            dp[ii * w + jj] = v;
        }
    }
    bool out = dp[0];
    free(dp);
    return out;
}

bool pp_iam_glob_covers(const char *p, const char *q, bool icase)
{
    return glob_dp(p, q, icase, false);
}

bool pp_iam_glob_overlaps(const char *p, const char *q, bool icase)
{
    return glob_dp(p, q, icase, true);
}

/* ---- documents ---------------------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* IAM APIs return documents URL-encoded; the scanner decodes them, plans carry JSON strings. */
static json_t *parse_doc(const json_t *doc, char *err, size_t errlen)
{
    if (json_is_object(doc))
        return json_incref((json_t *)doc);
    if (!json_is_string(doc)) {
        snprintf(err, errlen, "a policy document is an object or a JSON string");
        return NULL;
    }
    const char *s = json_string_value(doc);
    char *decoded = NULL;
    if (s[0] == '%') {
        size_t n = strlen(s);
        decoded = pp_xmalloc(n + 1);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
                decoded[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                i += 2;
            } else if (s[i] == '+') {
                decoded[o++] = ' ';
            } else {
                decoded[o++] = s[i];
            }
        }
        decoded[o] = '\0';
        s = decoded;
    }
    json_error_t je;
    json_t *out = json_loads(s, JSON_REJECT_DUPLICATES, &je);
    free(decoded);
    if (!json_is_object(out)) {
        snprintf(err, errlen, "policy document is not JSON: %s", out ? "not an object" : je.text);
        json_decref(out);
        return NULL;
    }
    return out;
}

static bool patterns_ok(const json_t *v)
{
    if (json_is_string(v))
        return true;
    if (!json_is_array(v))
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

static bool any_pattern(const json_t *v, const char *q, bool icase, bool overlap)
{
    if (json_is_string(v))
        return glob_dp(json_string_value(v), q, icase, overlap);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (glob_dp(json_string_value(e), q, icase, overlap))
            return true;
    }
    return false;
}

struct stmt {
    const json_t *s;
    bool allow;
    bool conditional;
    const json_t *action, *not_action, *resource, *not_resource;
};

static int read_stmt(const json_t *s, size_t i, struct stmt *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->s = s;
    if (!json_is_object(s)) {
        snprintf(err, errlen, "Statement[%zu] is not an object", i);
        return -1;
    }
    const char *effect = json_string_value(json_object_get(s, "Effect"));
    if (!effect || (strcmp(effect, "Allow") && strcmp(effect, "Deny"))) {
        snprintf(err, errlen, "Statement[%zu].Effect is not Allow or Deny", i);
        return -1;
    }
    out->allow = strcmp(effect, "Allow") == 0;
    out->conditional = json_object_get(s, "Condition") != NULL;
    out->action = json_object_get(s, "Action");
    out->not_action = json_object_get(s, "NotAction");
    out->resource = json_object_get(s, "Resource");
    out->not_resource = json_object_get(s, "NotResource");
    if ((out->action && !patterns_ok(out->action)) ||
        (out->not_action && !patterns_ok(out->not_action)) ||
        (out->resource && !patterns_ok(out->resource)) ||
        (out->not_resource && !patterns_ok(out->not_resource))) {
        snprintf(err, errlen, "Statement[%zu]: Action and Resource are strings or lists of them",
                 i);
        return -1;
    }
    if (!out->action && !out->not_action) {
        snprintf(err, errlen, "Statement[%zu] has neither Action nor NotAction", i);
        return -1;
    }
    return 0;
}

/* Does the statement apply to all of (a, r)? (allow: covers) or to some of it (deny: overlaps) */
static bool stmt_matches(const struct stmt *st, const char *a, const char *r, bool overlap)
{
    bool act = st->action ? any_pattern(st->action, a, true, overlap)
                          : !any_pattern(st->not_action, a, true, !overlap);
    if (!act)
        return false;
    if (st->resource)
        return any_pattern(st->resource, r, false, overlap);
    if (st->not_resource)
        return !any_pattern(st->not_resource, r, false, !overlap);
    return true; /* trust policies have no Resource: the role itself */
}

typedef bool (*stmt_fn)(const struct stmt *st, void *ud);

/* Calls fn for each statement; collects into ev those for which fn says so. */
static int each_stmt(const json_t *doc, stmt_fn fn, void *ud, json_t *ev, const char *base,
                     const char *what, int *hits, char *err, size_t errlen)
{
    char e2[256];
    json_t *d = parse_doc(doc, e2, sizeof(e2));
    if (!d) {
        snprintf(err, errlen, "%s", e2);
        return -1;
    }
    const json_t *stmts = json_object_get(d, "Statement");
    bool single = json_is_object(stmts);
    size_t n = single ? 1 : json_array_size(stmts);
    int rc = 0;
    if (!single && !json_is_array(stmts)) {
        snprintf(err, errlen, "policy document has no Statement");
        rc = -1;
        goto _exit;
    }
    for (size_t i = 0; i < n; i++) {
        struct stmt st;
        const json_t *s = single ? stmts : json_array_get(stmts, i);
        if (read_stmt(s, i, &st, err, errlen) != 0) {
            rc = -1;
            goto _exit;
        }
        if (!fn(&st, ud))
            continue;
        (*hits)++;
        if (ev && json_array_size(ev) < PP_EVIDENCE_MAX) {
            char *path = single ? pp_xasprintf("%sStatement", base)
                                : pp_xasprintf("%sStatement[%zu]", base, i);
            const char *sid = json_string_value(json_object_get(s, "Sid"));
            char *msg = sid      ? pp_xasprintf("statement %s %s", sid, what)
                        : single ? pp_xasprintf("the statement %s", what)
                                 : pp_xasprintf("statement %zu %s", i, what);
            json_array_append_new(ev, json_pack("{s:s, s:o, s:s}", "path", path, "value",
                                                json_deep_copy(s), "message", msg));
            free(path);
            free(msg);
        }
    }
_exit:
    json_decref(d);
    return rc;
}

struct allows_ud {
    const char *a, *r;
    bool deny_pass;
};

static bool allow_fn(const struct stmt *st, void *ud)
{
    struct allows_ud *u = ud;
    if (u->deny_pass)
        return !st->allow && !st->conditional && stmt_matches(st, u->a, u->r, true);
    return st->allow && stmt_matches(st, u->a, u->r, false);
}

int pp_iam_allows(const json_t *doc, char *const *actions, char *const *resources, json_t *ev,
                  const char *base, char *err, size_t errlen)
{
    for (char *const *a = actions; *a; a++) {
        /* every action is service:name, so "*" asks about all of them */
        const char *act = strcmp(*a, "*") == 0 ? "*:*" : *a;
        for (char *const *r = resources; *r; r++) {
            struct allows_ud u = {act, *r, true};
            int denies = 0, allows = 0;
            if (each_stmt(doc, allow_fn, &u, NULL, base, "", &denies, err, errlen) != 0)
                return -1;
            if (denies)
                continue;
            u.deny_pass = false;
            char *what = pp_xasprintf("allows %s on %s", *a, *r);
            json_t *tmp = ev ? json_array() : NULL;
            int rc = each_stmt(doc, allow_fn, &u, tmp, base, what, &allows, err, errlen);
            free(what);
            if (rc != 0) {
                json_decref(tmp);
                return -1;
            }
            if (allows) {
                if (ev)
                    json_array_extend(ev, tmp);
                json_decref(tmp);
                return 1;
            }
            json_decref(tmp);
        }
    }
    return 0;
}

static bool admin_fn(const struct stmt *st, void *ud)
{
    (void)ud;
    return st->allow && st->action && any_pattern(st->action, "*:*", true, false) && st->resource &&
           any_pattern(st->resource, "*", false, false);
}

int pp_iam_full_admin(const json_t *doc, json_t *ev, const char *base, char *err, size_t errlen)
{
    int hits = 0;
    if (each_stmt(doc, admin_fn, NULL, ev, base, "allows * on *", &hits, err, errlen) != 0)
        return -1;
    return hits > 0;
}
