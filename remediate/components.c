/* The component types of architecture.yaml that `provision` creates: one table row each, with the
 * AWS calls that create the resource from its properties (the API's own key names), how to find
 * it in a snapshot (its parapet:component tag, else the way the reference pack's rules recognise
 * it), and the re-read that adopts one an interrupted apply made. Ids that are names (buckets,
 * log groups, IAM, trails, topics, alarms) and their ARNs are known at plan time; the others are
 * outputs of the create call ("Id", "Arn"). */
#include "components.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pp_rem_merge(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v)
    {
        json_t *have = json_object_get(dst, k);
        if (json_is_object(have) && json_is_object(v))
            pp_rem_merge(have, v);
        else
            json_object_set(dst, k, v);
    }
}

/* ---- helpers --------------------------------------------------------------------------------- */

static json_t *call(pp_rem_cbuild *b, const char *svc, const char *op, json_t *params)
{
    return pp_rem_call(b->step, svc, op, b->region, params);
}

static json_t *self(pp_rem_cbuild *b, const char *out)
{
    return pp_rem_ref(b->sid, out);
}

static const json_t *prop(pp_rem_cbuild *b, const char *k)
{
    return json_object_get(b->props, k);
}

static const char *sprop(pp_rem_cbuild *b, const char *k)
{
    return json_string_value(json_object_get(b->props, k));
}

/* copies the listed properties that are present into dst */
static void copy(json_t *dst, pp_rem_cbuild *b, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        const json_t *v = prop(b, keys[i]);
        if (v && !json_is_null(v))
            json_object_set(dst, keys[i], (json_t *)v);
    }
}

static json_t *tag_list(pp_rem_cbuild *b, const char *kn, const char *vn)
{
    json_t *a = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(b->tags, k, v)
        json_array_append_new(a, json_pack("{s:s, s:O}", kn, k, vn, v));
    return a;
}

static json_t *ec2_tags(pp_rem_cbuild *b, const char *resource_type)
{
    return json_pack("[{s:s, s:o}]", "ResourceType", resource_type, "Tag",
                     tag_list(b, "Key", "Value"));
}

static bool has_ref(const json_t *v)
{
    if (json_is_object(v)) {
        if (json_object_get(v, "$ref"))
            return true;
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            if (has_ref(c))
                return true;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            if (has_ref(c))
                return true;
        }
    }
    return false;
}

/* A document sent as JSON text (IAM, KMS and bucket policies): every value must be known now. */
static char *doc_text(pp_rem_cbuild *b, const char *key)
{
    const json_t *v = prop(b, key);
    if (!v)
        return NULL;
    if (has_ref(v)) {
        pp_err_set(PP_EINVAL,
                   "architecture.yaml: %s.%s refers to a value known only after apply; a policy "
                   "document can name ARNs that are known from names only",
                   b->path, key);
        return NULL;
    }
    if (json_is_string(v))
        return pp_xstrdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static void handle_lit(pp_rem_cbuild *b, const char *id, const char *arn)
{
    if (id)
        json_object_set_new(b->handle, "Id", json_string(id));
    if (arn)
        json_object_set_new(b->handle, "Arn", json_string(arn));
}

static json_t *existing(const pp_resource *r)
{
    json_t *h = json_pack("{s:s}", "Id", r->id);
    if (r->arn)
        json_object_set_new(h, "Arn", json_string(r->arn));
    json_object_set_new(h, "existing", json_true());
    return h;
}

static bool tagged(const pp_resource *r, const char *path)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(r->doc, "Tags"), i, t)
    {
        const char *k = pp_rem_str(t, "Key") ? pp_rem_str(t, "Key") : pp_rem_str(t, "TagKey");
        const char *v = pp_rem_str(t, "Value") ? pp_rem_str(t, "Value") : pp_rem_str(t, "TagValue");
        if (pp_str_eq(k, PP_REM_TAG_COMPONENT) && pp_str_eq(v, path))
            return true;
    }
    return false;
}

static const char *tag_value(const pp_resource *r, const char *key)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(r->doc, "Tags"), i, t)
    {
        if (pp_str_eq(pp_rem_str(t, "Key"), key))
            return pp_rem_str(t, "Value");
    }
    return NULL;
}

typedef bool (*match_fn)(pp_rem_cbuild *b, const pp_resource *r);

/* The snapshot's resource of scan type `type` in the component's account (and region) that
 * carries its parapet:component tag or that `match` recognises. */
static json_t *find(pp_rem_cbuild *b, const char *type, match_fn match)
{
    size_t n = 0;
    pp_resource *const *v = pp_inventory_of_type(b->p->o->inv, type, &n);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; v && i < n; i++) {
            const pp_resource *r = v[i];
            if (!pp_str_eq(r->account, b->account))
                continue;
            if (b->region && r->region && strcmp(r->region, "global") != 0 &&
                strcmp(r->region, b->region) != 0)
                continue;
            if (pass == 0 ? tagged(r, b->path) : (match && match(b, r)))
                return existing(r);
        }
    return NULL;
}

/* The literal id of a {ref} property, when the component it names exists already. */
static char *ref_id(pp_rem_cbuild *b, const json_t *v)
{
    if (json_is_string(v))
        return pp_xstrdup(json_string_value(v));
    if (!json_is_object(v) || !b->ref)
        return NULL;
    json_t *h = b->ref(b, v);
    char *id = pp_rem_str(h, "Id") ? pp_xstrdup(pp_rem_str(h, "Id")) : NULL;
    json_decref(h);
    return id;
}

static bool same_ref(pp_rem_cbuild *b, const char *key, const char *have)
{
    char *id = ref_id(b, prop(b, key));
    bool same = id && pp_str_eq(id, have);
    free(id);
    return same;
}

/* Some endpoints ignore tag filters: the tag is checked on what comes back. */
static bool item_tagged(const json_t *it, const char *path)
{
    const json_t *tags = json_object_get(it, "Tags");
    if (!tags)
        tags = json_object_get(it, "TagSet");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (pp_str_eq(pp_rem_str(t, "Key"), PP_REM_TAG_COMPONENT) &&
            pp_str_eq(pp_rem_str(t, "Value"), path))
            return true;
    }
    return false;
}

/* Apply time: the resource an interrupted apply created carries the component tag. EC2 only. */
static int ec2_adopt(pp_rem_check *c, const char *op, const char *list, const char *id_key)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *region = pp_rem_str(target, "region");
    json_t *in = json_pack("{s:[{s:s, s:[s]}]}", "Filter", "Name", "tag:" PP_REM_TAG_COMPONENT,
                           "Value", pp_rem_str(target, "component"));
    json_t *data = NULL;
    char *code = NULL;
    int rc = pp_rem_read(c, "ec2", op, region, in, &data, &code);
    json_decref(in);
    free(code);
    if (rc)
        return rc;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(data, list), i, it)
    {
        const char *state = pp_rem_str(it, "State");
        if (state &&
            (!strcmp(state, "deleted") || !strcmp(state, "deleting") || !strcmp(state, "failed")))
            continue;
        const char *id = pp_rem_str(it, id_key);
        if (!id || !item_tagged(it, pp_rem_str(target, "component")))
            continue;
        json_object_set_new(c->outputs, "Id", json_string(id));
        /* created already: what follows the create call (attachments, rules) is idempotent */
        json_array_remove(c->calls, 0);
        free(c->note);
        c->note = pp_xasprintf("found %s from an earlier apply, not created again", id);
        break;
    }
    json_decref(data);
    return 0;
}

