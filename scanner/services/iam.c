/* IAM (global): users, groups, roles and managed policies from GetAccountAuthorizationDetails
 * (inline and attached policies included, documents decoded), then per user its access keys with
 * last use, MFA devices and login profile; server certificates. */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>

static const pp_collector_call calls[] = {
    {.operation = "GetAccountAuthorizationDetails",
     .types = "AWS::IAM::User,AWS::IAM::Group,AWS::IAM::Role,AWS::IAM::Policy"},
    {.operation = "ListAccessKeys", .per_resource = true},
    {.operation = "GetAccessKeyLastUsed", .per_resource = true},
    {.operation = "ListMFADevices", .per_resource = true},
    {.operation = "GetLoginProfile", .per_resource = true},
    {.operation = "ListServerCertificates", .types = "AWS::IAM::ServerCertificate"},
    {.operation = NULL},
};

static const char *const types[] = {"AWS::IAM::User",
                                    "AWS::IAM::Group",
                                    "AWS::IAM::Role",
                                    "AWS::IAM::Policy",
                                    "AWS::IAM::ServerCertificate",
                                    NULL};

/* The default version's document under "Document", so rules need not search the version list. */
static void add_default_document(json_t *policy)
{
    const char *def = pp_json_str(policy, "DefaultVersionId");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(policy, "PolicyVersionList"), i, v)
    {
        if (json_is_true(json_object_get(v, "IsDefaultVersion")) ||
            pp_str_eq(pp_json_str(v, "VersionId"), def)) {
            json_t *doc = json_object_get(v, "Document");
            if (doc)
                json_object_set(policy, "Document", doc);
            return;
        }
    }
}

static void record_error(pp_resource *r, const char *key, const pp_aws_resp *resp)
{
    char *e = pp_aws_resp_error(resp);
    pp_resource_set_error(r, key, e);
    free(e);
}

/* Per user: ListAccessKeys, ListMFADevices, GetLoginProfile at once; then GetAccessKeyLastUsed
 * for every key at once. */
static void user_details(pp_collect_ctx *ctx, pp_resource **users, size_t n)
{
    if (n == 0)
        return;
    pp_collect_req *reqs = pp_xcalloc(3 * n, sizeof(*reqs));
    json_t **inputs = pp_xcalloc(n, sizeof(*inputs));
    pp_aws_resp *resps = pp_xcalloc(3 * n, sizeof(*resps));
    for (size_t i = 0; i < n; i++) {
        inputs[i] = json_pack("{s:s}", "UserName", pp_json_str(users[i]->doc, "UserName"));
        reqs[3 * i] = (pp_collect_req){.operation = "ListAccessKeys", .input = inputs[i]};
        reqs[3 * i + 1] = (pp_collect_req){.operation = "ListMFADevices", .input = inputs[i]};
        reqs[3 * i + 2] = (pp_collect_req){
            .operation = "GetLoginProfile", .input = inputs[i], .absent_codes = "NoSuchEntity"};
    }
    pp_collect_calls(ctx, reqs, 3 * n, resps);

    size_t n_keys = 0;
    for (size_t i = 0; i < n; i++) {
        pp_resource *u = users[i];
        pp_aws_resp *keys = &resps[3 * i], *mfa = &resps[3 * i + 1], *login = &resps[3 * i + 2];
        if (keys->ok) {
            json_t *list = json_object_get(keys->data, "AccessKeyMetadata");
            json_object_set(u->doc, "AccessKeys", list ? list : json_array());
            n_keys += json_array_size(list);
        } else {
            record_error(u, "AccessKeys", keys);
        }
        if (mfa->ok) {
            json_t *list = json_object_get(mfa->data, "MFADevices");
            json_object_set(u->doc, "MFADevices", list ? list : json_array());
        } else {
            record_error(u, "MFADevices", mfa);
        }
        if (login->ok)
            json_object_set(u->doc, "LoginProfile", json_object_get(login->data, "LoginProfile"));
        else if (!pp_collect_is(login, "NoSuchEntity"))
            record_error(u, "LoginProfile", login);
    }
    for (size_t i = 0; i < 3 * n; i++)
        pp_aws_resp_clear(&resps[i]);
    free(resps);
    free(reqs);
    for (size_t i = 0; i < n; i++)
        json_decref(inputs[i]);
    free(inputs);
    if (n_keys == 0)
        return;

    /* Last use of every key; the result lands in the key's own object. */
    json_t **key_objs = pp_xcalloc(n_keys, sizeof(*key_objs));
    pp_resource **owner = pp_xcalloc(n_keys, sizeof(*owner));
    reqs = pp_xcalloc(n_keys, sizeof(*reqs));
    inputs = pp_xcalloc(n_keys, sizeof(*inputs));
    resps = pp_xcalloc(n_keys, sizeof(*resps));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        json_t *key;
        json_array_foreach(json_object_get(users[i]->doc, "AccessKeys"), j, key)
        {
            key_objs[k] = key;
            owner[k] = users[i];
            inputs[k] = json_pack("{s:s}", "AccessKeyId", pp_json_str(key, "AccessKeyId"));
            reqs[k] = (pp_collect_req){.operation = "GetAccessKeyLastUsed", .input = inputs[k]};
            k++;
        }
    }
    pp_collect_calls(ctx, reqs, k, resps);
    for (size_t i = 0; i < k; i++) {
        if (resps[i].ok)
            json_object_set(key_objs[i], "AccessKeyLastUsed",
                            json_object_get(resps[i].data, "AccessKeyLastUsed"));
        else
            record_error(owner[i], "AccessKeys", &resps[i]);
        pp_aws_resp_clear(&resps[i]);
        json_decref(inputs[i]);
    }
    free(key_objs);
    free(owner);
    free(reqs);
    free(inputs);
    free(resps);
}

