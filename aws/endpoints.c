/* Where requests go and in which region they are signed (aws-protocols.md sections 0 and 5).
 * A configured endpoint wins, in botocore's order: --endpoint-url, AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, the profile's [services x] block, the profile's endpoint_url (all but the first
 * skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
 * ignore_configured_endpoint_urls is true). Otherwise the partition default: IAM is one global
 * endpoint per partition signed in the partition's home region, everything else (STS included)
 * is regional. Every configured URL is checked: http(s), a host, and plain http only to loopback
 * unless the client allows insecure endpoints. */
#include "identity.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct partition {
    const char *prefix; /* region name prefix; "" matches everything */
    const char *suffix; /* DNS suffix */
    const char *home;   /* where global services sign */
    const char *iam;    /* IAM's global endpoint */
} partition;

static const partition partitions[] = {
    {"cn-", "amazonaws.com.cn", "cn-north-1", "https://iam.cn-north-1.amazonaws.com.cn"},
    {"us-gov-", "amazonaws.com", "us-gov-west-1", "https://iam.us-gov.amazonaws.com"},
    {"", "amazonaws.com", "us-east-1", "https://iam.amazonaws.com"},
};

static const partition *partition_of(const char *region)
{
    size_t i = 0;
    while (!pp_str_startswith(region ? region : "", partitions[i].prefix))
        i++;
    return &partitions[i];
}

const char *pp_aws_partition_home(const char *region)
{
    return partition_of(region)->home;
}

/* Region names go into host names: letters, digits and dashes only. */
static bool region_valid(const char *r)
{
    if (!r || !*r || strlen(r) > 64)
        return false;
    for (const char *p = r; *p; p++) {
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
            return false;
    }
    return true;
}

bool pp_aws_host_is_loopback(const char *host, size_t len)
{
    char buf[64];
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, host, len);
    buf[len] = '\0';
    if (strcasecmp(buf, "localhost") == 0)
        return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, buf, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, buf, &a6) == 1)
        return memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
    return false;
}

int pp_aws_url_check(const char *url, bool allow_insecure, const char *what)
{
    if (!url || !*url)
        return pp_err_set(PP_EINVAL, "%s: empty endpoint URL", what);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f)
            return pp_err_set(PP_EINVAL, "%s: '%s' contains whitespace or control characters", what,
                              url);
    }
    bool https = strncasecmp(url, "https://", 8) == 0;
    if (!https && strncasecmp(url, "http://", 7) != 0)
        return pp_err_set(PP_EINVAL, "%s: '%s' is not an http(s) URL", what, url);
    const char *auth = url + (https ? 8 : 7);
    size_t alen = strcspn(auth, "/?#");
    if (memchr(auth, '@', alen))
        return pp_err_set(PP_EINVAL, "%s: '%s': user information in endpoint URLs is not supported",
                          what, url);
    const char *host = auth;
    size_t hlen;
    const char *port = NULL;
    if (*host == '[') {
        const char *close = memchr(host, ']', alen);
        if (!close)
            return pp_err_set(PP_EINVAL, "%s: '%s' has an unterminated IPv6 address", what, url);
        hlen = (size_t)(close - host) + 1;
        if (hlen < alen) {
            if (host[hlen] != ':')
                return pp_err_set(PP_EINVAL, "%s: '%s' has text after the IPv6 address", what, url);
            port = host + hlen + 1;
        }
    } else {
        const char *colon = memchr(host, ':', alen);
        hlen = colon ? (size_t)(colon - host) : alen;
        port = colon ? colon + 1 : NULL;
    }
    if (hlen == 0 || (hlen == 2 && *host == '['))
        return pp_err_set(PP_EINVAL, "%s: '%s' has no host", what, url);
    if (port) {
        size_t plen = (size_t)(auth + alen - port);
        char pbuf[8];
        long pv;
        if (plen == 0 || plen >= sizeof(pbuf))
            return pp_err_set(PP_EINVAL, "%s: '%s' has an invalid port", what, url);
        memcpy(pbuf, port, plen);
        pbuf[plen] = '\0';
        if (pp_parse_long(pbuf, 1, 65535, &pv))
            return pp_err_set(PP_EINVAL, "%s: '%s' has an invalid port", what, url);
    }
    if (!https && !allow_insecure && !pp_aws_host_is_loopback(host, hlen))
        return pp_err_set(PP_EINVAL,
                          "%s: refusing plain http to non-loopback host '%.*s' (use https)", what,
                          (int)hlen, host);
    return 0;
}

