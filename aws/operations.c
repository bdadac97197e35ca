/* Every AWS operation parapet calls, declared once: the IAM permission it needs (the scan policy
 * in docs/iam-scan-policy.json is generated from these), how it is paged, and the output shape
 * its response decodes through (shapes_def.c). Adding an operation is one line here plus, where
 * its output has no shape yet, a shape. Paging facts: aws-protocols.md section 3 and each API
 * reference's "Request Parameters" (MaxItems/MaxResults/Limit ranges). */
#include "wire.h"

#include <string.h>

/* A read that is not paged. */
#define OP(svc, op, perm, out)                                                                     \
    {                                                                                              \
        .service = svc, .name = op, .permission = perm, .output = out                              \
    }
/* A paged read: input token, output token, explicit "more" flag (or NULL), limit key and the
 * page size parapet asks for, and the list keys concatenated across pages. */
#define PAGED(svc, op, perm, out, in, outtok, more, lkey, lim, keys)                               \
    {                                                                                              \
        .service = svc, .name = op, .permission = perm, .output = out, .in_token = in,             \
        .out_token = outtok, .more_key = more, .limit_key = lkey, .limit = lim,                    \
        .result_keys = keys                                                                        \
    }
#define IAM_PAGED(op, out, keys)                                                                   \
    PAGED("iam", op, "iam:" op, out, "Marker", "Marker", "IsTruncated", "MaxItems", 1000, keys)
#define EC2_PAGED(op, out, lim, keys)                                                              \
    PAGED("ec2", op, "ec2:" op, out, "NextToken", "NextToken", NULL, "MaxResults", lim, keys)
#define KMS_PAGED(op, out, lim, keys)                                                              \
    PAGED("kms", op, "kms:" op, out, "Marker", "NextMarker", "Truncated", "Limit", lim, keys)
/* A write: never retried unless the request names a client token key (call.c fills a fresh
 * token when the input has none), so that a retry cannot act twice. */
#define WRITE(svc, op, perm, out)                                                                  \
    {                                                                                              \
        .service = svc, .name = op, .permission = perm, .output = out, .mutating = true            \
    }
/* A REST operation: method, URI template, input keys that go to the query string. */
#define REST(svc, op, perm, method_, uri_, qkeys, out)                                             \
    {                                                                                              \
        .service = svc, .name = op, .permission = perm, .method = method_, .uri = uri_,            \
        .query_keys = qkeys, .output = out                                                         \
    }

/* A REST write (remediation): method, URI template, never retried without a client token. */
#define REST_WRITE(svc, op, perm, method_, uri_, out)                                              \
    {                                                                                              \
        .service = svc, .name = op, .permission = perm, .method = method_, .uri = uri_,            \
        .output = out, .mutating = true                                                            \
    }

