/* The resource types parapet knows and the paths of their documents (design.md section 3). The
 * documents follow the AWS CLI's output for the API behind each key; `rules lint` rejects a path
 * that is not declared here, and an integration test checks that every key a scan produces is.
 * `*` after a key means a free-form subtree (policy documents, tag maps). */
#include "pp_core.h"

#include <string.h>

#define TAGS "Tags[].Key", "Tags[].Value"
#define IPV6_ASSOC(p)                                                                              \
    p "[].AssociationId", p "[].Ipv6CidrBlock", p "[].Ipv6CidrBlockState.State",                   \
        p "[].Ipv6CidrBlockState.StatusMessage", p "[].NetworkBorderGroup", p "[].Ipv6Pool"
#define IP_PERMISSIONS(p)                                                                          \
    p "[].IpProtocol", p "[].FromPort", p "[].ToPort", p "[].IpRanges[].CidrIp",                   \
        p "[].IpRanges[].Description", p "[].Ipv6Ranges[].CidrIpv6",                               \
        p "[].Ipv6Ranges[].Description", p "[].PrefixListIds[].PrefixListId",                      \
        p "[].PrefixListIds[].Description", p "[].UserIdGroupPairs[].GroupId",                     \
        p "[].UserIdGroupPairs[].GroupName", p "[].UserIdGroupPairs[].UserId",                     \
        p "[].UserIdGroupPairs[].VpcId", p "[].UserIdGroupPairs[].VpcPeeringConnectionId",         \
        p "[].UserIdGroupPairs[].PeeringStatus", p "[].UserIdGroupPairs[].Description"
#define INLINE_POLICIES(p) p "[].PolicyName", p "[].PolicyDocument.*"
#define ATTACHED           "AttachedManagedPolicies[].PolicyName", "AttachedManagedPolicies[].PolicyArn"
#define CREDENTIAL_REPORT(p)                                                                       \
    p ".user", p ".arn", p ".user_creation_time", p ".password_enabled", p ".password_last_used",  \
        p ".password_last_changed", p ".password_next_rotation", p ".mfa_active",                  \
        p ".access_key_1_active", p ".access_key_1_last_rotated",                                  \
        p ".access_key_1_last_used_date", p ".access_key_1_last_used_region",                      \
        p ".access_key_1_last_used_service", p ".access_key_2_active",                             \
        p ".access_key_2_last_rotated", p ".access_key_2_last_used_date",                          \
        p ".access_key_2_last_used_region", p ".access_key_2_last_used_service",                   \
        p ".cert_1_active", p ".cert_1_last_rotated", p ".cert_2_active", p ".cert_2_last_rotated"

static const char *const account_paths[] = {
    "AccountId",
    "PasswordPolicy.MinimumPasswordLength",
    "PasswordPolicy.RequireSymbols",
    "PasswordPolicy.RequireNumbers",
    "PasswordPolicy.RequireUppercaseCharacters",
    "PasswordPolicy.RequireLowercaseCharacters",
    "PasswordPolicy.AllowUsersToChangePassword",
    "PasswordPolicy.ExpirePasswords",
    "PasswordPolicy.MaxPasswordAge",
    "PasswordPolicy.PasswordReusePrevention",
    "PasswordPolicy.HardExpiry",
    "AccountSummary.*",
    CREDENTIAL_REPORT("CredentialReport"),
    "VirtualMFADevices[].SerialNumber",
    "VirtualMFADevices[].EnableDate",
    "VirtualMFADevices[].User.Arn",
    "VirtualMFADevices[].User.UserName",
    "VirtualMFADevices[].User.UserId",
    "Regions[].RegionName",
    "Regions[].Endpoint",
    "Regions[].OptInStatus",
    NULL,
};