/* ---- VPC and its parts --------------------------------------------------------------------------
 */

static bool vpc_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(pp_rem_str(r->doc, "CidrBlock"), sprop(b, "CidrBlock")) &&
           pp_str_eq(tag_value(r, "Name"), json_string_value(json_object_get(b->tags, "Name")));
}
static json_t *vpc_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::VPC", vpc_match);
}
static int vpc_build(pp_rem_cbuild *b)
{
    json_t *c = call(b, "ec2", "CreateVpc",
                     json_pack("{s:O?, s:o}", "CidrBlock", prop(b, "CidrBlock"), "TagSpecification",
                               ec2_tags(b, "vpc")));
    pp_rem_call_output(c, "Id", "Vpc.VpcId");
    static const char *const attrs[] = {"EnableDnsSupport", "EnableDnsHostnames"};
    for (size_t i = 0; i < 2; i++)
        if (json_is_true(prop(b, attrs[i])))
            call(b, "ec2", "ModifyVpcAttribute",
                 json_pack("{s:o, s:{s:b}}", "VpcId", self(b, "Id"), attrs[i], "Value", 1));
    pp_rem_undo(b->step, "ec2", "DeleteVpc", b->region, json_pack("{s:o}", "VpcId", self(b, "Id")));
    return 0;
}
static int vpc_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeVpcs", "Vpcs", "VpcId");
}

static bool igw_match(pp_rem_cbuild *b, const pp_resource *r)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r->doc, "Attachments"), i, a)
    {
        if (same_ref(b, "VpcId", pp_rem_str(a, "VpcId")))
            return true;
    }
    return false;
}
static json_t *igw_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::InternetGateway", igw_match);
}
static int igw_build(pp_rem_cbuild *b)
{
    json_t *c = call(b, "ec2", "CreateInternetGateway",
                     json_pack("{s:o}", "TagSpecification", ec2_tags(b, "internet-gateway")));
    pp_rem_call_output(c, "Id", "InternetGateway.InternetGatewayId");
    c = call(
        b, "ec2", "AttachInternetGateway",
        json_pack("{s:o, s:O?}", "InternetGatewayId", self(b, "Id"), "VpcId", prop(b, "VpcId")));
    pp_rem_call_ok_codes(c, "Resource.AlreadyAssociated");
    pp_rem_undo(b->step, "ec2", "DeleteInternetGateway", b->region,
                json_pack("{s:o}", "InternetGatewayId", self(b, "Id")));
    return 0;
}
static int igw_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeInternetGateways", "InternetGateways", "InternetGatewayId");
}

static bool subnet_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(pp_rem_str(r->doc, "CidrBlock"), sprop(b, "CidrBlock")) &&
           same_ref(b, "VpcId", pp_rem_str(r->doc, "VpcId"));
}
static json_t *subnet_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::Subnet", subnet_match);
}
static int subnet_build(pp_rem_cbuild *b)
{
    json_t *p = json_pack("{s:o}", "TagSpecification", ec2_tags(b, "subnet"));
    copy(p, b, (const char *const[]){"VpcId", "CidrBlock", "AvailabilityZone", NULL});
    pp_rem_call_output(call(b, "ec2", "CreateSubnet", p), "Id", "Subnet.SubnetId");
    if (json_is_true(prop(b, "MapPublicIpOnLaunch")))
        call(b, "ec2", "ModifySubnetAttribute",
             json_pack("{s:o, s:{s:b}}", "SubnetId", self(b, "Id"), "MapPublicIpOnLaunch", "Value",
                       1));
    pp_rem_undo(b->step, "ec2", "DeleteSubnet", b->region,
                json_pack("{s:o}", "SubnetId", self(b, "Id")));
    return 0;
}
static int subnet_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeSubnets", "Subnets", "SubnetId");
}

static int eip_build(pp_rem_cbuild *b)
{
    json_t *p = json_pack("{s:o}", "TagSpecification", ec2_tags(b, "elastic-ip"));
    json_object_set_new(p, "Domain", json_string(sprop(b, "Domain") ? sprop(b, "Domain") : "vpc"));
    pp_rem_call_output(call(b, "ec2", "AllocateAddress", p), "Id", "AllocationId");
    pp_rem_undo(b->step, "ec2", "ReleaseAddress", b->region,
                json_pack("{s:o}", "AllocationId", self(b, "Id")));
    return 0;
}
static int eip_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeAddresses", "Addresses", "AllocationId");
}

static bool nat_match(pp_rem_cbuild *b, const pp_resource *r)
{
    const char *st = pp_rem_str(r->doc, "State");
    return (pp_str_eq(st, "available") || pp_str_eq(st, "pending")) &&
           same_ref(b, "SubnetId", pp_rem_str(r->doc, "SubnetId"));
}
static json_t *nat_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::NatGateway", nat_match);
}
static int nat_build(pp_rem_cbuild *b)
{
    json_t *p = json_pack("{s:o}", "TagSpecification", ec2_tags(b, "natgateway"));
    copy(p, b, (const char *const[]){"SubnetId", "AllocationId", "ConnectivityType", NULL});
    json_t *c = call(b, "ec2", "CreateNatGateway", p);
    pp_rem_call_token(c, "ClientToken");
    pp_rem_call_output(c, "Id", "NatGateway.NatGatewayId");
    pp_rem_undo(b->step, "ec2", "DeleteNatGateway", b->region,
                json_pack("{s:o}", "NatGatewayId", self(b, "Id")));
    return 0;
}
static int nat_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeNatGateways", "NatGateways", "NatGatewayId");
}

/* the subnets a route table or NACL serves, all of them */
static bool serves(pp_rem_cbuild *b, const pp_resource *r)
{
    const json_t *assoc = prop(b, "Associations");
    if (!json_array_size(assoc) || !same_ref(b, "VpcId", pp_rem_str(r->doc, "VpcId")))
        return false;
    size_t i;
    json_t *a;
    json_array_foreach(assoc, i, a)
    {
        char *sid = ref_id(b, json_object_get(a, "SubnetId"));
        bool found = false;
        size_t k;
        json_t *ra;
        json_array_foreach(json_object_get(r->doc, "Associations"), k, ra)
        {
            if (sid && pp_str_eq(pp_rem_str(ra, "SubnetId"), sid))
                found = true;
        }
        free(sid);
        if (!found)
            return false;
    }
    return true;
}
static json_t *rt_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::RouteTable", serves);
}
static int rt_build(pp_rem_cbuild *b)
{
    json_t *c = call(b, "ec2", "CreateRouteTable",
                     json_pack("{s:O?, s:o}", "VpcId", prop(b, "VpcId"), "TagSpecification",
                               ec2_tags(b, "route-table")));
    pp_rem_call_output(c, "Id", "RouteTable.RouteTableId");
    size_t i;
    json_t *r;
    json_array_foreach(prop(b, "Routes"), i, r)
    {
        json_t *p = json_deep_copy(r);
        json_object_set_new(p, "RouteTableId", self(b, "Id"));
        pp_rem_call_ok_codes(call(b, "ec2", "CreateRoute", p), "RouteAlreadyExists");
    }
    json_array_foreach(prop(b, "Associations"), i, r)
    {
        json_t *p = json_pack("{s:o, s:O?}", "RouteTableId", self(b, "Id"), "SubnetId",
                              json_object_get(r, "SubnetId"));
        pp_rem_call_ok_codes(call(b, "ec2", "AssociateRouteTable", p),
                             "Resource.AlreadyAssociated");
    }
    pp_rem_undo(b->step, "ec2", "DeleteRouteTable", b->region,
                json_pack("{s:o}", "RouteTableId", self(b, "Id")));
    return 0;
}
static int rt_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeRouteTables", "RouteTables", "RouteTableId");
}

