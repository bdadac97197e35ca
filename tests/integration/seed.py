"""Seeds moto with a small, deliberately drifted AWS account (the demo account).

Each planted problem has a look-alike that must pass, so a rule that flags too much is caught as
surely as one that flags too little. `PLANTED` names every case and the status the CIS pack must
give it; tests/integration/test_packs.py asserts them one by one against the JSON report.
"""
import json

REGIONS = ("us-east-1", "eu-west-1")

ADMIN_DOC = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
S3_ALL_DOC = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
READ_DOC = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"}]}

# (rule, resource id or name, expected status), filled by seed() as ids become known.
PLANTED = []


def plant(rule, resource, status):
    PLANTED.append({"rule": rule, "resource": resource, "status": status})


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

    # --- IAM: password policy too weak (1.8, 1.9)
    iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=3,
                                       RequireSymbols=False)
    plant("CIS-1.8", account, "FAIL")
    plant("CIS-1.9", account, "FAIL")

    # --- users
    # alice: console password, no MFA (1.10 FAIL); in a group, no direct policies (1.15 PASS)
    iam.create_group(GroupName="developers")
    iam.put_group_policy(GroupName="developers", PolicyName="read", PolicyDocument=json.dumps(READ_DOC))
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Sup3r-secret-pw!")
    iam.add_user_to_group(GroupName="developers", UserName="alice")
    plant("CIS-1.10", "alice", "FAIL")
    plant("CIS-1.15", "alice", "PASS")

    # bob: directly attached policy (1.15 FAIL), two active keys (1.13 FAIL)
    iam.create_user(UserName="bob")
    s3_all = iam.create_policy(PolicyName="s3-all", PolicyDocument=json.dumps(S3_ALL_DOC))["Policy"]
    iam.attach_user_policy(UserName="bob", PolicyArn=s3_all["Arn"])
    iam.create_access_key(UserName="bob")
    iam.create_access_key(UserName="bob")
    plant("CIS-1.15", "bob", "FAIL")
    plant("CIS-1.13", "bob", "FAIL")

    # carol: one key (1.13 PASS look-alike), no console password (1.10 PASS look-alike)
    iam.create_user(UserName="carol")
    iam.create_access_key(UserName="carol")
    plant("CIS-1.13", "carol", "PASS")
    plant("CIS-1.10", "carol", "PASS")

    # --- policies: an attached *:* (1.16 FAIL); an unattached *:* (not in use: no finding or
    # PASS); s3:* attached (1.16 PASS look-alike: not full admin)
    admin = iam.create_policy(PolicyName="full-admin", PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                       "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="ops", PolicyArn=admin["Arn"])
    iam.create_policy(PolicyName="unused-admin", PolicyDocument=json.dumps(ADMIN_DOC))
    plant("CIS-1.16", "full-admin", "FAIL")
    plant("CIS-1.16", "s3-all", "PASS")
    ids["admin_policy"] = admin["Arn"]

    # --- KMS: a customer key without rotation (3.6 FAIL), one with (PASS), an asymmetric key
    # (out of scope for 3.6: no FAIL)
    kms = moto.client("kms")
    k1 = kms.create_key(Description="no rotation")["KeyMetadata"]["KeyId"]
    k2 = kms.create_key(Description="rotating")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=k2)
    k3 = kms.create_key(Description="signing", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    plant("CIS-3.6", k1, "FAIL")
    plant("CIS-3.6", k2, "PASS")
    ids["keys"] = (k1, k2, k3)

    # --- CloudTrail: a weak trail (single region, no validation, no KMS, no CloudWatch Logs)
    s3 = moto.client("s3")
    bucket = "demo-trail-logs"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=_trail_bucket_policy(bucket, account))
    ct = moto.client("cloudtrail")
    ct.create_trail(Name="weak-trail", S3BucketName=bucket)
    ct.start_logging(Name="weak-trail")
    plant("CIS-3.1", account, "FAIL")
    plant("CIS-3.2", "weak-trail", "FAIL")
    plant("CIS-3.5", "weak-trail", "FAIL")
    plant("CIS-3.4", bucket, "FAIL")

    # --- Config: recording in us-east-1 only (3.3 FAIL for eu-west-1)
    cfg = moto.client("config")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{account}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    plant("CIS-3.3", f"{account}/us-east-1", "PASS")
    plant("CIS-3.3", f"{account}/eu-west-1", "FAIL")

    # --- Network, per region
    for region in REGIONS:
        ec2 = moto.client("ec2", region=region)
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        ids.setdefault("vpcs", []).append(vpc)
        plant("CIS-3.7", vpc, "FAIL")
        if region != "us-east-1":
            continue
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
        # all traffic from ::/0 (5.3 FAIL)
        v6 = ec2.create_security_group(GroupName="open-v6", Description="all from v6", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=v6, IpPermissions=[
            {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        plant("CIS-5.2", ssh, "FAIL")
        plant("CIS-5.2", private, "PASS")
        plant("CIS-5.3", v6, "FAIL")
        plant("CIS-5.3", ssh, "PASS")
        # the default group keeps its rules (5.4 FAIL)
        default = ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
        plant("CIS-5.4", default["GroupId"], "FAIL")
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
        ids["sgs"] = {"open-ssh": ssh, "private-ssh": private, "open-v6": v6}
        ids["nacls"] = {"open-rdp": nacl, "shadowed": shadowed}
    return ids


def seed_guardduty(moto):
    """GuardDuty on in us-east-1 only: the other region is a planted gap."""
    moto.client("guardduty", region="us-east-1").create_detector(Enable=True)
    plant("CIS-GD", "123456789012/eu-west-1", "FAIL")


if __name__ == "__main__":
    import sys
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    from harness import Moto
    with Moto(auth=True) as m:
        print(json.dumps(seed(m), indent=1))
        print(json.dumps(PLANTED, indent=1))