static const char *const user_paths[] = {
    "Path",
    "UserName",
    "UserId",
    "Arn",
    "CreateDate",
    "PasswordLastUsed",
    INLINE_POLICIES("UserPolicyList"),
    "GroupList[]",
    ATTACHED,
    "PermissionsBoundary.PermissionsBoundaryType",
    "PermissionsBoundary.PermissionsBoundaryArn",
    TAGS,
    "AccessKeys[].UserName",
    "AccessKeys[].AccessKeyId",
    "AccessKeys[].Status",
    "AccessKeys[].CreateDate",
    "AccessKeys[].AccessKeyLastUsed.LastUsedDate",
    "AccessKeys[].AccessKeyLastUsed.ServiceName",
    "AccessKeys[].AccessKeyLastUsed.Region",
    "MFADevices[].UserName",
    "MFADevices[].SerialNumber",
    "MFADevices[].EnableDate",
    "LoginProfile.UserName",
    "LoginProfile.CreateDate",
    "LoginProfile.PasswordResetRequired",
    CREDENTIAL_REPORT("CredentialReport"),
    NULL,
};

static const char *const group_paths[] = {
    "Path",   "GroupName", "GroupId", "Arn", "CreateDate", INLINE_POLICIES("GroupPolicyList"),
    ATTACHED, NULL,
};

static const char *const role_paths[] = {
    "Path",
    "RoleName",
    "RoleId",
    "Arn",
    "CreateDate",
    "Description",
    "MaxSessionDuration",
    "AssumeRolePolicyDocument.*",
    "InstanceProfileList[].*",
    INLINE_POLICIES("RolePolicyList"),
    ATTACHED,
    "PermissionsBoundary.PermissionsBoundaryType",
    "PermissionsBoundary.PermissionsBoundaryArn",
    TAGS,
    "RoleLastUsed.LastUsedDate",
    "RoleLastUsed.Region",
    NULL,
};

static const char *const policy_paths[] = {
    "PolicyName",
    "PolicyId",
    "Arn",
    "Path",
    "DefaultVersionId",
    "AttachmentCount",
    "PermissionsBoundaryUsageCount",
    "IsAttachable",
    "Description",
    "CreateDate",
    "UpdateDate",
    "PolicyVersionList[].Document.*",
    "PolicyVersionList[].VersionId",
    "PolicyVersionList[].IsDefaultVersion",
    "PolicyVersionList[].CreateDate",
    "Document.*",
    TAGS,
    NULL,
};

static const char *const server_cert_paths[] = {
    "Path", "ServerCertificateName", "ServerCertificateId", "Arn", "UploadDate", "Expiration", NULL,
};

static const char *const vpc_paths[] = {
    "CidrBlock",
    "DhcpOptionsId",
    "State",
    "VpcId",
    "OwnerId",
    "InstanceTenancy",
    "IsDefault",
    IPV6_ASSOC("Ipv6CidrBlockAssociationSet"),
    "CidrBlockAssociationSet[].AssociationId",
    "CidrBlockAssociationSet[].CidrBlock",
    "CidrBlockAssociationSet[].CidrBlockState.State",
    "CidrBlockAssociationSet[].CidrBlockState.StatusMessage",
    TAGS,
    NULL,
};

static const char *const subnet_paths[] = {
    "AvailabilityZone",
    "AvailabilityZoneId",
    "AvailableIpAddressCount",
    "CidrBlock",
    "DefaultForAz",
    "MapPublicIpOnLaunch",
    "MapCustomerOwnedIpOnLaunch",
    "State",
    "SubnetId",
    "VpcId",
    "OwnerId",
    "AssignIpv6AddressOnCreation",
    IPV6_ASSOC("Ipv6CidrBlockAssociationSet"),
    TAGS,
    "SubnetArn",
    "EnableDns64",
    "Ipv6Native",
    "EnableLniAtDeviceIndex",
    "PrivateDnsNameOptionsOnLaunch.HostnameType",
    "PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsARecord",
    "PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsAAAARecord",
    NULL,
};

