/* The Terraform plan reader: documents, unknown mirrors, sensitive values, addresses, joins,
 * refusals; the .tf locator and inline ignores; baselines and suppression. Fixtures live in
 * tests/fixtures/plans (hand-written `terraform show -json` output beside its .tf files). */
#include "pp_plan.h"
#include "pp_test.h"

#include <stdlib.h>
#include <string.h>

static char fixture_path[4096];

static const char *fixture(const char *rel)
{
    const char *src = getenv("PARAPET_SRC");
    snprintf(fixture_path, sizeof(fixture_path), "%s/tests/fixtures/plans/%s", src ? src : ".",
             rel);
    return fixture_path;
}

static pp_plan *load_basic(void)
{
    pp_plan *p = NULL;
    int rc = pp_plan_load_file(fixture("basic/plan.json"), NULL, &p);
    if (rc < 0)
        fprintf(stderr, "load: %s\n", pp_err_msg());
    CHECK_INT(rc, 0);
    return p;
}

static pp_resource *by_address(pp_inventory *inv, const char *address)
{
    for (size_t i = 0; i < pp_inventory_count(inv); i++) {
        pp_resource *r = pp_inventory_at(inv, i);
        if (pp_str_eq(r->address, address))
            return r;
    }
    return NULL;
}

static char *dump(const json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
}

/* The document and mirror of `address`, as sorted compact JSON ("-" for no mirror). */
#define CHECK_DOC(inv, address, doc_json, mirror_json)                                             \
    do {                                                                                           \
        pp_resource *r_ = by_address((inv), (address));                                            \
        CHECK(r_ != NULL);                                                                         \
        if (r_) {                                                                                  \
            char *d_ = dump(r_->doc), *m_ = dump(r_->unknown);                                     \
            CHECK_STR(d_, (doc_json));                                                             \
            CHECK_STR(m_ ? m_ : "-", (mirror_json));                                               \
            free(d_);                                                                              \
            free(m_);                                                                              \
        }                                                                                          \
    } while (0)

/* ---- reading -------------------------------------------------------------------------------- */

static void basic_summary(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    const pp_plan_stats *st = pp_plan_stats_get(p);
    CHECK_INT(st->changes, 38);
    CHECK_INT(st->evaluated, 36);
    CHECK_INT(st->deleted, 1); /* aws_instance.old */
    CHECK_INT(st->data, 1);    /* data.aws_caller_identity.current */
    CHECK_INT(st->documents, 24);
    CHECK_INT(st->merged, 9);
    CHECK_INT(st->synthetic, 1);
    CHECK_INT(st->unmapped, 3);
    CHECK_STR(pp_plan_format_version(p), "1.2");
    CHECK_STR(pp_plan_terraform_version(p), "1.9.5");
    CHECK(pp_plan_complete(p));
    char *s = dump(pp_plan_unmapped(p));
    CHECK_STR(s, "{\"aws_cloudwatch_log_group\":2,\"aws_db_instance\":1}");
    free(s);

    pp_inventory *inv = pp_plan_inventory(p);
    CHECK_INT(pp_inventory_source(inv), PP_SOURCE_PLAN);
    CHECK_INT(pp_inventory_scope_count(inv), 0); /* account-wide rules cannot decide a plan */
    CHECK_INT(pp_inventory_count(inv), 24);
    for (size_t i = 0; i < pp_inventory_count(inv); i++) {
        pp_resource *r = pp_inventory_at(inv, i);
        CHECK(r->account == NULL);
        CHECK_STR(r->region, "eu-west-1"); /* provider region from var.region */
        CHECK(r->address != NULL);
        CHECK(pp_type_find(r->type) != NULL);
    }
    size_t n = 0;
    pp_inventory_of_type(inv, "AWS::EC2::SecurityGroup", &n);
    CHECK_INT(n, 3);
    pp_plan_free(p);
}

static void addresses_and_actions(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_inventory *inv = pp_plan_inventory(p);
    /* modules, count, for_each keys kept whole */
    CHECK(by_address(inv, "module.net.aws_security_group.ssh") != NULL);
    CHECK(by_address(inv, "aws_subnet.private[0]") != NULL);
    CHECK(by_address(inv, "aws_subnet.private[1]") != NULL);
    CHECK(by_address(inv, "aws_iam_user.people[\"alice\"]") != NULL);
    CHECK(by_address(inv, "module.remote.aws_vpc.this[0]") != NULL);
    /* replacements (both orders) are evaluated, a pure delete and data sources are not */
    CHECK(by_address(inv, "aws_security_group.legacy") != NULL);
    CHECK(by_address(inv, "aws_kms_key.legacy") != NULL);
    CHECK(by_address(inv, "aws_instance.old") == NULL);
    CHECK(by_address(inv, "data.aws_caller_identity.current") == NULL);
    /* no-op: the state, with its known id */
    pp_resource *gd = by_address(inv, "aws_guardduty_detector.main");
    CHECK(gd != NULL);
    if (gd) {
        CHECK_STR(gd->id, "abc123");
        CHECK_STR(gd->arn, "arn:aws:guardduty:eu-west-1:111122223333:detector/abc123");
    }
    /* unknown ids become the address; the ARN stays unknown */
    pp_resource *vpc = by_address(inv, "aws_vpc.main");
    CHECK(vpc != NULL);
    if (vpc) {
        CHECK_STR(vpc->id, "aws_vpc.main");
        CHECK(vpc->arn == NULL);
    }
    /* rules merged into their group are listed for it */
    char *s = dump(pp_plan_merged_into(p, "module.net.aws_security_group.ssh"));
    CHECK_STR(s, "[\"module.net.aws_security_group_rule.https\","
                 "\"module.net.aws_vpc_security_group_ingress_rule.all_v6\"]");
    free(s);
    pp_plan_free(p);
}

static void security_groups(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_inventory *inv = pp_plan_inventory(p);
    /* inline ingress + aws_security_group_rule (protocol "6") + aws_vpc_security_group_ingress_rule
     * ("-1": no ports), vpc_id through the module variable to aws_vpc.main, unconfigured egress
     * emptied as the provider does */
    CHECK_DOC(inv, "module.net.aws_security_group.ssh",
              "{\"Description\":\"ssh in\",\"GroupId\":\"module.net.aws_security_group.ssh\","
              "\"GroupName\":\"ssh\",\"IpPermissions\":[{\"FromPort\":22,\"IpProtocol\":\"tcp\","
              "\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\",\"Description\":\"ssh\"}],\"Ipv6Ranges\":[],"
              "\"PrefixListIds\":[],\"ToPort\":22,\"UserIdGroupPairs\":[]},{\"FromPort\":443,"
              "\"IpProtocol\":\"tcp\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\",\"Description\":"
              "\"https from anywhere { not a block }\\n\"}],\"Ipv6Ranges\":[],\"PrefixListIds\":[],"
              "\"ToPort\":443,\"UserIdGroupPairs\":[]},{\"IpProtocol\":\"-1\",\"IpRanges\":[],"
              "\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\",\"Description\":null}],\"PrefixListIds\":[],"
              "\"UserIdGroupPairs\":[]}],\"IpPermissionsEgress\":[],\"OwnerId\":null,"
              "\"SecurityGroupArn\":null,\"VpcId\":\"aws_vpc.main\"}",
              "{\"IpPermissions\":[false,false,{\"Ipv6Ranges\":[{\"Description\":true}]}],"
              "\"OwnerId\":true,\"SecurityGroupArn\":true}");
    /* an unknown list element stays an element, unknown (never dropped or defaulted) */
    CHECK_DOC(inv, "aws_security_group.legacy",
              "{\"Description\":\"Managed by Terraform\",\"GroupId\":\"aws_security_group.legacy\","
              "\"GroupName\":\"legacy\",\"IpPermissions\":[{\"FromPort\":5432,\"IpProtocol\":"
              "\"tcp\",\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\"},{\"CidrIp\":null}],\"Ipv6Ranges\":"
              "[],\"PrefixListIds\":[],\"ToPort\":5432,\"UserIdGroupPairs\":[]}],"
              "\"IpPermissionsEgress\":[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":"
              "\"0.0.0.0/0\"}],\"Ipv6Ranges\":[],\"PrefixListIds\":[],\"UserIdGroupPairs\":[]}],"
              "\"OwnerId\":null,\"SecurityGroupArn\":null,\"VpcId\":\"vpc-0legacy\"}",
              "{\"IpPermissions\":[{\"IpRanges\":[false,{\"CidrIp\":true}]}],\"OwnerId\":true,"
              "\"SecurityGroupArn\":true}");
    /* a rule on a group outside the plan: its own group document, the rest unknown */
    CHECK_DOC(inv, "aws_security_group_rule.external",
              "{\"Description\":null,\"GroupId\":\"sg-0external\",\"GroupName\":null,"
              "\"IpPermissions\":[{\"FromPort\":3389,\"IpProtocol\":\"tcp\",\"IpRanges\":[{"
              "\"CidrIp\":\"0.0.0.0/0\"}],\"Ipv6Ranges\":[],\"PrefixListIds\":[],\"ToPort\":3389,"
              "\"UserIdGroupPairs\":[]},null],\"IpPermissionsEgress\":null,\"VpcId\":null}",
              "{\"Description\":true,\"GroupName\":true,\"IpPermissions\":[false,true],"
              "\"IpPermissionsEgress\":true,\"VpcId\":true}");
    pp_resource *ext = by_address(inv, "aws_security_group_rule.external");
    if (ext)
        CHECK_STR(ext->id, "aws_security_group_rule.external");
    pp_plan_free(p);
}