static void emit_list(pp_collect_ctx *ctx, json_t *list, const char *type, const char *id_key,
                      pp_resource ***out, size_t *n_out)
{
    size_t i;
    json_t *item;
    if (out) {
        *out = pp_xcalloc(json_array_size(list) + 1, sizeof(**out));
        *n_out = 0;
    }
    json_array_foreach(list, i, item)
    {
        pp_resource *r =
            pp_collect_emit(ctx, type, pp_json_str(item, id_key), pp_json_str(item, "Arn"), item);
        if (out)
            (*out)[(*n_out)++] = r;
    }
}

static int collect(pp_collect_ctx *ctx)
{
    json_t *filter = json_pack("{s:[s,s,s,s,s]}", "Filter", "User", "Group", "Role",
                               "LocalManagedPolicy", "AWSManagedPolicy");
    pp_collect_req gaad = {.operation = "GetAccountAuthorizationDetails", .input = filter};
    pp_collect_req certs = {.operation = "ListServerCertificates"};
    pp_aws_resp r[2];
    pp_collect_req both[2] = {gaad, certs};
    pp_collect_calls(ctx, both, 2, r);
    json_decref(filter);

    if (r[0].ok) {
        pp_resource **users = NULL;
        size_t n_users = 0;
        emit_list(ctx, json_object_get(r[0].data, "UserDetailList"), "AWS::IAM::User", "UserName",
                  &users, &n_users);
        emit_list(ctx, json_object_get(r[0].data, "GroupDetailList"), "AWS::IAM::Group",
                  "GroupName", NULL, NULL);
        emit_list(ctx, json_object_get(r[0].data, "RoleDetailList"), "AWS::IAM::Role", "RoleName",
                  NULL, NULL);
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(r[0].data, "Policies"), i, p)
        {
            /* Hundreds of AWS managed policies exist in every account; only those in use can
             * grant anything, so unattached ones are not resources worth judging. */
            const char *arn = pp_json_str(p, "Arn");
            bool aws_managed = arn && strstr(arn, ":iam::aws:policy/") != NULL;
            if (aws_managed && json_integer_value(json_object_get(p, "AttachmentCount")) == 0)
                continue;
            add_default_document(p);
            /* moto leaves PolicyName out of GetAccountAuthorizationDetails; AWS always sends it,
             * and it is the last segment of the ARN, so fill it in when missing. */
            if (!pp_json_str(p, "PolicyName") && arn && strrchr(arn, '/'))
                json_object_set_new(p, "PolicyName", json_string(strrchr(arn, '/') + 1));
            pp_collect_emit(ctx, "AWS::IAM::Policy", pp_json_str(p, "PolicyName"), arn, p);
        }
        user_details(ctx, users, n_users);
        free(users);
    }
    if (r[1].ok) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(r[1].data, "ServerCertificateMetadataList"), i, c)
            pp_collect_emit(ctx, "AWS::IAM::ServerCertificate",
                            pp_json_str(c, "ServerCertificateName"), pp_json_str(c, "Arn"), c);
    }
    pp_aws_resp_clear(&r[0]);
    pp_aws_resp_clear(&r[1]);
    return 0;
}

const pp_collector pp_collector_iam = {
    .name = "iam",
    .aws_service = "iam",
    .global = true,
    .calls = calls,
    .types = types,
    .collect = collect,
};
