/* Terraform resource types -> the scanner's documents (design.md section 3, core/types.c paths).
 * Every value is copied with its unknown and sensitive marks: an unknown leaf becomes JSON null
 * with `true` in the mirror, a sensitive one the "(sensitive)" marker (also `true` in the
 * mirror, so rules cannot decide on a value they may not show). Phase 1 mappers make documents;
 * phase 2 mappers fold child resources (rules, attachments, associations, ...) into them, or
 * into a synthetic document when the parent is not in the plan; post hooks fill what depends on
 * every merge. docs/resources.md ("Terraform plans") lists the mapping. */
#include "plan_internal.h"

#include <stdlib.h>
#include <string.h>

#define COMPONENT "plan"

/* ---- input view: after value + unknown mirror + sensitive mirror ------------------------- */

typedef struct tv {
    json_t *v, *u, *s;
} tv;

static json_t *mirror_key(json_t *m, const char *k)
{
    if (json_is_true(m))
        return m;
    return json_is_object(m) ? json_object_get(m, k) : NULL;
}

static json_t *mirror_at(json_t *m, size_t i)
{
    if (json_is_true(m))
        return m;
    return json_is_array(m) ? json_array_get(m, i) : NULL;
}

static tv tv_root(const pp_plan_rc *rc)
{
    return (tv){rc->after, rc->unk, rc->sens};
}

static tv tk(tv t, const char *k)
{
    return (tv){json_is_object(t.v) ? json_object_get(t.v, k) : NULL, mirror_key(t.u, k),
                mirror_key(t.s, k)};
}

static tv ti(tv t, size_t i)
{
    return (tv){json_is_array(t.v) ? json_array_get(t.v, i) : NULL, mirror_at(t.u, i),
                mirror_at(t.s, i)};
}

static bool tv_unk(tv t)
{
    return json_is_true(t.u);
}

static bool tv_sens(tv t)
{
    return json_is_true(t.s);
}

/* Known and usable: not unknown, not sensitive. */
static bool tv_known(tv t)
{
    return !tv_unk(t) && !tv_sens(t);
}

static bool tv_null(tv t)
{
    return tv_known(t) && (!t.v || json_is_null(t.v));
}

static size_t tv_len(tv t)
{
    return json_is_array(t.v) ? json_array_size(t.v) : 0;
}

static const char *tv_str(tv t)
{
    return tv_known(t) ? json_string_value(t.v) : NULL;
}

/* A known, non-empty string (Terraform writes "" for unset string attributes of blocks). */
static const char *tv_nstr(tv t)
{
    const char *s = tv_str(t);
    return s && *s ? s : NULL;
}

/* true/false when known, else -1 */
static int tv_bool(tv t)
{
    if (!tv_known(t) || !json_is_boolean(t.v))
        return -1;
    return json_is_true(t.v);
}

/* The first element of a single-nested block list ("metadata_options": [{...}]). */
static tv tv_block(tv t)
{
    if (tv_known(t) && json_is_array(t.v))
        return ti(t, 0);
    return t;
}

/* ---- output node: document container + mirror container of the same shape --------------- */

typedef struct on {
    json_t *d, *m;
} on;

static on on_root(pp_resource *r)
{
    return (on){r->doc, r->unknown};
}

/* Mirror objects hold only what may be unknown: a known leaf (false) is not stored, which keeps
 * the mirror small; arrays keep a placeholder per element so indices line up. */
static void o_set(on o, const char *k, json_t *v, json_t *m)
{
    json_object_set_new(o.d, k, v);
    if (json_is_false(m))
        json_object_del(o.m, k); /* replacing an unknown with a known value */
    else
        json_object_set_new(o.m, k, m);
}

static void o_known(on o, const char *k, json_t *v)
{
    o_set(o, k, v, json_false());
}

static void o_unknown(on o, const char *k)
{
    o_set(o, k, json_null(), json_true());
}

static on o_obj(on o, const char *k)
{
    on c = {json_object(), json_object()};
    o_set(o, k, c.d, c.m);
    return c;
}

static on o_arr(on o, const char *k)
{
    on c = {json_array(), json_array()};
    o_set(o, k, c.d, c.m);
    return c;
}

static void a_push(on a, json_t *v, json_t *m)
{
    json_array_append_new(a.d, v);
    json_array_append_new(a.m, m);
}

static on a_obj(on a)
{
    on c = {json_object(), json_object()};
    a_push(a, c.d, c.m);
    return c;
}

/* An unknown element: "more entries than we can see" (rules over the list become UNKNOWN
 * unless a known element decides them). */
static void a_push_unknown(on a)
{
    a_push(a, json_null(), json_true());
}

/* The existing child container at k; false when it is unknown (or not a container). */
static bool o_child(on o, const char *k, on *out)
{
    json_t *d = json_object_get(o.d, k);
    json_t *m = json_object_get(o.m, k);
    if (!d || !m || json_is_true(m) || !(json_is_array(d) || json_is_object(d)) ||
        json_typeof(d) != json_typeof(m))
        return false;
    *out = (on){d, m};
    return true;
}

/* The child array at k, created when absent; false when it is unknown. */
static bool o_child_arr(on o, const char *k, on *out)
{
    if (!json_object_get(o.d, k)) {
        *out = o_arr(o, k);
        return true;
    }
    return o_child(o, k, out) && json_is_array(out->d);
}

/* ---- copying values ------------------------------------------------------------------------ */

static json_t *marker(pp_plan_ctx *ctx)
{
    ctx->any_sensitive = true;
    return json_incref(ctx->sensitive_marker);
}

/* Copies t with its marks; *m receives the mirror. NULL when the value is known and null. */
static json_t *copy_value(pp_plan_ctx *ctx, tv t, json_t **m)
{
    if (tv_sens(t)) {
        *m = json_true();
        return marker(ctx);
    }
    if (tv_unk(t)) {
        *m = json_true();
        return json_null();
    }
    if (!t.v || json_is_null(t.v)) {
        *m = json_false();
        return NULL;
    }
    if (json_is_array(t.v)) {
        json_t *a = json_array();
        *m = json_array();
        for (size_t i = 0; i < json_array_size(t.v); i++) {
            json_t *em = NULL;
            json_t *e = copy_value(ctx, ti(t, i), &em);
            json_array_append_new(a, e ? e : json_null());
            json_array_append_new(*m, em);
        }
        return a;
    }
    if (json_is_object(t.v)) {
        json_t *o = json_object();
        *m = json_object();
        const char *k;
        json_t *c;
        json_object_foreach(t.v, k, c)
        {
            json_t *em = NULL;
            json_t *e = copy_value(ctx, tk(t, k), &em);
            if (e)
                json_object_set_new(o, k, e);
            if (e && !json_is_false(em))
                json_object_set_new(*m, k, em);
            else
                json_decref(em);
        }
        return o;
    }
    *m = json_false();
    return json_incref(t.v);
}

/* Handles the unknown and sensitive cases of a leaf; true when it did. */
static bool o_special(pp_plan_ctx *ctx, on o, const char *k, tv t)
{
    if (tv_sens(t)) {
        o_set(o, k, marker(ctx), json_true());
        return true;
    }
    if (tv_unk(t)) {
        o_unknown(o, k);
        return true;
    }
    return false;
}

/* Copies t to key k; a known null stays absent, as the AWS CLI omits unset keys. */
static void put(pp_plan_ctx *ctx, on o, const char *k, tv t)
{
    json_t *m = NULL;
    json_t *v = copy_value(ctx, t, &m);
    if (v)
        o_set(o, k, v, m);
    else
        json_decref(m);
}

/* Like put, but "" (Terraform's unset string in blocks) stays absent too. */
static void put_nstr(pp_plan_ctx *ctx, on o, const char *k, tv t)
{
    if (o_special(ctx, o, k, t))
        return;
    const char *s = tv_nstr(t);
    if (s)
        o_known(o, k, json_string(s));
}

/* A number that AWS omits when it is 0 (password policy ages, ...). */
static void put_nonzero(pp_plan_ctx *ctx, on o, const char *k, tv t)
{
    if (o_special(ctx, o, k, t))
        return;
    if (json_is_number(t.v) && json_number_value(t.v) != 0)
        o_known(o, k, json_incref(t.v));
}

static void put_bool_str(pp_plan_ctx *ctx, on o, const char *k, tv t, const char *yes,
                         const char *no)
{
    if (o_special(ctx, o, k, t))
        return;
    if (json_is_boolean(t.v))
        o_known(o, k, json_string(json_is_true(t.v) ? yes : no));
}

/* An attribute holding another resource's id or ARN: when unknown, follow the configuration's
 * reference to the resource it names (its id, or its address when that is unknown too). */
static void put_ref(pp_plan_ctx *ctx, const pp_plan_rc *rc, on o, const char *k, const char *attr,
                    const char *default_attr)
{
    tv t = tk(tv_root(rc), attr);
    if (tv_unk(t) && !tv_sens(t)) {
        json_t *v = pp_plan_resolve(ctx, rc, attr, default_attr, false);
        if (v) {
            o_known(o, k, v);
            return;
        }
    }
    put_nstr(ctx, o, k, t);
}

/* The value of a reference attribute as a string (known or resolved), or NULL; owned. */
static char *ref_value(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char *attr,
                       const char *default_attr)
{
    tv t = tk(tv_root(rc), attr);
    if (tv_sens(t))
        return NULL;
    if (!tv_unk(t)) {
        const char *s = tv_nstr(t);
        return s ? pp_xstrdup(s) : NULL;
    }
    json_t *v = pp_plan_resolve(ctx, rc, attr, default_attr, false);
    char *s = v ? pp_xstrdup(json_string_value(v)) : NULL;
    json_decref(v);
    return s;
}

/* A list of ids: known, or resolved from references as a whole. Returns the list view to use
 * (resolved lists are owned through *hold). */
static tv ref_list(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char *attr,
                   const char *default_attr, json_t **hold)
{
    tv t = tk(tv_root(rc), attr);
    *hold = NULL;
    if (tv_unk(t) && !tv_sens(t)) {
        json_t *v = pp_plan_resolve(ctx, rc, attr, default_attr, true);
        if (v) {
            *hold = v;
            return (tv){v, NULL, NULL};
        }
    }
    return t;
}

/* ["a", "b"] -> [{key: "a"}, {key: "b"}] (+ extra fields per element from `fill`). */
static void put_obj_list(pp_plan_ctx *ctx, on o, const char *k, tv t, const char *key)
{
    if (o_special(ctx, o, k, t))
        return;
    on a = o_arr(o, k);
    for (size_t i = 0; i < tv_len(t); i++) {
        tv e = ti(t, i);
        on eo = a_obj(a);
        put(ctx, eo, key, e);
    }
}

/* Tags as AWS lists them: [{Key, Value}] (KMS: TagKey/TagValue). tags_all is what AWS will
 * hold (provider default_tags included); when it is unknown, tags is the same thing unless the
 * provider has default_tags. */
static void put_tags_as(pp_plan_ctx *ctx, const pp_plan_rc *rc, on o, const char *k,
                        const char *kname, const char *vname)
{
    tv t = tk(tv_root(rc), "tags_all");
    if (!t.v && !tv_unk(t))
        t = tk(tv_root(rc), "tags");
    else if (tv_unk(t) && !tv_sens(t) && !pp_plan_provider_has_default_tags(ctx, rc) &&
             tv_known(tk(tv_root(rc), "tags")) && pp_plan_cfg_expr(rc, "tags_all") == NULL)
        t = tk(tv_root(rc), "tags");
    if (o_special(ctx, o, k, t))
        return;
    if (!json_is_object(t.v))
        return;
    on a = o_arr(o, k);
    const char *key;
    json_t *v;
    json_object_foreach(t.v, key, v)
    {
        on e = a_obj(a);
        o_known(e, kname, json_string(key));
        put(ctx, e, vname, tk(t, key));
    }
}

static void put_tags(pp_plan_ctx *ctx, const pp_plan_rc *rc, on o)
{
    put_tags_as(ctx, rc, o, "Tags", "Key", "Value");
}

/* IAM and resource policies are JSON strings in Terraform and decoded objects in documents. */
static void put_policy(pp_plan_ctx *ctx, const pp_plan_rc *rc, on o, const char *k, tv t)
{
    if (o_special(ctx, o, k, t))
        return;
    const char *s = tv_nstr(t);
    if (!s)
        return;
    json_error_t e;
    json_t *doc = json_loads(s, JSON_DECODE_ANY, &e);
    if (!json_is_object(doc)) {
        pp_log(PP_LOG_WARN, COMPONENT, "%s: %s is not a JSON policy document; kept as text",
               rc->address, k);
        json_decref(doc);
        o_known(o, k, json_string(s));
        return;
    }
    o_known(o, k, doc);
}

static bool created(const pp_plan_rc *rc)
{
    return (rc->actions & PP_PLAN_ACT_CREATE) != 0;
}

/* A computed list the configuration does not set: on a resource being created the provider
 * leaves it empty (security groups lose AWS's default egress; roles start with no policies).
 * Dynamic blocks are invisible in the plan's configuration, so this needs the resource to have
 * a configuration entry at all. */
static bool unset_on_create(const pp_plan_rc *rc, const char *attr)
{
    tv t = tk(tv_root(rc), attr);
    return tv_unk(t) && !tv_sens(t) && created(rc) && rc->cfg && !pp_plan_cfg_expr(rc, attr);
}

/* ---- parents ------------------------------------------------------------------------------ */

/* The document of `type` that attribute attr of rc names: by its known value (registered key),
 * by following the configuration reference to the planned resource, or by the resolved value. */