static void network_acls_and_routes(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_inventory *inv = pp_plan_inventory(p);
    /* protocols as EC2 numbers, the implicit deny entries, aws_network_acl_rule merged, and
     * subnet_ids from a splat reference to both count instances */
    CHECK_DOC(inv, "aws_network_acl.main",
              "{\"Associations\":[{\"NetworkAclId\":\"aws_network_acl.main\",\"SubnetId\":"
              "\"aws_subnet.private[0]\"},{\"NetworkAclId\":\"aws_network_acl.main\",\"SubnetId\":"
              "\"aws_subnet.private[1]\"}],\"Entries\":[{\"CidrBlock\":\"0.0.0.0/0\",\"Egress\":"
              "false,\"PortRange\":{\"From\":22,\"To\":22},\"Protocol\":\"6\",\"RuleAction\":"
              "\"allow\",\"RuleNumber\":100},{\"CidrBlock\":\"0.0.0.0/0\",\"Egress\":true,"
              "\"Protocol\":\"-1\",\"RuleAction\":\"allow\",\"RuleNumber\":100},{\"CidrBlock\":"
              "\"0.0.0.0/0\",\"Egress\":false,\"Protocol\":\"-1\",\"RuleAction\":\"deny\","
              "\"RuleNumber\":32767},{\"CidrBlock\":\"0.0.0.0/0\",\"Egress\":true,\"Protocol\":"
              "\"-1\",\"RuleAction\":\"deny\",\"RuleNumber\":32767},{\"CidrBlock\":\"0.0.0.0/0\","
              "\"Egress\":false,\"PortRange\":{\"From\":3389,\"To\":3389},\"Protocol\":\"6\","
              "\"RuleAction\":\"allow\",\"RuleNumber\":110}],\"IsDefault\":false,\"NetworkAclId\":"
              "\"aws_network_acl.main\",\"OwnerId\":null,\"VpcId\":\"aws_vpc.main\"}",
              "{\"OwnerId\":true}");
    /* count.index joins each association to the subnet with the same index */
    CHECK_DOC(
        inv, "aws_route_table.private",
        "{\"Associations\":[{\"AssociationState\":{\"State\":\"associated\"},\"Main\":false,"
        "\"RouteTableAssociationId\":\"aws_route_table_association.private[0]\","
        "\"RouteTableId\":\"aws_route_table.private\",\"SubnetId\":\"aws_subnet.private[0]\"},"
        "{\"AssociationState\":{\"State\":\"associated\"},\"Main\":false,"
        "\"RouteTableAssociationId\":\"aws_route_table_association.private[1]\","
        "\"RouteTableId\":\"aws_route_table.private\",\"SubnetId\":\"aws_subnet.private[1]\"}"
        "],\"OwnerId\":null,\"PropagatingVgws\":[],\"RouteTableId\":"
        "\"aws_route_table.private\",\"Routes\":[],\"VpcId\":\"aws_vpc.main\"}",
        "{\"OwnerId\":true}");
    /* joins through references: the flow log's ResourceId is the VPC's id (its address), the
     * log destination the log group's ARN built from its known name */
    CHECK_DOC(inv, "aws_flow_log.main",
              "{\"DeliverLogsPermissionArn\":\"aws_iam_role.flow\",\"FlowLogId\":"
              "\"aws_flow_log.main\",\"FlowLogStatus\":\"ACTIVE\",\"LogDestination\":"
              "\"arn:aws:logs:eu-west-1::log-group:flow-logs\",\"LogDestinationType\":"
              "\"cloud-watch-logs\",\"LogFormat\":null,\"LogGroupName\":null,"
              "\"MaxAggregationInterval\":600,\"ResourceId\":\"aws_vpc.main\",\"TrafficType\":"
              "\"ALL\"}",
              "{\"LogFormat\":true,\"LogGroupName\":true}");
    pp_resource *vpc = by_address(inv, "aws_vpc.main");
    CHECK(vpc && pp_str_eq(json_string_value(json_object_get(vpc->doc, "VpcId")), "aws_vpc.main"));
    /* an unknown computed value is null in the document and true in the mirror */
    CHECK_DOC(inv, "aws_subnet.private[1]",
              "{\"AssignIpv6AddressOnCreation\":false,\"AvailabilityZone\":null,"
              "\"AvailabilityZoneId\":null,\"CidrBlock\":\"10.0.1.0/24\",\"DefaultForAz\":false,"
              "\"EnableDns64\":false,\"Ipv6Native\":false,\"MapPublicIpOnLaunch\":true,\"OwnerId\":"
              "null,\"PrivateDnsNameOptionsOnLaunch\":{\"EnableResourceNameDnsAAAARecord\":false,"
              "\"EnableResourceNameDnsARecord\":false,\"HostnameType\":null},\"SubnetArn\":null,"
              "\"SubnetId\":\"aws_subnet.private[1]\",\"VpcId\":\"aws_vpc.main\"}",
              "{\"AvailabilityZone\":true,\"AvailabilityZoneId\":true,\"OwnerId\":true,"
              "\"PrivateDnsNameOptionsOnLaunch\":{\"HostnameType\":true},\"SubnetArn\":true}");
    /* a module output reference (module.net.ssh_group_id) and metadata_options */
    CHECK_DOC(
        inv, "aws_instance.bastion",
        "{\"EbsOptimized\":null,\"ImageId\":\"ami-0abc\",\"InstanceId\":\"aws_instance.bastion\","
        "\"InstanceType\":\"t3.micro\",\"KeyName\":null,\"MetadataOptions\":{\"HttpEndpoint\":\"e"
        "nabled\",\"HttpProtocolIpv6\":\"disabled\",\"HttpPutResponseHopLimit\":1,\"HttpTokens\":"
        "\"required\",\"InstanceMetadataTags\":\"disabled\"},\"Monitoring\":null,\"PrivateDnsName"
        "\":null,\"PrivateIpAddress\":null,\"PublicDnsName\":null,\"PublicIpAddress\":null,\"Secu"
        "rityGroups\":[{\"GroupId\":\"module.net.aws_security_group.ssh\"}],\"SourceDestCheck\":t"
        "rue,\"State\":{\"Name\":\"running\"},\"SubnetId\":\"aws_subnet.private[0]\",\"Tags\":[{"
        "\"Key\":\"Name\",\"Value\":\"bastion\"},{\"Key\":\"owner\",\"Value\":\"(sensitive)\"}]}",
        "{\"EbsOptimized\":true,\"KeyName\":true,\"Monitoring\":true,\"PrivateDnsName\":true,\"Pr"
        "ivateIpAddress\":true,\"PublicDnsName\":true,\"PublicIpAddress\":true,\"Tags\":[false,{"
        "\"Value\":true}]}");
    pp_plan_free(p);
}

static void kms_trail_config_guardduty(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_inventory *inv = pp_plan_inventory(p);
    /* the unconfigured policy is unknown (the default key policy), never absent */
    CHECK_DOC(
        inv, "aws_kms_key.trail",
        "{\"Aliases\":[],\"KeyMetadata\":{\"Arn\":\"aws_kms_key.trail\",\"CustomerMasterKeySpec\""
        ":\"SYMMETRIC_DEFAULT\",\"Description\":\"trail key\",\"Enabled\":true,\"KeyId\":\"aws_km"
        "s_key.trail\",\"KeyManager\":\"CUSTOMER\",\"KeySpec\":\"SYMMETRIC_DEFAULT\",\"KeyState\""
        ":\"Enabled\",\"KeyUsage\":\"ENCRYPT_DECRYPT\",\"MultiRegion\":null,\"Origin\":\"AWS_KMS"
        "\"},\"KeyPolicy\":null,\"KeyRotationEnabled\":true,\"RotationPeriodInDays\":null}",
        "{\"KeyMetadata\":{\"MultiRegion\":true},\"KeyPolicy\":true,\"RotationPeriodInDays\":true"
        "}");
    /* the trail's key joins to the planned key (its address), the log group ARN by name, the
     * default event selector AWS applies when none is configured */
    CHECK_DOC(inv, "aws_cloudtrail.main",
              "{\"CloudWatchLogsLogGroupArn\":\"arn:aws:logs:eu-west-1::log-group:trail-logs\","
              "\"EventSelectors\":[{\"DataResources\":[],\"ExcludeManagementEventSources\":[],"
              "\"IncludeManagementEvents\":true,\"ReadWriteType\":\"All\"}],"
              "\"HasCustomEventSelectors\":false,\"HasInsightSelectors\":false,\"HomeRegion\":"
              "\"eu-west-1\",\"IncludeGlobalServiceEvents\":true,\"IsMultiRegionTrail\":true,"
              "\"IsOrganizationTrail\":false,\"KmsKeyId\":\"aws_kms_key.trail\","
              "\"LogFileValidationEnabled\":true,\"Name\":\"main\",\"S3BucketName\":"
              "\"trail-bucket\",\"Status\":{\"IsLogging\":true},\"TrailARN\":"
              "\"aws_cloudtrail.main\"}",
              "-");
    CHECK_DOC(
        inv, "aws_config_configuration_recorder.main",
        "{\"Status\":{\"lastStatus\":null,\"name\":\"default\",\"recording\":true},\"name\":\"def"
        "ault\",\"recordingGroup\":{\"allSupported\":true,\"includeGlobalResourceTypes\":false,\""
        "resourceTypes\":[]},\"recordingMode\":null,\"roleARN\":\"arn:aws:iam::111122223333:role/"
        "config\"}",
        "{\"Status\":{\"lastStatus\":true},\"recordingMode\":true}");
    CHECK_DOC(inv, "aws_guardduty_detector.main",
              "{\"DataSources\":{\"Kubernetes\":{\"AuditLogs\":{\"Status\":\"DISABLED\"}},"
              "\"S3Logs\":{\"Status\":\"ENABLED\"}},\"DetectorId\":\"abc123\",\"Features\":[],"
              "\"FindingPublishingFrequency\":\"SIX_HOURS\",\"Status\":\"ENABLED\",\"Tags\":{}}",
              "-");
    CHECK_DOC(inv, "aws_cloudwatch_metric_alarm.root",
              "{\"ActionsEnabled\":true,\"AlarmActions\":[\"aws_sns_topic.alarms\"],\"AlarmArn\":"
              "null,\"AlarmName\":\"root-usage\",\"ComparisonOperator\":"
              "\"GreaterThanOrEqualToThreshold\",\"EvaluateLowSampleCountPercentile\":null,"
              "\"EvaluationPeriods\":1,\"InsufficientDataActions\":[],\"MetricName\":\"RootUsage\","
              "\"Namespace\":\"CIS\",\"OKActions\":[],\"Period\":300,\"Statistic\":\"Sum\","
              "\"Threshold\":1,\"TreatMissingData\":\"missing\"}",
              "{\"AlarmArn\":true,\"EvaluateLowSampleCountPercentile\":true}");
    CHECK_DOC(inv, "aws_sns_topic.alarms",
              "{\"Attributes\":{\"ContentBasedDeduplication\":\"false\",\"FifoTopic\":\"false\","
              "\"Owner\":null,\"Policy\":null,\"SignatureVersion\":null,\"TopicArn\":"
              "\"aws_sns_topic.alarms\",\"TracingConfig\":null},\"Subscriptions\":[{\"Endpoint\":"
              "\"ops@example.com\",\"Owner\":null,\"Protocol\":\"email\",\"SubscriptionArn\":null,"
              "\"TopicArn\":\"aws_sns_topic.alarms\"}],\"TopicArn\":\"aws_sns_topic.alarms\"}",
              "{\"Attributes\":{\"Owner\":true,\"Policy\":true,\"SignatureVersion\":true,"
              "\"TracingConfig\":true},\"Subscriptions\":[{\"Owner\":true,\"SubscriptionArn\":"
              "true}]}");
    CHECK_DOC(inv, "aws_cloudwatch_log_metric_filter.root",
              "{\"filterName\":\"root-usage\",\"filterPattern\":\"{ $.userIdentity.type = "
              "\\\"Root\\\" }\",\"logGroupName\":\"trail-logs\",\"metricTransformations\":[{"
              "\"metricName\":\"RootUsage\",\"metricNamespace\":\"CIS\",\"metricValue\":\"1\","
              "\"unit\":\"None\"}]}",
              "-");
    pp_plan_free(p);
}

