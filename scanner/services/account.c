/* The account itself (AWS::::Account): password policy, account summary, the credential report
 * (its root row here, its user rows merged into AWS::IAM::User), virtual MFA devices and the
 * enabled regions. */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TYPE "AWS::::Account"

static const pp_collector_call calls[] = {
    /* The account resource always exists; what a call could not read is recorded in its (or the
     * users') errors, so each is per-resource. */
    {.operation = "GetAccountPasswordPolicy", .service = "iam", .per_resource = true},
    {.operation = "GetAccountSummary", .service = "iam", .per_resource = true},
    {.operation = "GenerateCredentialReport", .service = "iam", .per_resource = true},
    {.operation = "GetCredentialReport", .service = "iam", .per_resource = true},
    {.operation = "ListVirtualMFADevices", .service = "iam", .per_resource = true},
    {.operation = "DescribeRegions", .service = "ec2", .per_resource = true},
    {.operation = NULL},
};

static const char *const types[] = {TYPE, NULL};

/* Generates the report and waits for it (AWS reuses one under four hours old). */
static int credential_report(pp_collect_ctx *ctx, json_t **rows, char **error)
{
    pp_aws_resp resp = {0};
    pp_collect_req gen = {.service = "iam", .operation = "GenerateCredentialReport"};
    int rc = 0;
    for (int attempt = 0; attempt < 30; attempt++) {
        rc = pp_collect_call(ctx, &gen, &resp);
        if (rc) {
            *error = pp_aws_resp_error(&resp);
            goto _exit;
        }
        const char *state = pp_json_str(resp.data, "State");
        bool done = pp_str_eq(state, "COMPLETE");
        pp_aws_resp_clear(&resp);
        if (done)
            break;
        sleep(2);
    }
    pp_collect_req get = {.service = "iam", .operation = "GetCredentialReport"};
    rc = pp_collect_call(ctx, &get, &resp);
    if (rc) {
        *error = pp_aws_resp_error(&resp);
        goto _exit;
    }
    const char *content = pp_json_str(resp.data, "Content");
    unsigned char *csv = NULL;
    size_t len = 0;
    if (!content || pp_base64_decode(content, &csv, &len) ||
        pp_csv_parse((const char *)csv, len, 100000, rows)) {
        *error = pp_xasprintf("InvalidResponse: credential report: %s", pp_err_msg());
        pp_collect_coverage(ctx, "iam", "GetCredentialReport", false, *error);
        rc = PP_EAWS;
    }
    free(csv);

_exit:
    pp_aws_resp_clear(&resp);
    return rc;
}

static int collect(pp_collect_ctx *ctx)
{
    const char *account = pp_collect_account(ctx);
    json_t *doc = json_pack("{s:s}", "AccountId", account);
    pp_aws_resp r[4];
    pp_collect_req reqs[4] = {
        {.service = "iam", .operation = "GetAccountPasswordPolicy", .absent_codes = "NoSuchEntity"},
        {.service = "iam", .operation = "GetAccountSummary"},
        {.service = "iam", .operation = "ListVirtualMFADevices"},
        {.service = "ec2", .operation = "DescribeRegions"},
    };
    pp_collect_calls(ctx, reqs, 4, r);

    char *arn = pp_xasprintf("arn:%s:iam::%s:root", pp_collect_partition(ctx), account);
    pp_resource *res = pp_collect_emit(ctx, TYPE, account, arn, doc);
    free(arn);

    /* A password policy that was never set is a fact ("absent"), not a collection error. */
    if (r[0].ok)
        json_object_set(res->doc, "PasswordPolicy", json_object_get(r[0].data, "PasswordPolicy"));
    else if (!pp_collect_is(&r[0], "NoSuchEntity")) {
        char *e = pp_aws_resp_error(&r[0]);
        pp_resource_set_error(res, "PasswordPolicy", e);
        free(e);
    }
    static const char *const keys[] = {NULL, "AccountSummary", "VirtualMFADevices", "Regions"};
    static const char *const src[] = {NULL, "SummaryMap", "VirtualMFADevices", "Regions"};
    for (int i = 1; i < 4; i++) {
        if (r[i].ok) {
            json_t *v = json_object_get(r[i].data, src[i]);
            json_object_set(res->doc, keys[i], v ? v : json_array());
        } else {
            char *e = pp_aws_resp_error(&r[i]);
            pp_resource_set_error(res, keys[i], e);
            free(e);
        }
    }
    for (int i = 0; i < 4; i++)
        pp_aws_resp_clear(&r[i]);

    json_t *rows = NULL;
    char *error = NULL;
    if (credential_report(ctx, &rows, &error)) {
        pp_resource_set_error(res, "CredentialReport", error);
        pp_collect_attach_error(ctx, "AWS::IAM::User", "CredentialReport", error);
        free(error);
        json_decref(doc);
        return 0;
    }
    size_t i;
    json_t *row;
    bool root = false;
    json_array_foreach(rows, i, row)
    {
        const char *user = pp_json_str(row, "user");
        if (pp_str_eq(user, "<root_account>")) {
            json_object_set(res->doc, "CredentialReport", row);
            root = true;
        } else if (pp_json_str(row, "arn"))
            pp_collect_attach(ctx, "AWS::IAM::User", "Arn", pp_json_str(row, "arn"),
                              "CredentialReport", json_incref(row));
    }
    /* AWS always reports the root user; a report without it cannot support the root-user
     * controls, which must then be ERROR rather than judged on nothing. */
    if (!root)
        pp_resource_set_error(res, "CredentialReport",
                              "GetCredentialReport: InvalidResponse: the credential report has no "
                              "<root_account> row");
    json_decref(rows);
    json_decref(doc);
    return 0;
}

const pp_collector pp_collector_account = {
    .name = "account",
    .aws_service = "iam",
    .global = true,
    .calls = calls,
    .types = types,
    .collect = collect,
};
