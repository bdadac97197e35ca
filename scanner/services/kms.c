/* KMS (regional): every key with DescribeKey, then for customer keys the rotation status, key
 * policy and tags, and the aliases that point at each key. */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>

#define TYPE "AWS::KMS::Key"

static const pp_collector_call calls[] = {
    {.operation = "ListKeys"},
    {.operation = "ListAliases"},
    {.operation = "DescribeKey", .per_resource = true},
    {.operation = "GetKeyRotationStatus", .per_resource = true},
    {.operation = "GetKeyPolicy", .per_resource = true},
    {.operation = "ListResourceTags", .per_resource = true},
    {.operation = NULL},
};

static const char *const types[] = {TYPE, NULL};

/* Rotation does not apply to these keys: asymmetric/HMAC keys (UnsupportedOperation) and keys
 * that are disabled or pending deletion (KMSInvalidState). Not a collection error. */
#define NOT_APPLICABLE "UnsupportedOperationException,KMSInvalidStateException"

static void set_or_error(pp_resource *r, const pp_aws_resp *resp, const char *key,
                         const char *src_key, json_t *value_override)
{
    if (resp->ok) {
        json_t *v = value_override ? value_override : json_object_get(resp->data, src_key);
        if (v)
            json_object_set(r->doc, key, v);
        return;
    }
    char *e = pp_aws_resp_error(resp);
    pp_resource_set_error(r, key, e);
    free(e);
}

static int collect(pp_collect_ctx *ctx)
{
    pp_aws_resp lists[2];
    pp_collect_req lreqs[2] = {{.operation = "ListKeys"}, {.operation = "ListAliases"}};
    pp_collect_calls(ctx, lreqs, 2, lists);
    if (!lists[0].ok)
        goto _exit;

    json_t *keys = json_object_get(lists[0].data, "Keys");
    size_t n = json_array_size(keys);
    pp_collect_req *reqs = pp_xcalloc(n ? 3 * n : 1, sizeof(*reqs));
    pp_aws_resp *resps = pp_xcalloc(n ? 3 * n : 1, sizeof(*resps));
    json_t **inputs = pp_xcalloc(n ? n : 1, sizeof(*inputs));
    json_t **policy_inputs = pp_xcalloc(n ? n : 1, sizeof(*policy_inputs));
    pp_resource **res = pp_xcalloc(n ? n : 1, sizeof(*res));
    pp_resource **all = pp_xcalloc(n ? n : 1, sizeof(*all));
    for (size_t i = 0; i < n; i++) {
        inputs[i] = json_pack("{s:s}", "KeyId", pp_json_str(json_array_get(keys, i), "KeyId"));
        reqs[i] = (pp_collect_req){.operation = "DescribeKey", .input = inputs[i]};
    }
    pp_collect_calls(ctx, reqs, n, resps);

    /* Emit every key DescribeKey could read; follow up on customer keys only, since AWS
     * managed keys rotate by themselves and their tags are not ours. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *key = json_array_get(keys, i);
        json_t *doc = json_object();
        pp_resource *r;
        if (resps[i].ok)
            json_object_set(doc, "KeyMetadata", json_object_get(resps[i].data, "KeyMetadata"));
        r = pp_collect_emit(ctx, TYPE, pp_json_str(key, "KeyId"), pp_json_str(key, "KeyArn"), doc);
        json_decref(doc);
        all[i] = r;
        if (!r)
            continue;
        if (!resps[i].ok) {
            set_or_error(r, &resps[i], "KeyMetadata", NULL, NULL);
            continue;
        }
        const char *manager = pp_json_str(json_object_get(r->doc, "KeyMetadata"), "KeyManager");
        if (pp_str_eq(manager, "CUSTOMER"))
            res[m++] = r;
    }
    for (size_t i = 0; i < n; i++)
        pp_aws_resp_clear(&resps[i]);

    for (size_t i = 0; i < m; i++) {
        json_decref(inputs[i]);
        inputs[i] = json_pack("{s:s}", "KeyId", res[i]->id);
        policy_inputs[i] = json_pack("{s:s, s:s}", "KeyId", res[i]->id, "PolicyName", "default");
        reqs[3 * i] = (pp_collect_req){.operation = "GetKeyRotationStatus",
                                       .input = inputs[i],
                                       .absent_codes = NOT_APPLICABLE};
        reqs[3 * i + 1] = (pp_collect_req){.operation = "GetKeyPolicy", .input = policy_inputs[i]};
        reqs[3 * i + 2] = (pp_collect_req){.operation = "ListResourceTags", .input = inputs[i]};
    }
    pp_collect_calls(ctx, reqs, 3 * m, resps);
    for (size_t i = 0; i < m; i++) {
        pp_aws_resp *rot = &resps[3 * i];
        if (rot->ok) {
            pp_json_merge(res[i]->doc, rot->data);
        } else if (!pp_collect_is(rot, NOT_APPLICABLE)) {
            set_or_error(res[i], rot, "KeyRotationEnabled", NULL, NULL);
        }
        set_or_error(res[i], &resps[3 * i + 1], "KeyPolicy", "Policy", NULL);
        set_or_error(res[i], &resps[3 * i + 2], "Tags", "Tags", NULL);
    }
    for (size_t i = 0; i < 3 * m; i++)
        pp_aws_resp_clear(&resps[i]);

    /* Aliases by target key (a linear pass per alias: accounts have tens of aliases, and the
     * keys of one region at most a few thousand). */
    for (size_t i = 0; i < n; i++) {
        if (!all[i])
            continue;
        if (!lists[1].ok) {
            set_or_error(all[i], &lists[1], "Aliases", NULL, NULL);
            continue;
        }
        json_object_set_new(all[i]->doc, "Aliases", json_array());
    }
    size_t a;
    json_t *alias;
    json_array_foreach(json_object_get(lists[1].data, "Aliases"), a, alias)
    {
        const char *target = pp_json_str(alias, "TargetKeyId");
        for (size_t i = 0; target && i < n; i++)
            if (all[i] && pp_str_eq(all[i]->id, target))
                json_array_append(json_object_get(all[i]->doc, "Aliases"), alias);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(inputs[i]);
    free(inputs);
    for (size_t i = 0; i < m; i++)
        json_decref(policy_inputs[i]);
    free(policy_inputs);
    free(reqs);
    free(resps);
    free(res);
    free(all);
_exit:
    pp_aws_resp_clear(&lists[0]);
    pp_aws_resp_clear(&lists[1]);
    return 0;
}

const pp_collector pp_collector_kms = {
    .name = "kms",
    .aws_service = "kms",
    .calls = calls,
    .types = types,
    .collect = collect,
};