static void iam(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_inventory *inv = pp_plan_inventory(p);
    /* policy JSON strings parsed; attachments merged (AWS managed by ARN, planned by its
     * synthetic ARN); AttachmentCount counts the new attachment */
    CHECK_DOC(
        inv, "aws_iam_role.flow",
        "{\"Arn\":null,\"AssumeRolePolicyDocument\":{\"Statement\":[{\"Action\":"
        "\"sts:AssumeRole\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
        "\"vpc-flow-logs.amazonaws.com\"}}],\"Version\":\"2012-10-17\"},"
        "\"AttachedManagedPolicies\":[{\"PolicyArn\":"
        "\"arn:aws:iam::aws:policy/AdministratorAccess\",\"PolicyName\":"
        "\"AdministratorAccess\"}],\"MaxSessionDuration\":3600,\"Path\":\"/\",\"RoleId\":null,"
        "\"RoleName\":\"flow-logs\",\"RolePolicyList\":[]}",
        "{\"Arn\":true,\"RoleId\":true}");
    CHECK_DOC(
        inv, "aws_iam_user.people[\"alice\"]",
        "{\"AccessKeys\":[],\"Arn\":null,\"AttachedManagedPolicies\":[{\"PolicyArn\":\"aws_iam_po"
        "licy.deploy\",\"PolicyName\":\"deploy\"}],\"CredentialReport\":{\"access_key_1_active\":"
        "\"false\",\"access_key_2_active\":\"false\",\"arn\":null,\"mfa_active\":\"false\",\"pass"
        "word_enabled\":\"false\",\"password_last_used\":\"N/A\",\"user\":\"alice\"},\"GroupList"
        "\":[],\"MFADevices\":[],\"Path\":\"/\",\"UserId\":null,\"UserName\":\"alice\",\"UserPoli"
        "cyList\":[]}",
        "{\"Arn\":true,\"CredentialReport\":{\"arn\":true},\"UserId\":true}");
    CHECK_DOC(inv, "aws_iam_policy.deploy",
              "{\"Arn\":\"aws_iam_policy.deploy\",\"AttachmentCount\":1,\"Document\":{"
              "\"Statement\":[{\"Action\":\"s3:*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}],"
              "\"Version\":\"2012-10-17\"},\"IsAttachable\":true,\"Path\":\"/\",\"PolicyId\":null,"
              "\"PolicyName\":\"deploy\",\"PolicyVersionList\":[{\"Document\":{\"Statement\":[{"
              "\"Action\":\"s3:*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}],\"Version\":"
              "\"2012-10-17\"},\"IsDefaultVersion\":true}]}",
              "{\"PolicyId\":true}");
    /* expire_passwords is unknown in the plan but follows from max_password_age */
    CHECK_DOC(
        inv, "aws_iam_account_password_policy.strict",
        "{\"AccountId\":null,\"AccountSummary\":null,\"CredentialReport\":null,\"PasswordPolicy\""
        ":{\"AllowUsersToChangePassword\":true,\"ExpirePasswords\":true,\"HardExpiry\":false,\"Ma"
        "xPasswordAge\":90,\"MinimumPasswordLength\":14,\"PasswordReusePrevention\":24,\"RequireL"
        "owercaseCharacters\":true,\"RequireNumbers\":true,\"RequireSymbols\":true,\"RequireUpper"
        "caseCharacters\":true},\"VirtualMFADevices\":null}",
        "{\"AccountId\":true,\"AccountSummary\":true,\"CredentialReport\":true,\"VirtualMFADevice"
        "s\":true}");
    pp_resource *acct = by_address(inv, "aws_iam_account_password_policy.strict");
    CHECK(acct && strcmp(acct->type, "AWS::::Account") == 0);
    pp_plan_free(p);
}

static void sensitive_values(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_inventory *inv = pp_plan_inventory(p);
    char *s = dump(pp_plan_sensitive(p));
    CHECK_STR(s, "{\"aws_instance.bastion\":[\"Tags[1].Value\"],\"aws_kms_key.legacy\":"
                 "[\"KeyPolicy\"]}");
    free(s);
    /* the whole policy is replaced, and rules may not decide on it */
    CHECK_DOC(
        inv, "aws_kms_key.legacy",
        "{\"Aliases\":[],\"KeyMetadata\":{\"Arn\":\"aws_kms_key.legacy\",\"CustomerMasterKeySpec"
        "\":\"RSA_2048\",\"Description\":\"replaced key\",\"Enabled\":false,\"KeyId\":\"aws_kms_k"
        "ey.legacy\",\"KeyManager\":\"CUSTOMER\",\"KeySpec\":\"RSA_2048\",\"KeyState\":\"Disabled"
        "\",\"KeyUsage\":\"SIGN_VERIFY\",\"MultiRegion\":false,\"Origin\":\"AWS_KMS\"},\"KeyPolic"
        "y\":\"(sensitive)\",\"KeyRotationEnabled\":false,\"RotationPeriodInDays\":null,\"Tags\":"
        "[{\"TagKey\":\"owner\",\"TagValue\":\"sec\"}]}",
        "{\"KeyPolicy\":true,\"RotationPeriodInDays\":true}");
    /* no sensitive value survives anywhere in any document */
    for (size_t i = 0; i < pp_inventory_count(inv); i++) {
        pp_resource *r = pp_inventory_at(inv, i);
        char *d = dump(r->doc);
        CHECK(strstr(d, "hunter2") == NULL);
        CHECK(strstr(d, "alice@example.com") == NULL);
        CHECK(strstr(d, "kms:*") == NULL);
        free(d);
    }
    pp_plan_free(p);
}

/* The type, id, ARN and region of the document at `address`. */
#define CHECK_RES(inv, addr_, type_, id_, arn_, region_)                                           \
    do {                                                                                           \
        pp_resource *r_ = by_address((inv), (addr_));                                              \
        CHECK(r_ != NULL);                                                                         \
        if (r_) {                                                                                  \
            CHECK_STR(r_->type, (type_));                                                          \
            CHECK_STR(r_->id, (id_));                                                              \
            const char *a_ = (arn_);                                                               \
            if (a_)                                                                                \
                CHECK_STR(r_->arn, a_);                                                            \
            else                                                                                   \
                CHECK(r_->arn == NULL);                                                            \
            CHECK_STR(r_->region, (region_));                                                      \
        }                                                                                          \
    } while (0)

/* tests/fixtures/plans/types: every mapper, merges into known ids, default objects, protocol
 * spellings, existing (no-op) principals and topics, synthetic parents, S3 defaults for a new
 * bucket, provider aliases, per-resource regions and default_tags. */
