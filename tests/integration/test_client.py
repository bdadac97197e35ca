"""The aws/ library's wire half against moto server.

tests/integration/awscall (a test-only C driver of the library) makes the calls; boto3 seeds the
account and reads the same data for comparison. In auth mode every request must carry a valid
SigV4 signature of a key moto knows, so a successful call proves signing, encoding and
decoding end to end. GuardDuty runs against a moto without auth mode (moto 5.2.1 refuses every
GuardDuty signature, the AWS CLI's included; see design.md section 7).
"""
import base64
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

AWSCALL = os.environ.get("PARAPET_AWSCALL") or os.path.join(
    os.path.dirname(harness.PARAPET), "..", "tests", "integration", "awscall")

POLICY = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                         "Resource": "*",
                         "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*",
                                                                    "a+b %41 &<>"]}}}]}
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole"}]}
OTHER_ACCOUNT = "222233334444"
# Keys whose string values are JSON documents in boto3's output but objects in ours.
POLICY_KEYS = {"Policy", "PolicyDocument", "EffectiveDeliveryPolicy", "DeliveryPolicy"}


def normalise(v, key=None):
    """boto3's parsed output in our conventions: UTC "Z" timestamps, blobs as base64, policy
    documents as objects, no ResponseMetadata."""
    if isinstance(v, dict):
        return {k: normalise(x, k) for k, x in v.items() if k != "ResponseMetadata"}
    if isinstance(v, list):
        return [normalise(x) for x in v]
    if isinstance(v, datetime.datetime):
        return v.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, str) and key in POLICY_KEYS:
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def differences(ours, theirs, path=""):
    out = []
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for k in sorted(set(ours) | set(theirs)):
            if k not in ours:
                out.append(f"{path}.{k}: missing (boto3 has {json.dumps(theirs[k])[:100]})")
            elif k not in theirs:
                out.append(f"{path}.{k}: extra ({json.dumps(ours[k])[:100]})")
            else:
                out += differences(ours[k], theirs[k], f"{path}.{k}")
    elif isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            out.append(f"{path}: {len(ours)} items, boto3 has {len(theirs)}")
        for i, (a, b) in enumerate(zip(ours, theirs)):
            out += differences(a, b, f"{path}[{i}]")
    elif ours != theirs or type(ours) is not type(theirs):
        out.append(f"{path}: {json.dumps(ours)[:100]} != boto3 {json.dumps(theirs)[:100]}")
    return out


def awscall(env, service, operation, inp=None, paginate=False, args=()):
    cmd = [AWSCALL, service, operation, json.dumps(inp or {})]
    if paginate:
        cmd.append("--paginate")
    cmd += list(args)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    data = json.loads(p.stdout) if p.returncode == 0 else None
    return p.returncode, data, p.stderr


def stats_of(stderr):
    for line in stderr.splitlines():
        if line.startswith("{\"requests\""):
            return json.loads(line)
    raise AssertionError("no --stats line in: " + stderr)