static const char *const route_table_paths[] = {
    "RouteTableId",
    "VpcId",
    "OwnerId",
    "Associations[].Main",
    "Associations[].RouteTableAssociationId",
    "Associations[].RouteTableId",
    "Associations[].SubnetId",
    "Associations[].GatewayId",
    "Associations[].AssociationState.State",
    "Associations[].AssociationState.StatusMessage",
    "PropagatingVgws[].GatewayId",
    "Routes[].DestinationCidrBlock",
    "Routes[].DestinationIpv6CidrBlock",
    "Routes[].DestinationPrefixListId",
    "Routes[].EgressOnlyInternetGatewayId",
    "Routes[].GatewayId",
    "Routes[].InstanceId",
    "Routes[].InstanceOwnerId",
    "Routes[].NatGatewayId",
    "Routes[].TransitGatewayId",
    "Routes[].LocalGatewayId",
    "Routes[].CarrierGatewayId",
    "Routes[].NetworkInterfaceId",
    "Routes[].Origin",
    "Routes[].State",
    "Routes[].VpcPeeringConnectionId",
    "Routes[].CoreNetworkArn",
    TAGS,
    NULL,
};

static const char *const igw_paths[] = {
    "InternetGatewayId", "OwnerId", "Attachments[].State", "Attachments[].VpcId", TAGS, NULL,
};

static const char *const nat_paths[] = {
    "CreateTime",
    "DeleteTime",
    "FailureCode",
    "FailureMessage",
    "NatGatewayAddresses[].AllocationId",
    "NatGatewayAddresses[].NetworkInterfaceId",
    "NatGatewayAddresses[].PrivateIp",
    "NatGatewayAddresses[].PublicIp",
    "NatGatewayAddresses[].AssociationId",
    "NatGatewayAddresses[].IsPrimary",
    "NatGatewayAddresses[].FailureMessage",
    "NatGatewayAddresses[].Status",
    "NatGatewayId",
    "State",
    "SubnetId",
    "VpcId",
    "ConnectivityType",
    TAGS,
    NULL,
};

static const char *const sg_paths[] = {
    "Description",
    "GroupName",
    "GroupId",
    "OwnerId",
    "VpcId",
    "SecurityGroupArn",
    IP_PERMISSIONS("IpPermissions"),
    IP_PERMISSIONS("IpPermissionsEgress"),
    TAGS,
    NULL,
};

static const char *const nacl_paths[] = {
    "NetworkAclId",
    "VpcId",
    "OwnerId",
    "IsDefault",
    "Associations[].NetworkAclAssociationId",
    "Associations[].NetworkAclId",
    "Associations[].SubnetId",
    "Entries[].CidrBlock",
    "Entries[].Ipv6CidrBlock",
    "Entries[].Egress",
    "Entries[].IcmpTypeCode.Code",
    "Entries[].IcmpTypeCode.Type",
    "Entries[].PortRange.From",
    "Entries[].PortRange.To",
    "Entries[].Protocol",
    "Entries[].RuleAction",
    "Entries[].RuleNumber",
    TAGS,
    NULL,
};

static const char *const flow_log_paths[] = {
    "CreationTime",
    "DeliverLogsErrorMessage",
    "DeliverLogsPermissionArn",
    "DeliverCrossAccountRole",
    "DeliverLogsStatus",
    "FlowLogId",
    "FlowLogStatus",
    "LogGroupName",
    "ResourceId",
    "TrafficType",
    "LogDestinationType",
    "LogDestination",
    "LogFormat",
    "MaxAggregationInterval",
    "DestinationOptions.FileFormat",
    "DestinationOptions.HiveCompatiblePartitions",
    "DestinationOptions.PerHourPartition",
    TAGS,
    NULL,
};

static const char *const endpoint_paths[] = {
    "VpcEndpointId",
    "VpcEndpointType",
    "VpcId",
    "ServiceName",
    "State",
    "PolicyDocument.*",
    "RouteTableIds[]",
    "SubnetIds[]",
    "Groups[].GroupId",
    "Groups[].GroupName",
    "IpAddressType",
    "DnsOptions.DnsRecordIpType",
    "DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint",
    "PrivateDnsEnabled",
    "RequesterManaged",
    "NetworkInterfaceIds[]",
    "DnsEntries[].DnsName",
    "DnsEntries[].HostedZoneId",
    "CreationTimestamp",
    "OwnerId",
    TAGS,
    NULL,
};