static void types_fixture(void)
{
    pp_plan *p = NULL;
    CHECK_INT(pp_plan_load_file(fixture("types/plan.json"), NULL, &p), 0);
    if (!p)
        return;
    const pp_plan_stats *st = pp_plan_stats_get(p);
    CHECK_INT(st->changes, 52);
    CHECK_INT(st->evaluated, 52);
    CHECK_INT(st->documents, 29);
    CHECK_INT(st->merged, 23);
    CHECK_INT(st->synthetic, 5);
    pp_inventory *inv = pp_plan_inventory(p);
    /* children whose parent is nowhere: not evaluated on their own, not documents */
    CHECK(by_address(inv, "aws_kms_alias.orphan") == NULL);
    CHECK(by_address(inv, "aws_sns_topic_subscription.elsewhere") == NULL);
    CHECK(by_address(inv, "aws_main_route_table_association.m") == NULL);
    /* access key secrets are never mapped */
    for (size_t i = 0; i < pp_inventory_count(inv); i++) {
        char *d = dump(pp_inventory_at(inv, i)->doc);
        CHECK(strstr(d, "wJalrXUtnFEMIsecret") == NULL && strstr(d, "BsmtpSECRET") == NULL);
        free(d);
    }
    char *s = dump(pp_plan_merged_into(p, "aws_security_group.protos"));
    CHECK_STR(s, "[\"aws_vpc_security_group_egress_rule.dns\",\"aws_security_group_rule.same_dns\","
                 "\"aws_security_group_rule.from_sg\"]");
    free(s);
    CHECK_DOC(
        inv, "aws_default_security_group.default",
        "{\"Description\":\"default VPC security group\",\"GroupId\":\"aws_default_security_group"
        ".default\",\"GroupName\":\"default\",\"IpPermissions\":[{\"IpProtocol\":\"-1\",\"IpRange"
        "s\":[],\"Ipv6Ranges\":[],\"PrefixListIds\":[],\"UserIdGroupPairs\":[{\"GroupId\":\"aws_d"
        "efault_security_group.default\"}]}],\"IpPermissionsEgress\":[],\"OwnerId\":null,\"Securi"
        "tyGroupArn\":null,\"VpcId\":\"vpc-0aaa\"}",
        "{\"OwnerId\":true,\"SecurityGroupArn\":true}");
    CHECK_RES(inv, "aws_default_security_group.default", "AWS::EC2::SecurityGroup",
              "aws_default_security_group.default", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_security_group.protos",
        "{\"Description\":\"d\",\"GroupId\":\"sg-0protos\",\"GroupName\":\"protos\",\"IpPermissio"
        "ns\":[{\"FromPort\":53,\"IpProtocol\":\"udp\",\"IpRanges\":[{\"CidrIp\":\"10.0.0.0/8\","
        "\"Description\":\"a\"},{\"CidrIp\":\"172.16.0.0/12\",\"Description\":\"a\"}],\"Ipv6Range"
        "s\":[],\"PrefixListIds\":[],\"ToPort\":53,\"UserIdGroupPairs\":[]},{\"FromPort\":8,\"IpP"
        "rotocol\":\"icmp\",\"IpRanges\":[],\"Ipv6Ranges\":[{\"CidrIpv6\":\"::/0\"}],\"PrefixList"
        "Ids\":[{\"PrefixListId\":\"pl-123\"}],\"ToPort\":0,\"UserIdGroupPairs\":[]},{\"FromPort"
        "\":0,\"IpProtocol\":\"tcp\",\"IpRanges\":[],\"Ipv6Ranges\":[],\"PrefixListIds\":[],\"ToP"
        "ort\":65535,\"UserIdGroupPairs\":[{\"Description\":\"peers\",\"GroupId\":\"sg-0peer\"},{"
        "\"Description\":\"peers\",\"GroupId\":\"sg-0cross\",\"UserId\":\"444455556666\"},{\"Desc"
        "ription\":\"peers\",\"GroupName\":\"legacy-name\"}]},{\"IpProtocol\":\"-1\",\"IpRanges\""
        ":[{\"CidrIp\":\"0.0.0.0/0\"}],\"Ipv6Ranges\":[],\"PrefixListIds\":[],\"UserIdGroupPairs"
        "\":[]},{\"FromPort\":0,\"IpProtocol\":\"icmpv6\",\"IpRanges\":[{\"CidrIp\":\"192.168.0.0"
        "/16\"}],\"Ipv6Ranges\":[],\"PrefixListIds\":[],\"ToPort\":0,\"UserIdGroupPairs\":[]},{\""
        "FromPort\":5432,\"IpProtocol\":\"tcp\",\"IpRanges\":[],\"Ipv6Ranges\":[],\"PrefixListIds"
        "\":[],\"ToPort\":5432,\"UserIdGroupPairs\":[{\"GroupId\":\"aws_default_security_group.de"
        "fault\"}]}],\"IpPermissionsEgress\":[{\"FromPort\":53,\"IpProtocol\":\"udp\",\"IpRanges"
        "\":[{\"CidrIp\":\"10.0.0.2/32\",\"Description\":\"resolver\"}],\"Ipv6Ranges\":[],\"Prefi"
        "xListIds\":[],\"ToPort\":53,\"UserIdGroupPairs\":[]}],\"OwnerId\":\"111122223333\",\"Sec"
        "urityGroupArn\":\"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0protos\",\"Tags"
        "\":[{\"Key\":\"env\",\"Value\":\"prod\"},{\"Key\":\"team\",\"Value\":\"net\"}],\"VpcId\""
        ":\"vpc-0aaa\"}",
        "-");
    CHECK_RES(inv, "aws_security_group.protos", "AWS::EC2::SecurityGroup", "sg-0protos",
              "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0protos", "eu-west-1");
    CHECK_DOC(
        inv, "aws_default_network_acl.default",
        "{\"Associations\":[{\"NetworkAclId\":\"acl-0dflt\",\"SubnetId\":\"subnet-0a\"}],\"Entrie"
        "s\":[{\"Egress\":false,\"IcmpTypeCode\":{\"Code\":-1,\"Type\":8},\"Ipv6CidrBlock\":\"::/"
        "0\",\"Protocol\":\"58\",\"RuleAction\":\"allow\",\"RuleNumber\":90},{\"CidrBlock\":\"0.0"
        ".0.0/0\",\"Egress\":false,\"PortRange\":{\"From\":1000,\"To\":2000},\"Protocol\":\"17\","
        "\"RuleAction\":\"deny\",\"RuleNumber\":95},{\"CidrBlock\":\"0.0.0.0/0\",\"Egress\":false"
        ",\"Protocol\":\"-1\",\"RuleAction\":\"deny\",\"RuleNumber\":32767},{\"CidrBlock\":\"0.0."
        "0.0/0\",\"Egress\":true,\"Protocol\":\"-1\",\"RuleAction\":\"deny\",\"RuleNumber\":32767"
        "}],\"IsDefault\":true,\"NetworkAclId\":\"acl-0dflt\",\"OwnerId\":\"111122223333\",\"Tags"
        "\":[],\"VpcId\":\"vpc-0aaa\"}",
        "-");
    CHECK_RES(inv, "aws_default_network_acl.default", "AWS::EC2::NetworkAcl", "acl-0dflt", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_network_acl.partial",
        "{\"Associations\":[{\"NetworkAclAssociationId\":null,\"NetworkAclId\":\"acl-0part\",\"Su"
        "bnetId\":\"subnet-0b\"}],\"Entries\":[null,{\"CidrBlock\":\"10.0.0.0/8\",\"Egress\":true"
        ",\"PortRange\":{\"From\":443,\"To\":443},\"Protocol\":\"6\",\"RuleAction\":\"allow\",\"R"
        "uleNumber\":100},{\"CidrBlock\":\"0.0.0.0/0\",\"Egress\":false,\"Protocol\":\"-1\",\"Rul"
        "eAction\":\"deny\",\"RuleNumber\":32767},{\"CidrBlock\":\"0.0.0.0/0\",\"Egress\":true,\""
        "Protocol\":\"-1\",\"RuleAction\":\"deny\",\"RuleNumber\":32767}],\"IsDefault\":false,\"N"
        "etworkAclId\":\"acl-0part\",\"OwnerId\":\"111122223333\",\"VpcId\":\"vpc-0aaa\"}",
        "{\"Associations\":[{\"NetworkAclAssociationId\":true}],\"Entries\":[true,false,false,fal"
        "se]}");
    CHECK_RES(inv, "aws_network_acl.partial", "AWS::EC2::NetworkAcl", "acl-0part", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_default_route_table.main",
        "{\"Associations\":[{\"Main\":true,\"RouteTableId\":\"rtb-0main\"}],\"OwnerId\":null,\"Ro"
        "uteTableId\":\"rtb-0main\",\"Routes\":[{\"DestinationCidrBlock\":\"0.0.0.0/0\",\"Gateway"
        "Id\":\"igw-0abc\",\"Origin\":\"CreateRoute\",\"State\":\"active\"},{\"DestinationCidrBlo"
        "ck\":\"10.1.0.0/16\",\"NatGatewayId\":\"aws_nat_gateway.a\",\"Origin\":\"CreateRoute\","
        "\"State\":\"active\"}],\"VpcId\":null}",
        "{\"OwnerId\":true,\"VpcId\":true}");
    CHECK_RES(inv, "aws_default_route_table.main", "AWS::EC2::RouteTable", "rtb-0main", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_internet_gateway.igw",
        "{\"Attachments\":[{\"State\":\"available\",\"VpcId\":\"vpc-0aaa\"}],\"InternetGatewayId"
        "\":\"igw-0abc\",\"OwnerId\":\"111122223333\",\"Tags\":[]}",
        "-");
    CHECK_RES(inv, "aws_internet_gateway.igw", "AWS::EC2::InternetGateway", "igw-0abc", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_subnet.pub",
        "{\"CidrBlock\":\"10.0.9.0/24\",\"DefaultForAz\":false,\"MapPublicIpOnLaunch\":true,\"Sub"
        "netId\":\"subnet-0pub\",\"Tags\":[],\"VpcId\":\"vpc-0aaa\"}",
        "-");
    CHECK_RES(inv, "aws_subnet.pub", "AWS::EC2::Subnet", "subnet-0pub", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_nat_gateway.a",
        "{\"ConnectivityType\":\"public\",\"NatGatewayAddresses\":[{\"AllocationId\":null,\"Assoc"
        "iationId\":null,\"IsPrimary\":true,\"NetworkInterfaceId\":null,\"PrivateIp\":null,\"Publ"
        "icIp\":null}],\"NatGatewayId\":\"aws_nat_gateway.a\",\"State\":\"available\",\"SubnetId"
        "\":\"subnet-0pub\",\"VpcId\":\"vpc-0aaa\"}",
        "{\"NatGatewayAddresses\":[{\"AllocationId\":true,\"AssociationId\":true,\"NetworkInterfa"
        "ceId\":true,\"PrivateIp\":true,\"PublicIp\":true}]}");
    CHECK_RES(inv, "aws_nat_gateway.a", "AWS::EC2::NatGateway", "aws_nat_gateway.a", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_vpc_endpoint.s3",
        "{\"DnsEntries\":null,\"DnsOptions\":null,\"Groups\":null,\"IpAddressType\":null,\"Networ"
        "kInterfaceIds\":null,\"OwnerId\":null,\"PolicyDocument\":{\"Statement\":[{\"Action\":\"s"
        "3:GetObject\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Resource\":\"*\"}]},\"PrivateDn"
        "sEnabled\":null,\"RequesterManaged\":null,\"RouteTableIds\":[\"rtb-0main\",\"rtb-0extra"
        "\"],\"ServiceName\":\"com.amazonaws.eu-west-1.s3\",\"State\":\"available\",\"SubnetIds\""
        ":null,\"VpcEndpointId\":\"aws_vpc_endpoint.s3\",\"VpcEndpointType\":\"Gateway\",\"VpcId"
        "\":\"vpc-0aaa\"}",
        "{\"DnsEntries\":true,\"DnsOptions\":true,\"Groups\":true,\"IpAddressType\":true,\"Networ"
        "kInterfaceIds\":true,\"OwnerId\":true,\"PrivateDnsEnabled\":true,\"RequesterManaged\":tr"
        "ue,\"SubnetIds\":true}");
    CHECK_RES(inv, "aws_vpc_endpoint.s3", "AWS::EC2::VPCEndpoint", "aws_vpc_endpoint.s3", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_instance.west",
        "{\"ImageId\":\"ami-1\",\"InstanceId\":\"aws_instance.west\",\"InstanceType\":\"t3.micro"
        "\",\"MetadataOptions\":null,\"Monitoring\":{\"State\":\"disabled\"},\"SecurityGroups\":["
        "{\"GroupName\":\"default\"}],\"State\":{\"Name\":\"running\"},\"SubnetId\":null}",
        "{\"MetadataOptions\":true,\"SubnetId\":true}");
    CHECK_RES(inv, "aws_instance.west", "AWS::EC2::Instance", "aws_instance.west", NULL,
              "us-west-2");
    CHECK_DOC(
        inv, "aws_kms_key.k",
        "{\"Aliases\":[{\"AliasArn\":null,\"AliasName\":\"alias/k\",\"TargetKeyId\":\"aws_kms_key"
        ".k\"}],\"KeyMetadata\":{\"Arn\":\"aws_kms_key.k\",\"CustomerMasterKeySpec\":\"SYMMETRIC_"
        "DEFAULT\",\"Description\":\"k\",\"Enabled\":true,\"KeyId\":\"aws_kms_key.k\",\"KeyManage"
        "r\":\"CUSTOMER\",\"KeySpec\":\"SYMMETRIC_DEFAULT\",\"KeyState\":\"Enabled\",\"KeyUsage\""
        ":\"ENCRYPT_DECRYPT\",\"MultiRegion\":true,\"Origin\":\"AWS_KMS\"},\"KeyPolicy\":null,\"K"
        "eyRotationEnabled\":false,\"RotationPeriodInDays\":null}",
        "{\"Aliases\":[{\"AliasArn\":true}],\"KeyPolicy\":true,\"RotationPeriodInDays\":true}");
    CHECK_RES(inv, "aws_kms_key.k", "AWS::KMS::Key", "aws_kms_key.k", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_cloudtrail.sel",
        "{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Equals\":[\"Management\"],\"Field\""
        ":\"eventCategory\"}],\"Name\":\"mgmt\"}],\"EventSelectors\":[{\"DataResources\":[{\"Type"
        "\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3\"]}],\"ExcludeManagementEventSources\":["
        "],\"IncludeManagementEvents\":true,\"ReadWriteType\":\"WriteOnly\"}],\"HasCustomEventSel"
        "ectors\":true,\"HasInsightSelectors\":true,\"HomeRegion\":\"eu-west-1\",\"IncludeGlobalS"
        "erviceEvents\":true,\"IsMultiRegionTrail\":false,\"LogFileValidationEnabled\":false,\"Na"
        "me\":\"sel\",\"S3BucketName\":\"b\",\"SnsTopicName\":\"arn:aws:sns:eu-west-1:11112222333"
        "3:t\",\"Status\":{\"IsLogging\":false},\"TrailARN\":\"aws_cloudtrail.sel\"}",
        "-");
    CHECK_RES(inv, "aws_cloudtrail.sel", "AWS::CloudTrail::Trail", "aws_cloudtrail.sel", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_config_configuration_recorder.solo",
        "{\"Status\":{\"lastStatus\":null,\"name\":\"solo\",\"recording\":false},\"name\":\"solo"
        "\",\"recordingGroup\":{\"allSupported\":false,\"includeGlobalResourceTypes\":false,\"rec"
        "ordingStrategy\":{\"useOnly\":\"INCLUSION_BY_RESOURCE_TYPES\"},\"resourceTypes\":[\"AWS:"
        ":EC2::Instance\"]},\"recordingMode\":null,\"roleARN\":\"arn:aws:iam::111122223333:role/c"
        "\"}",
        "{\"Status\":{\"lastStatus\":true},\"recordingMode\":true}");
    CHECK_RES(inv, "aws_config_configuration_recorder.solo", "AWS::Config::ConfigurationRecorder",
              "solo", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_config_delivery_channel.c",
        "{\"configSnapshotDeliveryProperties\":{\"deliveryFrequency\":\"Six_Hours\"},\"name\":\"c"
        "\",\"s3BucketName\":\"cfg-bucket\"}",
        "-");
    CHECK_RES(inv, "aws_config_delivery_channel.c", "AWS::Config::DeliveryChannel", "c", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_guardduty_detector.off",
        "{\"DataSources\":null,\"DetectorId\":\"aws_guardduty_detector.off\",\"Features\":[{\"Add"
        "itionalConfiguration\":[{\"Name\":\"EKS_ADDON_MANAGEMENT\",\"Status\":\"DISABLED\"}],\"N"
        "ame\":\"RUNTIME_MONITORING\",\"Status\":\"ENABLED\"}],\"FindingPublishingFrequency\":nul"
        "l,\"Status\":\"DISABLED\"}",
        "{\"DataSources\":true,\"FindingPublishingFrequency\":true}");
    CHECK_RES(inv, "aws_guardduty_detector.off", "AWS::GuardDuty::Detector",
              "aws_guardduty_detector.off", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_iam_group.admins",
        "{\"Arn\":null,\"AttachedManagedPolicies\":[{\"PolicyArn\":\"arn:aws:iam::aws:policy/Read"
        "OnlyAccess\",\"PolicyName\":\"ReadOnlyAccess\"}],\"GroupId\":null,\"GroupName\":\"admins"
        "\",\"GroupPolicyList\":[{\"PolicyDocument\":{\"Statement\":[{\"Action\":\"*\",\"Effect\""
        ":\"Allow\",\"Resource\":\"*\"}],\"Version\":\"2012-10-17\"},\"PolicyName\":\"all\"}],\"P"
        "ath\":\"/\"}",
        "{\"Arn\":true,\"GroupId\":true}");
    CHECK_RES(inv, "aws_iam_group.admins", "AWS::IAM::Group", "admins", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_iam_user.ops",
        "{\"AccessKeys\":[null,{\"AccessKeyId\":\"AKIAOLDKEYEXAMPLE000\",\"AccessKeyLastUsed\":nu"
        "ll,\"CreateDate\":\"2019-01-02T03:04:05Z\",\"Status\":\"Inactive\",\"UserName\":\"ops\"}"
        "],\"Arn\":\"arn:aws:iam::111122223333:user/ops\",\"AttachedManagedPolicies\":[null,{\"Po"
        "licyArn\":\"arn:aws:iam::aws:policy/ReadOnlyAccess\",\"PolicyName\":\"ReadOnlyAccess\"}]"
        ",\"CredentialReport\":null,\"GroupList\":[null,\"admins\",\"readers\"],\"LoginProfile\":"
        "null,\"MFADevices\":[null],\"Path\":\"/\",\"PermissionsBoundary\":{\"PermissionsBoundary"
        "Arn\":\"arn:aws:iam::111122223333:policy/boundary\",\"PermissionsBoundaryType\":\"Policy"
        "\"},\"Tags\":[],\"UserId\":\"AIDAOPS\",\"UserName\":\"ops\",\"UserPolicyList\":[null,{\""
        "PolicyDocument\":null,\"PolicyName\":\"inline\"}]}",
        "{\"AccessKeys\":[true,{\"AccessKeyLastUsed\":true}],\"AttachedManagedPolicies\":[true,fa"
        "lse],\"CredentialReport\":true,\"GroupList\":[true,false,false],\"LoginProfile\":true,\""
        "MFADevices\":[true],\"UserPolicyList\":[true,{\"PolicyDocument\":true}]}");
    CHECK_RES(inv, "aws_iam_user.ops", "AWS::IAM::User", "ops",
              "arn:aws:iam::111122223333:user/ops", "eu-west-1");
    CHECK_DOC(
        inv, "aws_iam_user.dev",
        "{\"AccessKeys\":[{\"AccessKeyId\":null,\"CreateDate\":null,\"Status\":\"Active\",\"UserN"
        "ame\":\"dev\"}],\"Arn\":null,\"AttachedManagedPolicies\":[],\"CredentialReport\":{\"acce"
        "ss_key_1_active\":\"true\",\"access_key_2_active\":\"false\",\"arn\":null,\"mfa_active\""
        ":\"false\",\"password_enabled\":\"true\",\"password_last_used\":\"no_information\",\"use"
        "r\":\"dev\"},\"GroupList\":[],\"LoginProfile\":{\"CreateDate\":null,\"PasswordResetRequi"
        "red\":true,\"UserName\":\"dev\"},\"MFADevices\":[],\"Path\":\"/\",\"UserId\":null,\"User"
        "Name\":\"dev\",\"UserPolicyList\":[]}",
        "{\"AccessKeys\":[{\"AccessKeyId\":true,\"CreateDate\":true}],\"Arn\":true,\"CredentialRe"
        "port\":{\"arn\":true},\"LoginProfile\":{\"CreateDate\":true},\"UserId\":true}");
    CHECK_RES(inv, "aws_iam_user.dev", "AWS::IAM::User", "dev", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_iam_account_password_policy.weak",
        "{\"AccountId\":null,\"AccountSummary\":null,\"CredentialReport\":null,\"PasswordPolicy\""
        ":{\"AllowUsersToChangePassword\":true,\"ExpirePasswords\":false,\"HardExpiry\":false,\"M"
        "inimumPasswordLength\":8,\"RequireLowercaseCharacters\":false,\"RequireNumbers\":false,"
        "\"RequireSymbols\":false,\"RequireUppercaseCharacters\":false},\"VirtualMFADevices\":nul"
        "l}",
        "{\"AccountId\":true,\"AccountSummary\":true,\"CredentialReport\":true,\"VirtualMFADevice"
        "s\":true}");
    CHECK_RES(inv, "aws_iam_account_password_policy.weak", "AWS::::Account",
              "iam-account-password-policy", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_sns_topic.old",
        "{\"Attributes\":{\"ContentBasedDeduplication\":\"false\",\"FifoTopic\":\"false\",\"KmsMa"
        "sterKeyId\":\"alias/aws/sns\",\"Owner\":\"111122223333\",\"Policy\":{\"Statement\":[]},"
        "\"SignatureVersion\":\"1\",\"TopicArn\":\"arn:aws:sns:eu-west-1:111122223333:old\"},\"Su"
        "bscriptions\":[null],\"Tags\":[],\"TopicArn\":\"arn:aws:sns:eu-west-1:111122223333:old\""
        "}",
        "{\"Subscriptions\":[true]}");
    CHECK_RES(inv, "aws_sns_topic.old", "AWS::SNS::Topic", "arn:aws:sns:eu-west-1:111122223333:old",
              "arn:aws:sns:eu-west-1:111122223333:old", "eu-west-1");
    CHECK_DOC(
        inv, "aws_s3_bucket.logs",
        "{\"LocationConstraint\":\"eu-west-1\",\"LoggingEnabled\":{\"TargetBucket\":\"audit-bucke"
        "t\",\"TargetPrefix\":\"logs/\"},\"Name\":\"logs-bucket\",\"Policy\":null,\"PublicAccessB"
        "lockConfiguration\":{\"BlockPublicAcls\":true,\"BlockPublicPolicy\":true,\"IgnorePublicA"
        "cls\":false,\"RestrictPublicBuckets\":true},\"ServerSideEncryptionConfiguration\":{\"Rul"
        "es\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\"},\"BucketKey"
        "Enabled\":true}]}}",
        "{\"Policy\":true}");
    CHECK_RES(inv, "aws_s3_bucket.logs", "AWS::S3::Bucket", "logs-bucket", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_s3_bucket.bare",
        "{\"LocationConstraint\":\"eu-west-1\",\"Name\":\"bare-bucket\",\"PublicAccessBlockConfig"
        "uration\":{\"BlockPublicAcls\":true,\"BlockPublicPolicy\":true,\"IgnorePublicAcls\":true"
        ",\"RestrictPublicBuckets\":true},\"ServerSideEncryptionConfiguration\":{\"Rules\":[{\"Ap"
        "plyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"AES256\"},\"BucketKeyEnabled\":fa"
        "lse}]}}",
        "-");
    CHECK_RES(inv, "aws_s3_bucket.bare", "AWS::S3::Bucket", "bare-bucket", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_s3_bucket.old",
        "{\"LocationConstraint\":\"eu-west-1\",\"Name\":\"old-bucket\",\"PublicAccessBlockConfigu"
        "ration\":null,\"ServerSideEncryptionConfiguration\":{\"Rules\":[{\"ApplyServerSideEncryp"
        "tionByDefault\":{\"SSEAlgorithm\":\"AES256\"},\"BucketKeyEnabled\":false}]}}",
        "{\"PublicAccessBlockConfiguration\":true}");
    CHECK_RES(inv, "aws_s3_bucket.old", "AWS::S3::Bucket", "old-bucket", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_vpc.v6",
        "{\"CidrBlock\":\"10.9.0.0/16\",\"IsDefault\":false,\"Tags\":null,\"VpcId\":\"aws_vpc.v6"
        "\"}",
        "{\"Tags\":true}");
    CHECK_RES(inv, "aws_vpc.v6", "AWS::EC2::VPC", "aws_vpc.v6", NULL, "ap-south-1");
    CHECK_DOC(
        inv, "aws_network_acl_rule.external",
        "{\"Associations\":null,\"Entries\":[{\"CidrBlock\":\"0.0.0.0/0\",\"Egress\":true,\"Proto"
        "col\":\"-1\",\"RuleAction\":\"deny\",\"RuleNumber\":5},null],\"IsDefault\":null,\"Networ"
        "kAclId\":\"acl-0else\",\"VpcId\":null}",
        "{\"Associations\":true,\"Entries\":[false,true],\"IsDefault\":true,\"VpcId\":true}");
    CHECK_RES(inv, "aws_network_acl_rule.external", "AWS::EC2::NetworkAcl",
              "aws_network_acl_rule.external", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_route.orphan",
        "{\"RouteTableId\":\"rtb-0other\",\"Routes\":[null,{\"DestinationCidrBlock\":\"0.0.0.0/0"
        "\",\"GatewayId\":\"igw-0abc\",\"Origin\":\"CreateRoute\",\"State\":\"active\"}],\"VpcId"
        "\":null}",
        "{\"Routes\":[true,false],\"VpcId\":true}");
    CHECK_RES(inv, "aws_route.orphan", "AWS::EC2::RouteTable", "aws_route.orphan", NULL,
              "eu-west-1");
    CHECK_DOC(
        inv, "aws_config_configuration_recorder_status.elsewhere",
        "{\"Status\":{\"lastStatus\":null,\"name\":\"elsewhere\",\"recording\":true},\"name\":\"e"
        "lsewhere\",\"recordingGroup\":null,\"roleARN\":null}",
        "{\"Status\":{\"lastStatus\":true},\"recordingGroup\":true,\"roleARN\":true}");
    CHECK_RES(inv, "aws_config_configuration_recorder_status.elsewhere",
              "AWS::Config::ConfigurationRecorder",
              "aws_config_configuration_recorder_status.elsewhere", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_iam_policy_attachment.shared",
        "{\"Arn\":null,\"AssumeRolePolicyDocument\":null,\"AttachedManagedPolicies\":[null,{\"Pol"
        "icyArn\":\"arn:aws:iam::aws:policy/ReadOnlyAccess\",\"PolicyName\":\"ReadOnlyAccess\"}],"
        "\"RoleName\":\"outside\",\"RolePolicyList\":[null]}",
        "{\"Arn\":true,\"AssumeRolePolicyDocument\":true,\"AttachedManagedPolicies\":[true,false]"
        ",\"RolePolicyList\":[true]}");
    CHECK_RES(inv, "aws_iam_policy_attachment.shared", "AWS::IAM::Role",
              "aws_iam_policy_attachment.shared:outside", NULL, "eu-west-1");
    CHECK_DOC(
        inv, "aws_iam_role_policy.outside",
        "{\"Arn\":null,\"AssumeRolePolicyDocument\":null,\"AttachedManagedPolicies\":[null],\"Rol"
        "eName\":\"outside\",\"RolePolicyList\":[null,{\"PolicyDocument\":{\"Statement\":[{\"Acti"
        "on\":\"*\",\"Effect\":\"Allow\",\"Resource\":\"*\"}],\"Version\":\"2012-10-17\"},\"Polic"
        "yName\":\"p\"}]}",
        "{\"Arn\":true,\"AssumeRolePolicyDocument\":true,\"AttachedManagedPolicies\":[true],\"Rol"
        "ePolicyList\":[true,false]}");
    CHECK_RES(inv, "aws_iam_role_policy.outside", "AWS::IAM::Role",
              "aws_iam_role_policy.outside:outside", NULL, "eu-west-1");
    pp_plan_free(p);
}