static bool endpoint_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(pp_rem_str(r->doc, "ServiceName"), sprop(b, "ServiceName")) &&
           same_ref(b, "VpcId", pp_rem_str(r->doc, "VpcId"));
}
static json_t *endpoint_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::VPCEndpoint", endpoint_match);
}
static int endpoint_build(pp_rem_cbuild *b)
{
    json_t *p = json_pack("{s:o}", "TagSpecification", ec2_tags(b, "vpc-endpoint"));
    copy(p, b,
         (const char *const[]){"VpcId", "VpcEndpointType", "ServiceName", "PrivateDnsEnabled",
                               NULL});
    /* the API's list parameters are singular on the wire (RouteTableId.N) */
    static const char *const lists[][2] = {{"RouteTableIds", "RouteTableId"},
                                           {"SubnetIds", "SubnetId"},
                                           {"SecurityGroupIds", "SecurityGroupId"}};
    for (size_t i = 0; i < 3; i++)
        if (json_array_size(prop(b, lists[i][0])))
            json_object_set(p, lists[i][1], (json_t *)prop(b, lists[i][0]));
    json_t *c = call(b, "ec2", "CreateVpcEndpoint", p);
    pp_rem_call_token(c, "ClientToken");
    pp_rem_call_output(c, "Id", "VpcEndpoint.VpcEndpointId");
    pp_rem_undo(b->step, "ec2", "DeleteVpcEndpoints", b->region,
                json_pack("{s:[o]}", "VpcEndpointId", self(b, "Id")));
    return 0;
}
static int endpoint_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeVpcEndpoints", "VpcEndpoints", "VpcEndpointId");
}

static bool flow_match(pp_rem_cbuild *b, const pp_resource *r)
{
    const json_t *ids = prop(b, "ResourceIds");
    const char *tt = pp_rem_str(r->doc, "TrafficType");
    if (json_array_size(ids) != 1 ||
        !(pp_str_eq(tt, "ALL") || pp_str_eq(tt, sprop(b, "TrafficType"))))
        return false;
    char *id = ref_id(b, json_array_get(ids, 0));
    bool same = id && pp_str_eq(id, pp_rem_str(r->doc, "ResourceId"));
    free(id);
    return same;
}
static json_t *flow_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::FlowLog", flow_match);
}
static int flow_build(pp_rem_cbuild *b)
{
    json_t *p = json_pack("{s:o}", "TagSpecification", ec2_tags(b, "vpc-flow-log"));
    copy(p, b,
         (const char *const[]){"ResourceType", "TrafficType", "LogDestinationType", "LogGroupName",
                               "LogDestination", "DeliverLogsPermissionArn", NULL});
    if (prop(b, "ResourceIds"))
        json_object_set(p, "ResourceId", (json_t *)prop(b, "ResourceIds"));
    json_t *c = call(b, "ec2", "CreateFlowLogs", p);
    pp_rem_call_token(c, "ClientToken");
    pp_rem_call_output(c, "Id", "FlowLogIds[0]");
    pp_rem_undo(b->step, "ec2", "DeleteFlowLogs", b->region,
                json_pack("{s:[o]}", "FlowLogId", self(b, "Id")));
    return 0;
}
static int flow_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeFlowLogs", "FlowLogs", "FlowLogId");
}

static bool sg_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(pp_rem_str(r->doc, "GroupName"), sprop(b, "GroupName")) &&
           same_ref(b, "VpcId", pp_rem_str(r->doc, "VpcId"));
}
static json_t *sg_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::SecurityGroup", sg_match);
}
/* IpPermissions as the EC2 query API takes them: group sources are "Groups" on the wire */
static json_t *wire_perms(const json_t *perms)
{
    json_t *out = json_deep_copy(perms);
    size_t i;
    json_t *p;
    json_array_foreach(out, i, p)
    {
        json_t *g = json_object_get(p, "UserIdGroupPairs");
        if (g) {
            json_object_set(p, "Groups", g);
            json_object_del(p, "UserIdGroupPairs");
        }
    }
    return out;
}
static int sg_build(pp_rem_cbuild *b)
{
    json_t *p = json_pack("{s:O?, s:O?, s:O?, s:o}", "GroupName", prop(b, "GroupName"),
                          "GroupDescription", prop(b, "Description"), "VpcId", prop(b, "VpcId"),
                          "TagSpecification", ec2_tags(b, "security-group"));
    pp_rem_call_output(call(b, "ec2", "CreateSecurityGroup", p), "Id", "GroupId");
    if (json_array_size(prop(b, "IpPermissions")))
        pp_rem_call_ok_codes(call(b, "ec2", "AuthorizeSecurityGroupIngress",
                                  json_pack("{s:o, s:o}", "GroupId", self(b, "Id"), "IpPermissions",
                                            wire_perms(prop(b, "IpPermissions")))),
                             "InvalidPermission.Duplicate");
    if (json_array_size(prop(b, "IpPermissionsEgress")))
        pp_rem_call_ok_codes(call(b, "ec2", "AuthorizeSecurityGroupEgress",
                                  json_pack("{s:o, s:o}", "GroupId", self(b, "Id"), "IpPermissions",
                                            wire_perms(prop(b, "IpPermissionsEgress")))),
                             "InvalidPermission.Duplicate");
    pp_rem_undo(b->step, "ec2", "DeleteSecurityGroup", b->region,
                json_pack("{s:o}", "GroupId", self(b, "Id")));
    return 0;
}
static int sg_check(pp_rem_check *c)
{
    return ec2_adopt(c, "DescribeSecurityGroups", "SecurityGroups", "GroupId");
}

/* The VPC's default NACL is associated with every subnet no other NACL has taken, so it "serves"
 * each tier's subnets; a tier NACL is never the default one (the reference pack says so), and
 * adopting it would leave all three tiers sharing one list. */
static bool nacl_serves(pp_rem_cbuild *b, const pp_resource *r)
{
    return !json_is_true(json_object_get(r->doc, "IsDefault")) && serves(b, r);
}

