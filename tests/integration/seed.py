"""Seeds moto with a small, deliberately drifted AWS account (the demo account).

Each planted problem has a look-alike that must pass, so a rule that flags too much is caught as
surely as one that flags too little. `PLANTED` names every case and the status the packs must
give it (None: the rule must give no finding for that resource, because it is out of the rule's
scope); tests/integration/test_packs.py asserts them one by one against the JSON report.

The account has, in us-east-1 and eu-west-1:
- IAM: a weak password policy; alice (console, no MFA), erin (console with MFA), dave (console
  with a key never used), bob (a directly attached policy, two active keys), carol (one key);
  an attached "*" on "*" policy, an unattached one and an attached s3:* one; no support role;
- KMS: a key without rotation, one with rotation (alias/prod-logs), an asymmetric one;
- CloudTrail: two single-region trails (one weak, one validated and encrypted), no CloudWatch
  Logs, so no CIS 4.x alarm can work; the trails' bucket without access logging;
- Config recording in us-east-1 only; GuardDuty (seed_guardduty) in us-east-1 only;
- a "legacy" VPC per region (10.20.0.0/16) with open SSH, all traffic from ::/0, a group whose
  only world-open rules are UDP 22 and HTTPS, a default group with rules (us-east-1) and one
  stripped (eu-west-1), a NACL allowing 3389 and one where a lower-numbered deny shadows it,
  instances with IMDSv1 and IMDSv2;
- part of the reference architecture (policies/reference, production parameters) in us-east-1:
  the VPC with its six subnets, internet gateway, one of the two NAT gateways, the public and
  private-a route tables, a data route table with a route to the internet, flow logs, the ALB,
  ECS and bastion groups (the bastion open to the world), an RDS group open to the VPC instead
  of the ECS group, the Developers group, a correct ECS task role, an EC2 role that also trusts
  another account and a development cross-account role without MFA.
"""
import json

REGIONS = ("us-east-1", "eu-west-1")
VENDOR = "999988887777"  # an account outside the design

ADMIN_DOC = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
S3_ALL_DOC = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
READ_DOC = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"}]}

# (rule, resource id or name, expected status or None), filled by seed() as ids become known.
PLANTED = []


def plant(rule, resource, status):
    PLANTED.append({"rule": rule, "resource": resource, "status": status})


def _trust(principal, condition=None):
    stmt = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def _trail_bucket_policy(bucket, account):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
            {"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
        ]})


