/* Credentials: the default chain of aws-protocols.md section 5 (botocore's order), parts 1, 2, 5,
 * 7, 8, 9 and 10: environment keys, role profiles (AssumeRole from a source_profile or a
 * credential_source, chains with cycle detection), the shared credentials file,
 * credential_process, static keys in the config file, the container endpoint and IMDSv2.
 *
 * Resolution reads only files and the environment; a provider fetches on first use and refreshes
 * temporary credentials that expire within the caller's margin. The cache is read and replaced
 * under the client's lock, but the fetch itself runs outside it under the provider's own refresh
 * mutex: an AssumeRole refresh goes through the engine, whose loop may need the client's lock for
 * the retry quota of requests already in flight. */
#include "identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum prov_kind {
    PROV_STATIC,    /* environment and file keys: fetched once, at resolution */
    PROV_PROCESS,   /* credential_process */
    PROV_CONTAINER, /* ECS/EKS container endpoint */
    PROV_IMDS,      /* EC2 instance metadata */
    PROV_ASSUME,    /* STS AssumeRole through another client */
};

struct pp_cred_provider {
    enum prov_kind kind;
    char *source;
    pthread_mutex_t refresh;
    pp_creds cache;
    bool have;
    char *command; /* PROV_PROCESS */
    /* PROV_ASSUME */
    pp_aws_client *via;
    bool owns_via;
    char *role_arn, *external_id, *session_name;
    int duration;
    /* PROV_IMDS as the chain's last resort: the whole chain's "nothing found" message */
    char *none_msg;
};

/* A credential_process command gets this long and may print this much. */
#define PROCESS_TIMEOUT_MS 60000L
#define PROCESS_MAX_OUT    ((size_t)64 * 1024)

void pp_creds_clear(pp_creds *c)
{
    if (!c)
        return;
    /* Scrub secrets rather than leave them in freed heap memory. */
    if (c->secret_access_key)
        explicit_bzero(c->secret_access_key, strlen(c->secret_access_key));
    if (c->session_token)
        explicit_bzero(c->session_token, strlen(c->session_token));
    free(c->access_key_id);
    free(c->secret_access_key);
    free(c->session_token);
    free(c->source);
    memset(c, 0, sizeof(*c));
}

static char *dup_or_null(const char *s)
{
    return s ? pp_xstrdup(s) : NULL;
}

int pp_creds_copy(pp_creds *dst, const pp_creds *src)
{
    pp_creds tmp = {
        .access_key_id = dup_or_null(src->access_key_id),
        .secret_access_key = dup_or_null(src->secret_access_key),
        .session_token = dup_or_null(src->session_token),
        .expiration = src->expiration,
        .source = dup_or_null(src->source),
    };
    *dst = tmp;
    return 0;
}

static pp_cred_provider *provider_new(enum prov_kind kind, char *source)
{
    pp_cred_provider *p = pp_xcalloc(1, sizeof(*p));
    p->kind = kind;
    p->source = source;
    pthread_mutex_init(&p->refresh, NULL);
    return p;
}

void pp_cred_provider_free(pp_cred_provider *p)
{
    if (!p)
        return;
    pp_creds_clear(&p->cache);
    if (p->owns_via)
        pp_aws_client_free(p->via);
    free(p->source);
    free(p->command);
    free(p->role_arn);
    free(p->external_id);
    free(p->session_name);
    free(p->none_msg);
    pthread_mutex_destroy(&p->refresh);
    free(p);
}

const char *pp_cred_provider_source(pp_cred_provider *p)
{
    return p ? p->source : "none";
}

/* Takes ownership of the strings; registers the secrets for redaction. */
static pp_cred_provider *static_provider(const char *akid, const char *secret, const char *token,
                                         char *source)
{
    pp_cred_provider *p = provider_new(PROV_STATIC, source);
    pp_redact_register(secret);
    pp_redact_register(token);
    p->cache.access_key_id = pp_xstrdup(akid);
    p->cache.secret_access_key = pp_xstrdup(secret);
    p->cache.session_token = token && *token ? pp_xstrdup(token) : NULL;
    p->cache.source = pp_xstrdup(source);
    p->have = true;
    return p;
}