static json_t *nacl_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::EC2::NetworkAcl", nacl_serves);
}
static int nacl_build(pp_rem_cbuild *b)
{
    json_t *c = call(b, "ec2", "CreateNetworkAcl",
                     json_pack("{s:O?, s:o}", "VpcId", prop(b, "VpcId"), "TagSpecification",
                               ec2_tags(b, "network-acl")));
    pp_rem_call_output(c, "Id", "NetworkAcl.NetworkAclId");
    size_t i;
    json_t *e;
    json_array_foreach(prop(b, "Entries"), i, e)
    {
        json_t *p = json_deep_copy(e);
        json_object_set_new(p, "NetworkAclId", self(b, "Id"));
        pp_rem_call_ok_codes(call(b, "ec2", "CreateNetworkAclEntry", p),
                             "NetworkAclEntryAlreadyExists");
    }
    /* A subnet moves to the ACL by replacing its current association, whose id the re-read
     * before the step looks up (the plan shows the subnet). */
    json_array_foreach(prop(b, "Associations"), i, e)
    {
        json_t *c2 = call(b, "ec2", "ReplaceNetworkAclAssociation",
                          json_pack("{s:o, s:O?}", "NetworkAclId", self(b, "Id"), "SubnetId",
                                    json_object_get(e, "SubnetId")));
        json_object_set_new(c2, "lookup", json_string("association-of-subnet"));
    }
    pp_rem_undo(b->step, "ec2", "DeleteNetworkAcl", b->region,
                json_pack("{s:o}", "NetworkAclId", self(b, "Id")));
    return 0;
}
static int nacl_check(pp_rem_check *c)
{
    int rc = ec2_adopt(c, "DescribeNetworkAcls", "NetworkAcls", "NetworkAclId");
    const char *region = pp_rem_str(json_object_get(c->step, "target"), "region");
    size_t i;
    json_t *call;
    json_array_foreach(c->calls, i, call)
    {
        if (rc || !pp_str_eq(pp_rem_str(call, "lookup"), "association-of-subnet"))
            continue;
        json_t *params = json_object_get(call, "params");
        const char *subnet = pp_rem_str(params, "SubnetId");
        json_t *in = json_pack("{s:[{s:s, s:[s]}]}", "Filter", "Name", "association.subnet-id",
                               "Value", subnet ? subnet : "");
        json_t *data = NULL;
        char *code = NULL;
        rc = pp_rem_read(c, "ec2", "DescribeNetworkAcls", region, in, &data, &code);
        json_decref(in);
        free(code);
        if (rc)
            break;
        const char *assoc = NULL;
        size_t k;
        json_t *acl;
        json_array_foreach(json_object_get(data, "NetworkAcls"), k, acl)
        {
            size_t x;
            json_t *a;
            json_array_foreach(json_object_get(acl, "Associations"), x, a)
            {
                if (pp_str_eq(pp_rem_str(a, "SubnetId"), subnet))
                    assoc = pp_rem_str(a, "NetworkAclAssociationId");
            }
        }
        if (assoc) {
            json_object_set_new(params, "AssociationId", json_string(assoc));
            json_object_del(params, "SubnetId");
        } else {
            rc = pp_err_set(PP_EAWS, "subnet %s has no network ACL association",
                            subnet ? subnet : "?");
        }
        json_decref(data);
    }
    return rc;
}

/* ---- logs, IAM, KMS ----------------------------------------------------------------------------
 */

static int log_group_build(pp_rem_cbuild *b)
{
    const char *name = sprop(b, "logGroupName");
    if (!name)
        return pp_err_set(PP_EINVAL, "architecture.yaml: %s needs logGroupName", b->path);
    const char *region = b->region ? b->region : "us-east-1";
    char *arn = pp_xasprintf("arn:%s:logs:%s:%s:log-group:%s:*", pp_rem_partition(region), region,
                             b->account, name);
    handle_lit(b, name, arn);
    json_t *c = call(b, "logs", "CreateLogGroup",
                     json_pack("{s:s, s:O}", "logGroupName", name, "tags", b->tags));
    pp_rem_call_ok_codes(c, "ResourceAlreadyExistsException");
    if (prop(b, "retentionInDays"))
        call(b, "logs", "PutRetentionPolicy",
             json_pack("{s:s, s:O}", "logGroupName", name, "retentionInDays",
                       prop(b, "retentionInDays")));
    pp_rem_undo(b->step, "logs", "DeleteLogGroup", b->region,
                json_pack("{s:s}", "logGroupName", name));
    free(arn);
    return 0;
}

static char *iam_arn(pp_rem_cbuild *b, const char *kind, const char *name)
{
    return pp_xasprintf("arn:%s:iam::%s:%s/%s", pp_rem_partition(b->region), b->account, kind,
                        name);
}

static bool name_match_key(pp_rem_cbuild *b, const pp_resource *r, const char *prop_key)
{
    return sprop(b, prop_key) && pp_str_eq(r->id, sprop(b, prop_key));
}
static bool policy_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return name_match_key(b, r, "PolicyName");
}
static bool group_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return name_match_key(b, r, "GroupName");
}
static bool role_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return name_match_key(b, r, "RoleName");
}
static json_t *policy_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::IAM::Policy", policy_match);
}
static json_t *group_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::IAM::Group", group_match);
}
static json_t *role_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::IAM::Role", role_match);
}

static int policy_build(pp_rem_cbuild *b)
{
    const char *name = sprop(b, "PolicyName");
    char *doc = doc_text(b, "PolicyDocument");
    if (!name || !doc) {
        free(doc);
        return name ? PP_EINVAL
                    : pp_err_set(PP_EINVAL, "architecture.yaml: %s needs PolicyName", b->path);
    }
    char *arn = iam_arn(b, "policy", name);
    handle_lit(b, name, arn);
    json_t *p = json_pack("{s:s, s:s, s:o}", "PolicyName", name, "PolicyDocument", doc, "Tags",
                          tag_list(b, "Key", "Value"));
    copy(p, b, (const char *const[]){"Description", "Path", NULL});
    pp_rem_call_ok_codes(call(b, "iam", "CreatePolicy", p), "EntityAlreadyExists");
    pp_rem_undo(b->step, "iam", "DeletePolicy", NULL, json_pack("{s:s}", "PolicyArn", arn));
    free(arn);
    free(doc);
    return 0;
}

static int group_build(pp_rem_cbuild *b)
{
    const char *name = sprop(b, "GroupName");
    if (!name)
        return pp_err_set(PP_EINVAL, "architecture.yaml: %s needs GroupName", b->path);
    char *arn = iam_arn(b, "group", name);
    handle_lit(b, name, arn);
    /* IAM groups take no tags: they are known by name */
    pp_rem_call_ok_codes(call(b, "iam", "CreateGroup", json_pack("{s:s}", "GroupName", name)),
                         "EntityAlreadyExists");
    size_t i;
    json_t *v;
    json_array_foreach(prop(b, "ManagedPolicyArns"), i, v) call(
        b, "iam", "AttachGroupPolicy", json_pack("{s:s, s:O}", "GroupName", name, "PolicyArn", v));
    pp_rem_undo(b->step, "iam", "DeleteGroup", NULL, json_pack("{s:s}", "GroupName", name));
    free(arn);
    return 0;
}