static const char *const instance_paths[] = {
    "InstanceId",
    "ImageId",
    "InstanceType",
    "KeyName",
    "LaunchTime",
    "State.Code",
    "State.Name",
    "SubnetId",
    "VpcId",
    "PrivateIpAddress",
    "PrivateDnsName",
    "PublicIpAddress",
    "PublicDnsName",
    "Architecture",
    "Platform",
    "PlatformDetails",
    "RootDeviceName",
    "RootDeviceType",
    "IamInstanceProfile.Arn",
    "IamInstanceProfile.Id",
    "MetadataOptions.State",
    "MetadataOptions.HttpTokens",
    "MetadataOptions.HttpPutResponseHopLimit",
    "MetadataOptions.HttpEndpoint",
    "MetadataOptions.HttpProtocolIpv6",
    "MetadataOptions.InstanceMetadataTags",
    "SecurityGroups[].GroupName",
    "SecurityGroups[].GroupId",
    "Placement.*",
    "Monitoring.State",
    "BlockDeviceMappings[].*",
    "NetworkInterfaces[].*",
    "EbsOptimized",
    "EnaSupport",
    "Hypervisor",
    "VirtualizationType",
    "SourceDestCheck",
    "ClientToken",
    "AmiLaunchIndex",
    "ProductCodes[].*",
    "StateTransitionReason",
    "StateReason.*",
    "CpuOptions.*",
    "CapacityReservationSpecification.*",
    "HibernationOptions.*",
    "EnclaveOptions.*",
    "MaintenanceOptions.*",
    "PrivateDnsNameOptions.*",
    "BootMode",
    "CurrentInstanceBootMode",
    "UsageOperation",
    "UsageOperationUpdateTime",
    "Ipv6Address",
    "OwnerId",
    "ReservationId",
    TAGS,
    NULL,
};

static const char *const kms_paths[] = {
    "KeyMetadata.AWSAccountId",
    "KeyMetadata.KeyId",
    "KeyMetadata.Arn",
    "KeyMetadata.CreationDate",
    "KeyMetadata.Enabled",
    "KeyMetadata.Description",
    "KeyMetadata.KeyUsage",
    "KeyMetadata.KeyState",
    "KeyMetadata.DeletionDate",
    "KeyMetadata.ValidTo",
    "KeyMetadata.Origin",
    "KeyMetadata.CustomKeyStoreId",
    "KeyMetadata.CloudHsmClusterId",
    "KeyMetadata.ExpirationModel",
    "KeyMetadata.KeyManager",
    "KeyMetadata.CustomerMasterKeySpec",
    "KeyMetadata.KeySpec",
    "KeyMetadata.EncryptionAlgorithms[]",
    "KeyMetadata.SigningAlgorithms[]",
    "KeyMetadata.KeyAgreementAlgorithms[]",
    "KeyMetadata.MacAlgorithms[]",
    "KeyMetadata.MultiRegion",
    "KeyMetadata.MultiRegionConfiguration.*",
    "KeyMetadata.PendingDeletionWindowInDays",
    "KeyMetadata.XksKeyConfiguration.*",
    "KeyRotationEnabled",
    "RotationPeriodInDays",
    "NextRotationDate",
    "OnDemandRotationStartDate",
    "KeyPolicy.*",
    "Aliases[].AliasName",
    "Aliases[].AliasArn",
    "Aliases[].TargetKeyId",
    "Aliases[].CreationDate",
    "Aliases[].LastUpdatedDate",
    "Tags[].TagKey",
    "Tags[].TagValue",
    NULL,
};