pp_cred_provider *pp_cred_provider_assume(pp_aws_client *via, bool owns_via, const char *role_arn,
                                          const char *external_id, const char *session_name,
                                          int duration_seconds, const char *source)
{
    pp_cred_provider *p = provider_new(PROV_ASSUME, pp_xstrdup(source));
    pp_redact_register(external_id);
    p->via = via;
    p->owns_via = owns_via;
    p->role_arn = pp_xstrdup(role_arn);
    p->external_id = dup_or_null(external_id);
    p->session_name = dup_or_null(session_name);
    p->duration = duration_seconds;
    return p;
}

/* ---- AssumeRole ----------------------------------------------------------------------------- */

static int assume_fetch(pp_cred_provider *p, pp_creds *out)
{
    int rc = 0;
    pp_aws_resp resp = {0};
    char session[80];
    json_t *input = json_object();

    if (p->session_name)
        snprintf(session, sizeof(session), "%s", p->session_name);
    else
        snprintf(session, sizeof(session), "parapet-%lld", (long long)pp_time_now());
    json_object_set_new(input, "RoleArn", json_string(p->role_arn));
    json_object_set_new(input, "RoleSessionName", json_string(session));
    if (p->external_id)
        json_object_set_new(input, "ExternalId", json_string(p->external_id));
    if (p->duration > 0)
        json_object_set_new(input, "DurationSeconds", json_integer(p->duration));
    pp_aws_req req = {.service = "sts", .operation = "AssumeRole", .input = input};
    rc = pp_aws_call(p->via, &req, &resp);
    if (rc) {
        char *err = pp_aws_resp_error(&resp);
        rc = pp_err_set(PP_EAWS, "assume role %s: %s", p->role_arn, err ? err : "call failed");
        free(err);
        goto _exit;
    }
    json_t *creds = json_object_get(resp.data, "Credentials");
    char what[300];
    snprintf(what, sizeof(what), "assume role %s", p->role_arn);
    rc = pp_creds_from_json(creds, "SessionToken", what, out);

_exit:
    json_decref(input);
    pp_aws_resp_clear(&resp);
    return rc;
}

/* ---- fetching and refreshing ---------------------------------------------------------------- */

static int provider_fetch(pp_cred_provider *p, pp_creds *out)
{
    switch (p->kind) {
    case PROV_STATIC:
        return pp_creds_copy(out, &p->cache);
    case PROV_PROCESS:
        return pp_creds_process_run(p->command, PROCESS_TIMEOUT_MS, PROCESS_MAX_OUT, out);
    case PROV_CONTAINER:
        return pp_creds_container_fetch(out);
    case PROV_IMDS: {
        int rc = pp_creds_imds_fetch(out);
        if (rc && p->none_msg) {
            char why[1024]; /* pp_err_set() overwrites the buffer pp_err_msg() returns */
            snprintf(why, sizeof(why), "%s", pp_err_msg());
            rc = pp_err_set(PP_EINVAL, "%s: %s", p->none_msg, why);
        }
        return rc;
    }
    case PROV_ASSUME:
        return assume_fetch(p, out);
    }
    return pp_err_set(PP_EINTERNAL, "unknown credential provider");
}

static bool fresh(const pp_cred_provider *p, time_t now, int margin)
{
    return p->have && (p->cache.expiration == 0 || p->cache.expiration - now > margin);
}