static int role_build(pp_rem_cbuild *b)
{
    const char *name = sprop(b, "RoleName");
    char *trust = doc_text(b, "AssumeRolePolicyDocument");
    if (!name || !trust) {
        free(trust);
        return pp_err_set(PP_EINVAL,
                          "architecture.yaml: %s needs RoleName and "
                          "AssumeRolePolicyDocument",
                          b->path);
    }
    char *arn = iam_arn(b, "role", name);
    handle_lit(b, name, arn);
    json_t *p = json_pack("{s:s, s:s, s:o}", "RoleName", name, "AssumeRolePolicyDocument", trust,
                          "Tags", tag_list(b, "Key", "Value"));
    copy(p, b, (const char *const[]){"Description", "Path", "MaxSessionDuration", NULL});
    pp_rem_call_ok_codes(call(b, "iam", "CreateRole", p), "EntityAlreadyExists");
    free(trust);
    size_t i;
    json_t *v;
    json_array_foreach(prop(b, "ManagedPolicyArns"), i, v) call(
        b, "iam", "AttachRolePolicy", json_pack("{s:s, s:O}", "RoleName", name, "PolicyArn", v));
    json_array_foreach(prop(b, "Policies"), i, v)
    {
        const json_t *doc = json_object_get(v, "PolicyDocument");
        if (has_ref(doc)) {
            free(arn);
            return pp_err_set(PP_EINVAL,
                              "architecture.yaml: %s: an inline policy names a value "
                              "known only after apply",
                              b->path);
        }
        char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        call(b, "iam", "PutRolePolicy",
             json_pack("{s:s, s:O?, s:s}", "RoleName", name, "PolicyName",
                       json_object_get(v, "PolicyName"), "PolicyDocument", text ? text : "{}"));
        free(text);
    }
    const char *profile = sprop(b, "InstanceProfileName");
    if (profile) {
        pp_rem_call_ok_codes(call(b, "iam", "CreateInstanceProfile",
                                  json_pack("{s:s}", "InstanceProfileName", profile)),
                             "EntityAlreadyExists");
        pp_rem_call_ok_codes(
            call(b, "iam", "AddRoleToInstanceProfile",
                 json_pack("{s:s, s:s}", "InstanceProfileName", profile, "RoleName", name)),
            "LimitExceeded,EntityAlreadyExists");
    }
    pp_rem_undo(b->step, "iam", "DeleteRole", NULL, json_pack("{s:s}", "RoleName", name));
    free(arn);
    return 0;
}

/* Service-linked roles have fixed names per service. */
static const char *slr_name(const char *service)
{
    if (pp_str_eq(service, "config.amazonaws.com"))
        return "AWSServiceRoleForConfig";
    if (pp_str_eq(service, "guardduty.amazonaws.com"))
        return "AWSServiceRoleForAmazonGuardDuty";
    return NULL;
}
static bool slr_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(r->id, slr_name(sprop(b, "AWSServiceName")));
}
static json_t *slr_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::IAM::Role", slr_match);
}
static int slr_build(pp_rem_cbuild *b)
{
    const char *svc = sprop(b, "AWSServiceName");
    const char *name = slr_name(svc);
    if (!name)
        return pp_err_set(PP_EINVAL, "architecture.yaml: %s: no known service-linked role for %s",
                          b->path, svc ? svc : "?");
    char *arn = pp_xasprintf("arn:%s:iam::%s:role/aws-service-role/%s/%s",
                             pp_rem_partition(b->region), b->account, svc, name);
    handle_lit(b, name, arn);
    pp_rem_call_ok_codes(
        call(b, "iam", "CreateServiceLinkedRole", json_pack("{s:s}", "AWSServiceName", svc)),
        "InvalidInput,EntityAlreadyExists");
    pp_rem_undo(b->step, "iam", "DeleteServiceLinkedRole", NULL,
                json_pack("{s:s}", "RoleName", name));
    free(arn);
    return 0;
}

static bool key_match(pp_rem_cbuild *b, const pp_resource *r)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r->doc, "Aliases"), i, a)
    {
        if (sprop(b, "AliasName") && pp_str_eq(pp_rem_str(a, "AliasName"), sprop(b, "AliasName")))
            return true;
    }
    return false;
}
static json_t *key_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::KMS::Key", key_match);
}
static int key_build(pp_rem_cbuild *b)
{
    char *policy = doc_text(b, "Policy");
    if (prop(b, "Policy") && !policy)
        return PP_EINVAL;
    json_t *p = json_pack("{s:o}", "Tags", tag_list(b, "TagKey", "TagValue"));
    copy(p, b, (const char *const[]){"Description", "KeySpec", "KeyUsage", NULL});
    if (policy)
        json_object_set_new(p, "Policy", json_string(policy));
    free(policy);
    json_t *c = call(b, "kms", "CreateKey", p);
    pp_rem_call_output(c, "Id", "KeyMetadata.KeyId");
    pp_rem_call_output(c, "Arn", "KeyMetadata.Arn");
    if (sprop(b, "AliasName"))
        call(b, "kms", "CreateAlias",
             json_pack("{s:O, s:o}", "AliasName", prop(b, "AliasName"), "TargetKeyId",
                       self(b, "Id")));
    if (json_is_true(prop(b, "EnableKeyRotation")))
        call(b, "kms", "EnableKeyRotation", json_pack("{s:o}", "KeyId", self(b, "Id")));
    pp_rem_undo(b->step, "kms", "ScheduleKeyDeletion", b->region,
                json_pack("{s:o, s:i}", "KeyId", self(b, "Id"), "PendingWindowInDays", 30));
    if (sprop(b, "AliasName"))
        pp_rem_step_arg(b->step, "alias", json_string(sprop(b, "AliasName")));
    return 0;
}
static int key_check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    const char *alias = pp_rem_str(target, "alias");
    if (!alias)
        return 0;
    int rc = pp_rem_check_key(c, alias, pp_rem_str(target, "region"));
    if (rc == 0 && c->unneeded) {
        /* the key exists: rotation is put again, creation and alias are not */
        c->unneeded = false;
        pp_rem_check_drop(c, "CreateKey");
        pp_rem_check_drop(c, "CreateAlias");
    }
    return rc;
}

/* ---- S3
 * ------------------------------------------------------------------------------------------- */

static bool xml_safe(const char *s)
{
    return s && !strpbrk(s, "<>&\"'");
}

static const char *bool_text(const json_t *v)
{
    return json_is_true(v) ? "true" : "false";
}

#define S3NS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""