/* ---- refusals ---------------------------------------------------------------------------------
 */

static int load_text(const char *text, pp_plan **out)
{
    return pp_plan_load_buffer(text, strlen(text), "t.json", NULL, out);
}

#define CHECK_REFUSED(text, msg)                                                                   \
    do {                                                                                           \
        pp_plan *p_ = NULL;                                                                        \
        CHECK_INT(load_text((text), &p_), PP_EINVAL);                                              \
        CHECK(p_ == NULL);                                                                         \
        CHECK_STR(pp_err_msg(), (msg));                                                            \
        pp_plan_free(p_);                                                                          \
    } while (0)

static void refusals(void)
{
    CHECK_REFUSED("{\"format_version\":\"2.0\",\"resource_changes\":[]}",
                  "t.json:1:19: unsupported plan format_version \"2.0\" (parapet reads 1.x)");
    CHECK_REFUSED("{\"format_version\":\"one\",\"resource_changes\":[]}",
                  "t.json:1:19: invalid format_version \"one\"");
    CHECK_REFUSED("{\"resource_changes\":[]}",
                  "t.json: not a Terraform plan: no format_version (expected the output of "
                  "`terraform show -json PLANFILE`)");
    CHECK_REFUSED(
        "{\"format_version\":\"1.0\",\n \"resource_changes\": [\n  {\"address\": tru}\n]}",
        "t.json:3:15: invalid JSON: invalid literal");
    CHECK_REFUSED("{\"format_version\":\"1.0\",\"resource_changes\":[{\"address\":\"a\"}",
                  "t.json:1:60: invalid JSON: unexpected end of input (truncated file?)");
    CHECK_REFUSED("{\"format_version\":\"1.0\",\"x\":\"a\\qb\"}",
                  "t.json:1:31: invalid JSON: invalid escape in string");
    CHECK_REFUSED("{\"format_version\":\"1.0\"} {}",
                  "t.json:1:26: invalid JSON: unexpected data after the plan object");
    CHECK_REFUSED("", "t.json:1:1: empty file, expected a Terraform plan (JSON)");
    CHECK_REFUSED("[1,2]", "t.json:1:1: expected a JSON object (terraform show -json output)");
    CHECK_REFUSED("{\"format_version\":\"1.0\",\"terraform_version\":\"1.9.0\",\"values\":{}}",
                  "t.json: not a Terraform plan: no resource_changes, planned_values or "
                  "configuration (a state file?)");
    CHECK_REFUSED(
        "{\"format_version\":\"1.2\",\"errored\":true,\"resource_changes\":[]}",
        "t.json: Terraform reports this plan as errored; fix the plan before checking it");
    CHECK_REFUSED("{\"format_version\":\"1.2\",\"resource_changes\":[\n"
                  "{\"address\":\"aws_vpc.a\",\"mode\":\"managed\",\"type\":\"aws_vpc\","
                  "\"name\":\"a\",\"change\":{}}]}",
                  "t.json:2:1: resource_changes[0]: needs address, mode, type, name and "
                  "change.actions");
    CHECK_REFUSED("{\"format_version\":\"1.2\",\"resource_changes\":[\n"
                  "{\"address\":\"aws_vpc.a\",\"mode\":\"managed\",\"type\":\"aws_vpc\","
                  "\"name\":\"a\",\"change\":{\"actions\":[\"create\"],\"after\":{}}},\n"
                  "{\"address\":\"aws_vpc.a\",\"mode\":\"managed\",\"type\":\"aws_vpc\","
                  "\"name\":\"a\",\"change\":{\"actions\":[\"create\"],\"after\":{}}}]}",
                  "t.json:3:1: resource_changes[1]: duplicate address aws_vpc.a");
    /* the size cap */
    pp_plan *p = NULL;
    pp_plan_opts small = {.max_bytes = 10};
    CHECK_INT(pp_plan_load_buffer("{\"format_version\":\"1.0\"}", 24, "t.json", &small, &p),
              PP_EINVAL);
    CHECK_STR(pp_err_msg(), "t.json: plan is 24 bytes, above the 10 byte limit");
    CHECK_INT(pp_plan_load_file(fixture("basic/plan.json"), &small, &p), PP_EINVAL);
    CHECK(strstr(pp_err_msg(), "above the 10 byte limit") != NULL);
    CHECK_INT(pp_plan_load_file(fixture("does-not-exist.json"), NULL, &p), PP_EIO);
    /* a truncated real plan */
    FILE *f = fopen(fixture("basic/plan.json"), "rb");
    CHECK(f != NULL);
    if (f) {
        char buf[8192];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        CHECK_INT(pp_plan_load_buffer(buf, n, "cut.json", NULL, &p), PP_EINVAL);
        CHECK(strstr(pp_err_msg(), "(truncated file?)") != NULL);
        CHECK(pp_str_startswith(pp_err_msg(), "cut.json:"));
    }
}