static const char *const trail_paths[] = {
    "Name",
    "S3BucketName",
    "S3KeyPrefix",
    "SnsTopicName",
    "SnsTopicARN",
    "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail",
    "HomeRegion",
    "TrailARN",
    "LogFileValidationEnabled",
    "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn",
    "KmsKeyId",
    "HasCustomEventSelectors",
    "HasInsightSelectors",
    "IsOrganizationTrail",
    "Status.*",
    "EventSelectors[].ReadWriteType",
    "EventSelectors[].IncludeManagementEvents",
    "EventSelectors[].DataResources[].Type",
    "EventSelectors[].DataResources[].Values[]",
    "EventSelectors[].ExcludeManagementEventSources[]",
    "AdvancedEventSelectors[].Name",
    "AdvancedEventSelectors[].FieldSelectors[].Field",
    "AdvancedEventSelectors[].FieldSelectors[].Equals[]",
    "AdvancedEventSelectors[].FieldSelectors[].StartsWith[]",
    "AdvancedEventSelectors[].FieldSelectors[].EndsWith[]",
    "AdvancedEventSelectors[].FieldSelectors[].NotEquals[]",
    "AdvancedEventSelectors[].FieldSelectors[].NotStartsWith[]",
    "AdvancedEventSelectors[].FieldSelectors[].NotEndsWith[]",
    NULL,
};

static const char *const recorder_paths[] = {
    "name",
    "arn",
    "roleARN",
    "recordingGroup.allSupported",
    "recordingGroup.includeGlobalResourceTypes",
    "recordingGroup.resourceTypes[]",
    "recordingGroup.exclusionByResourceTypes.resourceTypes[]",
    "recordingGroup.recordingStrategy.useOnly",
    "recordingMode.*",
    "Status.name",
    "Status.lastStartTime",
    "Status.lastStopTime",
    "Status.recording",
    "Status.lastStatus",
    "Status.lastErrorCode",
    "Status.lastErrorMessage",
    "Status.lastStatusChangeTime",
    NULL,
};

static const char *const channel_paths[] = {
    "name",        "s3BucketName", "s3KeyPrefix",
    "s3KmsKeyArn", "snsTopicARN",  "configSnapshotDeliveryProperties.deliveryFrequency",
    NULL,
};

static const char *const detector_paths[] = {
    "DetectorId",
    "CreatedAt",
    "FindingPublishingFrequency",
    "ServiceRole",
    "Status",
    "UpdatedAt",
    "DataSources.*",
    "Tags.*",
    "Features[].Name",
    "Features[].Status",
    "Features[].UpdatedAt",
    "Features[].AdditionalConfiguration[].Name",
    "Features[].AdditionalConfiguration[].Status",
    "Features[].AdditionalConfiguration[].UpdatedAt",
    NULL,
};

static const char *const metric_filter_paths[] = {
    "filterName",
    "filterPattern",
    "metricTransformations[].metricName",
    "metricTransformations[].metricNamespace",
    "metricTransformations[].metricValue",
    "metricTransformations[].defaultValue",
    "metricTransformations[].dimensions.*",
    "metricTransformations[].unit",
    "creationTime",
    "logGroupName",
    "applyOnTransformedLogs",
    NULL,
};

static const char *const alarm_paths[] = {
    "AlarmName",
    "AlarmArn",
    "AlarmDescription",
    "AlarmConfigurationUpdatedTimestamp",
    "ActionsEnabled",
    "OKActions[]",
    "AlarmActions[]",
    "InsufficientDataActions[]",
    "StateValue",
    "StateReason",
    "StateReasonData",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions[].Name",
    "Dimensions[].Value",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics[].*",
    "ThresholdMetricId",
    NULL,
};

static const char *const topic_paths[] = {
    "TopicArn",
    "Attributes.*",
    "Subscriptions[].SubscriptionArn",
    "Subscriptions[].Owner",
    "Subscriptions[].Protocol",
    "Subscriptions[].Endpoint",
    "Subscriptions[].TopicArn",
    TAGS,
    NULL,
};