static bool ignore_configured(const pp_aws_client *root)
{
    const char *env = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (env && *env)
        return pp_aws_env_true(env);
    return pp_aws_env_true(pp_aws_profile_get(root->config, root->credentials, root->profile,
                                              "ignore_configured_endpoint_urls"));
}

/* The configured endpoint for svc, or NULL; `what` receives the setting's name for messages. */
static int configured_endpoint(const pp_aws_client *root, const pp_service *svc, const char **url,
                               char *what, size_t what_len)
{
    *url = NULL;
    if (root->endpoint_url) {
        snprintf(what, what_len, "--endpoint-url");
        *url = root->endpoint_url;
        return 0;
    }
    if (ignore_configured(root))
        return 0;
    char env[64];
    snprintf(env, sizeof(env), "AWS_ENDPOINT_URL_%s", svc->env_name);
    const char *v = getenv(env);
    if (v && *v) {
        snprintf(what, what_len, "%s", env);
        *url = v;
        return 0;
    }
    v = getenv("AWS_ENDPOINT_URL");
    if (v && *v) {
        snprintf(what, what_len, "AWS_ENDPOINT_URL");
        *url = v;
        return 0;
    }
    const char *services =
        pp_aws_profile_get(root->config, root->credentials, root->profile, "services");
    if (services && *services) {
        char *section = pp_xasprintf("services %s", services);
        bool known = pp_aws_ini_has_section(root->config, section);
        v = pp_aws_ini_get_sub(root->config, section, svc->config_name, "endpoint_url");
        free(section);
        if (!known)
            return pp_err_set(PP_EINVAL,
                              "profile '%s': services section '%s' is not defined in the config "
                              "file",
                              root->profile, services);
        if (v && *v) {
            snprintf(what, what_len, "[services %s] %s.endpoint_url", services, svc->config_name);
            *url = v;
            return 0;
        }
    }
    v = pp_aws_profile_get(root->config, root->credentials, root->profile, "endpoint_url");
    if (v && *v) {
        snprintf(what, what_len, "profile '%s' endpoint_url", root->profile);
        *url = v;
    }
    return 0;
}

int pp_aws_client_endpoint(pp_aws_client *c, const pp_service *svc, const char *region, char **url,
                           const char **signing_region)
{
    const pp_aws_client *root = pp_aws_client_root(c);
    const char *custom = NULL;
    char what[160];

    *url = NULL;
    *signing_region = NULL;
    if (!svc)
        return pp_err_set(PP_EINVAL, "unknown service");
    if (!region)
        region = c->region;
    if (!region_valid(region))
        return pp_err_set(PP_EINVAL, "'%s' is not a valid region name", region ? region : "");
    int rc = configured_endpoint(root, svc, &custom, what, sizeof(what));
    if (rc)
        return rc;
    if (custom) {
        rc = pp_aws_url_check(custom, root->allow_insecure_endpoint, what);
        if (rc)
            return rc;
        size_t n = strlen(custom);
        while (n > 0 && custom[n - 1] == '/')
            n--;
        *url = pp_xstrndup(custom, n);
        /* botocore signs with the client's region for a global service on a custom endpoint. */
        *signing_region = svc->global ? c->region : region;
        return 0;
    }
    const partition *part = partition_of(region);
    if (svc->global) {
        *url = pp_xstrdup(part->iam);
        *signing_region = part->home;
        return 0;
    }
    *url = pp_xasprintf("https://%s.%s.%s", svc->host_prefix, region, part->suffix);
    *signing_region = region;
    return 0;
}

bool pp_aws_client_path_style(pp_aws_client *c, const pp_service *svc)
{
    const char *custom = NULL;
    char what[160];
    if (!svc || configured_endpoint(pp_aws_client_root(c), svc, &custom, what, sizeof(what)))
        return true;
    return custom != NULL;
}