static void accepted_versions_and_unknown_keys(void)
{
    pp_plan *p = NULL;
    CHECK_INT(load_text("{\"format_version\":\"1.10\",\"new_key\":{\"a\":[1,2,{}]},"
                        "\"resource_changes\":[{\"address\":\"aws_vpc.a\",\"mode\":\"managed\","
                        "\"type\":\"aws_vpc\",\"name\":\"a\",\"future\":1,\"change\":{\"actions\":"
                        "[\"create\"],\"after\":{\"cidr_block\":\"10.0.0.0/16\"},\"after_unknown\":"
                        "{\"id\":true}}}],\"complete\":false}",
                        &p),
              0);
    if (p) {
        CHECK_STR(pp_plan_format_version(p), "1.10");
        CHECK(!pp_plan_complete(p));
        CHECK_INT(pp_inventory_count(pp_plan_inventory(p)), 1);
        /* no provider configuration: region unknown */
        CHECK_STR(pp_inventory_at(pp_plan_inventory(p), 0)->region, "unknown");
    }
    pp_plan_free(p);
    p = NULL;
    /* an empty plan: no changes is a valid plan */
    CHECK_INT(load_text("{\"format_version\":\"1.0\",\"planned_values\":{}}", &p), 0);
    if (p)
        CHECK_INT(pp_inventory_count(pp_plan_inventory(p)), 0);
    pp_plan_free(p);
    p = NULL;
    /* forget and read-only changes are not evaluated */
    CHECK_INT(load_text("{\"format_version\":\"1.2\",\"resource_changes\":[{\"address\":"
                        "\"aws_vpc.a\",\"mode\":\"managed\",\"type\":\"aws_vpc\",\"name\":\"a\","
                        "\"change\":{\"actions\":[\"forget\"],\"after\":null}}]}",
                        &p),
              0);
    if (p) {
        CHECK_INT(pp_inventory_count(pp_plan_inventory(p)), 0);
        CHECK_INT(pp_plan_stats_get(p)->deleted, 1);
    }
    pp_plan_free(p);
    pp_plan_free(NULL);
}