static const pp_op ops[] = {
    /* ---- IAM (query, global) ---- */
    IAM_PAGED("GetAccountAuthorizationDetails", "GetAccountAuthorizationDetailsResult",
              "UserDetailList,GroupDetailList,RoleDetailList,Policies"),
    OP("iam", "GetAccountPasswordPolicy", "iam:GetAccountPasswordPolicy",
       "GetAccountPasswordPolicyResult"),
    OP("iam", "GetAccountSummary", "iam:GetAccountSummary", "GetAccountSummaryResult"),
    OP("iam", "GenerateCredentialReport", "iam:GenerateCredentialReport",
       "GenerateCredentialReportResult"),
    OP("iam", "GetCredentialReport", "iam:GetCredentialReport", "GetCredentialReportResult"),
    IAM_PAGED("ListUsers", "ListUsersResult", "Users"),
    IAM_PAGED("ListAccessKeys", "ListAccessKeysResult", "AccessKeyMetadata"),
    OP("iam", "GetAccessKeyLastUsed", "iam:GetAccessKeyLastUsed", "GetAccessKeyLastUsedResult"),
    IAM_PAGED("ListMFADevices", "ListMFADevicesResult", "MFADevices"),
    IAM_PAGED("ListVirtualMFADevices", "ListVirtualMFADevicesResult", "VirtualMFADevices"),
    OP("iam", "GetLoginProfile", "iam:GetLoginProfile", "GetLoginProfileResult"),
    IAM_PAGED("ListServerCertificates", "ListServerCertificatesResult",
              "ServerCertificateMetadataList"),
    IAM_PAGED("ListPolicies", "ListPoliciesResult", "Policies"),
    OP("iam", "GetPolicy", "iam:GetPolicy", "GetPolicyResult"),
    OP("iam", "GetPolicyVersion", "iam:GetPolicyVersion", "GetPolicyVersionResult"),
    IAM_PAGED("ListEntitiesForPolicy", "ListEntitiesForPolicyResult",
              "PolicyGroups,PolicyUsers,PolicyRoles"),
    IAM_PAGED("ListRoles", "ListRolesResult", "Roles"),
    OP("iam", "GetRole", "iam:GetRole", "GetRoleResult"),
    IAM_PAGED("ListGroups", "ListGroupsResult", "Groups"),
    IAM_PAGED("ListAttachedUserPolicies", "ListAttachedUserPoliciesResult", "AttachedPolicies"),
    IAM_PAGED("ListAttachedRolePolicies", "ListAttachedRolePoliciesResult", "AttachedPolicies"),
    IAM_PAGED("ListAttachedGroupPolicies", "ListAttachedGroupPoliciesResult", "AttachedPolicies"),
    IAM_PAGED("ListUserPolicies", "ListUserPoliciesResult", "PolicyNames"),
    IAM_PAGED("ListRolePolicies", "ListRolePoliciesResult", "PolicyNames"),
    IAM_PAGED("ListGroupPolicies", "ListGroupPoliciesResult", "PolicyNames"),
    OP("iam", "GetUserPolicy", "iam:GetUserPolicy", "GetUserPolicyResult"),
    OP("iam", "GetRolePolicy", "iam:GetRolePolicy", "GetRolePolicyResult"),
    OP("iam", "GetGroupPolicy", "iam:GetGroupPolicy", "GetGroupPolicyResult"),

    /* ---- STS (query) ---- */
    OP("sts", "GetCallerIdentity", "sts:GetCallerIdentity", "GetCallerIdentityResult"),
    OP("sts", "AssumeRole", "sts:AssumeRole", "AssumeRoleResult"),

    /* ---- EC2 (ec2 query, per region). MaxResults: 5-1000, route tables 5-100. ---- */
    OP("ec2", "DescribeRegions", "ec2:DescribeRegions", "DescribeRegionsResult"),
    EC2_PAGED("DescribeVpcs", "DescribeVpcsResult", 1000, "Vpcs"),
    EC2_PAGED("DescribeSubnets", "DescribeSubnetsResult", 1000, "Subnets"),
    EC2_PAGED("DescribeRouteTables", "DescribeRouteTablesResult", 100, "RouteTables"),
    EC2_PAGED("DescribeInternetGateways", "DescribeInternetGatewaysResult", 1000,
              "InternetGateways"),
    EC2_PAGED("DescribeNatGateways", "DescribeNatGatewaysResult", 1000, "NatGateways"),
    EC2_PAGED("DescribeSecurityGroups", "DescribeSecurityGroupsResult", 1000, "SecurityGroups"),
    EC2_PAGED("DescribeSecurityGroupRules", "DescribeSecurityGroupRulesResult", 1000,
              "SecurityGroupRules"),
    EC2_PAGED("DescribeNetworkAcls", "DescribeNetworkAclsResult", 1000, "NetworkAcls"),
    EC2_PAGED("DescribeFlowLogs", "DescribeFlowLogsResult", 1000, "FlowLogs"),
    EC2_PAGED("DescribeVpcEndpoints", "DescribeVpcEndpointsResult", 1000, "VpcEndpoints"),
    EC2_PAGED("DescribeInstances", "DescribeInstancesResult", 1000, "Reservations"),
    OP("ec2", "GetEbsEncryptionByDefault", "ec2:GetEbsEncryptionByDefault",
       "GetEbsEncryptionByDefaultResult"),

    /* ---- writes (remediation) ---- */
    WRITE("iam", "UpdateAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy", NULL),
    WRITE("ec2", "CreateFlowLogs", "ec2:CreateFlowLogs", "CreateFlowLogsResult"),
    WRITE("kms", "EnableKeyRotation", "kms:EnableKeyRotation", NULL),
    /* remediation: corrections (issue 8) */
    WRITE("ec2", "RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", NULL),
    WRITE("ec2", "RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", NULL),
    WRITE("ec2", "DeleteNetworkAclEntry", "ec2:DeleteNetworkAclEntry", NULL),
    WRITE("iam", "UpdateAccessKey", "iam:UpdateAccessKey", NULL),
    WRITE("iam", "DetachUserPolicy", "iam:DetachUserPolicy", NULL),
    WRITE("iam", "DeleteUserPolicy", "iam:DeleteUserPolicy", NULL),
    WRITE("iam", "CreateRole", "iam:CreateRole", "GetRoleResult"),
    WRITE("iam", "PutRolePolicy", "iam:PutRolePolicy", NULL),
    WRITE("iam", "CreateServiceLinkedRole", "iam:CreateServiceLinkedRole", "GetRoleResult"),
    WRITE("kms", "CreateKey", "kms:CreateKey", "DescribeKeyResponse"),
    WRITE("kms", "CreateAlias", "kms:CreateAlias", NULL),
    WRITE("cloudtrail", "CreateTrail", "cloudtrail:CreateTrail", NULL),
    WRITE("cloudtrail", "UpdateTrail", "cloudtrail:UpdateTrail", NULL),
    WRITE("cloudtrail", "StartLogging", "cloudtrail:StartLogging", NULL),
    WRITE("config", "PutConfigurationRecorder", "config:PutConfigurationRecorder", NULL),
    WRITE("config", "PutDeliveryChannel", "config:PutDeliveryChannel", NULL),
    WRITE("config", "StartConfigurationRecorder", "config:StartConfigurationRecorder", NULL),
    WRITE("logs", "CreateLogGroup", "logs:CreateLogGroup", NULL),
    WRITE("logs", "PutMetricFilter", "logs:PutMetricFilter", NULL),
    WRITE("cloudwatch", "PutMetricAlarm", "cloudwatch:PutMetricAlarm", NULL),
    WRITE("sns", "CreateTopic", "sns:CreateTopic", NULL),
    WRITE("sns", "Subscribe", "sns:Subscribe", NULL),
    REST_WRITE("s3", "CreateBucket", "s3:CreateBucket", "PUT", "/{Bucket}", NULL),
    REST_WRITE("s3", "PutBucketPolicy", "s3:PutBucketPolicy", "PUT", "/{Bucket}?policy", NULL),
    REST_WRITE("s3", "PutBucketTagging", "s3:PutBucketTagging", "PUT", "/{Bucket}?tagging", NULL),
    REST_WRITE("s3", "PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "PUT",
               "/{Bucket}?publicAccessBlock", NULL),
    REST_WRITE("s3", "PutBucketLogging", "s3:PutBucketLogging", "PUT", "/{Bucket}?logging", NULL),
    /* remediation: provisioning architecture.yaml (issue 8) */
    WRITE("ec2", "CreateVpc", "ec2:CreateVpc", NULL),
    WRITE("ec2", "ModifyVpcAttribute", "ec2:ModifyVpcAttribute", NULL),
    WRITE("ec2", "CreateInternetGateway", "ec2:CreateInternetGateway", NULL),
    WRITE("ec2", "AttachInternetGateway", "ec2:AttachInternetGateway", NULL),
    WRITE("ec2", "CreateSubnet", "ec2:CreateSubnet", NULL),
    WRITE("ec2", "ModifySubnetAttribute", "ec2:ModifySubnetAttribute", NULL),
    WRITE("ec2", "AllocateAddress", "ec2:AllocateAddress", NULL),
    WRITE("ec2", "CreateNatGateway", "ec2:CreateNatGateway", NULL),
    WRITE("ec2", "CreateRouteTable", "ec2:CreateRouteTable", NULL),
    WRITE("ec2", "CreateRoute", "ec2:CreateRoute", NULL),
    WRITE("ec2", "AssociateRouteTable", "ec2:AssociateRouteTable", NULL),
    WRITE("ec2", "CreateVpcEndpoint", "ec2:CreateVpcEndpoint", NULL),
    WRITE("ec2", "CreateSecurityGroup", "ec2:CreateSecurityGroup", NULL),
    WRITE("ec2", "AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress", NULL),
    WRITE("ec2", "AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupEgress", NULL),
    WRITE("ec2", "CreateNetworkAcl", "ec2:CreateNetworkAcl", NULL),
    WRITE("ec2", "CreateNetworkAclEntry", "ec2:CreateNetworkAclEntry", NULL),
    WRITE("ec2", "ReplaceNetworkAclAssociation", "ec2:ReplaceNetworkAclAssociation", NULL),
    OP("ec2", "DescribeAddresses", "ec2:DescribeAddresses", NULL),
    WRITE("logs", "PutRetentionPolicy", "logs:PutRetentionPolicy", NULL),
    WRITE("iam", "CreatePolicy", "iam:CreatePolicy", NULL),
    WRITE("iam", "CreateGroup", "iam:CreateGroup", NULL),
    WRITE("iam", "AttachGroupPolicy", "iam:AttachGroupPolicy", NULL),
    WRITE("iam", "AttachRolePolicy", "iam:AttachRolePolicy", NULL),
    WRITE("iam", "CreateInstanceProfile", "iam:CreateInstanceProfile", NULL),
    WRITE("iam", "AddRoleToInstanceProfile", "iam:AddRoleToInstanceProfile", NULL),
    WRITE("cloudtrail", "PutEventSelectors", "cloudtrail:PutEventSelectors", NULL),
    REST_WRITE("s3", "PutBucketEncryption", "s3:PutEncryptionConfiguration", "PUT",
               "/{Bucket}?encryption", NULL),
    REST_WRITE("s3", "PutBucketVersioning", "s3:PutBucketVersioning", "PUT", "/{Bucket}?versioning",
               NULL),
    REST_WRITE("guardduty", "UpdateDetector", "guardduty:UpdateDetector", "POST",
               "/detector/{DetectorId}", NULL),
    {.service = "guardduty",
     .name = "CreateDetector",
     .permission = "guardduty:CreateDetector",
     .method = "POST",
     .uri = "/detector",
     .output = "CreateDetectorResponse",
     .mutating = true},

    /* ---- KMS (JSON 1.1). Limit: keys 1-1000, aliases 1-100, tags 1-50. ---- */
    KMS_PAGED("ListKeys", "ListKeysResponse", 1000, "Keys"),
    OP("kms", "DescribeKey", "kms:DescribeKey", "DescribeKeyResponse"),
    OP("kms", "GetKeyRotationStatus", "kms:GetKeyRotationStatus", "GetKeyRotationStatusResponse"),
    OP("kms", "GetKeyPolicy", "kms:GetKeyPolicy", "GetKeyPolicyResponse"),
    KMS_PAGED("ListAliases", "ListAliasesResponse", 100, "Aliases"),
    KMS_PAGED("ListResourceTags", "ListResourceTagsResponse", 50, "Tags"),

    /* ---- CloudTrail (JSON 1.1) ---- */
    OP("cloudtrail", "DescribeTrails", "cloudtrail:DescribeTrails", "DescribeTrailsResponse"),
    PAGED("cloudtrail", "ListTrails", "cloudtrail:ListTrails", "ListTrailsResponse", "NextToken",
          "NextToken", NULL, NULL, 0, "Trails"),
    OP("cloudtrail", "GetTrailStatus", "cloudtrail:GetTrailStatus", "GetTrailStatusResponse"),
    OP("cloudtrail", "GetEventSelectors", "cloudtrail:GetEventSelectors",
       "GetEventSelectorsResponse"),

    /* ---- Config (JSON 1.1) ---- */
    OP("config", "DescribeConfigurationRecorders", "config:DescribeConfigurationRecorders",
       "DescribeConfigurationRecordersResponse"),
    OP("config", "DescribeConfigurationRecorderStatus",
       "config:DescribeConfigurationRecorderStatus", "DescribeConfigurationRecorderStatusResponse"),
    OP("config", "DescribeDeliveryChannels", "config:DescribeDeliveryChannels",
       "DescribeDeliveryChannelsResponse"),
    PAGED("config", "DescribeConfigRules", "config:DescribeConfigRules",
          "DescribeConfigRulesResponse", "NextToken", "NextToken", NULL, NULL, 0, "ConfigRules"),

    /* ---- GuardDuty (REST-JSON): maxResults 1-50 ---- */
    {.service = "guardduty",
     .name = "ListDetectors",
     .permission = "guardduty:ListDetectors",
     .method = "GET",
     .uri = "/detector",
     .query_keys = "maxResults,nextToken",
     .output = "ListDetectorsResponse",
     .in_token = "nextToken",
     .out_token = "NextToken",
     .limit_key = "maxResults",
     .limit = 50,
     .result_keys = "DetectorIds"},
    REST("guardduty", "GetDetector", "guardduty:GetDetector", "GET", "/detector/{DetectorId}", NULL,
         "GetDetectorResponse"),

    /* ---- CloudWatch Logs (JSON 1.1): limit 1-50 ---- */
    PAGED("logs", "DescribeMetricFilters", "logs:DescribeMetricFilters",
          "DescribeMetricFiltersResponse", "nextToken", "nextToken", NULL, "limit", 50,
          "metricFilters"),
    PAGED("logs", "DescribeLogGroups", "logs:DescribeLogGroups", "DescribeLogGroupsResponse",
          "nextToken", "nextToken", NULL, "limit", 50, "logGroups"),

    /* ---- CloudWatch (query): MaxRecords 1-100 ---- */
    PAGED("cloudwatch", "DescribeAlarms", "cloudwatch:DescribeAlarms", "DescribeAlarmsResult",
          "NextToken", "NextToken", NULL, "MaxRecords", 100, "MetricAlarms,CompositeAlarms"),

    /* ---- SNS (query): pages of 100 topics / subscriptions, no size parameter ---- */
    PAGED("sns", "ListTopics", "sns:ListTopics", "ListTopicsResult", "NextToken", "NextToken", NULL,
          NULL, 0, "Topics"),
    OP("sns", "GetTopicAttributes", "sns:GetTopicAttributes", "GetTopicAttributesResult"),
    PAGED("sns", "ListSubscriptionsByTopic", "sns:ListSubscriptionsByTopic",
          "ListSubscriptionsByTopicResult", "NextToken", "NextToken", NULL, NULL, 0,
          "Subscriptions"),

    /* ---- S3 (REST-XML), only what log buckets need ---- */
    REST("s3", "ListBuckets", "s3:ListAllMyBuckets", "GET", "/", NULL, "ListAllMyBucketsResult"),
    REST("s3", "GetBucketLocation", "s3:GetBucketLocation", "GET", "/{Bucket}?location", NULL,
         "GetBucketLocationOutput"),
    REST("s3", "GetBucketPolicy", "s3:GetBucketPolicy", "GET", "/{Bucket}?policy", NULL,
         "GetBucketPolicyOutput"),
    REST("s3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock", "GET",
         "/{Bucket}?publicAccessBlock", NULL, "GetPublicAccessBlockOutput"),
    REST("s3", "GetBucketLogging", "s3:GetBucketLogging", "GET", "/{Bucket}?logging", NULL,
         "BucketLoggingStatus"),
    REST("s3", "GetBucketEncryption", "s3:GetEncryptionConfiguration", "GET",
         "/{Bucket}?encryption", NULL, "GetBucketEncryptionOutput"),
    /* remediation re-reads whether a bucket is parapet's */
    REST("s3", "GetBucketTagging", "s3:GetBucketTagging", "GET", "/{Bucket}?tagging", NULL,
         "Tagging"),
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

const pp_op *pp_op_find(const char *service, const char *name)
{
    if (!service || !name)
        return NULL;
    for (size_t i = 0; i < N_OPS; i++)
        if (strcmp(ops[i].service, service) == 0 && strcmp(ops[i].name, name) == 0)
            return &ops[i];
    return NULL;
}

const pp_op *pp_op_at(size_t i)
{
    return i < N_OPS ? &ops[i] : NULL;
}