int pp_cred_provider_get(pp_cred_provider *p, pp_aws_client *c, int margin, pp_creds *out)
{
    int rc = 0;
    pp_creds got = {0};

    memset(out, 0, sizeof(*out));
    if (!p)
        return pp_err_set(PP_EINVAL, "no credential provider");
    pthread_mutex_lock(&c->lock);
    if (fresh(p, pp_time_now(), margin)) {
        pp_creds_copy(out, &p->cache);
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    pthread_mutex_unlock(&c->lock);

    pthread_mutex_lock(&p->refresh);
    pthread_mutex_lock(&c->lock);
    bool done = fresh(p, pp_time_now(), margin); /* another thread refreshed meanwhile */
    if (done)
        pp_creds_copy(out, &p->cache);
    pthread_mutex_unlock(&c->lock);
    if (done)
        goto _exit;

    rc = provider_fetch(p, &got);
    pthread_mutex_lock(&c->lock);
    if (rc == 0) {
        free(got.source);
        got.source = pp_xstrdup(p->source);
        pp_creds_clear(&p->cache);
        p->cache = got;
        memset(&got, 0, sizeof(got));
        p->have = true;
        pp_creds_copy(out, &p->cache);
        pp_log(PP_LOG_DEBUG, "aws", "credentials from %s, expiring %lld", p->source,
               (long long)p->cache.expiration);
    } else if (p->have && p->cache.expiration > pp_time_now() + 60) {
        /* An early refresh failed but the old credentials still have a minute or more: keep
         * going with them, as the SDKs do with an advisory refresh. */
        pp_log(PP_LOG_WARN, "aws", "refreshing credentials from %s: %s", p->source, pp_err_msg());
        pp_creds_copy(out, &p->cache);
        rc = 0;
    }
    pthread_mutex_unlock(&c->lock);

_exit:
    pthread_mutex_unlock(&p->refresh);
    pp_creds_clear(&got);
    return rc;
}

int pp_creds_from_json(json_t *doc, const char *token_key, const char *what, pp_creds *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(doc))
        return pp_err_set(PP_EINVAL, "%s: the response has no credentials object", what);
    const char *akid = json_string_value(json_object_get(doc, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(doc, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(doc, token_key));
    json_t *exp = json_object_get(doc, "Expiration");
    /* Register before any check can put them into an error message. */
    pp_redact_register(secret);
    pp_redact_register(token);
    if (!akid || !*akid)
        return pp_err_set(PP_EINVAL, "%s: AccessKeyId is missing", what);
    if (!secret || !*secret)
        return pp_err_set(PP_EINVAL, "%s: SecretAccessKey is missing", what);
    time_t expiration = 0;
    if (json_is_string(exp)) {
        if (pp_time_parse(json_string_value(exp), &expiration))
            return pp_err_set(PP_EINVAL, "%s: Expiration '%s' is not a timestamp", what,
                              json_string_value(exp));
    } else if (json_is_number(exp)) {
        expiration = (time_t)json_number_value(exp); /* JSON protocols send epoch seconds */
    } else if (exp && !json_is_null(exp)) {
        return pp_err_set(PP_EINVAL, "%s: Expiration is not a timestamp", what);
    }
    out->access_key_id = pp_xstrdup(akid);
    out->secret_access_key = pp_xstrdup(secret);
    out->session_token = token && *token ? pp_xstrdup(token) : NULL;
    out->expiration = expiration;
    return 0;
}

/* ---- resolution ------------------------------------------------------------------------------ */

typedef struct resolver {
    pp_aws_client *c;
    char *config_path, *cred_path; /* as shown to users */
    const char *visited[32];       /* profiles on the current role chain */
    size_t n_visited;
} resolver;

static int env_provider(const char *what, pp_cred_provider **out)
{
    const char *akid = getenv("AWS_ACCESS_KEY_ID");
    const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = getenv("AWS_SESSION_TOKEN");
    if (!token || !*token)
        token = getenv("AWS_SECURITY_TOKEN"); /* the older name botocore still reads */
    pp_redact_register(secret);
    pp_redact_register(token);
    *out = NULL;
    if (!akid || !*akid)
        return 0;
    if (!secret || !*secret)
        return pp_err_set(PP_EINVAL,
                          "%s: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", what);
    *out = static_provider(akid, secret, token, pp_xstrdup("environment"));
    return 0;
}

static bool has_keys(const pp_aws_ini *ini, const char *section)
{
    const char *k = pp_aws_ini_get(ini, section, "aws_access_key_id");
    return k && *k;
}

/* Keys of one file's section; 0 with *out NULL when the section has none. */
static int file_keys(resolver *r, const pp_aws_ini *ini, const char *section, const char *profile,
                     const char *path, pp_cred_provider **out)
{
    *out = NULL;
    if (!has_keys(ini, section))
        return 0;
    const char *akid = pp_aws_ini_get(ini, section, "aws_access_key_id");
    const char *secret = pp_aws_ini_get(ini, section, "aws_secret_access_key");
    const char *token = pp_aws_ini_get(ini, section, "aws_session_token");
    if (!token || !*token)
        token = pp_aws_ini_get(ini, section, "aws_security_token");
    pp_redact_register(secret);
    pp_redact_register(token);
    if (!secret || !*secret)
        return pp_err_set(PP_EINVAL,
                          "profile '%s' in %s: aws_access_key_id without aws_secret_access_key",
                          profile, path);
    (void)r;
    *out = static_provider(akid, secret, token, pp_xasprintf("profile %s (%s)", profile, path));
    return 0;
}

/* Chain parts 3 and 4 (web identity, IAM Identity Center) are not implemented: a profile that
 * relies on them gets an error that says so instead of "no credentials found". */
static int unsupported(const pp_aws_client *c, const char *profile)
{
    const char *sso = pp_aws_profile_get(c->config, c->credentials, profile, "sso_session");
    if (!sso || !*sso)
        sso = pp_aws_profile_get(c->config, c->credentials, profile, "sso_start_url");
    if (sso && *sso)
        return pp_err_set(PP_EINVAL,
                          "profile '%s' signs in through IAM Identity Center (SSO), which parapet "
                          "does not do itself; use a profile with credential_process = aws "
                          "configure export-credentials --profile %s --format process",
                          profile, profile);
    const char *web =
        pp_aws_profile_get(c->config, c->credentials, profile, "web_identity_token_file");
    if (web && *web)
        return pp_err_set(PP_EINVAL,
                          "profile '%s': web_identity_token_file (web identity federation) is "
                          "not supported; use credential_process or a source_profile",
                          profile);
    return 0;
}

/* Static keys or credential_process of one profile (chain parts 5, 7, 8), or none. */
static int profile_plain(resolver *r, const char *profile, pp_cred_provider **out)
{
    pp_aws_client *c = r->c;
    char *section = pp_aws_profile_section(profile);
    int rc = file_keys(r, c->credentials, profile, profile, r->cred_path, out);
    if (rc || *out)
        goto _exit;
    const char *cmd = pp_aws_profile_get(c->config, c->credentials, profile, "credential_process");
    if (cmd && *cmd) {
        *out = provider_new(PROV_PROCESS, pp_xasprintf("credential_process (profile %s)", profile));
        (*out)->command = pp_xstrdup(cmd);
        goto _exit;
    }
    rc = file_keys(r, c->config, section, profile, r->config_path, out);

_exit:
    free(section);
    return rc;
}

static int role_profile(resolver *r, const char *profile, pp_cred_provider **out);

static char *chain_text(const resolver *r, const char *last)
{
    pp_buf b;
    pp_buf_init(&b, 0);
    for (size_t i = 0; i < r->n_visited; i++)
        pp_buf_printf(&b, "%s -> ", r->visited[i]);
    pp_buf_puts(&b, last);
    return pp_buf_steal(&b);
}

/* The credentials of a role profile's source_profile (botocore's rules: a source profile with
 * static keys uses them even if it also has a role_arn; a profile may name itself as its source
 * when it holds keys; any other repeat is a loop). */
static int source_profile(resolver *r, const char *parent, const char *name, pp_cred_provider **out)
{
    pp_aws_client *c = r->c;
    *out = NULL;
    if (!pp_aws_profile_exists(c->config, c->credentials, name))
        return pp_err_set(PP_EINVAL, "profile '%s': source_profile '%s' is not defined in %s or %s",
                          parent, name, r->config_path, r->cred_path);
    char *section = pp_aws_profile_section(name);
    bool keys = has_keys(c->credentials, name) || has_keys(c->config, section);
    free(section);
    bool seen = false;
    for (size_t i = 0; i < r->n_visited; i++)
        seen |= strcmp(r->visited[i], name) == 0;
    if (seen && !(keys && strcmp(name, parent) == 0)) {
        char *chain = chain_text(r, name);
        int rc = pp_err_set(PP_EINVAL, "profile '%s': source_profile loop: %s", parent, chain);
        free(chain);
        return rc;
    }
    const char *role = pp_aws_profile_get(c->config, c->credentials, name, "role_arn");
    if (keys || !role || !*role) {
        int rc = profile_plain(r, name, out);
        if (rc == 0 && !*out)
            rc = pp_err_set(PP_EINVAL,
                            "profile '%s': source_profile '%s' has no credentials (no keys, "
                            "role_arn or credential_process)",
                            parent, name);
        return rc;
    }
    return role_profile(r, name, out);
}

static int credential_source(resolver *r, const char *profile, const char *src,
                             pp_cred_provider **out)
{
    *out = NULL;
    if (strcmp(src, "Environment") == 0) {
        char what[128];
        snprintf(what, sizeof(what), "profile '%s' credential_source Environment", profile);
        int rc = env_provider(what, out);
        if (rc == 0 && !*out)
            rc = pp_err_set(PP_EINVAL, "%s: AWS_ACCESS_KEY_ID is not set", what);
        return rc;
    }
    if (strcmp(src, "Ec2InstanceMetadata") == 0) {
        *out = provider_new(PROV_IMDS, pp_xstrdup("EC2 instance metadata"));
        return 0;
    }
    if (strcmp(src, "EcsContainer") == 0) {
        if (!pp_creds_container_configured())
            return pp_err_set(PP_EINVAL,
                              "profile '%s' credential_source EcsContainer: neither "
                              "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                              "AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
                              profile);
        *out = provider_new(PROV_CONTAINER, pp_xstrdup("container endpoint"));
        return 0;
    }
    (void)r;
    return pp_err_set(PP_EINVAL,
                      "profile '%s': credential_source '%s' is not one of Environment, "
                      "Ec2InstanceMetadata, EcsContainer",
                      profile, src);
}

/* An internal client that calls STS for a role profile with the source's credentials; it takes
 * its endpoint configuration from the client being resolved (through ->base). */
static pp_aws_client *sts_client(pp_aws_client *c, pp_cred_provider *src)
{
    pp_aws_client *via = pp_aws_client_derive(c);
    via->creds = src;
    return via;
}

/* Chain part 2: a profile with role_arn. */
static int role_profile(resolver *r, const char *profile, pp_cred_provider **out)
{
    int rc = 0;
    pp_aws_client *c = r->c;
    pp_cred_provider *src = NULL;
    const char *role = pp_aws_profile_get(c->config, c->credentials, profile, "role_arn");
    const char *sp = pp_aws_profile_get(c->config, c->credentials, profile, "source_profile");
    const char *cs = pp_aws_profile_get(c->config, c->credentials, profile, "credential_source");
    const char *ext = pp_aws_profile_get(c->config, c->credentials, profile, "external_id");
    const char *session =
        pp_aws_profile_get(c->config, c->credentials, profile, "role_session_name");
    const char *dur = pp_aws_profile_get(c->config, c->credentials, profile, "duration_seconds");
    const char *mfa = pp_aws_profile_get(c->config, c->credentials, profile, "mfa_serial");
    long duration = 0;

    *out = NULL;
    pp_redact_register(ext);
    if (r->n_visited == sizeof(r->visited) / sizeof(r->visited[0]))
        return pp_err_set(PP_EINVAL, "profile '%s': role chain longer than %zu profiles", profile,
                          r->n_visited);
    if (!pp_str_startswith(role, "arn:"))
        return pp_err_set(PP_EINVAL, "profile '%s': role_arn '%s' is not an ARN", profile, role);
    if (sp && *sp && cs && *cs)
        return pp_err_set(PP_EINVAL,
                          "profile '%s' has both source_profile and credential_source; keep one",
                          profile);
    if ((!sp || !*sp) && (!cs || !*cs)) {
        if (unsupported(c, profile))
            return PP_EINVAL;
        return pp_err_set(PP_EINVAL,
                          "profile '%s': role_arn needs source_profile or "
                          "credential_source",
                          profile);
    }
    if (mfa && *mfa)
        return pp_err_set(PP_EINVAL,
                          "profile '%s': mfa_serial needs an interactive MFA prompt, which "
                          "parapet does not do; use credentials that need no MFA",
                          profile);
    if (dur && *dur && pp_parse_long(dur, 900, 43200, &duration))
        return pp_err_set(PP_EINVAL,
                          "profile '%s': duration_seconds '%s' is not a number from 900 to 43200",
                          profile, dur);
    if (session && *session) {
        size_t n = strlen(session);
        if (n < 2 || n > 64 ||
            strspn(session, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
                            "XYZ0123456789_+=,.@-") != n)
            return pp_err_set(PP_EINVAL,
                              "profile '%s': role_session_name '%s' must be 2-64 characters of "
                              "letters, digits and _+=,.@-",
                              profile, session);
    }

    r->visited[r->n_visited++] = profile;
    if (sp && *sp)
        rc = source_profile(r, profile, sp, &src);
    else
        rc = credential_source(r, profile, cs, &src);
    r->n_visited--;
    if (rc)
        goto _exit;
    char *source = pp_xasprintf("assume-role %s (profile %s) via %s", role, profile, src->source);
    *out = pp_cred_provider_assume(sts_client(c, src), true, role, ext && *ext ? ext : NULL,
                                   session && *session ? session : NULL, (int)duration, source);
    free(source);
    src = NULL;

_exit:
    pp_cred_provider_free(src);
    return rc;
}

int pp_cred_provider_resolve(pp_aws_client *c, bool explicit_profile, pp_cred_provider **out)
{
    int rc = 0;
    resolver r = {.c = c};
    char *cfg = pp_aws_config_path(), *crd = pp_aws_credentials_path();
    r.config_path = cfg ? pp_aws_display_path(cfg) : pp_xstrdup("~/.aws/config");
    r.cred_path = crd ? pp_aws_display_path(crd) : pp_xstrdup("~/.aws/credentials");
    *out = NULL;

    if (!explicit_profile) {
        rc = env_provider("environment", out);
        if (rc || *out)
            goto _exit;
    }
    const char *role = pp_aws_profile_get(c->config, c->credentials, c->profile, "role_arn");
    if (role && *role) {
        rc = role_profile(&r, c->profile, out);
        goto _exit;
    }
    rc = profile_plain(&r, c->profile, out);
    if (rc || *out)
        goto _exit;
    rc = unsupported(c, c->profile);
    if (rc)
        goto _exit;
    if (pp_creds_container_configured()) {
        *out = provider_new(PROV_CONTAINER, pp_xstrdup("container endpoint"));
        goto _exit;
    }
    char *tried = pp_xasprintf("no AWS credentials found (tried %sprofile '%s' in %s and %s, "
                               "container endpoint, EC2 instance metadata",
                               explicit_profile ? "" : "environment variables, ", c->profile,
                               r.config_path, r.cred_path);
    if (pp_creds_imds_disabled()) {
        rc = pp_err_set(PP_EINVAL, "%s: disabled by AWS_EC2_METADATA_DISABLED)", tried);
        free(tried);
        goto _exit;
    }
    *out = provider_new(PROV_IMDS, pp_xstrdup("EC2 instance metadata"));
    (*out)->none_msg = pp_xasprintf("%s)", tried);
    free(tried);

_exit:
    free(cfg);
    free(crd);
    free(r.config_path);
    free(r.cred_path);
    return rc;
}