/* Every key a plan document holds is one the type registry declares (rules lint relies on it). */
static bool doc_paths_declared(const pp_type *t, const json_t *v, pp_buf *path)
{
    bool ok = true;
    size_t len = path->len;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            if (len)
                pp_buf_putc(path, '.');
            pp_buf_puts(path, k);
            if (!pp_type_has_path(t, pp_buf_cstr(path))) {
                fprintf(stderr, "undeclared path %s in %s\n", pp_buf_cstr(path), t->name);
                ok = false;
            } else {
                ok &= doc_paths_declared(t, c, path);
            }
            path->len = len;
            path->data[len] = '\0';
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        pp_buf_puts(path, "[]");
        json_array_foreach((json_t *)v, i, c)
        {
            ok &= doc_paths_declared(t, c, path);
        }
        path->len = len;
        path->data[len] = '\0';
    }
    return ok;
}

static void documents_follow_type_registry(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_inventory *inv = pp_plan_inventory(p);
    for (size_t i = 0; i < pp_inventory_count(inv); i++) {
        pp_resource *r = pp_inventory_at(inv, i);
        pp_buf path;
        pp_buf_init(&path, 0);
        pp_buf_puts(&path, "");
        CHECK(doc_paths_declared(pp_type_find(r->type), r->doc, &path));
        pp_buf_free(&path);
    }
    pp_plan_free(p);
}

/* ---- locator and inline ignores ------------------------------------------------------------ */

static void ignore_parser(void)
{
    pp_tf_ignore ig;
    CHECK_INT(
        pp_tf_ignore_parse(" parapet:ignore CIS-5.2 bastion, see OPS-1 until=2025-01-31", &ig), 0);
    CHECK_STR(ig.rule, "CIS-5.2");
    CHECK_STR(ig.reason, "bastion, see OPS-1");
    CHECK_STR(ig.until, "2025-01-31");
    CHECK_INT(ig.expires, 1738368000); /* 2025-02-01T00:00:00Z: the whole day counts */
    pp_tf_ignore_clear(&ig);
    CHECK_INT(pp_tf_ignore_parse("parapet:ignore until=2030-01-01 CIS-1.1", &ig), 0);
    CHECK_STR(ig.rule, "until=2030-01-01"); /* the rule comes first, always */
    pp_tf_ignore_clear(&ig);
    CHECK_INT(pp_tf_ignore_parse("parapet:ignore X", &ig), 0);
    CHECK_STR(ig.rule, "X");
    CHECK(ig.reason == NULL && ig.until == NULL && ig.expires == 0);
    pp_tf_ignore_clear(&ig);
    CHECK_INT(pp_tf_ignore_parse("just a comment", &ig), PP_ENOTFOUND);
    CHECK_INT(pp_tf_ignore_parse("parapet:ignored X", &ig), PP_ENOTFOUND);
    CHECK_INT(pp_tf_ignore_parse("parapet:ignore", &ig), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "parapet:ignore needs a rule id");
    CHECK_INT(pp_tf_ignore_parse("parapet:ignore:CIS-5.2", &ig), PP_EINVAL);
    CHECK_INT(pp_tf_ignore_parse("parapet:ignore X r until=2024-13-01", &ig), PP_EINVAL);
    CHECK_STR(pp_err_msg(), "until=2024-13-01 is not a date (YYYY-MM-DD)");
    CHECK_INT(pp_tf_ignore_parse("parapet:ignore X r until=tomorrow", &ig), PP_EINVAL);
    CHECK_INT(pp_tf_ignore_parse("parapet:ignore X until=2024-01-01 until=2024-01-02", &ig),
              PP_EINVAL);
    pp_tf_ignore_clear(NULL);
}

static void locator_basic(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_plan_locator *l = NULL;
    CHECK_INT(pp_plan_locator_new(fixture("basic"), p, &l), 0);
    pp_tf_location loc;
    CHECK_INT(pp_plan_locate(l, "aws_vpc.main", &loc), 0);
    CHECK_STR(loc.file, "main.tf");
    CHECK_INT(loc.line, 13);
    CHECK_INT(loc.end_line, 18);
    CHECK_INT(loc.n_ignores, 0);
    /* module resources through the module call's local source */
    CHECK_INT(pp_plan_locate(l, "module.net.aws_security_group.ssh", &loc), 0);
    CHECK_STR(loc.file, "modules/net/main.tf");
    CHECK_INT(loc.line, 7);
    CHECK_INT(pp_plan_locate(l, "module.net.aws_security_group_rule.https", &loc), 0);
    CHECK_STR(loc.file, "modules/net/rules.tf");
    CHECK_INT(loc.line, 3);
    CHECK_INT(loc.n_ignores, 1);
    if (loc.n_ignores)
        CHECK_STR(loc.ignores[0].rule, "CIS-5.3");
    /* count and for_each instances share their block and its ignore comment */
    CHECK_INT(pp_plan_locate(l, "aws_subnet.private[1]", &loc), 0);
    CHECK_INT(loc.line, 20);
    CHECK_INT(pp_plan_locate(l, "aws_iam_user.people[\"bob\"]", &loc), 0);
    CHECK_INT(loc.line, 43);
    CHECK_INT(loc.n_ignores, 1);
    if (loc.n_ignores) {
        CHECK_STR(loc.ignores[0].rule, "CIS-1.14");
        CHECK_STR(loc.ignores[0].reason, "break-glass users, tracked in SEC-42");
        CHECK_STR(loc.ignores[0].until, "2099-12-31");
        CHECK_STR(loc.ignores[0].file, "main.tf");
        CHECK_INT(loc.ignores[0].line, 42);
    }
    /* a registry module's resources are located at the module block */
    CHECK_INT(pp_plan_locate(l, "module.remote.aws_vpc.this[0]", &loc), 0);
    CHECK_STR(loc.file, "main.tf");
    CHECK_INT(loc.line, 250);
    CHECK_INT(pp_plan_locate(l, "aws_vpc.nowhere", &loc), PP_ENOTFOUND);
    CHECK_INT(pp_plan_locate(l, "module.missing.aws_vpc.x", &loc), PP_ENOTFOUND);
    /* a `parapet:ignore` without a rule is reported, not silently dropped */
    char *s = dump(pp_plan_locator_problems(l));
    CHECK_STR(s, "[{\"error\":\"parapet:ignore needs a rule id\",\"file\":\"modules/net/rules.tf\","
                 "\"line\":2}]");
    free(s);
    pp_plan_locator_free(l);
    pp_plan_free(p);
    CHECK_INT(pp_plan_locator_new(fixture("nope"), NULL, &l), PP_EINVAL);
    pp_plan_locator_free(NULL);
}

