/* `parapet doctor`: can parapet reach AWS, as whom, and may it read each service? */
#include "cli.h"
#include "pp_aws.h"

#include <stdlib.h>
#include <string.h>

/* One cheap read per service: what a scan needs first, with the smallest page. */
static const struct probe {
    const char *service;
    const char *operation;
    const char *input; /* JSON, wire names */
} probes[] = {
    {"iam", "ListUsers", "{\"MaxItems\": \"1\"}"},
    {"ec2", "DescribeVpcs", "{\"MaxResults\": \"5\"}"},
    {"kms", "ListKeys", "{\"Limit\": 1}"},
    {"cloudtrail", "DescribeTrails", "{}"},
    {"config", "DescribeConfigurationRecorders", "{}"},
    {"guardduty", "ListDetectors", "{\"maxResults\": \"1\"}"},
    {"logs", "DescribeMetricFilters", "{\"limit\": 1}"},
    {"cloudwatch", "DescribeAlarms", "{\"MaxRecords\": \"1\"}"},
    {"sns", "ListTopics", "{}"},
    {"s3", "ListBuckets", "{}"},
};
#define N_PROBES (sizeof(probes) / sizeof(probes[0]))

static bool valid_url(const char *u)
{
    if (!pp_str_startswith(u, "http://") && !pp_str_startswith(u, "https://"))
        return false;
    const char *host = strstr(u, "://") + 3;
    return *host && *host != '/' && *host != ':' && !strpbrk(u, " \t\r\n");
}

int pp_cmd_doctor(int argc, char **argv)
{
    const char *profile = NULL, *endpoint = NULL, *region = NULL, *services = NULL;
    bool insecure = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (pp_cli_log_option(argc, argv, &i))
            continue;
        if (strcmp(a, "--allow-insecure-endpoint") == 0) {
            insecure = true;
            continue;
        }
        if (strcmp(a, "--profile") == 0)
            slot = &profile;
        else if (strcmp(a, "--endpoint-url") == 0)
            slot = &endpoint;
        else if (strcmp(a, "--region") == 0)
            slot = &region;
        else if (strcmp(a, "--services") == 0)
            slot = &services;
        else
            return pp_cli_usage_error("doctor: unknown option '%s'", a);
        if (i + 1 >= argc)
            return pp_cli_usage_error("doctor: %s needs a value", a);
        *slot = argv[++i];
    }
    pp_cli_log_init();
    if (endpoint && !valid_url(endpoint))
        return pp_cli_usage_error("doctor: --endpoint-url: '%s' is not an http(s) URL", endpoint);

    bool wanted[N_PROBES];
    char **list = services ? pp_str_split(services, ',', NULL) : NULL;
    for (size_t i = 0; i < N_PROBES; i++)
        wanted[i] = !list;
    for (size_t j = 0; list && list[j]; j++) {
        size_t i = 0;
        while (i < N_PROBES && strcmp(probes[i].service, list[j]) != 0)
            i++;
        if (i == N_PROBES) {
            pp_cli_usage_error("doctor: unknown service '%s' (known: iam, ec2, kms, cloudtrail, "
                               "config, guardduty, logs, cloudwatch, sns, s3)",
                               list[j]);
            pp_strv_free(list);
            return PP_EXIT_USAGE;
        }
        wanted[i] = true;
    }
    pp_strv_free(list);

    int exit_code = PP_EXIT_OK;
    pp_aws_engine *engine = NULL;
    pp_aws_client *client = NULL;
    pp_aws_resp who = {0};
    pp_aws_req reqs[N_PROBES];
    pp_aws_resp resps[N_PROBES];
    json_t *inputs[N_PROBES] = {0};
    size_t n = 0;
    size_t idx[N_PROBES];
    memset(resps, 0, sizeof(resps));

    int rc = pp_aws_engine_new(&engine, NULL);
    if (rc) {
        exit_code = pp_cli_fail(rc, "doctor");
        goto _exit;
    }
    pp_aws_client_options opts = {.profile = profile,
                                  .endpoint_url = endpoint,
                                  .region = region,
                                  .allow_insecure_endpoint = insecure};
    rc = pp_aws_client_new(&client, engine, &opts);
    if (rc) {
        exit_code = pp_cli_fail(rc, "doctor");
        goto _exit;
    }
    pp_creds creds = {0};
    rc = pp_aws_client_creds(client, &creds);
    if (rc) {
        exit_code = pp_cli_fail(rc == PP_EINVAL ? rc : PP_EAWS, "doctor: credentials");
        goto _exit;
    }
    printf("credentials  %s (%s)\n", creds.access_key_id, pp_aws_client_cred_source(client));
    printf("region       %s\n", pp_aws_client_region(client));
    pp_creds_clear(&creds);

    pp_aws_req sts = {.service = "sts", .operation = "GetCallerIdentity"};
    if (pp_aws_call(client, &sts, &who)) {
        char *err = pp_aws_resp_error(&who);
        pp_cli_error("doctor: credentials refused by STS GetCallerIdentity: %s", err);
        free(err);
        exit_code = PP_EXIT_INCOMPLETE;
        goto _exit;
    }
    printf("identity     %s (account %s)\n\n", json_string_value(json_object_get(who.data, "Arn")),
           json_string_value(json_object_get(who.data, "Account")));

    for (size_t i = 0; i < N_PROBES; i++) {
        if (!wanted[i])
            continue;
        inputs[n] = json_loads(probes[i].input, 0, NULL);
        reqs[n] = (pp_aws_req){
            .service = probes[i].service, .operation = probes[i].operation, .input = inputs[n]};
        idx[n++] = i;
    }
    pp_aws_call_many(client, reqs, n, resps);

    printf("%-11s %-44s %s\n", "SERVICE", "ENDPOINT", "RESULT");
    for (size_t k = 0; k < n; k++) {
        const struct probe *p = &probes[idx[k]];
        char *url = NULL;
        const char *signing_region = NULL;
        const pp_service *svc = pp_service_find(p->service);
        if (pp_aws_client_endpoint(client, svc, NULL, &url, &signing_region))
            url = pp_xstrdup("?");
        if (resps[k].ok) {
            printf("%-11s %-44s ok\n", p->service, url);
        } else {
            char *err = pp_aws_resp_error(&resps[k]);
            printf("%-11s %-44s %s\n", p->service, url, err);
            free(err);
            exit_code = PP_EXIT_INCOMPLETE;
        }
        free(url);
    }

_exit:
    for (size_t k = 0; k < n; k++) {
        pp_aws_resp_clear(&resps[k]);
        json_decref(inputs[k]);
    }
    pp_aws_resp_clear(&who);
    pp_aws_client_free(client);
    pp_aws_engine_free(engine);
    return exit_code;
}
