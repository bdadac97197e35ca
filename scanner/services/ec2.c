/* EC2 network fabric (regional): VPCs, subnets, route tables, internet and NAT gateways,
 * security groups, network ACLs, flow logs, VPC endpoints and instances. Every Describe* is
 * paged (which also keeps DescribeSecurityGroups out of EC2's stricter unpaginated bucket), and
 * all ten go out at once. */
#include "collect_util.h"

#include <stdlib.h>
#include <string.h>

struct kind {
    const char *operation;
    const char *list; /* result key */
    const char *type;
    const char *id_key;
    const char *arn_kind; /* "vpc" -> arn:...:vpc/<id> */
};

static const struct kind kinds[] = {
    {"DescribeVpcs", "Vpcs", "AWS::EC2::VPC", "VpcId", "vpc"},
    {"DescribeSubnets", "Subnets", "AWS::EC2::Subnet", "SubnetId", "subnet"},
    {"DescribeRouteTables", "RouteTables", "AWS::EC2::RouteTable", "RouteTableId", "route-table"},
    {"DescribeInternetGateways", "InternetGateways", "AWS::EC2::InternetGateway",
     "InternetGatewayId", "internet-gateway"},
    {"DescribeNatGateways", "NatGateways", "AWS::EC2::NatGateway", "NatGatewayId", "natgateway"},
    {"DescribeSecurityGroups", "SecurityGroups", "AWS::EC2::SecurityGroup", "GroupId",
     "security-group"},
    {"DescribeNetworkAcls", "NetworkAcls", "AWS::EC2::NetworkAcl", "NetworkAclId", "network-acl"},
    {"DescribeFlowLogs", "FlowLogs", "AWS::EC2::FlowLog", "FlowLogId", "vpc-flow-log"},
    {"DescribeVpcEndpoints", "VpcEndpoints", "AWS::EC2::VPCEndpoint", "VpcEndpointId",
     "vpc-endpoint"},
    {"DescribeInstances", "Reservations", "AWS::EC2::Instance", "InstanceId", "instance"},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const pp_collector_call calls[] = {
    {.operation = "DescribeVpcs", .types = "AWS::EC2::VPC"},
    {.operation = "DescribeSubnets", .types = "AWS::EC2::Subnet"},
    {.operation = "DescribeRouteTables", .types = "AWS::EC2::RouteTable"},
    {.operation = "DescribeInternetGateways", .types = "AWS::EC2::InternetGateway"},
    {.operation = "DescribeNatGateways", .types = "AWS::EC2::NatGateway"},
    {.operation = "DescribeSecurityGroups", .types = "AWS::EC2::SecurityGroup"},
    {.operation = "DescribeNetworkAcls", .types = "AWS::EC2::NetworkAcl"},
    {.operation = "DescribeFlowLogs", .types = "AWS::EC2::FlowLog"},
    {.operation = "DescribeVpcEndpoints", .types = "AWS::EC2::VPCEndpoint"},
    {.operation = "DescribeInstances", .types = "AWS::EC2::Instance"},
    {.operation = NULL},
};

static const char *const types[] = {
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::NetworkAcl",
    "AWS::EC2::FlowLog",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::Instance",
    NULL,
};

static void emit(pp_collect_ctx *ctx, const struct kind *k, json_t *item)
{
    const char *id = pp_json_str(item, k->id_key);
    if (!id)
        return;
    const char *given = pp_json_str(item, "SecurityGroupArn");
    if (!given)
        given = pp_json_str(item, "SubnetArn");
    char *res = pp_xasprintf("%s/%s", k->arn_kind, id);
    char *arn = given ? pp_xstrdup(given) : pp_collect_arn(ctx, "ec2", pp_collect_region(ctx), res);
    pp_collect_emit(ctx, k->type, id, arn, item);
    free(res);
    free(arn);
}

static int collect(pp_collect_ctx *ctx)
{
    pp_collect_req reqs[N_KINDS];
    pp_aws_resp resps[N_KINDS];
    for (size_t i = 0; i < N_KINDS; i++)
        reqs[i] = (pp_collect_req){.operation = kinds[i].operation};
    pp_collect_calls(ctx, reqs, N_KINDS, resps);
    for (size_t i = 0; i < N_KINDS; i++) {
        if (!resps[i].ok)
            continue;
        json_t *list = json_object_get(resps[i].data, kinds[i].list);
        size_t j;
        json_t *item;
        json_array_foreach(list, j, item)
        {
            if (strcmp(kinds[i].list, "Reservations") != 0) {
                emit(ctx, &kinds[i], item);
                continue;
            }
            size_t m;
            json_t *inst;
            json_array_foreach(json_object_get(item, "Instances"), m, inst)
                emit(ctx, &kinds[i], inst);
        }
    }
    for (size_t i = 0; i < N_KINDS; i++)
        pp_aws_resp_clear(&resps[i]);
    return 0;
}

const pp_collector pp_collector_ec2 = {
    .name = "ec2",
    .aws_service = "ec2",
    .calls = calls,
    .types = types,
    .collect = collect,
};
