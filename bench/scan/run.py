"""Scan benchmark (issue 3): parapet scan against a sequential boto3 reader of the same data.

Seeds moto with a few hundred security groups, users, roles and KMS keys in two regions, puts
tests/faultproxy in front of it adding 50 ms to every call (the round trip to a real AWS region),
and times:
  - `parapet scan` (all collectors, both regions), and
  - a sequential boto3 script making the same reads, one call at a time: the client path
    Prowler and Cloud Custodian take.
Prints wall times, their ratio, the API calls each made, and parapet's CPU time per 1,000
resources. Usage:  python3 bench/scan/run.py [--scale N] [--latency 0.05] [--bin PATH]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "faultproxy"))

from harness import Moto, clean_env  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402

REGIONS = ("us-east-1", "eu-west-1")


def seed(moto, scale):
    iam = moto.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for i in range(scale):
        iam.create_user(UserName=f"user-{i}")
        iam.create_access_key(UserName=f"user-{i}")
        iam.create_role(RoleName=f"role-{i}", AssumeRolePolicyDocument=trust)
    for region in REGIONS:
        ec2 = moto.client("ec2", region=region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        for i in range(scale // 2):
            g = ec2.create_security_group(GroupName=f"sg-{i}", Description="bench", VpcId=vpc)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                 "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        kms = moto.client("kms", region=region)
        for i in range(scale // 2):
            kms.create_key(Description=f"key-{i}")


def boto3_reader(url, key, secret):
    """The same reads as parapet's collectors, sequentially, as a single-threaded SDK script."""
    import boto3
    import botocore.config
    calls = 0

    def c(service, region="us-east-1"):
        return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id=key,
                            aws_secret_access_key=secret,
                            config=botocore.config.Config(retries={"max_attempts": 3}))

    def pages(client, op, key_name, **kw):
        nonlocal calls
        out = []
        for page in client.get_paginator(op).paginate(**kw):
            calls += 1
            out += page.get(key_name, [])
        return out

    def one(fn, **kw):
        nonlocal calls
        calls += 1
        try:
            return fn(**kw)
        except Exception:
            return None

    resources = 0
    iam = c("iam")
    gaad = {"UserDetailList": [], "RoleDetailList": [], "GroupDetailList": [], "Policies": []}
    for page in iam.get_paginator("get_account_authorization_details").paginate():
        calls += 1
        for k in gaad:
            gaad[k] += page.get(k, [])
    for u in gaad["UserDetailList"]:
        keys = pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=u["UserName"])
        for k in keys:
            one(iam.get_access_key_last_used, AccessKeyId=k["AccessKeyId"])
        pages(iam, "list_mfa_devices", "MFADevices", UserName=u["UserName"])
        one(iam.get_login_profile, UserName=u["UserName"])
    resources += sum(len(v) for v in gaad.values())
    one(iam.get_account_password_policy)
    one(iam.get_account_summary)
    one(iam.generate_credential_report)
    one(iam.get_credential_report)
    pages(iam, "list_virtual_mfa_devices", "VirtualMFADevices")
    pages(iam, "list_server_certificates", "ServerCertificateMetadataList")
    for region in REGIONS:
        ec2 = c("ec2", region)
        for op, k in (("describe_vpcs", "Vpcs"), ("describe_subnets", "Subnets"),
                      ("describe_route_tables", "RouteTables"),
                      ("describe_internet_gateways", "InternetGateways"),
                      ("describe_nat_gateways", "NatGateways"),
                      ("describe_security_groups", "SecurityGroups"),
                      ("describe_network_acls", "NetworkAcls"), ("describe_flow_logs", "FlowLogs"),
                      ("describe_vpc_endpoints", "VpcEndpoints"),
                      ("describe_instances", "Reservations")):
            resources += len(pages(ec2, op, k))
        kms = c("kms", region)
        keys = pages(kms, "list_keys", "Keys")
        pages(kms, "list_aliases", "Aliases")
        for k in keys:
            one(kms.describe_key, KeyId=k["KeyId"])
            one(kms.get_key_rotation_status, KeyId=k["KeyId"])
            one(kms.get_key_policy, KeyId=k["KeyId"], PolicyName="default")
            one(kms.list_resource_tags, KeyId=k["KeyId"])
        resources += len(keys)
        one(c("cloudtrail", region).describe_trails, includeShadowTrails=True)
        cfg = c("config", region)
        one(cfg.describe_configuration_recorders)
        one(cfg.describe_configuration_recorder_status)
        one(cfg.describe_delivery_channels)
        pages(c("guardduty", region), "list_detectors", "DetectorIds")
        pages(c("logs", region), "describe_metric_filters", "metricFilters")
        pages(c("cloudwatch", region), "describe_alarms", "MetricAlarms")
        pages(c("sns", region), "list_topics", "Topics")
    return calls, resources


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=300, help="users, roles, SGs and keys (each)")
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "cli", "parapet"))
    args = ap.parse_args()

    with Moto(auth=False) as moto:
        t0 = time.time()
        seed(moto, args.scale)
        print(f"seeded {args.scale} users+keys, {args.scale} roles, {args.scale} SGs and "
              f"{args.scale} KMS keys over {len(REGIONS)} regions in {time.time() - t0:.1f} s")
        key, secret = moto.keys()
        with FaultProxy(moto.url, latency=(args.latency, args.latency)) as proxy:
            tmp = tempfile.mkdtemp(prefix="parapet-bench-")
            env = clean_env(tmp, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                            AWS_REGION="us-east-1", AWS_ENDPOINT_URL=proxy.url)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.time()
            p = subprocess.run([args.bin, "scan", "--region", ",".join(REGIONS), "--db",
                                os.path.join(tmp, "p.db"), "--out", os.path.join(tmp, "out"),
                                "--format", "json", "--no-progress"], env=env,
                               capture_output=True, text=True)
            parapet_wall = time.time() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if p.returncode not in (0, 1, 3):
                sys.exit(f"parapet scan failed ({p.returncode}): {p.stderr}")
            line = [x for x in p.stdout.splitlines() if x.startswith("scanned snapshot")][0]
            n_res = int(line.split(": ")[1].split(" ")[0])
            n_calls = int(line.split("), ")[1].split(" calls")[0])
            parapet_requests = len(proxy.log)

            n0 = len(proxy.log)
            t0 = time.time()
            calls, _ = boto3_reader(proxy.url, key, secret)
            boto_wall = time.time() - t0
            boto_requests = len(proxy.log) - n0

    print(f"parapet scan: {parapet_wall:.2f} s wall, {cpu:.2f} s CPU, {n_res} resources, "
          f"{n_calls} calls ({parapet_requests} requests through the proxy)")
    print(f"boto3 sequential: {boto_wall:.2f} s wall, {calls} calls ({boto_requests} requests)")
    print(f"ratio parapet/boto3: {parapet_wall / boto_wall:.3f} (target <= 0.2)")
    print(f"parapet CPU per 1,000 resources: {1000 * cpu / max(n_res, 1):.3f} s "
          "(the whole process: scan, store, evaluation of the shipped packs, report.json)")


if __name__ == "__main__":
    main()
