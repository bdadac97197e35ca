#!/usr/bin/env python3
"""Synthetic inventory for the rules benchmark: N resources as `parapet inventory` JSON lines
(security groups with rules, IAM users with keys, KMS keys, network ACLs, VPCs and their flow
logs, IAM policies), deterministic for a given N and seed. About 1 in 20 resources is drifted so
rules have failures to explain, as in a real account.

usage: gen.py N [SEED] > inventory.jsonl
"""
import json
import random
import sys

ACCOUNT = "111122223333"
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def sg(i, rnd):
    perms = []
    for k in range(rnd.randint(1, 6)):
        port = rnd.choice([22, 80, 443, 3389, 5432, 6379, 8080])
        open_world = rnd.random() < 0.05
        perms.append({
            "IpProtocol": rnd.choice(["tcp", "tcp", "tcp", "udp", "-1"]) if open_world else "tcp",
            "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": "0.0.0.0/0" if open_world else "10.%d.0.0/16" % (k % 250)}],
            "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": [],
        })
    gid = "sg-%08x" % i
    return {"GroupId": gid, "GroupName": "group-%d" % i, "VpcId": "vpc-%06x" % (i % 5000),
            "Description": "synthetic", "OwnerId": ACCOUNT, "IpPermissions": perms,
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}


def user(i, rnd):
    keys = [{"AccessKeyId": "AKIA%012d" % (i * 2 + k), "Status": rnd.choice(["Active", "Inactive"]),
             "CreateDate": "2024-0%d-1%dT00:00:00Z" % (rnd.randint(1, 5), rnd.randint(0, 9))}
            for k in range(rnd.randint(0, 2))]
    return {"UserName": "user-%d" % i, "UserId": "AIDA%d" % i,
            "Arn": "arn:aws:iam::%s:user/user-%d" % (ACCOUNT, i),
            "CreateDate": "2023-01-01T00:00:00Z", "AccessKeys": keys, "GroupList": ["Developers"],
            "AttachedManagedPolicies": [], "UserPolicyList": []}


def key(i, rnd):
    kid = "%08x-0000-4000-8000-%012x" % (i, i)
    return {"KeyMetadata": {"KeyId": kid, "Arn": "arn:aws:kms:us-east-1:%s:key/%s" % (ACCOUNT, kid),
                            "KeyManager": "CUSTOMER" if rnd.random() < 0.8 else "AWS",
                            "KeySpec": "SYMMETRIC_DEFAULT", "KeyState": "Enabled", "Enabled": True},
            "KeyRotationEnabled": rnd.random() > 0.05, "Aliases": []}


def nacl(i, rnd):
    entries = [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True,
                "CidrBlock": "0.0.0.0/0"},
               {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": False,
                "CidrBlock": "0.0.0.0/0"}]
    if rnd.random() < 0.5:
        entries.append({"RuleNumber": 90, "Protocol": "6", "RuleAction": "deny", "Egress": False,
                        "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 22, "To": 22}})
    entries.append({"RuleNumber": 100, "Protocol": "-1" if rnd.random() < 0.05 else "6",
                    "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0",
                    "PortRange": {"From": 443, "To": 443}})
    return {"NetworkAclId": "acl-%08x" % i, "VpcId": "vpc-%06x" % (i % 5000), "IsDefault": False,
            "Entries": entries, "Associations": []}


def policy(i, rnd):
    action = "*" if rnd.random() < 0.02 else rnd.choice(["s3:*", "ec2:Describe*", "iam:Get*"])
    return {"PolicyName": "policy-%d" % i, "Arn": "arn:aws:iam::%s:policy/policy-%d" % (ACCOUNT, i),
            "AttachmentCount": rnd.randint(0, 3), "DefaultVersionId": "v1",
            "Document": {"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}}


def main():
    n = int(sys.argv[1])
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout
    kinds = [("AWS::EC2::SecurityGroup", 0.40), ("AWS::IAM::User", 0.20), ("AWS::KMS::Key", 0.10),
             ("AWS::EC2::NetworkAcl", 0.15), ("AWS::EC2::VPC", 0.05), ("AWS::EC2::FlowLog", 0.05),
             ("AWS::IAM::Policy", 0.05)]
    i = 0
    for typ, share in kinds:
        for k in range(int(n * share)):
            region = REGIONS[k % len(REGIONS)]
            if typ == "AWS::EC2::SecurityGroup":
                doc, rid = sg(i, rnd), None
                rid = doc["GroupId"]
            elif typ == "AWS::IAM::User":
                doc = user(i, rnd); rid = doc["UserName"]; region = "global"
            elif typ == "AWS::KMS::Key":
                doc = key(i, rnd); rid = doc["KeyMetadata"]["KeyId"]
            elif typ == "AWS::EC2::NetworkAcl":
                doc = nacl(i, rnd); rid = doc["NetworkAclId"]
            elif typ == "AWS::EC2::VPC":
                rid = "vpc-%06x" % k
                doc = {"VpcId": rid, "CidrBlock": "10.0.0.0/16", "State": "available", "IsDefault": False}
            elif typ == "AWS::EC2::FlowLog":
                rid = "fl-%06x" % k
                doc = {"FlowLogId": rid, "ResourceId": "vpc-%06x" % k, "TrafficType": "ALL",
                       "FlowLogStatus": "ACTIVE"}
            else:
                doc = policy(i, rnd); rid = doc["PolicyName"]; region = "global"
            arn = doc.get("Arn") or doc.get("KeyMetadata", {}).get("Arn")
            out.write(json.dumps({"type": typ, "id": rid, "arn": arn, "account": ACCOUNT,
                                  "region": region, "document": doc}, separators=(",", ":")))
            out.write("\n")
            i += 1


if __name__ == "__main__":
    main()
