/* A client: one identity (a credential provider), its endpoint configuration, its default region,
 * its retry settings. Construction reads the environment and ~/.aws/{config,credentials} once and
 * checks everything it can without the network (profile, region, endpoint URLs, max attempts,
 * CA bundle), so bad input fails before the first request with a one-line error. */
#include "identity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* botocore's default and its cap for max_attempts. */
#define DEFAULT_MAX_ATTEMPTS 3
#define MAX_MAX_ATTEMPTS     20
#define REFRESH_MARGIN_S     300

const pp_aws_client *pp_aws_client_root(const pp_aws_client *c)
{
    while (c->base && !c->config)
        c = c->base;
    return c;
}

bool pp_aws_env_true(const char *v)
{
    return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0);
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

char *pp_aws_profile_section(const char *profile)
{
    if (strcmp(profile, "default") == 0)
        return pp_xstrdup("default");
    return pp_xasprintf("profile %s", profile);
}

const char *pp_aws_profile_get(const pp_aws_ini *config, const pp_aws_ini *credentials,
                               const char *profile, const char *key)
{
    const char *v = pp_aws_ini_get(credentials, profile, key);
    if (v)
        return v;
    char *section = pp_aws_profile_section(profile);
    v = pp_aws_ini_get(config, section, key);
    /* botocore also reads "[profile default]" for the default profile. */
    if (!v && strcmp(profile, "default") == 0)
        v = pp_aws_ini_get(config, "profile default", key);
    free(section);
    return v;
}

bool pp_aws_profile_exists(const pp_aws_ini *config, const pp_aws_ini *credentials,
                           const char *profile)
{
    char *section = pp_aws_profile_section(profile);
    bool found =
        pp_aws_ini_has_section(credentials, profile) || pp_aws_ini_has_section(config, section) ||
        (strcmp(profile, "default") == 0 && pp_aws_ini_has_section(config, "profile default"));
    free(section);
    return found;
}

static char *expand_home(const char *path)
{
    const char *home = getenv("HOME");
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
        if (!home || !*home)
            return NULL;
        return pp_xasprintf("%s%s", home, path + 1);
    }
    return pp_xstrdup(path);
}

static char *aws_file(const char *env, const char *name)
{
    const char *v = env_nonempty(env);
    if (v)
        return expand_home(v);
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    return pp_xasprintf("%s/.aws/%s", home, name);
}

char *pp_aws_config_path(void)
{
    return aws_file("AWS_CONFIG_FILE", "config");
}

