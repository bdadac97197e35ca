/* Security group permissions as single sources: what revoke-ingress and
 * strip-default-security-group send, so that a revoke names exactly the entries it removes and a
 * re-read can tell which of them are still there. */
#include "rem_int.h"

#include <stdio.h>
#include <string.h>

static json_t *base_perm(const json_t *perm)
{
    json_t *o = json_object();
    const char *proto = pp_rem_str(perm, "IpProtocol");
    json_object_set_new(o, "IpProtocol", json_string(proto ? proto : "-1"));
    const json_t *from = json_object_get(perm, "FromPort");
    const json_t *to = json_object_get(perm, "ToPort");
    /* protocol -1 takes no ports; EC2 rejects them with it */
    if (json_is_integer(from) && !pp_str_eq(proto, "-1"))
        json_object_set_new(o, "FromPort", json_integer(json_integer_value(from)));
    if (json_is_integer(to) && !pp_str_eq(proto, "-1"))
        json_object_set_new(o, "ToPort", json_integer(json_integer_value(to)));
    return o;
}

static bool listed(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (pp_str_eq(v[i], s))
            return true;
    return false;
}

/* Scan documents (the CLI's shape) call group sources UserIdGroupPairs; the EC2 query API's
 * input calls them Groups (IpPermissions.N.Groups.N.GroupId). */
static const struct {
    const char *list, *wire, *key;
} srcs[] = {{"IpRanges", "IpRanges", "CidrIp"},
            {"Ipv6Ranges", "Ipv6Ranges", "CidrIpv6"},
            {"PrefixListIds", "PrefixListIds", "PrefixListId"},
            {"UserIdGroupPairs", "Groups", "GroupId"}};

size_t pp_rem_sg_split(const json_t *perm, char *const *only_cidrs, json_t *out)
{
    size_t added = 0;
    for (size_t s = 0; s < 4; s++) {
        if (only_cidrs && s >= 2)
            break;
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(perm, srcs[s].list), i, r)
        {
            const char *v = pp_rem_str(r, srcs[s].key);
            if (!v || (only_cidrs && !listed(only_cidrs, v)))
                continue;
            json_t *one = base_perm(perm);
            json_object_set_new(one, srcs[s].wire, json_pack("[{s:s}]", srcs[s].key, v));
            bool dup = false;
            size_t k;
            json_t *have;
            json_array_foreach(out, k, have)
            {
                if (json_equal(have, one))
                    dup = true;
            }
            if (dup) {
                json_decref(one);
                continue;
            }
            json_array_append_new(out, one);
            added++;
        }
    }
    return added;
}

static bool same_ports(const json_t *a, const json_t *b)
{
    const char *pa = pp_rem_str(a, "IpProtocol"), *pb = pp_rem_str(b, "IpProtocol");
    if (!pp_str_eq(pa, pb))
        return false;
    if (pp_str_eq(pa, "-1"))
        return true;
    return json_integer_value(json_object_get(a, "FromPort")) ==
               json_integer_value(json_object_get(b, "FromPort")) &&
           json_integer_value(json_object_get(a, "ToPort")) ==
               json_integer_value(json_object_get(b, "ToPort"));
}

bool pp_rem_sg_has(const json_t *perms, const json_t *one)
{
    size_t i;
    json_t *p;
    json_array_foreach(perms, i, p)
    {
        if (!same_ports(p, one))
            continue;
        for (size_t s = 0; s < 4; s++) {
            const char *want =
                pp_rem_str(json_array_get(json_object_get(one, srcs[s].wire), 0), srcs[s].key);
            if (!want)
                continue;
            size_t k;
            json_t *r;
            /* perms may be a document's (list names) or planned input (wire names) */
            const json_t *have = json_object_get(p, srcs[s].list);
            if (!have)
                have = json_object_get(p, srcs[s].wire);
            json_array_foreach(have, k, r)
            {
                if (pp_str_eq(pp_rem_str(r, srcs[s].key), want))
                    return true;
            }
        }
    }
    return false;
}

void pp_rem_sg_describe(const json_t *one, char *buf, size_t len)
{
    const char *proto = pp_rem_str(one, "IpProtocol");
    const char *src = pp_rem_str(json_array_get(json_object_get(one, "IpRanges"), 0), "CidrIp");
    if (!src)
        src = pp_rem_str(json_array_get(json_object_get(one, "Ipv6Ranges"), 0), "CidrIpv6");
    if (!src)
        src = pp_rem_str(json_array_get(json_object_get(one, "PrefixListIds"), 0), "PrefixListId");
    if (!src)
        src = pp_rem_str(json_array_get(json_object_get(one, "Groups"), 0), "GroupId");
    if (pp_str_eq(proto, "-1")) {
        snprintf(buf, len, "all traffic from %s", src ? src : "?");
        return;
    }
    long from = (long)json_integer_value(json_object_get(one, "FromPort"));
    long to = (long)json_integer_value(json_object_get(one, "ToPort"));
    if (from == to)
        snprintf(buf, len, "%s %ld from %s", proto ? proto : "?", from, src ? src : "?");
    else
        snprintf(buf, len, "%s %ld-%ld from %s", proto ? proto : "?", from, to, src ? src : "?");
}

size_t pp_rem_sg_narrow(json_t *call, const json_t *current)
{
    json_t *params = json_object_get(call, "params");
    json_t *perms = json_object_get(params, "IpPermissions");
    json_t *kept = json_array();
    size_t i;
    json_t *one;
    json_array_foreach(perms, i, one)
    {
        if (pp_rem_sg_has(current, one))
            json_array_append(kept, one);
    }
    json_object_set_new(params, "IpPermissions", kept);
    return json_array_size(kept);
}