static pp_resource *find_parent(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char *attr,
                                const char *type, const char *default_attr)
{
    tv t = tk(tv_root(rc), attr);
    if (tv_sens(t))
        return NULL;
    if (!tv_unk(t))
        return pp_plan_doc_find(ctx, type, tv_nstr(t));
    pp_plan_rc *target = pp_plan_resolve_target(ctx, rc, attr);
    if (target && target->res && strcmp(target->res->type, type) == 0)
        return target->res;
    char *v = ref_value(ctx, rc, attr, default_attr);
    pp_resource *r = pp_plan_doc_find(ctx, type, v);
    free(v);
    return r;
}

/* ---- EC2: VPC fabric ----------------------------------------------------------------------- */

static void ipv6_assoc(pp_plan_ctx *ctx, const pp_plan_rc *rc, on o)
{
    tv t = tv_root(rc);
    tv cidr = tk(t, "ipv6_cidr_block");
    if (tv_null(cidr) || (tv_known(cidr) && !tv_nstr(cidr)))
        return;
    /* A VPC gets IPv6 only when asked for (generated or from an IPAM pool); the computed
     * attribute is unknown on every new VPC otherwise. */
    if (unset_on_create(rc, "ipv6_cidr_block") &&
        tv_bool(tk(t, "assign_generated_ipv6_cidr_block")) != 1 &&
        tv_null(tk(t, "ipv6_ipam_pool_id")))
        return;
    on a = o_arr(o, "Ipv6CidrBlockAssociationSet");
    on e = a_obj(a);
    put_nstr(ctx, e, "Ipv6CidrBlock", cidr);
    put_nstr(ctx, e, "AssociationId", tk(tv_root(rc), "ipv6_association_id"));
    if (!json_object_size(e.d))
        put_nstr(ctx, e, "AssociationId", tk(tv_root(rc), "ipv6_cidr_block_association_id"));
}