static void locator_lexer(void)
{
    /* braces in strings, interpolations, heredocs and comments do not confuse block ends;
     * ignores above (a contiguous comment run), on the header line and inside count */
    pp_plan_locator *l = NULL;
    CHECK_INT(pp_plan_locator_new(fixture("lexer"), NULL, &l), 0);
    if (!l)
        return;
    pp_tf_location loc;
    CHECK_INT(pp_plan_locate(l, "aws_vpc.in_a_block_comment", &loc), PP_ENOTFOUND);
    CHECK_INT(pp_plan_locate(l, "aws_vpc.in_a_string", &loc), PP_ENOTFOUND);
    CHECK_INT(pp_plan_locate(l, "aws_vpc.in_a_heredoc", &loc), PP_ENOTFOUND);
    CHECK_INT(pp_plan_locate(l, "aws_vpc.a", &loc), 0);
    CHECK_INT(loc.line, 17);
    CHECK_INT(loc.end_line, 23);
    CHECK_INT(loc.n_ignores, 4);
    const char *want[] = {"R1", "R2", "R3", "R4"};
    for (size_t i = 0; i < 4 && i < loc.n_ignores; i++)
        CHECK_STR(loc.ignores[i].rule, want[i]);
    if (loc.n_ignores == 4)
        CHECK_STR(loc.ignores[3].until, "2030-01-01");
    /* a blank line separates a comment from the block below */
    CHECK_INT(pp_plan_locate(l, "aws_vpc.b", &loc), 0);
    CHECK_INT(loc.line, 27);
    CHECK_INT(loc.n_ignores, 0);
    CHECK_INT(pp_plan_locate(l, "aws_vpc.c", &loc), 0);
    CHECK_INT(loc.line, 30);
    CHECK_INT(loc.end_line, 35);
    CHECK_INT(loc.n_ignores, 1);
    CHECK_INT(pp_plan_locate(l, "data.aws_vpc.a", &loc), 0);
    CHECK_INT(loc.line, 37);
    /* no plan: module sources come from the module block */
    CHECK_INT(pp_plan_locate(l, "module.local.aws_subnet.x[1]", &loc), 0);
    CHECK_STR(loc.file, "child/main.tf");
    CHECK_INT(loc.line, 1);
    /* an ignore on the module block covers the module's resources */
    CHECK_INT(loc.n_ignores, 1);
    if (loc.n_ignores) {
        CHECK_STR(loc.ignores[0].rule, "R7");
        CHECK_STR(loc.ignores[0].file, "main.tf");
        CHECK_INT(loc.ignores[0].line, 40);
    }
    CHECK_INT(json_array_size(pp_plan_locator_problems(l)), 0);
    pp_plan_locator_free(l);
}

/* ---- baselines and suppression -------------------------------------------------------------- */

static void baseline_errors(void)
{
    pp_plan_baseline *b = NULL;
    CHECK_INT(pp_plan_baseline_load(fixture("basic/baseline.yaml"), &b), 0);
    CHECK_INT(pp_plan_baseline_count(b), 3);
    pp_plan_baseline_free(b);
    b = NULL;
    CHECK_INT(pp_plan_baseline_load(fixture("baselines/empty.yaml"), &b), 0);
    CHECK_INT(pp_plan_baseline_count(b), 0);
    pp_plan_baseline_free(b);
    b = NULL;

    struct {
        const char *file, *msg;
    } bad[] = {
        {"baselines/unknown_key.yaml",
         ":4:3: unknown key \"expire\" (expected rule, address, reason, expires, owner)"},
        {"baselines/no_reason.yaml", ":1:3: entry needs a reason (why is this finding accepted?)"},
        {"baselines/bad_date.yaml", ":4:12: expires must be a date (YYYY-MM-DD)"},
        {"baselines/not_a_list.yaml",
         ":1:1: a baseline is a list of entries (- rule: ..., address: ..., reason: ...)"},
        {"baselines/bad_yaml.yaml", ":3:1: "},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_INT(pp_plan_baseline_load(fixture(bad[i].file), &b), PP_EINVAL);
        CHECK(b == NULL);
        const char *m = pp_err_msg();
        CHECK(strstr(m, bad[i].file) != NULL);
        if (!strstr(m, bad[i].msg))
            fprintf(stderr, "got: %s\n", m);
        CHECK(strstr(m, bad[i].msg) != NULL);
    }
    CHECK_INT(pp_plan_baseline_load(fixture("baselines/missing.yaml"), &b), PP_EINVAL);
    pp_plan_baseline_free(NULL);
}

static pp_finding *add_finding(pp_results *r, const char *rule_id, const char *address,
                               enum pp_status st)
{
    const pp_rule_meta *m = pp_results_rule(r, rule_id);
    if (!m) {
        pp_rule_meta *nm = pp_xcalloc(1, sizeof(*nm));
        nm->id = pp_xstrdup(rule_id);
        m = pp_results_add_rule(r, nm);
    }
    pp_finding *f = pp_results_add(r, m);
    f->status = st;
    f->address = pp_xstrdup(address);
    f->res_id = pp_xstrdup(address);
    return f;
}

static void suppression(void)
{
    pp_plan *p = load_basic();
    if (!p)
        return;
    pp_plan_locator *l = NULL;
    pp_plan_baseline *b = NULL;
    CHECK_INT(pp_plan_locator_new(fixture("basic"), p, &l), 0);
    CHECK_INT(pp_plan_baseline_load(fixture("basic/baseline.yaml"), &b), 0);
    pp_results *r = pp_results_new();
    /* inline, live (until 2099) on a for_each instance */
    add_finding(r, "CIS-1.14", "aws_iam_user.people[\"alice\"]", PP_STATUS_FAIL);
    /* inline, expired (until 2020-06-30), matched through a comma list */
    add_finding(r, "KMS-WILDCARD", "aws_kms_key.legacy", PP_STATUS_UNKNOWN);
    /* baseline, exact address */
    add_finding(r, "CIS-5.2", "module.net.aws_security_group.ssh", PP_STATUS_FAIL);
    /* baseline, glob over a synthetic document's address */
    add_finding(r, "CIS-5.2", "aws_security_group_rule.external", PP_STATUS_FAIL);
    /* baseline, expired */
    add_finding(r, "CIS-1.16", "aws_iam_role.flow", PP_STATUS_FAIL);
    /* nothing matches: another rule on a suppressed address, a PASS */
    add_finding(r, "CIS-5.3", "module.net.aws_security_group.ssh", PP_STATUS_FAIL);
    add_finding(r, "CIS-1.14", "aws_iam_user.people[\"bob\"]", PP_STATUS_PASS);

    time_t now = 1717200000; /* 2024-06-01 */
    json_t *expired = NULL;
    CHECK_INT(pp_plan_suppress(r, l, b, now, &expired), 3);
    pp_finding *f = r->findings;
    CHECK(f[0].suppressed);
    char *s = dump(f[0].suppression);
    CHECK_STR(s, "{\"address\":\"aws_iam_user.people[\\\"alice\\\"]\",\"expired\":false,"
                 "\"expires\":\"2099-12-31\",\"file\":\"main.tf\",\"line\":42,\"owner\":null,"
                 "\"reason\":\"break-glass users, tracked in SEC-42\",\"rule\":\"CIS-1.14\","
                 "\"source\":\"inline\"}");
    free(s);
    CHECK(!f[1].suppressed);
    CHECK(f[1].suppression && json_is_true(json_object_get(f[1].suppression, "expired")));
    CHECK_INT(f[1].status, PP_STATUS_UNKNOWN); /* the status is kept */
    CHECK(f[2].suppressed);
    CHECK_STR(json_string_value(json_object_get(f[2].suppression, "owner")), "platform-team");
    CHECK_STR(json_string_value(json_object_get(f[2].suppression, "source")), "baseline");
    CHECK(f[3].suppressed);
    CHECK(!f[4].suppressed);
    CHECK(json_is_true(json_object_get(f[4].suppression, "expired")));
    CHECK(!f[5].suppressed && f[5].suppression == NULL);
    CHECK(!f[6].suppressed && f[6].suppression == NULL);
    /* expired entries: the inline one that matched and every expired baseline entry */
    CHECK_INT(json_array_size(expired), 2);
    s = dump(expired);
    CHECK(strstr(s, "\"rule\":\"CIS-3.6,KMS-WILDCARD\"") != NULL);
    CHECK(strstr(s, "\"rule\":\"CIS-1.16\"") != NULL);
    free(s);
    json_decref(expired);

    /* later: the 2099 entries still apply; earlier: nothing has expired */
    pp_results *r2 = pp_results_new();
    add_finding(r2, "CIS-1.16", "aws_iam_role.flow", PP_STATUS_FAIL);
    CHECK_INT(pp_plan_suppress(r2, NULL, b, 1577836800 /* 2020-01-01 */, NULL), 1);
    CHECK(r2->findings[0].suppressed);
    pp_results_free(r2);

    pp_results_free(r);
    pp_plan_baseline_free(b);
    pp_plan_locator_free(l);
    pp_plan_free(p);
}

PP_TEST_MAIN(TEST(basic_summary), TEST(addresses_and_actions), TEST(security_groups),
             TEST(network_acls_and_routes), TEST(kms_trail_config_guardduty), TEST(iam),
             TEST(types_fixture), TEST(sensitive_values), TEST(refusals),
             TEST(accepted_versions_and_unknown_keys), TEST(documents_follow_type_registry),
             TEST(ignore_parser), TEST(locator_basic), TEST(locator_lexer), TEST(baseline_errors),
             TEST(suppression))