def seed_account(m):
    """A small account with something in every list the comparison reads."""
    ids = {}
    ec2 = m.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "prod"}])
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                            AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=sub)
    sg = ec2.create_security_group(GroupName="web", Description="web tier",
                                   VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName="db", Description="db tier", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh <&> from anywhere"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": db, "Description": "db"}]},
    ])
    ec2.create_tags(Resources=[sg], Tags=[{"Key": "tier", "Value": "web"}])
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0",
                                 PortRange={"From": 22, "To": 22})
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=110, Protocol="1",
                                 RuleAction="deny", Egress=True, CidrBlock="10.0.0.0/8",
                                 IcmpTypeCode={"Type": 8, "Code": 0})
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                            RouteTableIds=[rt], PolicyDocument=json.dumps(POLICY))
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=sub,
                      SecurityGroupIds=[sg], MetadataOptions={"HttpTokens": "required"})
    ids["sg"] = sg
    ids["acl"] = acl

    iam = m.client("iam")
    for i in range(5):
        iam.create_user(UserName=f"user{i}", Tags=[{"Key": "team", "Value": "audit"}])
        iam.create_access_key(UserName=f"user{i}")
    iam.create_login_profile(UserName="user0", Password="Secr3t!Pass-x",
                             PasswordResetRequired=True)
    iam.put_user_policy(UserName="user0", PolicyName="inline", PolicyDocument=json.dumps(POLICY))
    ids["policy"] = iam.create_policy(PolicyName="p1", PolicyDocument=json.dumps(POLICY),
                                      Description="audit policy")["Policy"]["Arn"]
    iam.attach_user_policy(UserName="user1", PolicyArn=ids["policy"])
    iam.create_group(GroupName="admins")
    iam.add_user_to_group(GroupName="admins", UserName="user0")
    iam.create_role(RoleName="flow", AssumeRolePolicyDocument=json.dumps(TRUST),
                    Description="flow logs")
    iam.attach_role_policy(RoleName="flow", PolicyArn=ids["policy"])
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True,
                                       MaxPasswordAge=90, PasswordReusePrevention=24)

    kms = m.client("kms")
    ids["key"] = kms.create_key(Description="trail key",
                                Tags=[{"TagKey": "a", "TagValue": "b"}])["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=ids["key"])
    kms.create_alias(AliasName="alias/trail", TargetKeyId=ids["key"])
    for _ in range(4):
        kms.create_key(Description="more")

    s3 = m.client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
                       "Principal": {"Service": "cloudtrail.amazonaws.com"},
                       "Action": "s3:PutObject", "Resource": "arn:aws:s3:::trail-bucket/*"}]}))
    s3.put_public_access_block(Bucket="trail-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False})
    s3.put_bucket_encryption(Bucket="trail-bucket", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": ids["key"]},
                   "BucketKeyEnabled": True}]})
    s3.create_bucket(Bucket="plain-bucket")

    ct = m.client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName="trail-bucket", IsMultiRegionTrail=True,
                    EnableLogFileValidation=True)
    ct.start_logging(Name="main")
    ct.put_event_selectors(TrailName="main", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::trail-bucket/"]}]}])

    logs = m.client("logs")
    logs.create_log_group(logGroupName="/trail")
    logs.put_metric_filter(logGroupName="/trail", filterName="root",
                           filterPattern='{ $.userIdentity.type = "Root" }',
                           metricTransformations=[{"metricName": "RootUsage",
                                                   "metricNamespace": "CIS", "metricValue": "1"}])
    sns = m.client("sns")
    ids["topic"] = sns.create_topic(Name="alarms")["TopicArn"]
    sns.subscribe(TopicArn=ids["topic"], Protocol="email", Endpoint="ops@example.com")
    m.client("cloudwatch").put_metric_alarm(
        AlarmName="root", MetricName="RootUsage", Namespace="CIS", Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[ids["topic"]])
    cfg = m.client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/flow",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "trail-bucket"})
    return ids


class AuthModeTest(harness.TestCase):
    """moto in auth mode: signatures are verified on every call."""

    @classmethod
    def setUpClass(cls):
        cls.moto = harness.Moto(auth=True, accounts=(OTHER_ACCOUNT,)).start()
        try:
            cls.ids = seed_account(cls.moto)
        except Exception:
            cls.moto.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def env(self, **extra):
        return self.env_for(self.moto, **extra)

    def call(self, service, operation, inp=None, paginate=False, env=None, args=()):
        return awscall(env or self.env(), service, operation, inp, paginate, args)

    def test_signed_calls_to_every_service(self):
        probes = [("sts", "GetCallerIdentity", {}), ("iam", "ListUsers", {}),
                  ("ec2", "DescribeVpcs", {}), ("kms", "ListKeys", {}),
                  ("cloudtrail", "DescribeTrails", {}),
                  ("config", "DescribeConfigurationRecorders", {}),
                  ("logs", "DescribeMetricFilters", {}), ("cloudwatch", "DescribeAlarms", {}),
                  ("sns", "ListTopics", {}), ("s3", "ListBuckets", {}),
                  ("s3", "GetBucketLocation", {"Bucket": "trail-bucket"})]
        for service, op, inp in probes:
            with self.subTest(service=service, op=op):
                rc, data, err = self.call(service, op, inp)
                self.assertEqual(rc, 0, err)
                self.assertIsInstance(data, dict)
        rc, data, err = self.call("sts", "GetCallerIdentity")
        self.assertEqual(data["Arn"], "arn:aws:iam::123456789012:user/parapet-admin")

    def test_wrong_secret_is_refused(self):
        key, _ = self.moto.keys()
        env = self.env_for(self.moto, keys=(key, "x" * 40))
        for service, op, codes in [
                ("sts", "GetCallerIdentity", {"SignatureDoesNotMatch"}),
                ("iam", "ListUsers", {"SignatureDoesNotMatch"}),
                ("ec2", "DescribeVpcs", {"SignatureDoesNotMatch", "AuthFailure"}),
                ("kms", "ListKeys", {"SignatureDoesNotMatch", "InvalidSignatureException"})]:
            with self.subTest(service=service):
                rc, data, err = self.call(service, op, env=env)
                self.assertEqual(rc, 3, err)
                self.assertIn(err.split(":")[0].strip(), codes, err)
                self.assertNotIn("x" * 40, err)

    def test_unknown_key_is_refused(self):
        env = self.env_for(self.moto, keys=("AKIAUNKNOWNUNKNOWN00", "y" * 40))
        rc, _, err = self.call("iam", "ListUsers", env=env)
        self.assertEqual(rc, 3)
        self.assertTrue(err.startswith("InvalidClientTokenId:"), err)

    def test_session_credentials(self):
        """AssumeRole through the library, then calls signed with the session token."""
        rc, data, err = self.call("sts", "AssumeRole", {
            "RoleArn": harness.Moto.role_arn(OTHER_ACCOUNT), "RoleSessionName": "it"})
        self.assertEqual(rc, 0, err)
        c = data["Credentials"]
        self.assertRegex(c["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        env = self.env_for(self.moto, keys=(c["AccessKeyId"], c["SecretAccessKey"]),
                           session_token=c["SessionToken"])
        rc, who, err = self.call("sts", "GetCallerIdentity", env=env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(who["Arn"],
                         f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/ParapetAudit/it")
        rc, _, err = self.call("ec2", "DescribeSecurityGroups", env=env)
        self.assertEqual(rc, 0, err)

    def assert_same(self, service, operation, inp, method, paginate=True, ignore=()):
        rc, ours, err = self.call(service, operation, inp, paginate=paginate)
        self.assertEqual(rc, 0, err)
        client = self.moto.client(service)
        if paginate and client.can_paginate(method):
            theirs = client.get_paginator(method).paginate(**inp).build_full_result()
        else:
            theirs = getattr(client, method)(**inp)
        theirs = normalise(theirs)
        for k in ignore:
            theirs.pop(k, None)
            ours.pop(k, None)
        diff = differences(ours, theirs)
        self.assertEqual(diff, [], f"{service} {operation} differs from boto3")
        return ours

    def test_decoded_output_equals_boto3(self):
        """The documents parapet stores are the AWS CLI's output, key for key."""
        sgs = self.assert_same("ec2", "DescribeSecurityGroups", {}, "describe_security_groups")
        web = [g for g in sgs["SecurityGroups"] if g["GroupId"] == self.ids["sg"]][0]
        self.assertEqual(web["Description"], "web tier")
        perms = {p.get("FromPort", -1): p for p in web["IpPermissions"]}
        self.assertEqual(perms[22]["IpRanges"][0]["Description"], "ssh <&> from anywhere")
        self.assertEqual(perms[443]["Ipv6Ranges"], [{"CidrIpv6": "::/0"}])
        self.assertEqual(perms[-1]["IpRanges"], [])  # empty lists stay, as the CLI shows them
        self.assertEqual(len(perms[-1]["UserIdGroupPairs"]), 1)
        acls = self.assert_same("ec2", "DescribeNetworkAcls", {}, "describe_network_acls")
        acl = [a for a in acls["NetworkAcls"] if a["NetworkAclId"] == self.ids["acl"]][0]
        rules = {(e["RuleNumber"], e["Egress"]): e for e in acl["Entries"]}
        self.assertEqual(rules[(100, False)]["CidrBlock"], "0.0.0.0/0")
        self.assertEqual(rules[(110, True)]["RuleAction"], "deny")
        self.assertIs(acl["IsDefault"], False)  # <default>false</default>, typed as the CLI has it
        self.assertTrue(all(isinstance(a["IsDefault"], bool) for a in acls["NetworkAcls"]))
        users = self.assert_same("iam", "ListUsers", {}, "list_users")
        self.assertRegex(users["Users"][0]["CreateDate"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        key = self.assert_same("kms", "DescribeKey", {"KeyId": self.ids["key"]}, "describe_key")
        self.assertEqual(key["KeyMetadata"]["KeyState"], "Enabled")

    def test_more_operations_equal_boto3(self):
        key, topic, policy = self.ids["key"], self.ids["topic"], self.ids["policy"]
        cases = [
            ("ec2", "DescribeVpcs", {}, "describe_vpcs"),
            ("ec2", "DescribeSubnets", {}, "describe_subnets"),
            ("ec2", "DescribeRouteTables", {}, "describe_route_tables"),
            ("ec2", "DescribeInternetGateways", {}, "describe_internet_gateways"),
            ("ec2", "DescribeVpcEndpoints", {}, "describe_vpc_endpoints"),
            ("ec2", "DescribeInstances", {}, "describe_instances"),
            ("ec2", "DescribeRegions", {}, "describe_regions"),
            ("iam", "GetAccountAuthorizationDetails", {}, "get_account_authorization_details"),
            ("iam", "GetAccountPasswordPolicy", {}, "get_account_password_policy"),
            ("iam", "GetAccountSummary", {}, "get_account_summary"),
            ("iam", "ListAccessKeys", {"UserName": "user0"}, "list_access_keys"),
            ("iam", "GetLoginProfile", {"UserName": "user0"}, "get_login_profile"),
            ("iam", "ListPolicies", {"Scope": "Local"}, "list_policies"),
            ("iam", "GetPolicyVersion", {"PolicyArn": policy, "VersionId": "v1"},
             "get_policy_version"),
            ("iam", "ListEntitiesForPolicy", {"PolicyArn": policy}, "list_entities_for_policy"),
            ("iam", "ListRoles", {}, "list_roles"),
            ("iam", "ListGroups", {}, "list_groups"),
            ("iam", "GetUserPolicy", {"UserName": "user0", "PolicyName": "inline"},
             "get_user_policy"),
            ("kms", "ListKeys", {}, "list_keys"),
            ("kms", "GetKeyRotationStatus", {"KeyId": key}, "get_key_rotation_status"),
            ("kms", "GetKeyPolicy", {"KeyId": key, "PolicyName": "default"}, "get_key_policy"),
            ("kms", "ListAliases", {}, "list_aliases"),
            ("cloudtrail", "GetTrailStatus", {"Name": "main"}, "get_trail_status"),
            ("cloudtrail", "GetEventSelectors", {"TrailName": "main"}, "get_event_selectors"),
            ("config", "DescribeDeliveryChannels", {}, "describe_delivery_channels"),
            ("logs", "DescribeMetricFilters", {}, "describe_metric_filters"),
            ("cloudwatch", "DescribeAlarms", {}, "describe_alarms"),
            ("sns", "GetTopicAttributes", {"TopicArn": topic}, "get_topic_attributes"),
            ("sns", "ListSubscriptionsByTopic", {"TopicArn": topic},
             "list_subscriptions_by_topic"),
            ("s3", "GetBucketPolicy", {"Bucket": "trail-bucket"}, "get_bucket_policy"),
            ("s3", "GetPublicAccessBlock", {"Bucket": "trail-bucket"}, "get_public_access_block"),
            ("s3", "GetBucketEncryption", {"Bucket": "trail-bucket"}, "get_bucket_encryption"),
            ("s3", "GetBucketLogging", {"Bucket": "trail-bucket"}, "get_bucket_logging"),
        ]
        for service, op, inp, method in cases:
            with self.subTest(op=op):
                self.assert_same(service, op, inp, method)
        # boto3 adds a null Prefix to ListBuckets that is not on the wire.
        self.assert_same("s3", "ListBuckets", {}, "list_buckets", ignore=("Prefix",))

    def test_policy_documents_are_objects(self):
        rc, data, err = self.call("iam", "GetAccountAuthorizationDetails", {}, paginate=True)
        self.assertEqual(rc, 0, err)
        user0 = [u for u in data["UserDetailList"] if u["UserName"] == "user0"][0]
        self.assertEqual(user0["UserPolicyList"][0]["PolicyDocument"], POLICY)
        flow = [r for r in data["RoleDetailList"] if r["RoleName"] == "flow"][0]
        self.assertEqual(flow["AssumeRolePolicyDocument"], TRUST)
        rc, data, err = self.call("kms", "GetKeyPolicy", {"KeyId": self.ids["key"],
                                                          "PolicyName": "default"})
        self.assertIsInstance(data["Policy"], dict)
        rc, data, err = self.call("s3", "GetBucketPolicy", {"Bucket": "trail-bucket"})
        self.assertEqual(data["Policy"]["Statement"][0]["Sid"], "AWSCloudTrailWrite")
        rc, data, err = self.call("sns", "GetTopicAttributes", {"TopicArn": self.ids["topic"]})
        self.assertIsInstance(data["Attributes"]["Policy"], dict)
        rc, data, err = self.call("ec2", "DescribeVpcEndpoints", {}, paginate=True)
        self.assertEqual(data["VpcEndpoints"][0]["PolicyDocument"], POLICY)

    def test_paging_concatenates_pages(self):
        # moto pages DescribeInstances (not the other Describe calls): one reservation each.
        ec2 = self.moto.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        for _ in range(11):
            ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=sub)
        rc, ours, err = self.call("ec2", "DescribeInstances",
                                  {"Filter": [{"Name": "subnet-id", "Value": [sub]}],
                                   "MaxResults": 5}, paginate=True, args=["--stats"])
        self.assertEqual(rc, 0, err)
        theirs = ec2.describe_instances(Filters=[{"Name": "subnet-id", "Values": [sub]}])
        self.assertEqual(
            sorted(i["InstanceId"] for r in ours["Reservations"] for i in r["Instances"]),
            sorted(i["InstanceId"] for r in theirs["Reservations"] for i in r["Instances"]))
        self.assertEqual(len(ours["Reservations"]), 11)
        self.assertNotIn("NextToken", ours)
        st = stats_of(err)
        self.assertEqual(st["pages"], 3)
        self.assertEqual(st["attempts"], st["pages"])

        # IAM Marker + IsTruncated (moto pages ListPolicies, not ListUsers).
        iam = self.moto.client("iam")
        for i in range(4):
            iam.create_policy(PolicyName=f"paging{i}", PolicyDocument=json.dumps(POLICY))
        rc, ours, err = self.call("iam", "ListPolicies", {"Scope": "Local", "MaxItems": 2},
                                  paginate=True, args=["--stats"])
        self.assertEqual(rc, 0, err)
        theirs = iam.list_policies(Scope="Local")["Policies"]
        self.assertEqual(sorted(p["Arn"] for p in ours["Policies"]),
                         sorted(p["Arn"] for p in theirs))
        self.assertEqual(len(ours["Policies"]), 5)
        self.assertEqual(stats_of(err)["pages"], 3)
        self.assertNotIn("IsTruncated", ours)
        self.assertNotIn("Marker", ours)

        # CloudWatch Logs: lower-case nextToken and limit.
        logs = self.moto.client("logs")
        for i in range(5):
            logs.create_log_group(logGroupName=f"/paging/{i}")
        rc, ours, err = self.call("logs", "DescribeLogGroups",
                                  {"logGroupNamePrefix": "/paging/", "limit": 2}, paginate=True,
                                  args=["--stats"])
        self.assertEqual(rc, 0, err)
        self.assertEqual([g["logGroupName"] for g in ours["logGroups"]],
                         [f"/paging/{i}" for i in range(5)])
        self.assertEqual(stats_of(err)["pages"], 3)
        self.assertNotIn("nextToken", ours)

        # Without --paginate a single page comes back with its marker, for callers that page.
        rc, ours, err = self.call("iam", "ListPolicies", {"Scope": "Local", "MaxItems": 2})
        self.assertEqual(len(ours["Policies"]), 2)
        self.assertTrue(ours["IsTruncated"])
        self.assertIn("Marker", ours)

    def test_errors_carry_code_and_message(self):
        cases = [("iam", "GetLoginProfile", {"UserName": "user3"}, "NoSuchEntity"),
                 ("ec2", "DescribeSecurityGroups", {"GroupId": ["sg-00000000000000000"]},
                  "InvalidGroup.NotFound"),
                 ("kms", "DescribeKey", {"KeyId": "00000000-0000-0000-0000-000000000000"},
                  "NotFoundException"),
                 ("s3", "GetBucketPolicy", {"Bucket": "plain-bucket"}, "NoSuchBucketPolicy"),
                 ("cloudtrail", "GetTrailStatus", {"Name": "nope"}, "TrailNotFoundException")]
        for service, op, inp, code in cases:
            with self.subTest(op=op):
                rc, _, err = self.call(service, op, inp, args=["--stats"])
                self.assertEqual(rc, 3, err)
                self.assertTrue(err.startswith(code + ":"), err)
                st = stats_of(err)
                self.assertEqual(st["attempts"], 1)  # not retryable
                self.assertEqual(st["errors"], 1)
                self.assertGreaterEqual(st["http_status"], 400)


class NoAuthGuardDutyTest(harness.TestCase):
    """GuardDuty (REST-JSON) against a moto without auth mode."""

    @classmethod
    def setUpClass(cls):
        cls.moto = harness.Moto(auth=False).start()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def test_detectors_equal_boto3(self):
        gd = self.moto.client("guardduty")
        det = gd.create_detector(Enable=True, FindingPublishingFrequency="SIX_HOURS",
                                 DataSources={"S3Logs": {"Enable": True}},
                                 Tags={"env": "prod", "lowerKey": "kept"})["DetectorId"]
        env = self.env_for(self.moto)
        rc, ours, err = awscall(env, "guardduty", "ListDetectors", paginate=True)
        self.assertEqual(rc, 0, err)
        self.assertEqual(ours, {"DetectorIds": [det]})
        rc, ours, err = awscall(env, "guardduty", "GetDetector", {"DetectorId": det})
        self.assertEqual(rc, 0, err)
        theirs = normalise(gd.get_detector(DetectorId=det))
        # GuardDuty models these two as ISO strings; parapet normalises them like all timestamps.
        for k in ("CreatedAt", "UpdatedAt"):
            theirs[k] = normalise(datetime.datetime.fromisoformat(theirs[k].replace("Z", "+00:00")))
        self.assertRegex(ours["CreatedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(differences(ours, theirs), [])
        self.assertEqual(ours["Status"], "ENABLED")
        self.assertEqual(ours["Tags"], {"env": "prod", "lowerKey": "kept"})
        rc, _, err = awscall(env, "guardduty", "GetDetector", {"DetectorId": "0" * 32})
        self.assertEqual(rc, 3)
        self.assertTrue(err.split(":")[0] in {"BadRequestException", "ResourceNotFoundException"},
                        err)


if __name__ == "__main__":
    harness.main()