static bool bucket_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(r->id, sprop(b, "Bucket"));
}
static json_t *bucket_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::S3::Bucket", bucket_match);
}
static int bucket_build(pp_rem_cbuild *b)
{
    const char *name = sprop(b, "Bucket");
    if (!xml_safe(name))
        return pp_err_set(PP_EINVAL, "architecture.yaml: %s needs a Bucket name", b->path);
    const char *region = b->region ? b->region : "us-east-1";
    char *arn = pp_xasprintf("arn:%s:s3:::%s", pp_rem_partition(region), name);
    handle_lit(b, name, arn);
    free(arn);
    json_object_set_new(b->step, "kind", json_string("bucket"));
    pp_rem_step_arg(b->step, "bucket", json_string(name));
    json_t *create = json_pack("{s:s}", "Bucket", name);
    if (strcmp(region, "us-east-1") != 0) {
        char *xml = pp_xasprintf("<CreateBucketConfiguration " S3NS "><LocationConstraint>%s"
                                 "</LocationConstraint></CreateBucketConfiguration>",
                                 region);
        json_object_set_new(create, "$body", json_string(xml));
        free(xml);
    }
    pp_rem_call_ok_codes(call(b, "s3", "CreateBucket", create), "BucketAlreadyOwnedByYou");
    pp_buf x;
    pp_buf_init(&x, 64 * 1024);
    pp_buf_puts(&x, "<Tagging " S3NS "><TagSet>");
    const char *k;
    json_t *v;
    json_object_foreach(b->tags, k, v)
    {
        if (xml_safe(k) && xml_safe(json_string_value(v)))
            pp_buf_printf(&x, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", k, json_string_value(v));
    }
    pp_buf_puts(&x, "</TagSet></Tagging>");
    call(b, "s3", "PutBucketTagging",
         json_pack("{s:s, s:s}", "Bucket", name, "$body", pp_buf_cstr(&x)));
    const json_t *pab = prop(b, "PublicAccessBlockConfiguration");
    if (pab) {
        pp_buf_reset(&x);
        pp_buf_printf(&x,
                      "<PublicAccessBlockConfiguration " S3NS "><BlockPublicAcls>%s"
                      "</BlockPublicAcls><IgnorePublicAcls>%s</IgnorePublicAcls>"
                      "<BlockPublicPolicy>%s</BlockPublicPolicy><RestrictPublicBuckets>%s"
                      "</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
                      bool_text(json_object_get(pab, "BlockPublicAcls")),
                      bool_text(json_object_get(pab, "IgnorePublicAcls")),
                      bool_text(json_object_get(pab, "BlockPublicPolicy")),
                      bool_text(json_object_get(pab, "RestrictPublicBuckets")));
        call(b, "s3", "PutPublicAccessBlock",
             json_pack("{s:s, s:s}", "Bucket", name, "$body", pp_buf_cstr(&x)));
    }
    const json_t *rules = json_object_get(prop(b, "ServerSideEncryptionConfiguration"), "Rules");
    if (json_array_size(rules)) {
        pp_buf_reset(&x);
        pp_buf_puts(&x, "<ServerSideEncryptionConfiguration " S3NS ">");
        size_t i;
        json_t *r;
        json_array_foreach(rules, i, r)
        {
            const json_t *d = json_object_get(r, "ApplyServerSideEncryptionByDefault");
            const char *alg = pp_rem_str(d, "SSEAlgorithm");
            const char *kid = pp_rem_str(d, "KMSMasterKeyID");
            if (!xml_safe(alg) || (kid && !xml_safe(kid)))
                continue;
            pp_buf_printf(&x,
                          "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>%s"
                          "</SSEAlgorithm>",
                          alg);
            if (kid)
                pp_buf_printf(&x, "<KMSMasterKeyID>%s</KMSMasterKeyID>", kid);
            pp_buf_puts(&x, "</ApplyServerSideEncryptionByDefault>");
            if (json_object_get(r, "BucketKeyEnabled"))
                pp_buf_printf(&x, "<BucketKeyEnabled>%s</BucketKeyEnabled>",
                              bool_text(json_object_get(r, "BucketKeyEnabled")));
            pp_buf_puts(&x, "</Rule>");
        }
        pp_buf_puts(&x, "</ServerSideEncryptionConfiguration>");
        call(b, "s3", "PutBucketEncryption",
             json_pack("{s:s, s:s}", "Bucket", name, "$body", pp_buf_cstr(&x)));
    }
    const char *ver = pp_rem_str(prop(b, "VersioningConfiguration"), "Status");
    if (xml_safe(ver)) {
        pp_buf_reset(&x);
        pp_buf_printf(&x,
                      "<VersioningConfiguration " S3NS "><Status>%s</Status>"
                      "</VersioningConfiguration>",
                      ver);
        call(b, "s3", "PutBucketVersioning",
             json_pack("{s:s, s:s}", "Bucket", name, "$body", pp_buf_cstr(&x)));
    }
    char *policy = doc_text(b, "Policy");
    if (prop(b, "Policy") && !policy) {
        pp_buf_free(&x);
        return PP_EINVAL;
    }
    if (policy)
        call(b, "s3", "PutBucketPolicy", json_pack("{s:s, s:s}", "Bucket", name, "$body", policy));
    free(policy);
    const json_t *le = prop(b, "LoggingEnabled");
    if (le) {
        const char *tb = pp_rem_str(le, "TargetBucket");
        const char *tp = pp_rem_str(le, "TargetPrefix");
        if (!xml_safe(tb) || (tp && !xml_safe(tp))) {
            pp_buf_free(&x);
            return pp_err_set(PP_EINVAL,
                              "architecture.yaml: %s: LoggingEnabled needs a "
                              "TargetBucket known before apply",
                              b->path);
        }
        pp_buf_reset(&x);
        pp_buf_printf(&x,
                      "<BucketLoggingStatus " S3NS "><LoggingEnabled><TargetBucket>%s"
                      "</TargetBucket><TargetPrefix>%s</TargetPrefix></LoggingEnabled>"
                      "</BucketLoggingStatus>",
                      tb, tp ? tp : "");
        call(b, "s3", "PutBucketLogging",
             json_pack("{s:s, s:s}", "Bucket", name, "$body", pp_buf_cstr(&x)));
    }
    pp_buf_free(&x);
    pp_rem_undo(b->step, "s3", "DeleteBucket", b->region, json_pack("{s:s}", "Bucket", name));
    return 0;
}
static int bucket_check(pp_rem_check *c)
{
    const json_t *target = json_object_get(c->step, "target");
    return pp_rem_check_bucket(c, pp_rem_str(target, "bucket"), pp_rem_str(target, "region"));
}

/* ---- CloudTrail, Config, GuardDuty, SNS, CloudWatch
 * ------------------------------------------------ */

static bool trail_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(r->id, sprop(b, "Name"));
}
static json_t *trail_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::CloudTrail::Trail", trail_match);
}
static int trail_build(pp_rem_cbuild *b)
{
    const char *name = sprop(b, "Name");
    if (!name)
        return pp_err_set(PP_EINVAL, "architecture.yaml: %s needs Name", b->path);
    const char *region = b->region ? b->region : "us-east-1";
    char *arn = pp_xasprintf("arn:%s:cloudtrail:%s:%s:trail/%s", pp_rem_partition(region), region,
                             b->account, name);
    handle_lit(b, name, arn);
    free(arn);
    json_t *p = json_pack("{s:o}", "TagsList", tag_list(b, "Key", "Value"));
    copy(p, b,
         (const char *const[]){"Name", "S3BucketName", "S3KeyPrefix", "IsMultiRegionTrail",
                               "IncludeGlobalServiceEvents", "EnableLogFileValidation", "KmsKeyId",
                               "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", NULL});
    pp_rem_call_ok_codes(call(b, "cloudtrail", "CreateTrail", p), "TrailAlreadyExistsException");
    if (json_array_size(prop(b, "EventSelectors")))
        call(b, "cloudtrail", "PutEventSelectors",
             json_pack("{s:s, s:O}", "TrailName", name, "EventSelectors",
                       prop(b, "EventSelectors")));
    if (!json_is_false(prop(b, "Logging")))
        call(b, "cloudtrail", "StartLogging", json_pack("{s:s}", "Name", name));
    pp_rem_undo(b->step, "cloudtrail", "DeleteTrail", b->region, json_pack("{s:s}", "Name", name));
    return 0;
}