char *pp_aws_credentials_path(void)
{
    return aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

char *pp_aws_display_path(const char *path)
{
    const char *home = getenv("HOME");
    size_t n = home ? strlen(home) : 0;
    while (n > 1 && home[n - 1] == '/')
        n--;
    if (n > 1 && strncmp(path, home, n) == 0 && path[n] == '/')
        return pp_xasprintf("~%s", path + n);
    return pp_xstrdup(path);
}

/* Region names end up in host names and credential scopes. */
static int check_region(const char *region, const char *what)
{
    size_t n = strlen(region);
    bool ok = n > 0 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = islower((unsigned char)region[i]) || isdigit((unsigned char)region[i]) ||
             region[i] == '-';
    if (!ok)
        return pp_err_set(PP_EINVAL, "%s: '%s' is not a valid region name", what, region);
    return 0;
}

static int load_files(pp_aws_client *c)
{
    int rc = 0;
    char *cfg = pp_aws_config_path(), *crd = pp_aws_credentials_path();
    rc = cfg ? pp_aws_ini_parse_file(&c->config, cfg) : pp_aws_ini_parse(&c->config, "", NULL);
    if (rc == 0)
        rc = crd ? pp_aws_ini_parse_file(&c->credentials, crd)
                 : pp_aws_ini_parse(&c->credentials, "", NULL);
    free(cfg);
    free(crd);
    return rc;
}

static int resolve_settings(pp_aws_client *c, const pp_aws_client_options *o)
{
    const char *v, *what;

    /* Region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile, then us-east-1. */
    if ((v = o->region) && *v)
        what = "--region";
    else if ((v = env_nonempty("AWS_REGION")))
        what = "AWS_REGION";
    else if ((v = env_nonempty("AWS_DEFAULT_REGION")))
        what = "AWS_DEFAULT_REGION";
    else if ((v = pp_aws_profile_get(c->config, c->credentials, c->profile, "region")) && *v)
        what = "profile region";
    else
        v = what = "us-east-1";
    int rc = check_region(v, what);
    if (rc)
        return rc;
    c->region = pp_xstrdup(v);

    if (o->endpoint_url) {
        rc = pp_aws_url_check(o->endpoint_url, o->allow_insecure_endpoint, "--endpoint-url");
        if (rc)
            return rc;
        c->endpoint_url = pp_xstrdup(o->endpoint_url);
    }

    v = env_nonempty("AWS_CA_BUNDLE");
    what = "AWS_CA_BUNDLE";
    if (!v) {
        v = pp_aws_profile_get(c->config, c->credentials, c->profile, "ca_bundle");
        what = "profile ca_bundle";
    }
    if (v && *v) {
        c->ca_bundle = expand_home(v);
        if (!c->ca_bundle || access(c->ca_bundle, R_OK) != 0)
            return pp_err_set(PP_EINVAL, "%s: cannot read '%s'", what, v);
    }

    long attempts = DEFAULT_MAX_ATTEMPTS;
    if (o->max_attempts) {
        attempts = o->max_attempts;
        if (attempts < 1 || attempts > MAX_MAX_ATTEMPTS)
            return pp_err_set(PP_EINVAL, "max attempts %ld is not from 1 to %d", attempts,
                              MAX_MAX_ATTEMPTS);
    } else {
        v = env_nonempty("AWS_MAX_ATTEMPTS");
        what = "AWS_MAX_ATTEMPTS";
        if (!v) {
            v = pp_aws_profile_get(c->config, c->credentials, c->profile, "max_attempts");
            what = "profile max_attempts";
        }
        if (v && pp_parse_long(v, 1, MAX_MAX_ATTEMPTS, &attempts))
            return pp_err_set(PP_EINVAL, "%s: '%s' is not a number from 1 to %d", what, v,
                              MAX_MAX_ATTEMPTS);
    }
    c->max_attempts = (int)attempts;
    return 0;
}

/* Resolving every service's endpoint now turns a bad URL anywhere into an error at startup. */
static int check_endpoints(pp_aws_client *c)
{
    for (size_t i = 0; pp_service_at(i); i++) {
        char *url = NULL;
        const char *signing = NULL;
        int rc = pp_aws_client_endpoint(c, pp_service_at(i), NULL, &url, &signing);
        free(url);
        if (rc)
            return rc;
    }
    return 0;
}

static pp_aws_client *client_alloc(pp_aws_engine *e)
{
    pp_aws_client *c = pp_xcalloc(1, sizeof(*c));
    c->engine = e;
    pthread_mutex_init(&c->lock, NULL);
    pp_retry_quota_init(&c->quota);
    return c;
}

int pp_aws_client_new(pp_aws_client **out, pp_aws_engine *e, const pp_aws_client_options *opts)
{
    int rc = 0;
    pp_aws_client_options none = {0};
    const pp_aws_client_options *o = opts ? opts : &none;
    pp_aws_client *c = client_alloc(e);
    *out = NULL;

    rc = load_files(c);
    if (rc)
        goto _exit;
    const char *profile = o->profile && *o->profile ? o->profile : NULL;
    bool explicit_profile = profile != NULL;
    if (!profile)
        profile = env_nonempty("AWS_PROFILE");
    if (!profile)
        profile = env_nonempty("AWS_DEFAULT_PROFILE");
    if (!profile)
        profile = "default";
    c->profile = pp_xstrdup(profile);
    /* botocore forgives a missing "default" only. */
    if (strcmp(profile, "default") != 0 &&
        !pp_aws_profile_exists(c->config, c->credentials, profile)) {
        char *cfg = pp_aws_config_path(), *crd = pp_aws_credentials_path();
        char *dcfg = pp_aws_display_path(cfg ? cfg : "~/.aws/config");
        char *dcrd = pp_aws_display_path(crd ? crd : "~/.aws/credentials");
        rc = pp_err_set(PP_EINVAL, "profile '%s' is not defined in %s or %s", profile, dcfg, dcrd);
        free(cfg);
        free(crd);
        free(dcfg);
        free(dcrd);
        goto _exit;
    }
    c->allow_insecure_endpoint = o->allow_insecure_endpoint;
    rc = resolve_settings(c, o);
    if (rc == 0)
        rc = check_endpoints(c);
    if (rc == 0)
        rc = pp_cred_provider_resolve(c, explicit_profile, &c->creds);
    if (rc)
        goto _exit;
    pp_log(PP_LOG_DEBUG, "aws", "profile %s, region %s, %d attempts, credentials from %s",
           c->profile, c->region, c->max_attempts, pp_cred_provider_source(c->creds));
    *out = c;
    c = NULL;

_exit:
    pp_aws_client_free(c);
    return rc;
}

pp_aws_client *pp_aws_client_derive(pp_aws_client *base)
{
    pp_aws_client *c = client_alloc(base->engine);
    c->base = base;
    c->profile = pp_xstrdup(base->profile);
    c->region = pp_xstrdup(base->region);
    c->endpoint_url = base->endpoint_url ? pp_xstrdup(base->endpoint_url) : NULL;
    c->ca_bundle = base->ca_bundle ? pp_xstrdup(base->ca_bundle) : NULL;
    c->allow_insecure_endpoint = base->allow_insecure_endpoint;
    c->max_attempts = base->max_attempts;
    return c;
}

int pp_aws_client_assume(pp_aws_client **out, pp_aws_client *base, const char *role_arn,
                         const char *external_id, const char *session_name)
{
    *out = NULL;
    if (!base)
        return pp_err_set(PP_EINVAL, "assume role: no base client");
    if (!role_arn || !pp_str_startswith(role_arn, "arn:"))
        return pp_err_set(PP_EINVAL, "role '%s' is not an ARN", role_arn ? role_arn : "");
    pp_redact_register(external_id);
    pp_aws_client *c = pp_aws_client_derive(base);
    char *source = pp_xasprintf("assume-role %s via %s", role_arn, pp_aws_client_cred_source(base));
    c->creds = pp_cred_provider_assume(
        base, false, role_arn, external_id && *external_id ? external_id : NULL,
        session_name && *session_name ? session_name : NULL, 0, source);
    free(source);
    *out = c;
    return 0;
}

void pp_aws_client_free(pp_aws_client *c)
{
    if (!c)
        return;
    pp_cred_provider_free(c->creds);
    pp_aws_ini_free(c->config);
    pp_aws_ini_free(c->credentials);
    free(c->profile);
    free(c->region);
    free(c->endpoint_url);
    free(c->ca_bundle);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *pp_aws_client_region(const pp_aws_client *c)
{
    return c && c->region ? c->region : "us-east-1";
}

int pp_aws_client_creds(pp_aws_client *c, pp_creds *out)
{
    return pp_cred_provider_get(c->creds, c, REFRESH_MARGIN_S, out);
}

const char *pp_aws_client_cred_source(pp_aws_client *c)
{
    return pp_cred_provider_source(c ? c->creds : NULL);
}