def seed(moto, account="123456789012"):
    """Plants the drifted account into `moto` (a harness.Moto). Returns a dict of created ids."""
    PLANTED.clear()
    ids = {}
    iam = moto.client("iam")

    # --- the account: weak password policy (1.8, 1.9); moto's root has no MFA (1.5, 1.6) and no
    # access key (1.4); moto's credential report has no root row, so 1.7 cannot be assessed
    iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=3,
                                       RequireSymbols=False)
    plant("CIS-1.8", account, "FAIL")
    plant("CIS-1.9", account, "FAIL")
    plant("CIS-1.4", account, "PASS")
    plant("CIS-1.5", account, "FAIL")
    plant("CIS-1.7", account, "ERROR")
    for manual in ("1.1", "1.2", "1.3", "1.18", "1.21", "1.22", "5.5"):
        plant(f"CIS-{manual}", account, "MANUAL")
    plant("CIS-1.20", account, "ERROR")
    plant("CIS-4.16", account, "ERROR")

    # --- users
    # alice: console password, no MFA (1.10 FAIL); in a group, no direct policies (1.15 PASS)
    iam.create_group(GroupName="developers")
    iam.put_group_policy(GroupName="developers", PolicyName="read", PolicyDocument=json.dumps(READ_DOC))
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Sup3r-secret-pw!")
    iam.add_user_to_group(GroupName="developers", UserName="alice")
    plant("CIS-1.10", "alice", "FAIL")
    plant("CIS-1.11", "alice", "PASS")
    plant("CIS-1.15", "alice", "PASS")

    # erin: console password with a virtual MFA device (1.10 PASS look-alike)
    iam.create_user(UserName="erin")
    iam.create_login_profile(UserName="erin", Password="An0ther-secret-pw!")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="erin")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="erin", SerialNumber=serial,
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    plant("CIS-1.10", "erin", "PASS")

    # dave: console password and an access key never used (1.11 FAIL)
    iam.create_user(UserName="dave")
    iam.create_login_profile(UserName="dave", Password="Th1rd-secret-pw!")
    iam.create_access_key(UserName="dave")
    plant("CIS-1.11", "dave", "FAIL")
    plant("CIS-1.12", "dave", "PASS")  # the unused key is new

    # bob: directly attached policy (1.15 FAIL), two active keys (1.13 FAIL)
    iam.create_user(UserName="bob")
    s3_all = iam.create_policy(PolicyName="s3-all", PolicyDocument=json.dumps(S3_ALL_DOC))["Policy"]
    iam.attach_user_policy(UserName="bob", PolicyArn=s3_all["Arn"])
    iam.create_access_key(UserName="bob")
    iam.create_access_key(UserName="bob")
    plant("CIS-1.15", "bob", "FAIL")
    plant("CIS-1.13", "bob", "FAIL")
    plant("CIS-1.14", "bob", "PASS")
    plant("CIS-1.10", "bob", None)  # no console password: out of scope

    # carol: one key (1.13 PASS look-alike), no console password (1.10 out of scope)
    iam.create_user(UserName="carol")
    iam.create_access_key(UserName="carol")
    plant("CIS-1.13", "carol", "PASS")
    plant("CIS-1.10", "carol", None)

    # --- policies: an attached *:* (1.16 FAIL); an unattached *:* (not in use: no finding);
    # s3:* attached (1.16 PASS look-alike: not full admin)
    admin = iam.create_policy(PolicyName="full-admin", PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{account}:root"}))
    iam.attach_role_policy(RoleName="ops", PolicyArn=admin["Arn"])
    iam.create_policy(PolicyName="unused-admin", PolicyDocument=json.dumps(ADMIN_DOC))
    plant("CIS-1.16", "full-admin", "FAIL")
    plant("CIS-1.16", "s3-all", "PASS")
    plant("CIS-1.16", "unused-admin", None)
    plant("CIS-1.17", account, "FAIL")  # no role has AWSSupportAccess
    ids["admin_policy"] = admin["Arn"]

    # --- KMS: a customer key without rotation (3.6 FAIL), one with (PASS), an asymmetric key
    # (out of scope for 3.6: no finding)
    kms = moto.client("kms")
    k1 = kms.create_key(Description="no rotation")["KeyMetadata"]["KeyId"]
    k2_meta = kms.create_key(Description="rotating")["KeyMetadata"]
    k2 = k2_meta["KeyId"]
    kms.enable_key_rotation(KeyId=k2)
    kms.create_alias(AliasName="alias/prod-logs", TargetKeyId=k2)
    k3 = kms.create_key(Description="signing", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    plant("CIS-3.6", k1, "FAIL")
    plant("CIS-3.6", k2, "PASS")
    plant("CIS-3.6", k3, None)
    plant("REF-KMS-KEY-LOGS", account, "PASS")
    plant("REF-KMS-KEY-DATA", account, "FAIL")
    plant("REF-KMS-KEY-ROTATION", k2, "PASS")
    ids["keys"] = (k1, k2, k3)

    # --- CloudTrail: a weak trail (single region, no validation, no KMS, no CloudWatch Logs)
    # and a single-region look-alike with validation and KMS (3.2 and 3.5 PASS, still no 3.1)
    s3 = moto.client("s3")
    bucket = "demo-trail-logs"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=_trail_bucket_policy(bucket, account))
    ct = moto.client("cloudtrail")
    ct.create_trail(Name="weak-trail", S3BucketName=bucket)
    ct.start_logging(Name="weak-trail")
    ct.create_trail(Name="validated-trail", S3BucketName=bucket, EnableLogFileValidation=True,
                    KmsKeyId=k2_meta["Arn"])
    ct.start_logging(Name="validated-trail")
    plant("CIS-3.1", account, "FAIL")
    plant("CIS-3.2", "weak-trail", "FAIL")
    plant("CIS-3.5", "weak-trail", "FAIL")
    plant("CIS-3.2", "validated-trail", "PASS")
    plant("CIS-3.5", "validated-trail", "PASS")
    plant("CIS-3.4", bucket, "FAIL")
    plant("CIS-3.8", account, "FAIL")
    plant("CIS-3.9", account, "FAIL")
    # without a multi-region trail delivering to CloudWatch Logs no 4.x chain can exist
    for control in range(1, 16):
        plant(f"CIS-4.{control}", account, "FAIL")
    plant("REF-TRAIL", account, "FAIL")

    # --- Config: recording in us-east-1 only (3.3 FAIL for eu-west-1)
    cfg = moto.client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{account}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    plant("CIS-3.3", f"{account}/us-east-1", "PASS")
    plant("CIS-3.3", f"{account}/eu-west-1", "FAIL")
    plant("REF-CONFIG", f"{account}/us-east-1", "PASS")
    plant("REF-CONFIG", f"{account}/eu-west-1", "FAIL")

    # --- Network, per region: the legacy VPC
    for region in REGIONS:
        ec2 = moto.client("ec2", region=region)
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        ids.setdefault("vpcs", []).append(vpc)
        plant("CIS-3.7", vpc, "FAIL")
        default = ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
        if region != "us-east-1":
            # the look-alike: a default group without any rule (5.4 PASS)
            ec2.revoke_security_group_egress(GroupId=default["GroupId"],
                                             IpPermissions=default["IpPermissionsEgress"])
            plant("CIS-5.4", default["GroupId"], "PASS")
            continue
        # the default group keeps its rules and gets an ingress one (5.4 FAIL)
        ec2.authorize_security_group_ingress(GroupId=default["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])
        plant("CIS-5.4", default["GroupId"], "FAIL")
        # open SSH to the world (5.2 FAIL); SSH from a private range (PASS look-alike); UDP 22
        # from the world (not SSH: PASS); HTTPS from the world (PASS)
        ssh = ec2.create_security_group(GroupName="open-ssh", Description="open ssh", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        private = ec2.create_security_group(GroupName="private-ssh", Description="ssh from office", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=private, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
            {"IpProtocol": "udp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        # all traffic from ::/0 (5.3 FAIL, not 5.2)
        v6 = ec2.create_security_group(GroupName="open-v6", Description="all from v6", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=v6, IpPermissions=[
            {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        # a port range over 3389 from the world (5.2 FAIL)
        rng = ec2.create_security_group(GroupName="wide-range", Description="3000-4000", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=rng, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 4000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        plant("CIS-5.2", ssh, "FAIL")
        plant("CIS-5.2", rng, "FAIL")
        plant("CIS-5.2", private, "PASS")
        plant("CIS-5.2", v6, "PASS")
        plant("CIS-5.3", v6, "FAIL")
        plant("CIS-5.3", ssh, "PASS")
        plant("CIS-5.4", ssh, None)  # not a default group
        # the reference design allows no group but the load balancer's to be open to the world
        plant("REF-SG-NOT-OPEN", private, "FAIL")
        plant("REF-SG-NOT-OPEN", default["GroupId"], "PASS")
        # a NACL allowing 3389 from the world (5.1 FAIL); one where a deny at 90 shadows it (PASS)
        nacl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        ec2.create_network_acl_entry(NetworkAclId=nacl, RuleNumber=100, Protocol="6", RuleAction="allow",
                                     Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 3389, "To": 3389})
        shadowed = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        ec2.create_network_acl_entry(NetworkAclId=shadowed, RuleNumber=90, Protocol="6", RuleAction="deny",
                                     Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 3389, "To": 3389})
        ec2.create_network_acl_entry(NetworkAclId=shadowed, RuleNumber=100, Protocol="6", RuleAction="allow",
                                     Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 3389, "To": 3389})
        plant("CIS-5.1", nacl, "FAIL")
        plant("CIS-5.1", shadowed, "PASS")
        # instances: IMDSv1 allowed (5.6 FAIL) and IMDSv2 required (PASS)
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
        image = ec2.describe_images()["Images"][0]["ImageId"]
        v1 = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet,
                               MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"})["Instances"][0]["InstanceId"]
        v2 = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet,
                               MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"})["Instances"][0]["InstanceId"]
        plant("CIS-5.6", v1, "FAIL")
        plant("CIS-5.6", v2, "PASS")
        ids["sgs"] = {"open-ssh": ssh, "private-ssh": private, "open-v6": v6, "wide-range": rng,
                      "default": default["GroupId"]}
        ids["nacls"] = {"open-rdp": nacl, "shadowed": shadowed}
        ids["instances"] = {"imdsv1": v1, "imdsv2": v2}

    ids["reference"] = seed_reference(moto, account)
    return ids


def seed_reference(moto, account):
    """Part of the reference architecture (production parameters) in us-east-1, with drift."""
    ec2 = moto.client("ec2")
    ref = {}

    def tags(name, component=None):
        t = [{"Key": "Name", "Value": name}]
        if component:
            t.append({"Key": "parapet:component", "Value": component})
        return t

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": tags("prod-vpc")}])["Vpc"]["VpcId"]
    ref["vpc"] = vpc
    plant("REF-VPC", account, "PASS")
    # flow logs for all traffic (REF-FLOW-LOGS and CIS 3.7 PASS), to a bucket (moto checks it)
    moto.client("s3").create_bucket(Bucket="demo-flow-logs")
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="s3", LogDestination="arn:aws:s3:::demo-flow-logs")
    plant("CIS-3.7", vpc, "PASS")
    plant("REF-FLOW-LOGS", account, "PASS")

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    plant("REF-INTERNET-GATEWAY", account, "PASS")

    subnets = {}
    for name, cidr, az in (("public-a", "10.0.1.0/24", "us-east-1a"), ("public-b", "10.0.2.0/24", "us-east-1b"),
                           ("private-a", "10.0.3.0/24", "us-east-1a"), ("private-b", "10.0.4.0/24", "us-east-1b"),
                           ("data-a", "10.0.5.0/24", "us-east-1a"), ("data-b", "10.0.6.0/24", "us-east-1b")):
        subnets[name] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=[
            {"ResourceType": "subnet", "Tags": tags(f"prod-{name}")}])["Subnet"]["SubnetId"]
        plant(f"REF-SUBNET-{name.upper()}", account, "PASS")
    ref["subnets"] = subnets

    # one NAT gateway, in public-a; the one of zone b is missing
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets["public-a"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    plant("REF-NAT-GATEWAY-A", account, "PASS")
    plant("REF-NAT-GATEWAY-B", account, "FAIL")

    public = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for s in ("public-a", "public-b"):
        ec2.associate_route_table(RouteTableId=public, SubnetId=subnets[s])
    private_a = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_a, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=private_a, SubnetId=subnets["private-a"])
    # the data tier's table has a way out to the internet (REF-DATA-NO-INTERNET-ROUTE FAIL)
    data = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=data, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for s in ("data-a", "data-b"):
        ec2.associate_route_table(RouteTableId=data, SubnetId=subnets[s])
    plant("REF-ROUTE-TABLE-PUBLIC", account, "PASS")
    plant("REF-ROUTE-TABLE-PRIVATE-A", account, "PASS")
    plant("REF-ROUTE-TABLE-PRIVATE-B", account, "FAIL")
    plant("REF-ROUTE-TABLE-DATA", account, "PASS")
    plant("REF-DATA-NO-INTERNET-ROUTE", data, "FAIL")
    plant("REF-DATA-NO-INTERNET-ROUTE", public, None)  # not a data table
    ref["route_tables"] = {"public": public, "private-a": private_a, "data": data}

    def group(name, desc, perms):
        gid = ec2.create_security_group(GroupName=name, Description=desc, VpcId=vpc)["GroupId"]
        if perms:
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
        return gid

    alb = group("prod-alb", "alb", [
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 443)])
    ecs = group("prod-ecs-tasks", "ecs tasks", [
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": alb}]}])
    # the database is open to the whole VPC instead of the ECS tasks' group
    rds = group("prod-rds", "rds", [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    # the bastion takes SSH from anywhere
    bastion = group("prod-bastion", "bastion", [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    plant("REF-SG-ALB", account, "PASS")
    plant("REF-SG-ECS-TASKS", account, "PASS")
    plant("REF-SG-RDS", account, "PASS")
    plant("REF-SG-BASTION", account, "PASS")
    plant("REF-SG-REDIS", account, "FAIL")
    plant("REF-SG-ALB-INGRESS", alb, "PASS")
    plant("REF-SG-ECS-TASKS-INGRESS", ecs, "PASS")
    plant("REF-SG-RDS-INGRESS", rds, "FAIL")
    plant("REF-SG-BASTION-INGRESS", bastion, "FAIL")
    plant("REF-SG-NOT-OPEN", bastion, "FAIL")
    plant("REF-SG-NOT-OPEN", alb, None)  # the one group allowed to be open
    plant("CIS-5.2", bastion, "FAIL")
    ref["security_groups"] = {"alb": alb, "ecs-tasks": ecs, "rds": rds, "bastion": bastion}

    # IAM: the Developers group with its policy (PASS), a correct ECS task role (PASS), an EC2 role
    # that also trusts another account (FAIL) and a development cross-account role without MFA
    iam = moto.client("iam")
    dev_policy = iam.create_policy(PolicyName="prod-developer",
                                   PolicyDocument=json.dumps(READ_DOC))["Policy"]["Arn"]
    iam.create_group(GroupName="Developers")
    iam.attach_group_policy(GroupName="Developers", PolicyArn=dev_policy)
    iam.create_role(RoleName="prod-ecs-task", AssumeRolePolicyDocument=_trust({"Service": "ecs-tasks.amazonaws.com"}))
    iam.create_role(RoleName="prod-ec2-instance", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "sts:AssumeRole"}]}))
    iam.create_role(RoleName="prod-cross-account-dev",
                    AssumeRolePolicyDocument=_trust({"AWS": "arn:aws:iam::222233334444:root"}))
    iam.create_role(RoleName="vendor-audit", AssumeRolePolicyDocument=_trust(
        {"AWS": f"arn:aws:iam::{VENDOR}:root"}, {"StringEquals": {"sts:ExternalId": "vendor-7"}}))
    plant("REF-GROUP-DEVELOPERS", account, "PASS")
    plant("REF-GROUP-READ-ONLY-USERS", account, "FAIL")
    plant("REF-ROLE-ECS-TASK", account, "PASS")
    plant("REF-ROLE-EC2-INSTANCE", account, "FAIL")
    plant("REF-ROLE-CROSS-ACCOUNT-DEV", account, "FAIL")
    plant("REF-ROLE-CROSS-ACCOUNT-GUARDED", "prod-ec2-instance", "FAIL")
    plant("REF-ROLE-CROSS-ACCOUNT-GUARDED", "prod-cross-account-dev", "FAIL")
    plant("REF-ROLE-CROSS-ACCOUNT-GUARDED", "vendor-audit", "PASS")
    plant("REF-ROLE-CROSS-ACCOUNT-GUARDED", "prod-ecs-task", None)  # trusts a service only
    # ops trusts moto's account, which is not the production account_id the default parameters
    # describe (111122223333): to the design it is another account, without MFA
    plant("REF-ROLE-CROSS-ACCOUNT-GUARDED", "ops", "FAIL")
    return ref


def seed_guardduty(moto, account="123456789012"):
    """GuardDuty on in us-east-1 only: the other region is a planted gap."""
    moto.client("guardduty", region="us-east-1").create_detector(Enable=True)
    plant("REF-GUARDDUTY", f"{account}/us-east-1", "PASS")
    plant("REF-GUARDDUTY", f"{account}/eu-west-1", "FAIL")


if __name__ == "__main__":
    import sys
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    from harness import Moto
    with Moto(auth=True) as m:
        print(json.dumps(seed(m), indent=1))
        print(json.dumps(PLANTED, indent=1))