static json_t *in_region(pp_rem_cbuild *b, const char *type)
{
    size_t n = 0;
    pp_resource *const *v = pp_inventory_of_type(b->p->o->inv, type, &n);
    for (size_t i = 0; v && i < n; i++)
        if (pp_str_eq(v[i]->account, b->account) && pp_str_eq(v[i]->region, b->region))
            return existing(v[i]);
    return NULL;
}

static int config_build(pp_rem_cbuild *b)
{
    json_t *rec = json_deep_copy(prop(b, "ConfigurationRecorder"));
    json_t *chan = json_deep_copy(prop(b, "DeliveryChannel"));
    /* a region holds one recorder and one channel: keep the names they have */
    json_t *have = in_region(b, "AWS::Config::ConfigurationRecorder");
    if (have && json_is_object(rec))
        json_object_set(rec, "name", json_object_get(have, "Id"));
    json_decref(have);
    const char *name = pp_rem_str(rec, "name") ? pp_rem_str(rec, "name") : "default";
    if (!json_is_object(rec)) {
        json_decref(rec);
        rec = json_pack("{s:s}", "name", name);
    }
    handle_lit(b, name, NULL);
    call(b, "config", "PutConfigurationRecorder", json_pack("{s:o}", "ConfigurationRecorder", rec));
    json_t *hc = in_region(b, "AWS::Config::DeliveryChannel");
    if (json_is_object(chan) && !hc)
        call(b, "config", "PutDeliveryChannel", json_pack("{s:O}", "DeliveryChannel", chan));
    json_decref(hc);
    json_decref(chan);
    if (!json_is_false(prop(b, "Recording")))
        call(b, "config", "StartConfigurationRecorder",
             json_pack("{s:s}", "ConfigurationRecorderName", name));
    pp_rem_undo(b->step, "config", "StopConfigurationRecorder", b->region,
                json_pack("{s:s}", "ConfigurationRecorderName", name));
    return 0;
}

static int detector_build(pp_rem_cbuild *b)
{
    /* REST-JSON: the wire names are camelCase */
    json_t *p =
        json_pack("{s:b, s:O}", "enable", !json_is_false(prop(b, "Enable")), "tags", b->tags);
    if (sprop(b, "FindingPublishingFrequency"))
        json_object_set(p, "findingPublishingFrequency",
                        (json_t *)prop(b, "FindingPublishingFrequency"));
    json_t *c = call(b, "guardduty", "CreateDetector", p);
    pp_rem_call_token(c, "clientToken");
    pp_rem_call_output(c, "Id", "DetectorId");
    pp_rem_undo(b->step, "guardduty", "DeleteDetector", b->region,
                json_pack("{s:o}", "DetectorId", self(b, "Id")));
    return 0;
}
static json_t *detector_identify(pp_rem_cbuild *b)
{
    return in_region(b, "AWS::GuardDuty::Detector");
}
static int detector_check(pp_rem_check *c)
{
    const char *region = pp_rem_str(json_object_get(c->step, "target"), "region");
    json_t *data = NULL;
    char *code = NULL;
    int rc = pp_rem_read(c, "guardduty", "ListDetectors", region, NULL, &data, &code);
    free(code);
    if (rc)
        return rc;
    const char *det = json_string_value(json_array_get(json_object_get(data, "DetectorIds"), 0));
    if (det) {
        json_object_set_new(c->outputs, "Id", json_string(det));
        json_array_clear(c->calls);
        json_array_append_new(c->calls,
                              json_pack("{s:s, s:s, s:s?, s:{s:s, s:b}}", "service", "guardduty",
                                        "operation", "UpdateDetector", "region", region, "params",
                                        "DetectorId", det, "enable", 1));
    }
    json_decref(data);
    return 0;
}

static bool topic_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(r->id, sprop(b, "Name"));
}
static json_t *topic_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::SNS::Topic", topic_match);
}
static int topic_build(pp_rem_cbuild *b)
{
    const char *name = sprop(b, "Name");
    if (!name)
        return pp_err_set(PP_EINVAL, "architecture.yaml: %s needs Name", b->path);
    const char *region = b->region ? b->region : "us-east-1";
    char *arn =
        pp_xasprintf("arn:%s:sns:%s:%s:%s", pp_rem_partition(region), region, b->account, name);
    handle_lit(b, name, arn);
    call(b, "sns", "CreateTopic",
         json_pack("{s:s, s:o}", "Name", name, "Tags", tag_list(b, "Key", "Value")));
    size_t i;
    json_t *s;
    json_array_foreach(prop(b, "Subscriptions"), i, s)
        call(b, "sns", "Subscribe",
             json_pack("{s:s, s:O?, s:O?}", "TopicArn", arn, "Protocol",
                       json_object_get(s, "Protocol"), "Endpoint", json_object_get(s, "Endpoint")));
    pp_rem_undo(b->step, "sns", "DeleteTopic", b->region, json_pack("{s:s}", "TopicArn", arn));
    free(arn);
    return 0;
}

static bool alarm_match(pp_rem_cbuild *b, const pp_resource *r)
{
    return pp_str_eq(r->id, pp_rem_str(prop(b, "Alarm"), "AlarmName"));
}
static json_t *alarm_identify(pp_rem_cbuild *b)
{
    return find(b, "AWS::CloudWatch::Alarm", alarm_match);
}
static int alarm_build(pp_rem_cbuild *b)
{
    const json_t *mf = prop(b, "MetricFilter"), *al = prop(b, "Alarm");
    if (!json_is_object(al) || !pp_rem_str(al, "AlarmName"))
        return pp_err_set(PP_EINVAL, "architecture.yaml: %s needs Alarm.AlarmName", b->path);
    handle_lit(b, pp_rem_str(al, "AlarmName"), NULL);
    if (json_is_object(mf))
        call(b, "logs", "PutMetricFilter", json_deep_copy(mf));
    json_t *p = json_deep_copy(al);
    json_object_set_new(p, "Tags", tag_list(b, "Key", "Value"));
    call(b, "cloudwatch", "PutMetricAlarm", p);
    pp_rem_undo(b->step, "cloudwatch", "DeleteAlarms", b->region,
                json_pack("{s:[O]}", "AlarmNames", json_object_get(al, "AlarmName")));
    return 0;
}

/* Re-read: a filter or alarm of that name exists already (an interrupted apply put it). Puts
 * replace on AWS, but a second identical filter is not something to count on everywhere. */