static void map_vpc(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::VPC");
    on o = on_root(r);
    tv t = tv_root(rc);
    o_known(o, "VpcId", json_string(rc->id));
    put(ctx, o, "CidrBlock", tk(t, "cidr_block"));
    put(ctx, o, "InstanceTenancy", tk(t, "instance_tenancy"));
    put_nstr(ctx, o, "DhcpOptionsId", tk(t, "dhcp_options_id"));
    put(ctx, o, "OwnerId", tk(t, "owner_id"));
    o_known(o, "IsDefault", json_boolean(strcmp(rc->type, "aws_default_vpc") == 0));
    ipv6_assoc(ctx, rc, o);
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_subnet(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::Subnet");
    on o = on_root(r);
    tv t = tv_root(rc);
    o_known(o, "SubnetId", json_string(rc->id));
    put_ref(ctx, rc, o, "VpcId", "vpc_id", "id");
    put(ctx, o, "CidrBlock", tk(t, "cidr_block"));
    put(ctx, o, "AvailabilityZone", tk(t, "availability_zone"));
    put(ctx, o, "AvailabilityZoneId", tk(t, "availability_zone_id"));
    put(ctx, o, "MapPublicIpOnLaunch", tk(t, "map_public_ip_on_launch"));
    put(ctx, o, "MapCustomerOwnedIpOnLaunch", tk(t, "map_customer_owned_ip_on_launch"));
    put(ctx, o, "AssignIpv6AddressOnCreation", tk(t, "assign_ipv6_address_on_creation"));
    put(ctx, o, "EnableDns64", tk(t, "enable_dns64"));
    put(ctx, o, "Ipv6Native", tk(t, "ipv6_native"));
    put(ctx, o, "OwnerId", tk(t, "owner_id"));
    put(ctx, o, "SubnetArn", tk(t, "arn"));
    o_known(o, "DefaultForAz", json_boolean(strcmp(rc->type, "aws_default_subnet") == 0));
    tv ht = tk(t, "private_dns_hostname_type_on_launch");
    tv a4 = tk(t, "enable_resource_name_dns_a_record_on_launch");
    tv a6 = tk(t, "enable_resource_name_dns_aaaa_record_on_launch");
    if (!tv_null(ht) || !tv_null(a4) || !tv_null(a6)) {
        on p = o_obj(o, "PrivateDnsNameOptionsOnLaunch");
        put(ctx, p, "HostnameType", ht);
        put(ctx, p, "EnableResourceNameDnsARecord", a4);
        put(ctx, p, "EnableResourceNameDnsAAAARecord", a6);
    }
    ipv6_assoc(ctx, rc, o);
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* Route fields shared by route blocks and aws_route: Terraform name -> API name. */
static const char *const route_fields[][2] = {
    {"cidr_block", "DestinationCidrBlock"},
    {"destination_cidr_block", "DestinationCidrBlock"},
    {"ipv6_cidr_block", "DestinationIpv6CidrBlock"},
    {"destination_ipv6_cidr_block", "DestinationIpv6CidrBlock"},
    {"destination_prefix_list_id", "DestinationPrefixListId"},
    {"gateway_id", "GatewayId"},
    {"vpc_endpoint_id", "GatewayId"}, /* the API reports gateway endpoints as GatewayId */
    {"nat_gateway_id", "NatGatewayId"},
    {"transit_gateway_id", "TransitGatewayId"},
    {"vpc_peering_connection_id", "VpcPeeringConnectionId"},
    {"network_interface_id", "NetworkInterfaceId"},
    {"egress_only_gateway_id", "EgressOnlyInternetGatewayId"},
    {"local_gateway_id", "LocalGatewayId"},
    {"carrier_gateway_id", "CarrierGatewayId"},
    {"core_network_arn", "CoreNetworkArn"},
    {"instance_id", "InstanceId"},
};

static bool route_destination(const char *api)
{
    return pp_str_startswith(api, "Destination");
}

static void route_from(pp_plan_ctx *ctx, const pp_plan_rc *top, on e, tv t)
{
    /* A route has one target; the others stay unknown (computed) until apply but are empty. */
    bool target_known = false;
    for (size_t i = 0; i < sizeof(route_fields) / sizeof(route_fields[0]); i++) {
        tv f = tk(t, route_fields[i][0]);
        if (route_destination(route_fields[i][1]))
            continue;
        if (tv_nstr(f))
            target_known = true;
        else if (top && tv_unk(f) && !tv_sens(f) && pp_plan_cfg_expr(top, route_fields[i][0]))
            target_known = true; /* set in the configuration: resolved or unknown, it is the one */
    }
    for (size_t i = 0; i < sizeof(route_fields) / sizeof(route_fields[0]); i++) {
        tv f = tk(t, route_fields[i][0]);
        if (!f.v && !tv_unk(f) && !tv_sens(f))
            continue;
        if (target_known && tv_unk(f) && !route_destination(route_fields[i][1]) &&
            !(top && pp_plan_cfg_expr(top, route_fields[i][0])))
            continue;
        if (top && tv_unk(f))
            put_ref(ctx, top, e, route_fields[i][1], route_fields[i][0], "id");
        else if (tv_nstr(f) || !tv_known(f))
            put_nstr(ctx, e, route_fields[i][1], f);
    }
    o_known(e, "Origin", json_string("CreateRoute"));
    o_known(e, "State", json_string("active"));
}

static void map_route_table(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::RouteTable");
    on o = on_root(r);
    tv t = tv_root(rc);
    bool dflt = strcmp(rc->type, "aws_default_route_table") == 0;
    o_known(o, "RouteTableId", json_string(rc->id));
    put_ref(ctx, rc, o, "VpcId", "vpc_id", "id");
    put(ctx, o, "OwnerId", tk(t, "owner_id"));
    tv routes = tk(t, "route");
    if (!o_special(ctx, o, "Routes", routes)) {
        on a = o_arr(o, "Routes");
        for (size_t i = 0; i < tv_len(routes); i++)
            route_from(ctx, NULL, a_obj(a), ti(routes, i));
    }
    tv vgws = tk(t, "propagating_vgws");
    if (!tv_null(vgws))
        put_obj_list(ctx, o, "PropagatingVgws", vgws, "GatewayId");
    on as = o_arr(o, "Associations");
    if (dflt) {
        on e = a_obj(as);
        o_known(e, "Main", json_true());
        o_known(e, "RouteTableId", json_string(rc->id));
    }
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* A child whose parent document is not in the plan still gets checked, on its own. */
static pp_resource *synthetic(pp_plan_ctx *ctx, pp_plan_rc *rc, const char *type,
                              const char *const *unknown_keys)
{
    pp_resource *r = pp_plan_doc_synthetic(ctx, rc, type, rc->address);
    for (const char *const *k = unknown_keys; k && *k; k++)
        o_unknown(on_root(r), *k);
    return r;
}

static void map_route(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *rt = find_parent(ctx, rc, "route_table_id", "AWS::EC2::RouteTable", "id");
    on routes;
    if (!rt || !o_child_arr(on_root(rt), "Routes", &routes)) {
        static const char *const unk[] = {"VpcId", NULL};
        rt = synthetic(ctx, rc, "AWS::EC2::RouteTable", unk);
        put_ref(ctx, rc, on_root(rt), "RouteTableId", "route_table_id", "id");
        routes = o_arr(on_root(rt), "Routes");
        a_push_unknown(routes);
    } else {
        pp_plan_note_merged(ctx, rc, rt);
    }
    route_from(ctx, rc, a_obj(routes), tv_root(rc));
}

static void map_rt_assoc(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *rt = find_parent(ctx, rc, "route_table_id", "AWS::EC2::RouteTable", "id");
    on as;
    if (!rt || !o_child_arr(on_root(rt), "Associations", &as)) {
        pp_log(PP_LOG_DEBUG, COMPONENT, "%s: route table not in the plan", rc->address);
        return;
    }
    pp_plan_note_merged(ctx, rc, rt);
    bool main_assoc = strcmp(rc->type, "aws_main_route_table_association") == 0;
    for (size_t i = 0; main_assoc && i < json_array_size(as.d); i++)
        if (json_is_true(json_object_get(json_array_get(as.d, i), "Main")))
            return; /* a default route table already is the main one */
    on e = a_obj(as);
    o_known(e, "Main", json_boolean(main_assoc));
    o_known(e, "RouteTableAssociationId", json_string(rc->id));
    o_known(e, "RouteTableId", json_string(rt->id));
    if (!main_assoc) {
        if (!tv_null(tk(tv_root(rc), "subnet_id")))
            put_ref(ctx, rc, e, "SubnetId", "subnet_id", "id");
        if (!tv_null(tk(tv_root(rc), "gateway_id")))
            put_ref(ctx, rc, e, "GatewayId", "gateway_id", "id");
    }
    on st = o_obj(e, "AssociationState");
    o_known(st, "State", json_string("associated"));
}

static void map_igw(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::InternetGateway");
    on o = on_root(r);
    o_known(o, "InternetGatewayId", json_string(rc->id));
    put(ctx, o, "OwnerId", tk(tv_root(rc), "owner_id"));
    on a = o_arr(o, "Attachments");
    tv vpc = tk(tv_root(rc), "vpc_id");
    if (!tv_null(vpc) && !(tv_known(vpc) && !tv_nstr(vpc))) {
        on e = a_obj(a);
        put_ref(ctx, rc, e, "VpcId", "vpc_id", "id");
        o_known(e, "State", json_string("available"));
    }
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_igw_attach(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *igw =
        find_parent(ctx, rc, "internet_gateway_id", "AWS::EC2::InternetGateway", "id");
    on a;
    if (!igw || !o_child_arr(on_root(igw), "Attachments", &a))
        return;
    pp_plan_note_merged(ctx, rc, igw);
    on e = a_obj(a);
    put_ref(ctx, rc, e, "VpcId", "vpc_id", "id");
    o_known(e, "State", json_string("available"));
}

static void map_nat(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::NatGateway");
    on o = on_root(r);
    tv t = tv_root(rc);
    o_known(o, "NatGatewayId", json_string(rc->id));
    o_known(o, "State", json_string("available")); /* Terraform waits for it */
    put_ref(ctx, rc, o, "SubnetId", "subnet_id", "id");
    put(ctx, o, "ConnectivityType", tk(t, "connectivity_type"));
    on a = o_arr(o, "NatGatewayAddresses");
    on e = a_obj(a);
    put_ref(ctx, rc, e, "AllocationId", "allocation_id", "id");
    put_nstr(ctx, e, "NetworkInterfaceId", tk(t, "network_interface_id"));
    put_nstr(ctx, e, "PrivateIp", tk(t, "private_ip"));
    put_nstr(ctx, e, "PublicIp", tk(t, "public_ip"));
    put_nstr(ctx, e, "AssociationId", tk(t, "association_id"));
    o_known(e, "IsPrimary", json_true());
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* Terraform's NAT gateway has no VPC; the API's does: take it from the subnet when planned. */
static void post_nat(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    const json_t *sid = json_object_get(rc->res->doc, "SubnetId");
    pp_resource *sn = pp_plan_doc_find(ctx, "AWS::EC2::Subnet", json_string_value(sid));
    const json_t *vpc = sn ? json_object_get(sn->doc, "VpcId") : NULL;
    bool vpc_unknown = sn && sn->unknown && json_is_true(json_object_get(sn->unknown, "VpcId"));
    if (json_is_string(vpc) && !vpc_unknown)
        o_known(on_root(rc->res), "VpcId", json_incref((json_t *)vpc));
    else
        o_unknown(on_root(rc->res), "VpcId");
}

static void map_flow_log(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::FlowLog");
    on o = on_root(r);
    tv t = tv_root(rc);
    static const char *const targets[] = {
        "vpc_id", "subnet_id", "eni_id", "transit_gateway_id", "transit_gateway_attachment_id",
        NULL};
    bool found = false;
    for (const char *const *a = targets; *a && !found; a++) {
        tv v = tk(t, *a);
        if (tv_null(v) || (tv_known(v) && !tv_nstr(v)))
            continue;
        put_ref(ctx, rc, o, "ResourceId", *a, "id");
        found = true;
    }
    o_known(o, "FlowLogId", json_string(rc->id));
    put(ctx, o, "TrafficType", tk(t, "traffic_type"));
    put(ctx, o, "LogDestinationType", tk(t, "log_destination_type"));
    if (!tv_null(tk(t, "log_destination")))
        put_ref(ctx, rc, o, "LogDestination", "log_destination", "arn");
    put_nstr(ctx, o, "LogGroupName", tk(t, "log_group_name"));
    if (!tv_null(tk(t, "iam_role_arn")))
        put_ref(ctx, rc, o, "DeliverLogsPermissionArn", "iam_role_arn", "arn");
    put_nstr(ctx, o, "DeliverCrossAccountRole", tk(t, "deliver_cross_account_role"));
    put(ctx, o, "LogFormat", tk(t, "log_format"));
    put(ctx, o, "MaxAggregationInterval", tk(t, "max_aggregation_interval"));
    tv dopt = tv_block(tk(t, "destination_options"));
    if (!tv_null(dopt) && (json_is_object(dopt.v) || !tv_known(dopt))) {
        if (!o_special(ctx, o, "DestinationOptions", dopt)) {
            on d = o_obj(o, "DestinationOptions");
            put(ctx, d, "FileFormat", tk(dopt, "file_format"));
            put(ctx, d, "HiveCompatiblePartitions", tk(dopt, "hive_compatible_partitions"));
            put(ctx, d, "PerHourPartition", tk(dopt, "per_hour_partition"));
        }
    }
    o_known(o, "FlowLogStatus", json_string("ACTIVE"));
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_vpc_endpoint(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::VPCEndpoint");
    on o = on_root(r);
    tv t = tv_root(rc);
    json_t *hold = NULL;
    o_known(o, "VpcEndpointId", json_string(rc->id));
    put(ctx, o, "VpcEndpointType", tk(t, "vpc_endpoint_type"));
    put_ref(ctx, rc, o, "VpcId", "vpc_id", "id");
    put(ctx, o, "ServiceName", tk(t, "service_name"));
    /* Terraform waits until an endpoint to an AWS service is available */
    if (tv_unk(tk(t, "state")) && created(rc) &&
        pp_str_startswith(tv_str(tk(t, "service_name")), "com.amazonaws."))
        o_known(o, "State", json_string("available"));
    else
        put(ctx, o, "State", tk(t, "state"));
    put_policy(ctx, rc, o, "PolicyDocument", tk(t, "policy"));
    put(ctx, o, "RouteTableIds", ref_list(ctx, rc, "route_table_ids", "id", &hold));
    json_decref(hold);
    put(ctx, o, "SubnetIds", ref_list(ctx, rc, "subnet_ids", "id", &hold));
    json_decref(hold);
    put_obj_list(ctx, o, "Groups", ref_list(ctx, rc, "security_group_ids", "id", &hold), "GroupId");
    json_decref(hold);
    put(ctx, o, "IpAddressType", tk(t, "ip_address_type"));
    tv dns = tv_block(tk(t, "dns_options"));
    if (!tv_null(dns) && (json_is_object(dns.v) || !tv_known(dns)) &&
        !o_special(ctx, o, "DnsOptions", dns)) {
        on d = o_obj(o, "DnsOptions");
        put(ctx, d, "DnsRecordIpType", tk(dns, "dns_record_ip_type"));
        put(ctx, d, "PrivateDnsOnlyForInboundResolverEndpoint",
            tk(dns, "private_dns_only_for_inbound_resolver_endpoint"));
    }
    put(ctx, o, "PrivateDnsEnabled", tk(t, "private_dns_enabled"));
    put(ctx, o, "RequesterManaged", tk(t, "requester_managed"));
    put(ctx, o, "NetworkInterfaceIds", tk(t, "network_interface_ids"));
    tv entries = tk(t, "dns_entry");
    if (!o_special(ctx, o, "DnsEntries", entries) && json_is_array(entries.v)) {
        on a = o_arr(o, "DnsEntries");
        for (size_t i = 0; i < tv_len(entries); i++) {
            on e = a_obj(a);
            put(ctx, e, "DnsName", tk(ti(entries, i), "dns_name"));
            put(ctx, e, "HostedZoneId", tk(ti(entries, i), "hosted_zone_id"));
        }
    }
    put(ctx, o, "OwnerId", tk(t, "owner_id"));
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_endpoint_assoc(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *ep = find_parent(ctx, rc, "vpc_endpoint_id", "AWS::EC2::VPCEndpoint", "id");
    bool rt = strcmp(rc->type, "aws_vpc_endpoint_route_table_association") == 0;
    const char *key = rt ? "RouteTableIds" : "SubnetIds";
    on a;
    if (!ep || !o_child_arr(on_root(ep), key, &a))
        return;
    pp_plan_note_merged(ctx, rc, ep);
    char *id = ref_value(ctx, rc, rt ? "route_table_id" : "subnet_id", "id");
    if (id)
        a_push(a, json_string(id), json_false());
    else
        a_push_unknown(a);
    free(id);
}

static void map_instance(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::Instance");
    on o = on_root(r);
    tv t = tv_root(rc);
    json_t *hold = NULL;
    o_known(o, "InstanceId", json_string(rc->id));
    /* Terraform waits for a new instance to run; an existing one's state is in the plan */
    tv ist = tk(t, "instance_state");
    on state = o_obj(o, "State");
    if (tv_known(ist) && tv_nstr(ist))
        put(ctx, state, "Name", ist);
    else if (created(rc) && !tv_sens(ist))
        o_known(state, "Name", json_string("running"));
    else
        o_unknown(state, "Name");
    put(ctx, o, "ImageId", tk(t, "ami"));
    put(ctx, o, "InstanceType", tk(t, "instance_type"));
    put_nstr(ctx, o, "KeyName", tk(t, "key_name"));
    put_ref(ctx, rc, o, "SubnetId", "subnet_id", "id");
    put_nstr(ctx, o, "PrivateIpAddress", tk(t, "private_ip"));
    put_nstr(ctx, o, "PublicIpAddress", tk(t, "public_ip"));
    put_nstr(ctx, o, "PrivateDnsName", tk(t, "private_dns"));
    put_nstr(ctx, o, "PublicDnsName", tk(t, "public_dns"));
    put(ctx, o, "EbsOptimized", tk(t, "ebs_optimized"));
    put(ctx, o, "SourceDestCheck", tk(t, "source_dest_check"));
    tv mon = tk(t, "monitoring");
    if (!o_special(ctx, o, "Monitoring", mon) && json_is_boolean(mon.v)) {
        on m = o_obj(o, "Monitoring");
        o_known(m, "State", json_string(json_is_true(mon.v) ? "enabled" : "disabled"));
    }
    tv md = tk(t, "metadata_options");
    if (!o_special(ctx, o, "MetadataOptions", md) && tv_len(md)) {
        tv b = ti(md, 0);
        if (!o_special(ctx, o, "MetadataOptions", b)) {
            on m = o_obj(o, "MetadataOptions");
            put(ctx, m, "HttpTokens", tk(b, "http_tokens"));
            put(ctx, m, "HttpEndpoint", tk(b, "http_endpoint"));
            put(ctx, m, "HttpPutResponseHopLimit", tk(b, "http_put_response_hop_limit"));
            put(ctx, m, "HttpProtocolIpv6", tk(b, "http_protocol_ipv6"));
            put(ctx, m, "InstanceMetadataTags", tk(b, "instance_metadata_tags"));
        }
    } else if (tv_known(md) && !tv_len(md)) {
        /* No block: the AMI and account defaults decide, which the plan cannot see. */
        o_unknown(o, "MetadataOptions");
    }
    tv sgids = ref_list(ctx, rc, "vpc_security_group_ids", "id", &hold);
    tv sgnames = tk(t, "security_groups");
    if (tv_len(sgids) || !tv_known(sgids)) {
        put_obj_list(ctx, o, "SecurityGroups", sgids, "GroupId");
    } else if (tv_len(sgnames) || !tv_known(sgnames)) {
        put_obj_list(ctx, o, "SecurityGroups", sgnames, "GroupName");
    }
    json_decref(hold);
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* ---- EC2: security groups ------------------------------------------------------------------ */

/* Terraform accepts names and numbers; DescribeSecurityGroups returns "-1", "tcp", "udp",
 * "icmp", "icmpv6" or the number. */
static const char *sg_protocol(const char *p)
{
    if (!p)
        return NULL;
    if (!strcasecmp(p, "-1") || !strcasecmp(p, "all"))
        return "-1";
    if (!strcasecmp(p, "tcp") || !strcmp(p, "6"))
        return "tcp";
    if (!strcasecmp(p, "udp") || !strcmp(p, "17"))
        return "udp";
    if (!strcasecmp(p, "icmp") || !strcmp(p, "1"))
        return "icmp";
    if (!strcasecmp(p, "icmpv6") || !strcmp(p, "58"))
        return "icmpv6";
    return p;
}

/* NACL entries carry the IANA number as a string. */
static const char *nacl_protocol(const char *p)
{
    if (!p)
        return NULL;
    if (!strcasecmp(p, "-1") || !strcasecmp(p, "all"))
        return "-1";
    if (!strcasecmp(p, "tcp"))
        return "6";
    if (!strcasecmp(p, "udp"))
        return "17";
    if (!strcasecmp(p, "icmp"))
        return "1";
    if (!strcasecmp(p, "icmpv6"))
        return "58";
    return p;
}

/* A protocol value as a string: Terraform writes strings, but numbers are tolerated. */
static const char *proto_str(tv t, char *buf, size_t n)
{
    if (!tv_known(t))
        return NULL;
    if (json_is_integer(t.v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(t.v));
        return buf;
    }
    return json_string_value(t.v);
}

/* One rule in Terraform terms, whatever resource it came from. Lists (cidrs, ...) may be a
 * whole list or a single value (is_list false). */
typedef struct sg_rule {
    tv proto, from, to, desc, self;
    tv cidrs, cidrs6, prefixes, groups; /* lists */
    tv cidr, cidr6, prefix, group;      /* single values (vpc_security_group_*_rule) */
    const char *group_ref;              /* resolved source group id, or NULL */
    json_t *groups_hold;
} sg_rule;

static bool same_json(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    return json_equal((json_t *)a, (json_t *)b);
}

/* The permission for (protocol, from, to) in list a, created when missing. The API groups
 * ranges under one permission per protocol and port range; merging keeps that shape, but only
 * when all three are known. */
static on sg_permission(pp_plan_ctx *ctx, on a, const sg_rule *s, bool *fresh)
{
    char pbuf[32];
    const char *proto = sg_protocol(proto_str(s->proto, pbuf, sizeof(pbuf)));
    bool all = proto && strcmp(proto, "-1") == 0;
    bool ports_known = all || (tv_known(s->from) && tv_known(s->to));
    json_t *from = !all && ports_known && json_is_integer(s->from.v) ? s->from.v : NULL;
    json_t *to = !all && ports_known && json_is_integer(s->to.v) ? s->to.v : NULL;
    if (proto && ports_known) {
        for (size_t i = 0; i < json_array_size(a.d); i++) {
            json_t *p = json_array_get(a.d, i);
            json_t *pm = json_array_get(a.m, i);
            if (!json_is_object(p) || !json_is_object(pm))
                continue;
            if (json_is_true(json_object_get(pm, "IpProtocol")) ||
                json_is_true(json_object_get(pm, "FromPort")) ||
                json_is_true(json_object_get(pm, "ToPort")))
                continue;
            if (!pp_str_eq(json_string_value(json_object_get(p, "IpProtocol")), proto) ||
                !same_json(json_object_get(p, "FromPort"), from) ||
                !same_json(json_object_get(p, "ToPort"), to))
                continue;
            *fresh = false;
            return (on){p, pm};
        }
    }
    *fresh = true;
    on p = a_obj(a);
    if (proto)
        o_known(p, "IpProtocol", json_string(proto));
    else
        put(ctx, p, "IpProtocol", s->proto); /* unknown or sensitive */
    if (!all) {                              /* the API omits ports for all-traffic permissions */
        put(ctx, p, "FromPort", s->from);
        put(ctx, p, "ToPort", s->to);
    }
    o_arr(p, "IpRanges");
    o_arr(p, "Ipv6Ranges");
    o_arr(p, "PrefixListIds");
    o_arr(p, "UserIdGroupPairs");
    return p;
}

/* Appends {key: value, Description} to the range list `list` of permission p, skipping an
 * identical known range already there (a refreshed group lists its separate rules too). */
static void sg_range(pp_plan_ctx *ctx, on p, const char *list, const char *key, tv v, tv desc)
{
    on a;
    if (!o_child_arr(p, list, &a))
        return;
    if (tv_known(v) && tv_known(desc)) {
        const char *d = tv_nstr(desc);
        for (size_t i = 0; i < json_array_size(a.d); i++) {
            json_t *e = json_array_get(a.d, i);
            if (same_json(json_object_get(e, key), v.v) &&
                pp_str_eq(json_string_value(json_object_get(e, "Description")), d))
                return;
        }
    }
    on e = a_obj(a);
    put(ctx, e, key, v);
    put_nstr(ctx, e, "Description", desc);
}

static void sg_range_list(pp_plan_ctx *ctx, on p, const char *list, const char *key, tv l, tv desc)
{
    if (tv_null(l))
        return;
    if (!tv_known(l)) {
        /* The whole list is unknown: an unknown range, not an empty list. */
        on a;
        if (o_child_arr(p, list, &a))
            a_push(a, tv_sens(l) ? marker(ctx) : json_null(), json_true());
        return;
    }
    for (size_t i = 0; i < tv_len(l); i++)
        sg_range(ctx, p, list, key, ti(l, i), desc);
}

/* "sg-1" -> GroupId; "111122223333/sg-1" -> UserId + GroupId; anything else is a name. */
static void sg_pair(pp_plan_ctx *ctx, on p, tv g, tv desc)
{
    on a;
    if (!o_child_arr(p, "UserIdGroupPairs", &a))
        return;
    const char *s = tv_str(g);
    on e = a_obj(a);
    if (!s) {
        put(ctx, e, "GroupId", g);
    } else if (strchr(s, '/')) {
        const char *slash = strchr(s, '/');
        o_known(e, "UserId", json_stringn(s, (size_t)(slash - s)));
        o_known(e, "GroupId", json_string(slash + 1));
    } else if (pp_str_startswith(s, "sg-") || strchr(s, '.')) {
        /* an id, or a planned group's address standing in for its unknown id */
        o_known(e, "GroupId", json_string(s));
    } else {
        o_known(e, "GroupName", json_string(s));
    }
    put_nstr(ctx, e, "Description", desc);
}

static void sg_apply(pp_plan_ctx *ctx, on a, const sg_rule *s, const char *self_id)
{
    bool fresh = false;
    on p = sg_permission(ctx, a, s, &fresh);
    sg_range_list(ctx, p, "IpRanges", "CidrIp", s->cidrs, s->desc);
    sg_range_list(ctx, p, "Ipv6Ranges", "CidrIpv6", s->cidrs6, s->desc);
    sg_range_list(ctx, p, "PrefixListIds", "PrefixListId", s->prefixes, s->desc);
    if (s->cidr.v || !tv_known(s->cidr))
        if (!tv_null(s->cidr))
            sg_range(ctx, p, "IpRanges", "CidrIp", s->cidr, s->desc);
    if (!tv_null(s->cidr6) && (s->cidr6.v || !tv_known(s->cidr6)))
        sg_range(ctx, p, "Ipv6Ranges", "CidrIpv6", s->cidr6, s->desc);
    if (!tv_null(s->prefix) && (s->prefix.v || !tv_known(s->prefix)))
        sg_range(ctx, p, "PrefixListIds", "PrefixListId", s->prefix, s->desc);
    if (!tv_null(s->groups)) {
        if (!tv_known(s->groups)) {
            on pa;
            if (o_child_arr(p, "UserIdGroupPairs", &pa))
                a_push_unknown(pa);
        } else {
            for (size_t i = 0; i < tv_len(s->groups); i++)
                sg_pair(ctx, p, ti(s->groups, i), s->desc);
        }
    }
    if (s->group_ref) {
        json_t *g = json_string(s->group_ref);
        sg_pair(ctx, p, (tv){g, NULL, NULL}, s->desc);
        json_decref(g);
    } else if (!tv_null(s->group) && (s->group.v || !tv_known(s->group))) {
        sg_pair(ctx, p, s->group, s->desc);
    }
    int self = tv_bool(s->self);
    if (self == 1) {
        json_t *g = json_string(self_id);
        sg_pair(ctx, p, (tv){g, NULL, NULL}, s->desc);
        json_decref(g);
    } else if (self < 0 && s->self.v && !tv_null(s->self)) {
        on pa;
        if (o_child_arr(p, "UserIdGroupPairs", &pa))
            a_push_unknown(pa);
    }
    (void)fresh;
}

static void sg_blocks(pp_plan_ctx *ctx, pp_plan_rc *rc, on o, const char *key, const char *attr)
{
    tv blocks = tk(tv_root(rc), attr);
    if (unset_on_create(rc, attr) || (strcmp(rc->type, "aws_default_security_group") == 0 &&
                                      tv_unk(blocks) && rc->cfg && !pp_plan_cfg_expr(rc, attr))) {
        /* Terraform removes AWS's default rules from groups it creates (and from the default
         * group it adopts) unless the configuration declares them. */
        o_arr(o, key);
        return;
    }
    if (o_special(ctx, o, key, blocks))
        return;
    on a = o_arr(o, key);
    for (size_t i = 0; i < tv_len(blocks); i++) {
        tv b = ti(blocks, i);
        if (!tv_known(b)) {
            a_push(a, tv_sens(b) ? marker(ctx) : json_null(), json_true());
            continue;
        }
        sg_rule s = {
            .proto = tk(b, "protocol"),
            .from = tk(b, "from_port"),
            .to = tk(b, "to_port"),
            .desc = tk(b, "description"),
            .self = tk(b, "self"),
            .cidrs = tk(b, "cidr_blocks"),
            .cidrs6 = tk(b, "ipv6_cidr_blocks"),
            .prefixes = tk(b, "prefix_list_ids"),
            .groups = tk(b, "security_groups"),
        };
        sg_apply(ctx, a, &s, rc->id);
    }
}

static void map_sg(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::SecurityGroup");
    on o = on_root(r);
    tv t = tv_root(rc);
    bool dflt = strcmp(rc->type, "aws_default_security_group") == 0;
    o_known(o, "GroupId", json_string(rc->id));
    if (dflt && !tv_known(tk(t, "name")))
        o_known(o, "GroupName", json_string("default"));
    else
        put(ctx, o, "GroupName", tk(t, "name"));
    if (dflt && !tv_known(tk(t, "description")))
        o_known(o, "Description", json_string("default VPC security group"));
    else
        put(ctx, o, "Description", tk(t, "description"));
    put(ctx, o, "OwnerId", tk(t, "owner_id"));
    put_ref(ctx, rc, o, "VpcId", "vpc_id", "id");
    put(ctx, o, "SecurityGroupArn", tk(t, "arn"));
    sg_blocks(ctx, rc, o, "IpPermissions", "ingress");
    sg_blocks(ctx, rc, o, "IpPermissionsEgress", "egress");
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* aws_security_group_rule and aws_vpc_security_group_{ingress,egress}_rule. */
static void map_sg_rule(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    tv t = tv_root(rc);
    bool legacy = strcmp(rc->type, "aws_security_group_rule") == 0;
    bool egress;
    if (legacy)
        egress = pp_str_eq(tv_str(tk(t, "type")), "egress");
    else
        egress = pp_str_eq(rc->type, "aws_vpc_security_group_egress_rule");
    const char *key = egress ? "IpPermissionsEgress" : "IpPermissions";
    sg_rule s = {
        .proto = tk(t, legacy ? "protocol" : "ip_protocol"),
        .from = tk(t, "from_port"),
        .to = tk(t, "to_port"),
        .desc = tk(t, "description"),
    };
    char *group_ref = NULL;
    if (legacy) {
        s.self = tk(t, "self");
        s.cidrs = tk(t, "cidr_blocks");
        s.cidrs6 = tk(t, "ipv6_cidr_blocks");
        s.prefixes = tk(t, "prefix_list_ids");
        tv src = tk(t, "source_security_group_id");
        /* computed, so unknown on create even when it is not the source: the provider makes it
         * conflict with cidr_blocks, ipv6_cidr_blocks and self */
        if (unset_on_create(rc, "source_security_group_id") || tv_len(s.cidrs) ||
            tv_len(s.cidrs6) || tv_bool(s.self) == 1)
            src = (tv){NULL, NULL, NULL};
        else if (tv_unk(src) && !tv_sens(src))
            group_ref = ref_value(ctx, rc, "source_security_group_id", "id");
        if (!group_ref)
            s.group = src;
    } else {
        s.cidr = tk(t, "cidr_ipv4");
        s.cidr6 = tk(t, "cidr_ipv6");
        s.prefix = tk(t, "prefix_list_id");
        tv src = tk(t, "referenced_security_group_id");
        if (tv_unk(src) && !tv_sens(src))
            group_ref = ref_value(ctx, rc, "referenced_security_group_id", "id");
        if (!group_ref)
            s.group = src;
    }
    s.group_ref = group_ref;
    pp_resource *sg = find_parent(ctx, rc, "security_group_id", "AWS::EC2::SecurityGroup", "id");
    on a;
    if (sg && o_child_arr(on_root(sg), key, &a)) {
        pp_plan_note_merged(ctx, rc, sg);
        sg_apply(ctx, a, &s, sg->id);
    } else {
        /* The group is not planned (or its rules are unknown): check this rule on its own, in a
         * group document whose other rules are unknown. */
        static const char *const unk[] = {"VpcId", "GroupName", "Description", NULL};
        pp_resource *r = synthetic(ctx, rc, "AWS::EC2::SecurityGroup", unk);
        on o = on_root(r);
        char *gid = ref_value(ctx, rc, "security_group_id", "id");
        if (gid)
            o_known(o, "GroupId", json_string(gid));
        else
            o_unknown(o, "GroupId");
        on mine = o_arr(o, key);
        sg_apply(ctx, mine, &s, gid ? gid : rc->address);
        a_push_unknown(mine);
        o_unknown(o, egress ? "IpPermissions" : "IpPermissionsEgress");
        free(gid);
    }
    free(group_ref);
}

/* ---- EC2: network ACLs ------------------------------------------------------------------- */

/* One NACL entry from Terraform's names (block or aws_network_acl_rule). */
static void nacl_entry(pp_plan_ctx *ctx, on a, tv b, bool egress, bool rule_resource)
{
    on e = a_obj(a);
    char pbuf[32];
    tv proto = tk(b, "protocol");
    const char *p = nacl_protocol(proto_str(proto, pbuf, sizeof(pbuf)));
    put(ctx, e, "RuleNumber", tk(b, rule_resource ? "rule_number" : "rule_no"));
    if (p)
        o_known(e, "Protocol", json_string(p));
    else
        put(ctx, e, "Protocol", proto);
    tv action = tk(b, rule_resource ? "rule_action" : "action");
    const char *act = tv_str(action);
    if (act) {
        char low[16];
        size_t i = 0;
        for (; act[i] && i + 1 < sizeof(low); i++)
            low[i] = (char)((act[i] >= 'A' && act[i] <= 'Z') ? act[i] + 32 : act[i]);
        low[i] = '\0';
        o_known(e, "RuleAction", json_string(low));
    } else {
        put(ctx, e, "RuleAction", action);
    }
    if (rule_resource)
        put(ctx, e, "Egress", tk(b, "egress"));
    else
        o_known(e, "Egress", json_boolean(egress));
    put_nstr(ctx, e, "CidrBlock", tk(b, "cidr_block"));
    put_nstr(ctx, e, "Ipv6CidrBlock", tk(b, "ipv6_cidr_block"));
    if (!p || strcmp(p, "6") == 0 || strcmp(p, "17") == 0) {
        tv from = tk(b, "from_port"), to = tk(b, "to_port");
        if (!tv_null(from) || !tv_null(to)) {
            on pr = o_obj(e, "PortRange");
            put(ctx, pr, "From", from);
            put(ctx, pr, "To", to);
        }
    }
    if (!p || strcmp(p, "1") == 0 || strcmp(p, "58") == 0) {
        tv ty = tk(b, "icmp_type"), co = tk(b, "icmp_code");
        if (!tv_null(ty) || !tv_null(co)) {
            on ic = o_obj(e, "IcmpTypeCode");
            put(ctx, ic, "Type", ty);
            put(ctx, ic, "Code", co);
        }
    }
}

static void nacl_blocks(pp_plan_ctx *ctx, pp_plan_rc *rc, on a, const char *attr, bool egress)
{
    tv blocks = tk(tv_root(rc), attr);
    if (unset_on_create(rc, attr))
        return;
    if (!tv_known(blocks)) {
        a_push(a, tv_sens(blocks) ? marker(ctx) : json_null(), json_true());
        return;
    }
    for (size_t i = 0; i < tv_len(blocks); i++) {
        tv b = ti(blocks, i);
        if (!tv_known(b))
            a_push(a, json_null(), json_true());
        else
            nacl_entry(ctx, a, b, egress, false);
    }
}

/* The API lists the implicit final deny (rule 32767) that Terraform never models. */
static void nacl_default_deny(on a, bool egress)
{
    on e = a_obj(a);
    o_known(e, "RuleNumber", json_integer(32767));
    o_known(e, "Protocol", json_string("-1"));
    o_known(e, "RuleAction", json_string("deny"));
    o_known(e, "Egress", json_boolean(egress));
    o_known(e, "CidrBlock", json_string("0.0.0.0/0"));
}

static void map_nacl(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::EC2::NetworkAcl");
    on o = on_root(r);
    tv t = tv_root(rc);
    bool dflt = strcmp(rc->type, "aws_default_network_acl") == 0;
    json_t *hold = NULL;
    o_known(o, "NetworkAclId", json_string(rc->id));
    put_ref(ctx, rc, o, "VpcId", "vpc_id", "id");
    put(ctx, o, "OwnerId", tk(t, "owner_id"));
    o_known(o, "IsDefault", json_boolean(dflt));
    on entries = o_arr(o, "Entries");
    nacl_blocks(ctx, rc, entries, "ingress", false);
    nacl_blocks(ctx, rc, entries, "egress", true);
    nacl_default_deny(entries, false);
    nacl_default_deny(entries, true);
    tv subnets = ref_list(ctx, rc, "subnet_ids", "id", &hold);
    if (unset_on_create(rc, "subnet_ids")) {
        o_arr(o, "Associations");
    } else if (!o_special(ctx, o, "Associations", subnets)) {
        on as = o_arr(o, "Associations");
        for (size_t i = 0; i < tv_len(subnets); i++) {
            on e = a_obj(as);
            put(ctx, e, "SubnetId", ti(subnets, i));
            o_known(e, "NetworkAclId", json_string(rc->id));
        }
    }
    json_decref(hold);
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_nacl_rule(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *n = find_parent(ctx, rc, "network_acl_id", "AWS::EC2::NetworkAcl", "id");
    on a;
    if (n && o_child_arr(on_root(n), "Entries", &a)) {
        pp_plan_note_merged(ctx, rc, n);
        nacl_entry(ctx, a, tv_root(rc), false, true);
        return;
    }
    static const char *const unk[] = {"VpcId", "Associations", "IsDefault", NULL};
    pp_resource *r = synthetic(ctx, rc, "AWS::EC2::NetworkAcl", unk);
    on o = on_root(r);
    char *id = ref_value(ctx, rc, "network_acl_id", "id");
    if (id)
        o_known(o, "NetworkAclId", json_string(id));
    else
        o_unknown(o, "NetworkAclId");
    free(id);
    on e = o_arr(o, "Entries");
    nacl_entry(ctx, e, tv_root(rc), false, true);
    a_push_unknown(e);
}

static void map_nacl_assoc(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *n = find_parent(ctx, rc, "network_acl_id", "AWS::EC2::NetworkAcl", "id");
    on a;
    if (!n || !o_child_arr(on_root(n), "Associations", &a))
        return;
    pp_plan_note_merged(ctx, rc, n);
    on e = a_obj(a);
    put_ref(ctx, rc, e, "SubnetId", "subnet_id", "id");
    o_known(e, "NetworkAclId", json_string(n->id));
    put_nstr(ctx, e, "NetworkAclAssociationId", tk(tv_root(rc), "id"));
}

/* ---- KMS ------------------------------------------------------------------------------------ */

/* ARNs that other resources join on: unknown until apply, they stand in as the address. */
static void put_arn_or_address(on o, const char *k, const pp_plan_rc *rc)
{
    tv a = tk(tv_root(rc), "arn");
    const char *s = tv_nstr(a);
    o_known(o, k, json_string(s ? s : rc->address));
}

static void map_kms_key(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::KMS::Key");
    on o = on_root(r);
    tv t = tv_root(rc);
    on km = o_obj(o, "KeyMetadata");
    o_known(km, "KeyId", json_string(rc->id));
    put_arn_or_address(km, "Arn", rc);
    put(ctx, km, "Description", tk(t, "description"));
    put(ctx, km, "KeyUsage", tk(t, "key_usage"));
    tv spec = tk(t, "key_spec");
    if (tv_null(spec))
        spec = tk(t, "customer_master_key_spec");
    put(ctx, km, "KeySpec", spec);
    put(ctx, km, "CustomerMasterKeySpec", spec);
    tv en = tk(t, "is_enabled");
    int enabled = tv_bool(en);
    if (enabled < 0 && tv_null(en))
        enabled = 1; /* the provider's default */
    if (enabled >= 0) {
        o_known(km, "Enabled", json_boolean(enabled));
        o_known(km, "KeyState", json_string(enabled ? "Enabled" : "Disabled"));
    } else {
        put(ctx, km, "Enabled", en);
        put(ctx, km, "KeyState", en);
    }
    o_known(km, "KeyManager", json_string("CUSTOMER"));
    tv store = tk(t, "custom_key_store_id"), xks = tk(t, "xks_key_id");
    if (!tv_known(store) || !tv_known(xks))
        o_unknown(km, "Origin");
    else
        o_known(km, "Origin",
                json_string(tv_nstr(xks)     ? "EXTERNAL_KEY_STORE"
                            : tv_nstr(store) ? "AWS_CLOUDHSM"
                                             : "AWS_KMS"));
    put(ctx, km, "MultiRegion", tk(t, "multi_region"));
    put_nstr(ctx, km, "CustomKeyStoreId", tk(t, "custom_key_store_id"));
    tv rot = tk(t, "enable_key_rotation");
    if (tv_null(rot))
        o_known(o, "KeyRotationEnabled", json_false());
    else
        put(ctx, o, "KeyRotationEnabled", rot);
    put(ctx, o, "RotationPeriodInDays", tk(t, "rotation_period_in_days"));
    put_policy(ctx, rc, o, "KeyPolicy", tk(t, "policy"));
    o_arr(o, "Aliases");
    put_tags_as(ctx, rc, o, "Tags", "TagKey", "TagValue");
    pp_plan_doc_register(ctx, r->type, rc->id, r);
    pp_plan_doc_register(ctx, r->type, json_string_value(json_object_get(km.d, "Arn")), r);
}

static void map_kms_alias(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *k = find_parent(ctx, rc, "target_key_id", "AWS::KMS::Key", "key_id");
    on a;
    if (!k || !o_child_arr(on_root(k), "Aliases", &a)) {
        pp_log(PP_LOG_DEBUG, COMPONENT, "%s: key not in the plan", rc->address);
        return;
    }
    pp_plan_note_merged(ctx, rc, k);
    on e = a_obj(a);
    tv t = tv_root(rc);
    put(ctx, e, "AliasName", tk(t, "name"));
    put(ctx, e, "AliasArn", tk(t, "arn"));
    o_known(e, "TargetKeyId", json_string(k->id));
}

/* ---- CloudTrail ----------------------------------------------------------------------------- */

static void trail_selectors(pp_plan_ctx *ctx, pp_plan_rc *rc, on o)
{
    tv t = tv_root(rc);
    tv es = tk(t, "event_selector"), aes = tk(t, "advanced_event_selector");
    if (tv_known(es) && tv_known(aes) && !tv_len(es) && !tv_len(aes)) {
        /* No selectors configured: AWS logs all management events, read and write. */
        o_known(o, "HasCustomEventSelectors", json_false());
        on a = o_arr(o, "EventSelectors");
        on e = a_obj(a);
        o_known(e, "ReadWriteType", json_string("All"));
        o_known(e, "IncludeManagementEvents", json_true());
        o_arr(e, "DataResources");
        o_arr(e, "ExcludeManagementEventSources");
        return;
    }
    if (tv_known(es) && tv_known(aes))
        o_known(o, "HasCustomEventSelectors", json_true());
    else
        o_unknown(o, "HasCustomEventSelectors");
    if (!o_special(ctx, o, "EventSelectors", es) && tv_len(es)) {
        on a = o_arr(o, "EventSelectors");
        for (size_t i = 0; i < tv_len(es); i++) {
            tv s = ti(es, i);
            on e = a_obj(a);
            put(ctx, e, "ReadWriteType", tk(s, "read_write_type"));
            put(ctx, e, "IncludeManagementEvents", tk(s, "include_management_events"));
            tv drs = tk(s, "data_resource");
            if (!o_special(ctx, e, "DataResources", drs)) {
                on da = o_arr(e, "DataResources");
                for (size_t j = 0; j < tv_len(drs); j++) {
                    on d = a_obj(da);
                    put(ctx, d, "Type", tk(ti(drs, j), "type"));
                    put(ctx, d, "Values", tk(ti(drs, j), "values"));
                }
            }
            tv ex = tk(s, "exclude_management_event_sources");
            if (tv_null(ex))
                o_arr(e, "ExcludeManagementEventSources");
            else
                put(ctx, e, "ExcludeManagementEventSources", ex);
        }
    }
    if (!o_special(ctx, o, "AdvancedEventSelectors", aes) && tv_len(aes)) {
        static const char *const ops[][2] = {
            {"equals", "Equals"},
            {"starts_with", "StartsWith"},
            {"ends_with", "EndsWith"},
            {"not_equals", "NotEquals"},
            {"not_starts_with", "NotStartsWith"},
            {"not_ends_with", "NotEndsWith"},
        };
        on a = o_arr(o, "AdvancedEventSelectors");
        for (size_t i = 0; i < tv_len(aes); i++) {
            tv s = ti(aes, i);
            on e = a_obj(a);
            put_nstr(ctx, e, "Name", tk(s, "name"));
            tv fs = tk(s, "field_selector");
            if (o_special(ctx, e, "FieldSelectors", fs))
                continue;
            on fa = o_arr(e, "FieldSelectors");
            for (size_t j = 0; j < tv_len(fs); j++) {
                tv f = ti(fs, j);
                on fe = a_obj(fa);
                put(ctx, fe, "Field", tk(f, "field"));
                for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
                    tv v = tk(f, ops[k][0]);
                    if (!tv_null(v) && !(tv_known(v) && json_is_array(v.v) && !tv_len(v)))
                        put(ctx, fe, ops[k][1], v);
                }
            }
        }
    }
}

static void map_trail(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::CloudTrail::Trail");
    on o = on_root(r);
    tv t = tv_root(rc);
    put(ctx, o, "Name", tk(t, "name"));
    put_ref(ctx, rc, o, "S3BucketName", "s3_bucket_name", "id");
    put_nstr(ctx, o, "S3KeyPrefix", tk(t, "s3_key_prefix"));
    if (!tv_null(tk(t, "sns_topic_name")))
        put_ref(ctx, rc, o, "SnsTopicName", "sns_topic_name", "name");
    put(ctx, o, "IncludeGlobalServiceEvents", tk(t, "include_global_service_events"));
    put(ctx, o, "IsMultiRegionTrail", tk(t, "is_multi_region_trail"));
    put(ctx, o, "IsOrganizationTrail", tk(t, "is_organization_trail"));
    tv home = tk(t, "home_region");
    if (!tv_known(home) && !tv_sens(home) && strcmp(rc->region, "unknown") != 0)
        o_known(o, "HomeRegion", json_string(rc->region)); /* a trail lives where it is made */
    else
        put(ctx, o, "HomeRegion", home);
    put_arn_or_address(o, "TrailARN", rc);
    tv lfv = tk(t, "enable_log_file_validation");
    if (tv_null(lfv))
        o_known(o, "LogFileValidationEnabled", json_false());
    else
        put(ctx, o, "LogFileValidationEnabled", lfv);
    if (!tv_null(tk(t, "cloud_watch_logs_group_arn")))
        put_ref(ctx, rc, o, "CloudWatchLogsLogGroupArn", "cloud_watch_logs_group_arn", "arn");
    if (!tv_null(tk(t, "cloud_watch_logs_role_arn")))
        put_ref(ctx, rc, o, "CloudWatchLogsRoleArn", "cloud_watch_logs_role_arn", "arn");
    if (!tv_null(tk(t, "kms_key_id")))
        put_ref(ctx, rc, o, "KmsKeyId", "kms_key_id", "arn");
    tv ins = tk(t, "insight_selector");
    if (tv_known(ins))
        o_known(o, "HasInsightSelectors", json_boolean(tv_len(ins) > 0));
    else
        o_unknown(o, "HasInsightSelectors");
    on st = o_obj(o, "Status");
    tv logging = tk(t, "enable_logging");
    if (tv_null(logging))
        o_known(st, "IsLogging", json_true());
    else
        put(ctx, st, "IsLogging", logging);
    trail_selectors(ctx, rc, o);
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* ---- Config ---------------------------------------------------------------------------------- */

static void map_recorder(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::Config::ConfigurationRecorder");
    on o = on_root(r);
    tv t = tv_root(rc);
    put(ctx, o, "name", tk(t, "name"));
    if (!tv_null(tk(t, "role_arn")))
        put_ref(ctx, rc, o, "roleARN", "role_arn", "arn");
    tv rg = tk(t, "recording_group");
    if (unset_on_create(rc, "recording_group") || (tv_known(rg) && !tv_len(rg))) {
        /* AWS's default recording group: everything supported, no global types. */
        on g = o_obj(o, "recordingGroup");
        o_known(g, "allSupported", json_true());
        o_known(g, "includeGlobalResourceTypes", json_false());
        o_arr(g, "resourceTypes");
    } else if (!o_special(ctx, o, "recordingGroup", rg)) {
        tv b = ti(rg, 0);
        on g = o_obj(o, "recordingGroup");
        put(ctx, g, "allSupported", tk(b, "all_supported"));
        put(ctx, g, "includeGlobalResourceTypes", tk(b, "include_global_resource_types"));
        put(ctx, g, "resourceTypes", tk(b, "resource_types"));
        tv ex = tv_block(tk(b, "exclusion_by_resource_types"));
        if (!tv_null(ex) && (json_is_object(ex.v) || !tv_known(ex)) &&
            !o_special(ctx, g, "exclusionByResourceTypes", ex)) {
            on e = o_obj(g, "exclusionByResourceTypes");
            put(ctx, e, "resourceTypes", tk(ex, "resource_types"));
        }
        tv rs = tv_block(tk(b, "recording_strategy"));
        if (!tv_null(rs) && (json_is_object(rs.v) || !tv_known(rs)) &&
            !o_special(ctx, g, "recordingStrategy", rs)) {
            on e = o_obj(g, "recordingStrategy");
            put(ctx, e, "useOnly", tk(rs, "use_only"));
        }
    }
    tv mode = tv_block(tk(t, "recording_mode"));
    if (!tv_null(mode) && (json_is_object(mode.v) || !tv_known(mode)) &&
        !o_special(ctx, o, "recordingMode", mode)) {
        on m = o_obj(o, "recordingMode");
        put(ctx, m, "recordingFrequency", tk(mode, "recording_frequency"));
        tv ov = tk(mode, "recording_mode_override");
        if (!o_special(ctx, m, "recordingModeOverrides", ov) && tv_len(ov)) {
            on a = o_arr(m, "recordingModeOverrides");
            for (size_t i = 0; i < tv_len(ov); i++) {
                on e = a_obj(a);
                put(ctx, e, "description", tk(ti(ov, i), "description"));
                put(ctx, e, "recordingFrequency", tk(ti(ov, i), "recording_frequency"));
                put(ctx, e, "resourceTypes", tk(ti(ov, i), "resource_types"));
            }
        }
    }
    const char *name = tv_str(tk(t, "name"));
    pp_plan_doc_register(ctx, r->type, name ? name : rc->id, r);
}

static void recorder_status(pp_plan_ctx *ctx, pp_plan_rc *rc, pp_resource *rec)
{
    on st = o_obj(on_root(rec), "Status");
    put(ctx, st, "name", tk(tv_root(rc), "name"));
    put(ctx, st, "recording", tk(tv_root(rc), "is_enabled"));
    o_unknown(st, "lastStatus"); /* how the last delivery went is known only at run time */
}

static void map_recorder_status(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *rec = find_parent(ctx, rc, "name", "AWS::Config::ConfigurationRecorder", "name");
    if (rec) {
        pp_plan_note_merged(ctx, rc, rec);
        recorder_status(ctx, rc, rec);
        return;
    }
    static const char *const unk[] = {"roleARN", "recordingGroup", NULL};
    rec = synthetic(ctx, rc, "AWS::Config::ConfigurationRecorder", unk);
    put(ctx, on_root(rec), "name", tk(tv_root(rc), "name"));
    recorder_status(ctx, rc, rec);
}

/* A recorder without a status resource: a new one is created stopped; an existing one's state
 * is not in the plan. */
static void post_recorder(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    on o = on_root(rc->res);
    if (json_object_get(o.d, "Status"))
        return;
    if (created(rc)) {
        on st = o_obj(o, "Status");
        put(ctx, st, "name", tk(tv_root(rc), "name"));
        o_known(st, "recording", json_false());
        o_unknown(st, "lastStatus");
    } else {
        on st = o_obj(o, "Status");
        put(ctx, st, "name", tk(tv_root(rc), "name"));
        o_unknown(st, "recording");
    }
}

static void map_delivery_channel(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::Config::DeliveryChannel");
    on o = on_root(r);
    tv t = tv_root(rc);
    put(ctx, o, "name", tk(t, "name"));
    put_ref(ctx, rc, o, "s3BucketName", "s3_bucket_name", "id");
    put_nstr(ctx, o, "s3KeyPrefix", tk(t, "s3_key_prefix"));
    if (!tv_null(tk(t, "s3_kms_key_arn")))
        put_ref(ctx, rc, o, "s3KmsKeyArn", "s3_kms_key_arn", "arn");
    if (!tv_null(tk(t, "sns_topic_arn")))
        put_ref(ctx, rc, o, "snsTopicARN", "sns_topic_arn", "arn");
    tv p = tv_block(tk(t, "snapshot_delivery_properties"));
    if (!tv_null(p) && (json_is_object(p.v) || !tv_known(p)) &&
        !o_special(ctx, o, "configSnapshotDeliveryProperties", p)) {
        on d = o_obj(o, "configSnapshotDeliveryProperties");
        put(ctx, d, "deliveryFrequency", tk(p, "delivery_frequency"));
    }
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* ---- GuardDuty ----------------------------------------------------------------------------- */

static void gd_status(pp_plan_ctx *ctx, on o, const char *k, tv enable)
{
    put_bool_str(ctx, o, k, enable, "ENABLED", "DISABLED");
}

static void map_detector(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::GuardDuty::Detector");
    on o = on_root(r);
    tv t = tv_root(rc);
    o_known(o, "DetectorId", json_string(rc->id));
    tv en = tk(t, "enable");
    if (tv_null(en))
        o_known(o, "Status", json_string("ENABLED"));
    else
        gd_status(ctx, o, "Status", en);
    put(ctx, o, "FindingPublishingFrequency", tk(t, "finding_publishing_frequency"));
    put(ctx, o, "ServiceRole", tk(t, "service_role_arn"));
    tv ds = tv_block(tk(t, "datasources"));
    if (!tv_null(ds) && (json_is_object(ds.v) || !tv_known(ds)) &&
        !o_special(ctx, o, "DataSources", ds)) {
        on d = o_obj(o, "DataSources");
        tv s3 = tv_block(tk(ds, "s3_logs"));
        if (json_is_object(s3.v) || !tv_known(s3)) {
            on s = o_obj(d, "S3Logs");
            gd_status(ctx, s, "Status", tk(s3, "enable"));
        }
        tv k8s = tv_block(tk(tv_block(tk(ds, "kubernetes")), "audit_logs"));
        if (json_is_object(k8s.v) || !tv_known(k8s)) {
            on k = o_obj(o_obj(d, "Kubernetes"), "AuditLogs");
            gd_status(ctx, k, "Status", tk(k8s, "enable"));
        }
        tv mp = tv_block(tk(
            tv_block(tk(tv_block(tk(ds, "malware_protection")), "scan_ec2_instance_with_findings")),
            "ebs_volumes"));
        if (json_is_object(mp.v) || !tv_known(mp)) {
            on m = o_obj(o_obj(o_obj(d, "MalwareProtection"), "ScanEc2InstanceWithFindings"),
                         "EbsVolumes");
            gd_status(ctx, m, "Status", tk(mp, "enable"));
        }
    }
    tv tags = tk(t, "tags_all");
    if (tv_null(tags) || (tv_unk(tags) && !pp_plan_provider_has_default_tags(ctx, rc)))
        tags = tk(t, "tags");
    put(ctx, o, "Tags", tags);
    o_arr(o, "Features");
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_detector_feature(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *d = find_parent(ctx, rc, "detector_id", "AWS::GuardDuty::Detector", "id");
    on a;
    if (!d || !o_child_arr(on_root(d), "Features", &a))
        return;
    pp_plan_note_merged(ctx, rc, d);
    tv t = tv_root(rc);
    on e = a_obj(a);
    put(ctx, e, "Name", tk(t, "name"));
    put(ctx, e, "Status", tk(t, "status"));
    tv ac = tk(t, "additional_configuration");
    if (!o_special(ctx, e, "AdditionalConfiguration", ac) && tv_len(ac)) {
        on aa = o_arr(e, "AdditionalConfiguration");
        for (size_t i = 0; i < tv_len(ac); i++) {
            on c = a_obj(aa);
            put(ctx, c, "Name", tk(ti(ac, i), "name"));
            put(ctx, c, "Status", tk(ti(ac, i), "status"));
        }
    }
}

/* ---- IAM ------------------------------------------------------------------------------------- */

static void map_password_policy(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::::Account");
    on o = on_root(r);
    tv t = tv_root(rc);
    /* the rest of the account (root credentials, summary, MFA devices) is not in a plan */
    static const char *const elsewhere[] = {"AccountId", "AccountSummary", "CredentialReport",
                                            "VirtualMFADevices", NULL};
    for (const char *const *k = elsewhere; *k; k++)
        o_unknown(o, *k);
    on p = o_obj(o, "PasswordPolicy");
    put(ctx, p, "MinimumPasswordLength", tk(t, "minimum_password_length"));
    put(ctx, p, "RequireSymbols", tk(t, "require_symbols"));
    put(ctx, p, "RequireNumbers", tk(t, "require_numbers"));
    put(ctx, p, "RequireUppercaseCharacters", tk(t, "require_uppercase_characters"));
    put(ctx, p, "RequireLowercaseCharacters", tk(t, "require_lowercase_characters"));
    put(ctx, p, "AllowUsersToChangePassword", tk(t, "allow_users_to_change_password"));
    tv age = tk(t, "max_password_age");
    put_nonzero(ctx, p, "MaxPasswordAge", age);
    put_nonzero(ctx, p, "PasswordReusePrevention", tk(t, "password_reuse_prevention"));
    put(ctx, p, "HardExpiry", tk(t, "hard_expiry"));
    tv exp = tk(t, "expire_passwords");
    if (!tv_known(exp) && !tv_sens(exp) && tv_known(age))
        o_known(p, "ExpirePasswords", json_boolean(json_number_value(age.v) > 0));
    else
        put(ctx, p, "ExpirePasswords", exp);
}

/* Principals: GroupList, policies and attachments are only what the plan says; for a principal
 * that already exists others may be attached outside Terraform, so those lists get an unknown
 * element. */
static void principal_lists(pp_plan_rc *rc, on o, const char *inline_key, bool groups)
{
    const char *keys[] = {inline_key, "AttachedManagedPolicies", groups ? "GroupList" : NULL};
    for (size_t i = 0; i < 3; i++) {
        if (!keys[i] || json_object_get(o.d, keys[i]))
            continue;
        on a = o_arr(o, keys[i]);
        if (!created(rc))
            a_push_unknown(a);
    }
}

static void put_boundary(pp_plan_ctx *ctx, const pp_plan_rc *rc, on o)
{
    tv b = tk(tv_root(rc), "permissions_boundary");
    if (tv_null(b) || (tv_known(b) && !tv_nstr(b)))
        return;
    on p = o_obj(o, "PermissionsBoundary");
    o_known(p, "PermissionsBoundaryType", json_string("Policy"));
    put_ref(ctx, rc, p, "PermissionsBoundaryArn", "permissions_boundary", "arn");
}

static void map_user(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::IAM::User");
    on o = on_root(r);
    tv t = tv_root(rc);
    put(ctx, o, "UserName", tk(t, "name"));
    put(ctx, o, "Path", tk(t, "path"));
    put(ctx, o, "Arn", tk(t, "arn"));
    put(ctx, o, "UserId", tk(t, "unique_id"));
    put_boundary(ctx, rc, o);
    put_tags(ctx, rc, o);
    principal_lists(rc, o, "UserPolicyList", true);
    /* access keys and MFA devices: only the plan's for a new user; an existing one may have
     * others */
    on keys = o_arr(o, "AccessKeys");
    on mfa = o_arr(o, "MFADevices");
    if (!created(rc)) {
        a_push_unknown(keys);
        a_push_unknown(mfa);
    }
    pp_plan_doc_register(ctx, r->type, tv_str(tk(t, "name")), r);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* After the login profile and keys merged: a new user's credential report row follows from
 * them (no MFA, nothing used yet); an existing user's is not in the plan. */
static void post_user(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    on o = on_root(rc->res);
    if (!created(rc)) {
        if (!json_object_get(o.d, "LoginProfile"))
            o_unknown(o, "LoginProfile");
        o_unknown(o, "CredentialReport");
        return;
    }
    bool console = json_object_get(o.d, "LoginProfile") != NULL;
    on cr = o_obj(o, "CredentialReport");
    put(ctx, cr, "user", tk(tv_root(rc), "name"));
    o_unknown(cr, "arn");
    o_known(cr, "password_enabled", json_string(console ? "true" : "false"));
    o_known(cr, "password_last_used", json_string(console ? "no_information" : "N/A"));
    o_known(cr, "mfa_active", json_string("false"));
    const json_t *keys = json_object_get(o.d, "AccessKeys");
    for (size_t i = 0; i < 2; i++) {
        const json_t *k = json_array_get(keys, i);
        const char *st = json_string_value(json_object_get(k, "Status"));
        char name[32];
        snprintf(name, sizeof(name), "access_key_%zu_active", i + 1);
        if (k && !st)
            o_unknown(cr, name);
        else
            o_known(cr, name, json_string(pp_str_eq(st, "Active") ? "true" : "false"));
    }
}

static void map_group(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::IAM::Group");
    on o = on_root(r);
    tv t = tv_root(rc);
    put(ctx, o, "GroupName", tk(t, "name"));
    put(ctx, o, "Path", tk(t, "path"));
    put(ctx, o, "Arn", tk(t, "arn"));
    put(ctx, o, "GroupId", tk(t, "unique_id"));
    principal_lists(rc, o, "GroupPolicyList", false);
    pp_plan_doc_register(ctx, r->type, tv_str(tk(t, "name")), r);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void inline_policy(pp_plan_ctx *ctx, const pp_plan_rc *rc, on a, tv name, tv doc)
{
    const char *n = tv_str(name);
    if (n)
        for (size_t i = 0; i < json_array_size(a.d); i++)
            if (pp_str_eq(json_string_value(json_object_get(json_array_get(a.d, i), "PolicyName")),
                          n))
                return; /* a refreshed role already lists the policy its resource manages */
    on e = a_obj(a);
    put(ctx, e, "PolicyName", name);
    put_policy(ctx, rc, e, "PolicyDocument", doc);
}

static const char *arn_tail(const char *arn)
{
    const char *s = arn ? strrchr(arn, '/') : NULL;
    return s ? s + 1 : arn;
}

static void attach_policy(pp_plan_ctx *ctx, on principal, const char *arn)
{
    on a;
    if (!o_child_arr(principal, "AttachedManagedPolicies", &a))
        return;
    if (!arn) {
        a_push_unknown(a);
        return;
    }
    for (size_t i = 0; i < json_array_size(a.d); i++)
        if (pp_str_eq(json_string_value(json_object_get(json_array_get(a.d, i), "PolicyArn")), arn))
            return;
    on e = a_obj(a);
    pp_resource *pol = pp_plan_doc_find(ctx, "AWS::IAM::Policy", arn);
    const json_t *pname = pol ? json_object_get(pol->doc, "PolicyName") : NULL;
    bool pname_known =
        pol && (!pol->unknown || !json_is_true(json_object_get(pol->unknown, "PolicyName")));
    if (json_is_string(pname) && pname_known)
        o_known(e, "PolicyName", json_incref((json_t *)pname));
    else if (pol)
        o_unknown(e, "PolicyName");
    else
        o_known(e, "PolicyName", json_string(arn_tail(arn)));
    o_known(e, "PolicyArn", json_string(arn));
}

static void map_role(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::IAM::Role");
    on o = on_root(r);
    tv t = tv_root(rc);
    put(ctx, o, "RoleName", tk(t, "name"));
    put(ctx, o, "Path", tk(t, "path"));
    put(ctx, o, "Arn", tk(t, "arn"));
    put(ctx, o, "RoleId", tk(t, "unique_id"));
    put_nstr(ctx, o, "Description", tk(t, "description"));
    put(ctx, o, "MaxSessionDuration", tk(t, "max_session_duration"));
    put_policy(ctx, rc, o, "AssumeRolePolicyDocument", tk(t, "assume_role_policy"));
    put_boundary(ctx, rc, o);
    put_tags(ctx, rc, o);
    tv ip = tk(t, "inline_policy");
    if (unset_on_create(rc, "inline_policy")) {
        o_arr(o, "RolePolicyList");
    } else if (!o_special(ctx, o, "RolePolicyList", ip)) {
        on a = o_arr(o, "RolePolicyList");
        for (size_t i = 0; i < tv_len(ip); i++) {
            tv b = ti(ip, i);
            if (tv_known(b) && tv_null(tk(b, "name")) && tv_null(tk(b, "policy")))
                continue; /* the provider's empty placeholder block */
            inline_policy(ctx, rc, a, tk(b, "name"), tk(b, "policy"));
        }
    }
    tv mp = tk(t, "managed_policy_arns");
    if (unset_on_create(rc, "managed_policy_arns")) {
        o_arr(o, "AttachedManagedPolicies");
    } else if (!o_special(ctx, o, "AttachedManagedPolicies", mp)) {
        o_arr(o, "AttachedManagedPolicies");
        for (size_t i = 0; i < tv_len(mp); i++)
            attach_policy(ctx, o, tv_str(ti(mp, i)));
    }
    pp_plan_doc_register(ctx, r->type, tv_str(tk(t, "name")), r);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_policy(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::IAM::Policy");
    on o = on_root(r);
    tv t = tv_root(rc);
    put(ctx, o, "PolicyName", tk(t, "name"));
    put(ctx, o, "Path", tk(t, "path"));
    put_arn_or_address(o, "Arn", rc);
    put(ctx, o, "PolicyId", tk(t, "policy_id"));
    put_nstr(ctx, o, "Description", tk(t, "description"));
    o_known(o, "IsAttachable", json_true());
    tv doc = tk(t, "policy");
    put_policy(ctx, rc, o, "Document", doc);
    on vl = o_arr(o, "PolicyVersionList");
    on v = a_obj(vl);
    put_policy(ctx, rc, v, "Document", doc);
    o_known(v, "IsDefaultVersion", json_true());
    tv count = tk(t, "attachment_count");
    if (created(rc))
        o_known(o, "AttachmentCount", json_integer(0));
    else
        put(ctx, o, "AttachmentCount", count);
    if (!json_object_get(o.d, "AttachmentCount"))
        o_unknown(o, "AttachmentCount");
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, json_string_value(json_object_get(o.d, "Arn")), r);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* Which principal a child resource names, and its document type and inline list. */
typedef struct principal_kind {
    const char *attr, *type, *name_key, *inline_key;
} principal_kind;

static const principal_kind pk_user = {"user", "AWS::IAM::User", "UserName", "UserPolicyList"};
static const principal_kind pk_group = {"group", "AWS::IAM::Group", "GroupName", "GroupPolicyList"};
static const principal_kind pk_role = {"role", "AWS::IAM::Role", "RoleName", "RolePolicyList"};

/* The principal's document, or a synthetic one named `name` when it is not in the plan. */
static pp_resource *principal_doc(pp_plan_ctx *ctx, pp_plan_rc *rc, const principal_kind *k,
                                  const char *attr, const char *name)
{
    pp_resource *p = NULL;
    if (attr) {
        p = find_parent(ctx, rc, attr, k->type, "name");
    } else if (name) {
        p = pp_plan_doc_find(ctx, k->type, name);
    }
    if (p) {
        pp_plan_note_merged(ctx, rc, p);
        return p;
    }
    char *n = attr ? ref_value(ctx, rc, attr, "name") : pp_xstrdup(name);
    char *id = n ? pp_xasprintf("%s:%s", rc->address, n) : pp_xstrdup(rc->address);
    pp_resource *r = pp_plan_doc_synthetic(ctx, rc, k->type, id);
    on o = on_root(r);
    if (n)
        o_known(o, k->name_key, json_string(n));
    else
        o_unknown(o, k->name_key);
    o_unknown(o, "Arn");
    on a = o_arr(o, k->inline_key);
    a_push_unknown(a);
    a = o_arr(o, "AttachedManagedPolicies");
    a_push_unknown(a);
    if (k == &pk_user) {
        a_push_unknown(o_arr(o, "GroupList"));
        a_push_unknown(o_arr(o, "AccessKeys"));
        a_push_unknown(o_arr(o, "MFADevices"));
        o_unknown(o, "CredentialReport");
        if (strcmp(rc->type, "aws_iam_user_login_profile") != 0)
            o_unknown(o, "LoginProfile");
    }
    if (k == &pk_role)
        o_unknown(o, "AssumeRolePolicyDocument");
    free(n);
    free(id);
    return r;
}

static void map_inline_policy(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    const principal_kind *k = strcmp(rc->type, "aws_iam_user_policy") == 0    ? &pk_user
                              : strcmp(rc->type, "aws_iam_group_policy") == 0 ? &pk_group
                                                                              : &pk_role;
    pp_resource *p = principal_doc(ctx, rc, k, k->attr, NULL);
    on a;
    if (!o_child_arr(on_root(p), k->inline_key, &a))
        return;
    inline_policy(ctx, rc, a, tk(tv_root(rc), "name"), tk(tv_root(rc), "policy"));
}

/* Counts a new attachment on a planned policy. */
static void count_attachment(pp_plan_ctx *ctx, const pp_plan_rc *rc, const char *arn)
{
    pp_resource *pol = pp_plan_doc_find(ctx, "AWS::IAM::Policy", arn);
    if (!pol || !created(rc))
        return;
    json_t *c = json_object_get(pol->doc, "AttachmentCount");
    bool unknown = pol->unknown && json_is_true(json_object_get(pol->unknown, "AttachmentCount"));
    if (json_is_integer(c) && !unknown)
        json_integer_set(c, json_integer_value(c) + 1);
}

static void map_attachment(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    const principal_kind *k = strcmp(rc->type, "aws_iam_user_policy_attachment") == 0    ? &pk_user
                              : strcmp(rc->type, "aws_iam_group_policy_attachment") == 0 ? &pk_group
                                                                                         : &pk_role;
    char *arn = ref_value(ctx, rc, "policy_arn", "arn");
    pp_resource *p = principal_doc(ctx, rc, k, k->attr, NULL);
    attach_policy(ctx, on_root(p), arn);
    count_attachment(ctx, rc, arn);
    free(arn);
}

/* aws_iam_policy_attachment: one policy, lists of users, groups and roles (names). */
static void map_policy_attachment(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    char *arn = ref_value(ctx, rc, "policy_arn", "arn");
    const principal_kind *kinds[] = {&pk_user, &pk_group, &pk_role};
    const char *attrs[] = {"users", "groups", "roles"};
    for (size_t i = 0; i < 3; i++) {
        json_t *hold = NULL;
        tv names = ref_list(ctx, rc, attrs[i], "name", &hold);
        for (size_t j = 0; j < tv_len(names); j++) {
            const char *n = tv_str(ti(names, j));
            if (!n)
                continue;
            pp_resource *p = principal_doc(ctx, rc, kinds[i], NULL, n);
            attach_policy(ctx, on_root(p), arn);
            count_attachment(ctx, rc, arn);
        }
        json_decref(hold);
    }
    free(arn);
}

/* aws_iam_access_key: the key's metadata, never its secret. */
static void map_access_key(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *u = principal_doc(ctx, rc, &pk_user, "user", NULL);
    on a;
    if (!o_child_arr(on_root(u), "AccessKeys", &a))
        return;
    tv t = tv_root(rc);
    on e = a_obj(a);
    put(ctx, e, "UserName", tk(t, "user"));
    o_known(e, "AccessKeyId", json_string(rc->id));
    if (rc->id_synthetic)
        o_unknown(e, "AccessKeyId");
    tv st = tk(t, "status");
    if (tv_null(st))
        o_known(e, "Status", json_string("Active"));
    else
        put(ctx, e, "Status", st);
    put(ctx, e, "CreateDate", tk(t, "create_date"));
    if (!created(rc))
        o_unknown(e, "AccessKeyLastUsed"); /* a new key has never been used */
}

/* aws_iam_user_login_profile: console access, never the password. */
static void map_login_profile(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *u = principal_doc(ctx, rc, &pk_user, "user", NULL);
    on lp = o_obj(on_root(u), "LoginProfile");
    put(ctx, lp, "UserName", tk(tv_root(rc), "user"));
    o_unknown(lp, "CreateDate");
    tv reset = tk(tv_root(rc), "password_reset_required");
    if (tv_null(reset))
        o_known(lp, "PasswordResetRequired", json_false());
    else
        put(ctx, lp, "PasswordResetRequired", reset);
}

static void add_group(on user, const char *group)
{
    on a;
    if (!o_child_arr(user, "GroupList", &a))
        return;
    for (size_t i = 0; group && i < json_array_size(a.d); i++)
        if (pp_str_eq(json_string_value(json_array_get(a.d, i)), group))
            return;
    if (group)
        a_push(a, json_string(group), json_false());
    else
        a_push_unknown(a);
}

static void map_user_groups(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *u = find_parent(ctx, rc, "user", "AWS::IAM::User", "name");
    if (!u)
        return;
    pp_plan_note_merged(ctx, rc, u);
    json_t *hold = NULL;
    tv groups = ref_list(ctx, rc, "groups", "name", &hold);
    if (!tv_known(groups))
        add_group(on_root(u), NULL);
    for (size_t i = 0; i < tv_len(groups); i++)
        add_group(on_root(u), tv_str(ti(groups, i)));
    json_decref(hold);
}

static void map_group_membership(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    char *group = ref_value(ctx, rc, "group", "name");
    json_t *hold = NULL;
    tv users = ref_list(ctx, rc, "users", "name", &hold);
    for (size_t i = 0; i < tv_len(users); i++) {
        pp_resource *u = pp_plan_doc_find(ctx, "AWS::IAM::User", tv_str(ti(users, i)));
        if (!u)
            continue;
        pp_plan_note_merged(ctx, rc, u);
        add_group(on_root(u), group);
    }
    json_decref(hold);
    free(group);
}

/* ---- CloudWatch and SNS ---------------------------------------------------------------------- */

static void map_metric_filter(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::Logs::MetricFilter");
    on o = on_root(r);
    tv t = tv_root(rc);
    put(ctx, o, "filterName", tk(t, "name"));
    put(ctx, o, "filterPattern", tk(t, "pattern"));
    put_ref(ctx, rc, o, "logGroupName", "log_group_name", "name");
    put(ctx, o, "applyOnTransformedLogs", tk(t, "apply_on_transformed_logs"));
    tv mts = tk(t, "metric_transformation");
    if (!o_special(ctx, o, "metricTransformations", mts)) {
        on a = o_arr(o, "metricTransformations");
        for (size_t i = 0; i < tv_len(mts); i++) {
            tv m = ti(mts, i);
            on e = a_obj(a);
            put(ctx, e, "metricName", tk(m, "name"));
            put(ctx, e, "metricNamespace", tk(m, "namespace"));
            put(ctx, e, "metricValue", tk(m, "value"));
            put_nstr(ctx, e, "defaultValue", tk(m, "default_value"));
            tv dims = tk(m, "dimensions");
            if (!(tv_known(dims) && json_is_object(dims.v) && !json_object_size(dims.v)))
                put(ctx, e, "dimensions", dims);
            put_nstr(ctx, e, "unit", tk(m, "unit"));
        }
    }
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void put_dimensions(pp_plan_ctx *ctx, on o, tv dims)
{
    if (tv_null(dims))
        return;
    if (o_special(ctx, o, "Dimensions", dims))
        return;
    on a = o_arr(o, "Dimensions");
    const char *k;
    json_t *v;
    json_object_foreach(dims.v, k, v)
    {
        on e = a_obj(a);
        o_known(e, "Name", json_string(k));
        put(ctx, e, "Value", tk(dims, k));
    }
}

static void map_alarm(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::CloudWatch::Alarm");
    on o = on_root(r);
    tv t = tv_root(rc);
    json_t *hold = NULL;
    put(ctx, o, "AlarmName", tk(t, "alarm_name"));
    put(ctx, o, "AlarmArn", tk(t, "arn"));
    put_nstr(ctx, o, "AlarmDescription", tk(t, "alarm_description"));
    put(ctx, o, "ActionsEnabled", tk(t, "actions_enabled"));
    static const char *const lists[][2] = {
        {"ok_actions", "OKActions"},
        {"alarm_actions", "AlarmActions"},
        {"insufficient_data_actions", "InsufficientDataActions"}};
    for (size_t i = 0; i < 3; i++) {
        tv l = ref_list(ctx, rc, lists[i][0], "arn", &hold);
        if (tv_null(l))
            o_arr(o, lists[i][1]);
        else
            put(ctx, o, lists[i][1], l);
        json_decref(hold);
    }
    put_nstr(ctx, o, "MetricName", tk(t, "metric_name"));
    put_nstr(ctx, o, "Namespace", tk(t, "namespace"));
    put_nstr(ctx, o, "Statistic", tk(t, "statistic"));
    put_nstr(ctx, o, "ExtendedStatistic", tk(t, "extended_statistic"));
    put_dimensions(ctx, o, tk(t, "dimensions"));
    put(ctx, o, "Period", tk(t, "period"));
    put_nstr(ctx, o, "Unit", tk(t, "unit"));
    put(ctx, o, "EvaluationPeriods", tk(t, "evaluation_periods"));
    put(ctx, o, "DatapointsToAlarm", tk(t, "datapoints_to_alarm"));
    put(ctx, o, "Threshold", tk(t, "threshold"));
    put(ctx, o, "ComparisonOperator", tk(t, "comparison_operator"));
    put(ctx, o, "TreatMissingData", tk(t, "treat_missing_data"));
    put_nstr(ctx, o, "EvaluateLowSampleCountPercentile",
             tk(t, "evaluate_low_sample_count_percentiles"));
    put_nstr(ctx, o, "ThresholdMetricId", tk(t, "threshold_metric_id"));
    tv mq = tk(t, "metric_query");
    if (!o_special(ctx, o, "Metrics", mq) && tv_len(mq)) {
        on a = o_arr(o, "Metrics");
        for (size_t i = 0; i < tv_len(mq); i++) {
            tv q = ti(mq, i);
            on e = a_obj(a);
            put(ctx, e, "Id", tk(q, "id"));
            put_nstr(ctx, e, "Expression", tk(q, "expression"));
            put_nstr(ctx, e, "Label", tk(q, "label"));
            put(ctx, e, "ReturnData", tk(q, "return_data"));
            tv m = tv_block(tk(q, "metric"));
            if (json_is_object(m.v) && !o_special(ctx, e, "MetricStat", m)) {
                on ms = o_obj(e, "MetricStat");
                on mm = o_obj(ms, "Metric");
                put(ctx, mm, "MetricName", tk(m, "metric_name"));
                put_nstr(ctx, mm, "Namespace", tk(m, "namespace"));
                put_dimensions(ctx, mm, tk(m, "dimensions"));
                put(ctx, ms, "Period", tk(m, "period"));
                put(ctx, ms, "Stat", tk(m, "stat"));
                put_nstr(ctx, ms, "Unit", tk(m, "unit"));
            }
        }
    }
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_topic(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::SNS::Topic");
    on o = on_root(r);
    tv t = tv_root(rc);
    put_arn_or_address(o, "TopicArn", rc);
    on at = o_obj(o, "Attributes");
    o_known(at, "TopicArn", json_incref(json_object_get(o.d, "TopicArn")));
    put_nstr(ctx, at, "DisplayName", tk(t, "display_name"));
    put_policy(ctx, rc, at, "Policy", tk(t, "policy"));
    put_policy(ctx, rc, at, "DeliveryPolicy", tk(t, "delivery_policy"));
    put_ref(ctx, rc, at, "KmsMasterKeyId", "kms_master_key_id", "arn");
    put(ctx, at, "Owner", tk(t, "owner"));
    /* GetTopicAttributes returns every attribute as a string */
    put_bool_str(ctx, at, "FifoTopic", tk(t, "fifo_topic"), "true", "false");
    put_bool_str(ctx, at, "ContentBasedDeduplication", tk(t, "content_based_deduplication"), "true",
                 "false");
    tv sv = tk(t, "signature_version");
    if (tv_known(sv) && json_is_integer(sv.v))
        o_known(at, "SignatureVersion", json_sprintf("%lld", (long long)json_integer_value(sv.v)));
    else if (!tv_null(sv))
        put(ctx, at, "SignatureVersion", sv);
    put_nstr(ctx, at, "TracingConfig", tk(t, "tracing_config"));
    on subs = o_arr(o, "Subscriptions");
    if (!created(rc))
        a_push_unknown(subs); /* subscriptions made outside Terraform are not in the plan */
    put_tags(ctx, rc, o);
    pp_plan_doc_register(ctx, r->type, json_string_value(json_object_get(o.d, "TopicArn")), r);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

static void map_subscription(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *topic = find_parent(ctx, rc, "topic_arn", "AWS::SNS::Topic", "arn");
    on a;
    if (!topic || !o_child_arr(on_root(topic), "Subscriptions", &a)) {
        pp_log(PP_LOG_DEBUG, COMPONENT, "%s: topic not in the plan", rc->address);
        return;
    }
    pp_plan_note_merged(ctx, rc, topic);
    tv t = tv_root(rc);
    on e = a_obj(a);
    put(ctx, e, "SubscriptionArn", tk(t, "arn"));
    put(ctx, e, "Owner", tk(t, "owner_id"));
    put(ctx, e, "Protocol", tk(t, "protocol"));
    put_ref(ctx, rc, e, "Endpoint", "endpoint", "arn");
    o_known(e, "TopicArn", json_incref(json_object_get(topic->doc, "TopicArn")));
}

/* ---- S3 ------------------------------------------------------------------------------------- */

static void s3_encryption(pp_plan_ctx *ctx, const pp_plan_rc *rc, on o, tv rules)
{
    if (o_special(ctx, o, "ServerSideEncryptionConfiguration", rules))
        return;
    on c = o_obj(o, "ServerSideEncryptionConfiguration");
    on a = o_arr(c, "Rules");
    for (size_t i = 0; i < tv_len(rules); i++) {
        tv r = ti(rules, i);
        on e = a_obj(a);
        tv d = tv_block(tk(r, "apply_server_side_encryption_by_default"));
        if (!o_special(ctx, e, "ApplyServerSideEncryptionByDefault", d) && json_is_object(d.v)) {
            on dd = o_obj(e, "ApplyServerSideEncryptionByDefault");
            put(ctx, dd, "SSEAlgorithm", tk(d, "sse_algorithm"));
            put_nstr(ctx, dd, "KMSMasterKeyID", tk(d, "kms_master_key_id"));
        }
        tv bk = tk(r, "bucket_key_enabled");
        if (tv_null(bk))
            o_known(e, "BucketKeyEnabled", json_false());
        else
            put(ctx, e, "BucketKeyEnabled", bk);
    }
    (void)rc;
}

static void s3_logging(pp_plan_ctx *ctx, on o, tv l)
{
    if (o_special(ctx, o, "LoggingEnabled", l))
        return;
    on e = o_obj(o, "LoggingEnabled");
    put(ctx, e, "TargetBucket", tk(l, "target_bucket"));
    put(ctx, e, "TargetPrefix", tk(l, "target_prefix"));
}

static void map_bucket(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *r = pp_plan_doc_new(ctx, rc, "AWS::S3::Bucket");
    on o = on_root(r);
    tv t = tv_root(rc);
    tv name = tk(t, "bucket");
    put(ctx, o, "Name", name);
    if (strcmp(rc->region, "unknown") != 0)
        o_known(o, "LocationConstraint", json_string(rc->region));
    /* The provider's deprecated inline arguments: known from state for an existing bucket, or
     * set in the configuration; the separate resources (phase 2) override them. */
    tv pol = tk(t, "policy");
    if (tv_known(pol) || pp_plan_cfg_expr(rc, "policy"))
        put_policy(ctx, rc, o, "Policy", pol);
    tv sse = tk(t, "server_side_encryption_configuration");
    if ((tv_known(sse) && tv_len(sse)) ||
        pp_plan_cfg_expr(rc, "server_side_encryption_configuration"))
        s3_encryption(ctx, rc, o, tk(tv_block(sse), "rule"));
    tv lg = tk(t, "logging");
    if ((tv_known(lg) && tv_len(lg)) || pp_plan_cfg_expr(rc, "logging"))
        s3_logging(ctx, o, tv_block(lg));
    const char *n = tv_str(name);
    pp_plan_doc_register(ctx, r->type, n ? n : rc->id, r);
    pp_plan_doc_register(ctx, r->type, rc->id, r);
}

/* What a bucket's document lacks after every merge: a new bucket gets AWS's defaults (SSE-S3
 * encryption since January 2023, Block Public Access on since April 2023, no policy, no
 * logging); for an existing bucket the plan cannot say. */
static void post_bucket(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    on o = on_root(rc->res);
    bool fresh = created(rc);
    if (!json_object_get(o.d, "ServerSideEncryptionConfiguration")) {
        if (fresh) {
            on c = o_obj(o, "ServerSideEncryptionConfiguration");
            on e = a_obj(o_arr(c, "Rules"));
            on d = o_obj(e, "ApplyServerSideEncryptionByDefault");
            o_known(d, "SSEAlgorithm", json_string("AES256"));
            o_known(e, "BucketKeyEnabled", json_false());
        } else {
            o_unknown(o, "ServerSideEncryptionConfiguration");
        }
    }
    if (!json_object_get(o.d, "PublicAccessBlockConfiguration")) {
        if (fresh) {
            on p = o_obj(o, "PublicAccessBlockConfiguration");
            o_known(p, "BlockPublicAcls", json_true());
            o_known(p, "IgnorePublicAcls", json_true());
            o_known(p, "BlockPublicPolicy", json_true());
            o_known(p, "RestrictPublicBuckets", json_true());
        } else {
            o_unknown(o, "PublicAccessBlockConfiguration");
        }
    }
    (void)ctx;
}

static void map_bucket_part(pp_plan_ctx *ctx, pp_plan_rc *rc)
{
    pp_resource *b = find_parent(ctx, rc, "bucket", "AWS::S3::Bucket", "id");
    if (!b) {
        pp_log(PP_LOG_DEBUG, COMPONENT, "%s: bucket not in the plan", rc->address);
        return;
    }
    pp_plan_note_merged(ctx, rc, b);
    on o = on_root(b);
    tv t = tv_root(rc);
    if (strcmp(rc->type, "aws_s3_bucket_policy") == 0) {
        put_policy(ctx, rc, o, "Policy", tk(t, "policy"));
    } else if (strcmp(rc->type, "aws_s3_bucket_public_access_block") == 0) {
        on p = o_obj(o, "PublicAccessBlockConfiguration");
        put(ctx, p, "BlockPublicAcls", tk(t, "block_public_acls"));
        put(ctx, p, "IgnorePublicAcls", tk(t, "ignore_public_acls"));
        put(ctx, p, "BlockPublicPolicy", tk(t, "block_public_policy"));
        put(ctx, p, "RestrictPublicBuckets", tk(t, "restrict_public_buckets"));
    } else if (strcmp(rc->type, "aws_s3_bucket_logging") == 0) {
        on e = o_obj(o, "LoggingEnabled");
        put_ref(ctx, rc, e, "TargetBucket", "target_bucket", "id");
        put(ctx, e, "TargetPrefix", tk(t, "target_prefix"));
    } else {
        s3_encryption(ctx, rc, o, tk(t, "rule"));
    }
}

/* ---- the table ------------------------------------------------------------------------------ */

static const pp_plan_mapper mappers[] = {
    {"aws_vpc", 1, map_vpc, NULL, false},
    {"aws_default_vpc", 1, map_vpc, NULL, false},
    {"aws_subnet", 1, map_subnet, NULL, false},
    {"aws_default_subnet", 1, map_subnet, NULL, false},
    {"aws_route_table", 1, map_route_table, NULL, true},
    {"aws_default_route_table", 1, map_route_table, NULL, true},
    {"aws_route", 2, map_route, NULL, false},
    {"aws_route_table_association", 2, map_rt_assoc, NULL, false},
    {"aws_main_route_table_association", 2, map_rt_assoc, NULL, false},
    {"aws_internet_gateway", 1, map_igw, NULL, true},
    {"aws_internet_gateway_attachment", 2, map_igw_attach, NULL, false},
    {"aws_nat_gateway", 1, map_nat, post_nat, true},
    {"aws_flow_log", 1, map_flow_log, NULL, false},
    {"aws_vpc_endpoint", 1, map_vpc_endpoint, NULL, true},
    {"aws_vpc_endpoint_route_table_association", 2, map_endpoint_assoc, NULL, false},
    {"aws_vpc_endpoint_subnet_association", 2, map_endpoint_assoc, NULL, false},
    {"aws_instance", 1, map_instance, NULL, false},
    {"aws_security_group", 1, map_sg, NULL, true},
    {"aws_default_security_group", 1, map_sg, NULL, true},
    {"aws_security_group_rule", 2, map_sg_rule, NULL, false},
    {"aws_vpc_security_group_ingress_rule", 2, map_sg_rule, NULL, false},
    {"aws_vpc_security_group_egress_rule", 2, map_sg_rule, NULL, false},
    {"aws_network_acl", 1, map_nacl, NULL, true},
    {"aws_default_network_acl", 1, map_nacl, NULL, true},
    {"aws_network_acl_rule", 2, map_nacl_rule, NULL, false},
    {"aws_network_acl_association", 2, map_nacl_assoc, NULL, false},
    {"aws_kms_key", 1, map_kms_key, NULL, true},
    {"aws_kms_alias", 2, map_kms_alias, NULL, false},
    {"aws_cloudtrail", 1, map_trail, NULL, false},
    {"aws_config_configuration_recorder", 1, map_recorder, post_recorder, true},
    {"aws_config_configuration_recorder_status", 2, map_recorder_status, NULL, false},
    {"aws_config_delivery_channel", 1, map_delivery_channel, NULL, false},
    {"aws_guardduty_detector", 1, map_detector, NULL, true},
    {"aws_guardduty_detector_feature", 2, map_detector_feature, NULL, false},
    {"aws_iam_account_password_policy", 1, map_password_policy, NULL, false},
    {"aws_iam_user", 1, map_user, post_user, true},
    {"aws_iam_access_key", 2, map_access_key, NULL, false},
    {"aws_iam_user_login_profile", 2, map_login_profile, NULL, false},
    {"aws_iam_group", 1, map_group, NULL, true},
    {"aws_iam_role", 1, map_role, NULL, true},
    {"aws_iam_policy", 1, map_policy, NULL, true},
    {"aws_iam_user_policy", 2, map_inline_policy, NULL, false},
    {"aws_iam_group_policy", 2, map_inline_policy, NULL, false},
    {"aws_iam_role_policy", 2, map_inline_policy, NULL, false},
    {"aws_iam_user_policy_attachment", 2, map_attachment, NULL, false},
    {"aws_iam_group_policy_attachment", 2, map_attachment, NULL, false},
    {"aws_iam_role_policy_attachment", 2, map_attachment, NULL, false},
    {"aws_iam_policy_attachment", 2, map_policy_attachment, NULL, false},
    {"aws_iam_user_group_membership", 2, map_user_groups, NULL, false},
    {"aws_iam_group_membership", 2, map_group_membership, NULL, false},
    {"aws_cloudwatch_log_metric_filter", 1, map_metric_filter, NULL, false},
    {"aws_cloudwatch_metric_alarm", 1, map_alarm, NULL, false},
    {"aws_sns_topic", 1, map_topic, NULL, true},
    {"aws_sns_topic_subscription", 2, map_subscription, NULL, false},
    {"aws_s3_bucket", 1, map_bucket, post_bucket, true},
    {"aws_s3_bucket_policy", 2, map_bucket_part, NULL, false},
    {"aws_s3_bucket_public_access_block", 2, map_bucket_part, NULL, false},
    {"aws_s3_bucket_logging", 2, map_bucket_part, NULL, false},
    {"aws_s3_bucket_server_side_encryption_configuration", 2, map_bucket_part, NULL, false},
};

const pp_plan_mapper *pp_plan_mapper_find(const char *tf_type)
{
    for (size_t i = 0; tf_type && i < sizeof(mappers) / sizeof(mappers[0]); i++)
        if (strcmp(mappers[i].tf_type, tf_type) == 0)
            return &mappers[i];
    return NULL;
}