static const char *const bucket_paths[] = {
    "Name",
    "CreationDate",
    "LocationConstraint",
    "Policy.*",
    "PublicAccessBlockConfiguration.BlockPublicAcls",
    "PublicAccessBlockConfiguration.IgnorePublicAcls",
    "PublicAccessBlockConfiguration.BlockPublicPolicy",
    "PublicAccessBlockConfiguration.RestrictPublicBuckets",
    "LoggingEnabled.TargetBucket",
    "LoggingEnabled.TargetPrefix",
    "LoggingEnabled.TargetGrants[].*",
    "LoggingEnabled.TargetObjectKeyFormat.*",
    "ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault.SSEAlgorithm",
    "ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault.KMSMasterKeyID",
    "ServerSideEncryptionConfiguration.Rules[].BucketKeyEnabled",
    NULL,
};

static const pp_type types[] = {
    {"AWS::::Account", "account", true, account_paths},
    {"AWS::IAM::User", "iam", true, user_paths},
    {"AWS::IAM::Group", "iam", true, group_paths},
    {"AWS::IAM::Role", "iam", true, role_paths},
    {"AWS::IAM::Policy", "iam", true, policy_paths},
    {"AWS::IAM::ServerCertificate", "iam", true, server_cert_paths},
    {"AWS::EC2::VPC", "ec2", false, vpc_paths},
    {"AWS::EC2::Subnet", "ec2", false, subnet_paths},
    {"AWS::EC2::RouteTable", "ec2", false, route_table_paths},
    {"AWS::EC2::InternetGateway", "ec2", false, igw_paths},
    {"AWS::EC2::NatGateway", "ec2", false, nat_paths},
    {"AWS::EC2::SecurityGroup", "ec2", false, sg_paths},
    {"AWS::EC2::NetworkAcl", "ec2", false, nacl_paths},
    {"AWS::EC2::FlowLog", "ec2", false, flow_log_paths},
    {"AWS::EC2::VPCEndpoint", "ec2", false, endpoint_paths},
    {"AWS::EC2::Instance", "ec2", false, instance_paths},
    {"AWS::KMS::Key", "kms", false, kms_paths},
    {"AWS::CloudTrail::Trail", "cloudtrail", false, trail_paths},
    {"AWS::Config::ConfigurationRecorder", "config", false, recorder_paths},
    {"AWS::Config::DeliveryChannel", "config", false, channel_paths},
    {"AWS::GuardDuty::Detector", "guardduty", false, detector_paths},
    {"AWS::Logs::MetricFilter", "logs", false, metric_filter_paths},
    {"AWS::CloudWatch::Alarm", "cloudwatch", false, alarm_paths},
    {"AWS::SNS::Topic", "sns", false, topic_paths},
    {"AWS::S3::Bucket", "s3", true, bucket_paths},
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

const pp_type *pp_type_find(const char *name)
{
    for (size_t i = 0; name && i < N_TYPES; i++)
        if (strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

const pp_type *pp_type_at(size_t i)
{
    return i < N_TYPES ? &types[i] : NULL;
}

/* Does declared path d cover the queried path q? q may stop at any segment of d ("IpPermissions",
 * "IpPermissions[]"), and a declared "K.*" or "K[].*" covers anything below K. */
static bool covers(const char *d, const char *q)
{
    size_t dl = strlen(d);
    if (dl >= 2 && d[dl - 1] == '*' && (d[dl - 2] == '.')) {
        size_t base = dl - 2; /* "K" of "K.*", or "K[]" of "K[].*" */
        if (strncmp(d, q, base) == 0 && (q[base] == '\0' || q[base] == '.' || q[base] == '['))
            return true;
        /* "K[].*" also covers "K" */
        if (base >= 2 && d[base - 1] == ']' && d[base - 2] == '[' && strlen(q) == base - 2 &&
            strncmp(d, q, base - 2) == 0)
            return true;
        return false;
    }
    size_t ql = strlen(q);
    if (strncmp(d, q, ql) != 0)
        return false;
    return d[ql] == '\0' || d[ql] == '.' || d[ql] == '[';
}

bool pp_type_has_path(const pp_type *t, const char *path)
{
    if (!t || !path)
        return false;
    for (const char *const *p = t->paths; *p; p++)
        if (covers(*p, path))
            return true;
    return false;
}