static int alarm_check(pp_rem_check *c)
{
    const char *region = pp_rem_str(json_object_get(c->step, "target"), "region");
    json_t *mf = json_object_get(pp_rem_check_call(c, "PutMetricFilter"), "params");
    json_t *al = json_object_get(pp_rem_check_call(c, "PutMetricAlarm"), "params");
    json_t *data = NULL;
    char *code = NULL;
    int rc = 0;
    if (pp_rem_str(mf, "logGroupName") && pp_rem_str(mf, "filterName")) {
        json_t *in = json_pack("{s:s, s:s}", "logGroupName", pp_rem_str(mf, "logGroupName"),
                               "filterNamePrefix", pp_rem_str(mf, "filterName"));
        rc = pp_rem_read(c, "logs", "DescribeMetricFilters", region, in, &data, &code);
        json_decref(in);
        bool have = false;
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(data, "metricFilters"), i, f)
        {
            if (pp_str_eq(pp_rem_str(f, "filterName"), pp_rem_str(mf, "filterName")) &&
                pp_str_eq(pp_rem_str(f, "filterPattern"), pp_rem_str(mf, "filterPattern")))
                have = true;
        }
        json_decref(data);
        /* the log group may not exist yet: its step is a dependency, so that is an error */
        free(code);
        if (rc)
            return rc;
        if (have)
            pp_rem_check_drop(c, "PutMetricFilter");
    }
    if (pp_rem_str(al, "AlarmName")) {
        json_t *in = json_pack("{s:[s]}", "AlarmNames", pp_rem_str(al, "AlarmName"));
        rc = pp_rem_read(c, "cloudwatch", "DescribeAlarms", region, in, &data, &code);
        json_decref(in);
        free(code);
        if (rc)
            return rc;
        if (json_array_size(json_object_get(data, "MetricAlarms")))
            pp_rem_check_drop(c, "PutMetricAlarm");
        json_decref(data);
    }
    if (json_array_size(c->calls) == 0)
        pp_rem_check_unneeded(c, "already in the desired state: filter and alarm exist");
    return 0;
}

/* ---- the table
 * --------------------------------------------------------------------------------------- */

static const pp_rem_ctype ctypes[] = {
    {"AWS::EC2::VPC", vpc_identify, vpc_build, vpc_check},
    {"AWS::EC2::InternetGateway", igw_identify, igw_build, igw_check},
    {"AWS::EC2::Subnet", subnet_identify, subnet_build, subnet_check},
    {"AWS::EC2::EIP", NULL, eip_build, eip_check},
    {"AWS::EC2::NatGateway", nat_identify, nat_build, nat_check},
    {"AWS::EC2::RouteTable", rt_identify, rt_build, rt_check},
    {"AWS::EC2::VPCEndpoint", endpoint_identify, endpoint_build, endpoint_check},
    {"AWS::EC2::FlowLog", flow_identify, flow_build, flow_check},
    {"AWS::EC2::SecurityGroup", sg_identify, sg_build, sg_check},
    {"AWS::EC2::NetworkAcl", nacl_identify, nacl_build, nacl_check},
    {"AWS::Logs::LogGroup", NULL, log_group_build, NULL},
    {"AWS::IAM::Policy", policy_identify, policy_build, NULL},
    {"AWS::IAM::Group", group_identify, group_build, NULL},
    {"AWS::IAM::Role", role_identify, role_build, NULL},
    {"AWS::IAM::ServiceLinkedRole", slr_identify, slr_build, NULL},
    {"AWS::KMS::Key", key_identify, key_build, key_check},
    {"AWS::S3::Bucket", bucket_identify, bucket_build, bucket_check},
    {"AWS::CloudTrail::Trail", trail_identify, trail_build, NULL},
    {"AWS::Config::ConfigurationRecorder", NULL, config_build, NULL},
    {"AWS::GuardDuty::Detector", detector_identify, detector_build, detector_check},
    {"AWS::SNS::Topic", topic_identify, topic_build, NULL},
    {"AWS::CloudWatch::Alarm", alarm_identify, alarm_build, alarm_check},
};

const pp_rem_ctype *pp_rem_ctype_find(const char *type)
{
    for (size_t i = 0; type && i < sizeof(ctypes) / sizeof(ctypes[0]); i++)
        if (strcmp(ctypes[i].type, type) == 0)
            return &ctypes[i];
    return NULL;
}

const char *const pp_rem_component_ops[] = {"ec2:CreateVpc",
                                            "ec2:ModifyVpcAttribute",
                                            "ec2:DescribeVpcs",
                                            "ec2:CreateInternetGateway",
                                            "ec2:AttachInternetGateway",
                                            "ec2:DescribeInternetGateways",
                                            "ec2:CreateSubnet",
                                            "ec2:ModifySubnetAttribute",
                                            "ec2:DescribeSubnets",
                                            "ec2:AllocateAddress",
                                            "ec2:DescribeAddresses",
                                            "ec2:CreateNatGateway",
                                            "ec2:DescribeNatGateways",
                                            "ec2:CreateRouteTable",
                                            "ec2:CreateRoute",
                                            "ec2:AssociateRouteTable",
                                            "ec2:DescribeRouteTables",
                                            "ec2:CreateVpcEndpoint",
                                            "ec2:DescribeVpcEndpoints",
                                            "ec2:CreateFlowLogs",
                                            "ec2:DescribeFlowLogs",
                                            "ec2:CreateSecurityGroup",
                                            "ec2:AuthorizeSecurityGroupIngress",
                                            "ec2:AuthorizeSecurityGroupEgress",
                                            "ec2:DescribeSecurityGroups",
                                            "ec2:CreateNetworkAcl",
                                            "ec2:CreateNetworkAclEntry",
                                            "ec2:ReplaceNetworkAclAssociation",
                                            "ec2:DescribeNetworkAcls",
                                            "logs:CreateLogGroup",
                                            "logs:PutRetentionPolicy",
                                            "iam:CreatePolicy",
                                            "iam:CreateGroup",
                                            "iam:AttachGroupPolicy",
                                            "iam:CreateRole",
                                            "iam:AttachRolePolicy",
                                            "iam:PutRolePolicy",
                                            "iam:CreateInstanceProfile",
                                            "iam:AddRoleToInstanceProfile",
                                            "iam:CreateServiceLinkedRole",
                                            "kms:CreateKey",
                                            "kms:CreateAlias",
                                            "kms:EnableKeyRotation",
                                            "kms:DescribeKey",
                                            "s3:GetBucketTagging",
                                            "s3:CreateBucket",
                                            "s3:PutBucketTagging",
                                            "s3:PutPublicAccessBlock",
                                            "s3:PutBucketEncryption",
                                            "s3:PutBucketVersioning",
                                            "s3:PutBucketPolicy",
                                            "s3:PutBucketLogging",
                                            "cloudtrail:CreateTrail",
                                            "cloudtrail:PutEventSelectors",
                                            "cloudtrail:StartLogging",
                                            "config:PutConfigurationRecorder",
                                            "config:PutDeliveryChannel",
                                            "config:StartConfigurationRecorder",
                                            "guardduty:CreateDetector",
                                            "guardduty:UpdateDetector",
                                            "guardduty:ListDetectors",
                                            "sns:CreateTopic",
                                            "sns:Subscribe",
                                            "logs:PutMetricFilter",
                                            "cloudwatch:PutMetricAlarm",
                                            NULL};

/* Tagging on create and passing roles to services are authorised separately. */
const char *const pp_rem_component_extra[] = {"ec2:CreateTags",
                                              "iam:PassRole",
                                              "iam:TagRole",
                                              "iam:TagPolicy",
                                              "kms:TagResource",
                                              "cloudtrail:AddTags",
                                              "logs:TagResource",
                                              "sns:TagResource",
                                              "cloudwatch:TagResource",
                                              "guardduty:TagResource",
                                              NULL};
