#!/usr/bin/env python3
"""Generates a large Terraform plan in the `terraform show -json` format for the `parapet check`
benchmark: N managed resources of the mapped types (security groups with inline rules and separate
rule resources, NACLs, VPCs, subnets, IAM policies and roles with policy JSON strings, KMS keys,
trails, ...) spread over module instances, with unknown values, sensitive marks, a planned_values
tree and a configuration block, as Terraform writes them. Deterministic for a given seed.

usage: gen_plan.py OUT.json [--resources N] [--seed S]
"""
import argparse
import json
import random

PROVIDER = "registry.terraform.io/hashicorp/aws"


def sg(i, rnd):
    ingress = []
    for k in range(rnd.randint(9, 24)):
        port = rnd.choice([22, 80, 443, 3389, 5432, 6379, 8080, 9000 + k])
        ingress.append({
            "cidr_blocks": [rnd.choice(["10.0.0.0/16", "0.0.0.0/0", "172.16.%d.0/24" % (k % 250)])
                            for _ in range(rnd.randint(1, 3))],
            "description": "rule %d of group %d: allow traffic for the application tier" % (k, i),
            "from_port": port, "to_port": port, "protocol": rnd.choice(["tcp", "6", "udp", "-1"]),
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False,
        })
    egress = [{"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0, "to_port": 0,
               "protocol": "-1", "ipv6_cidr_blocks": [], "prefix_list_ids": [],
               "security_groups": [], "self": False}]
    after = {"name": "app-%d" % i, "description": "application security group %d" % i,
             "ingress": ingress, "egress": egress, "revoke_rules_on_delete": False,
             "tags": {"Name": "app-%d" % i, "team": "platform", "cost-center": "cc-%d" % (i % 40)},
             "timeouts": None, "vpc_id": None}
    unknown = {"arn": True, "id": True, "owner_id": True, "vpc_id": True, "tags_all": True,
               "name_prefix": True,
               "ingress": [{"cidr_blocks": [False] * len(r["cidr_blocks"]), "ipv6_cidr_blocks": [],
                            "prefix_list_ids": [], "security_groups": []} for r in ingress],
               "egress": [{"cidr_blocks": [False], "ipv6_cidr_blocks": [], "prefix_list_ids": [],
                           "security_groups": []}], "tags": {}}
    return "aws_security_group", after, unknown, {"vpc_id": {"references": ["var.vpc_id"]}}


def sg_rule(i, rnd):
    after = {"type": "ingress", "from_port": 443, "to_port": 443, "protocol": "tcp",
             "cidr_blocks": ["0.0.0.0/0"], "description": "https from anywhere %d" % i,
             "ipv6_cidr_blocks": None, "prefix_list_ids": None, "self": False, "timeouts": None}
    unknown = {"id": True, "security_group_id": True, "source_security_group_id": True,
               "security_group_rule_id": True, "cidr_blocks": [False]}
    cfg = {"security_group_id": {"references": ["aws_security_group.r%d.id" % (i - 1),
                                                "aws_security_group.r%d" % (i - 1)]}}
    return "aws_security_group_rule", after, unknown, cfg


def policy_doc(i, rnd):
    stmts = []
    for k in range(rnd.randint(4, 10)):
        stmts.append({"Sid": "Stmt%d%d" % (i, k), "Effect": "Allow",
                      "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket",
                                 "kms:Decrypt", "kms:GenerateDataKey*"][: rnd.randint(1, 5)],
                      "Resource": ["arn:aws:s3:::bucket-%d-%d" % (i, k),
                                   "arn:aws:s3:::bucket-%d-%d/*" % (i, k)],
                      "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}})
    return json.dumps({"Version": "2012-10-17", "Statement": stmts}, separators=(",", ":"))


def iam_policy(i, rnd):
    after = {"name": "policy-%d" % i, "path": "/app/", "description": "application policy %d" % i,
             "policy": policy_doc(i, rnd), "tags": None, "name_prefix": None}
    unknown = {"arn": True, "id": True, "policy_id": True, "tags_all": True, "attachment_count": True}
    return "aws_iam_policy", after, unknown, {}


def iam_role(i, rnd):
    assume = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
         "Action": "sts:AssumeRole"}]}, separators=(",", ":"))
    after = {"name": "role-%d" % i, "path": "/", "assume_role_policy": assume,
             "description": "service role %d" % i, "max_session_duration": 3600,
             "force_detach_policies": False, "permissions_boundary": None, "tags": {"app": "x"}}
    unknown = {"arn": True, "id": True, "unique_id": True, "create_date": True,
               "managed_policy_arns": True, "inline_policy": True, "name_prefix": True,
               "tags_all": True, "tags": {}}
    return "aws_iam_role", after, unknown, {}


def kms(i, rnd):
    after = {"description": "key %d" % i, "enable_key_rotation": rnd.random() < 0.8,
             "deletion_window_in_days": 30, "is_enabled": True, "key_usage": "ENCRYPT_DECRYPT",
             "customer_master_key_spec": "SYMMETRIC_DEFAULT", "multi_region": False,
             "bypass_policy_lockout_safety_check": False, "custom_key_store_id": None,
             "tags": None, "xks_key_id": None}
    unknown = {"arn": True, "id": True, "key_id": True, "policy": True, "tags_all": True,
               "rotation_period_in_days": True}
    return "aws_kms_key", after, unknown, {}


def subnet(i, rnd):
    after = {"cidr_block": "10.%d.%d.0/24" % (i // 250 % 250, i % 250),
             "availability_zone": "eu-west-1a", "map_public_ip_on_launch": rnd.random() < 0.2,
             "assign_ipv6_address_on_creation": False, "enable_dns64": False,
             "ipv6_native": False, "tags": {"Name": "subnet-%d" % i}, "timeouts": None}
    unknown = {"arn": True, "id": True, "owner_id": True, "vpc_id": True, "ipv6_cidr_block": True,
               "ipv6_cidr_block_association_id": True, "availability_zone_id": True,
               "tags_all": True, "tags": {}}
    return "aws_subnet", after, unknown, {"vpc_id": {"references": ["var.vpc_id"]}}


def nacl(i, rnd):
    def entry(n, egress):
        return {"action": "allow", "cidr_block": "10.0.0.0/16", "from_port": 1024,
                "to_port": 65535, "protocol": "tcp", "rule_no": n, "icmp_code": 0,
                "icmp_type": 0, "ipv6_cidr_block": ""}
    after = {"ingress": [entry(100 + 10 * k, False) for k in range(6)],
             "egress": [entry(100 + 10 * k, True) for k in range(4)], "tags": None}
    unknown = {"arn": True, "id": True, "owner_id": True, "vpc_id": True, "subnet_ids": True,
               "tags_all": True, "ingress": [{} for _ in range(6)], "egress": [{} for _ in range(4)]}
    return "aws_network_acl", after, unknown, {"vpc_id": {"references": ["var.vpc_id"]}}


def lambda_fn(i, rnd):
    after = {"function_name": "fn-%d" % i, "runtime": "python3.12", "handler": "app.handler",
             "memory_size": 256, "timeout": 30,
             "environment": [{"variables": {"DB_PASSWORD": "hunter2-%d" % i, "MODE": "prod"}}]}
    unknown = {"arn": True, "id": True, "role": True, "environment": [{"variables": {}}]}
    return "aws_lambda_function", after, unknown, {}


KINDS = [sg, sg, sg_rule, iam_policy, iam_role, kms, subnet, nacl, lambda_fn]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--resources", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    changes, modules, cfg_modules = [], {}, {}
    for i in range(a.resources):
        kind = KINDS[i % len(KINDS)]
        rtype, after, unknown, exprs = kind(i, rnd)
        if kind is sg_rule and KINDS[(i - 1) % len(KINDS)] is not sg:
            rtype, after, unknown, exprs = sg(i, rnd)
        mod = i // 500
        module_address = "module.app[%d]" % mod
        name = "r%d" % i
        address = "%s.%s.%s" % (module_address, rtype, name)
        # A CI plan against existing infrastructure: mostly unchanged resources (before ==
        # after, every value known), some creates, a few updates, replacements and deletes.
        roll = rnd.random()
        actions = (["no-op"] if roll < 0.5 else ["create"] if roll < 0.88 else
                   ["update"] if roll < 0.94 else ["delete", "create"] if roll < 0.97 else
                   ["delete"])
        if actions in (["no-op"], ["update"]):
            after = dict(after, id="%s-%08x" % (rtype.split("_")[-1], i),
                         arn="arn:aws:ec2:eu-west-1:111122223333:%s/%d" % (rtype, i))
            unknown = {} if actions == ["no-op"] else {"tags_all": True}
            if rtype == "aws_security_group_rule":
                after["security_group_id"] = "group-%08x" % (i - 1)
        sensitive = {"environment": [{"variables": True}]} if rtype == "aws_lambda_function" else {}
        changes.append({
            "address": address, "module_address": module_address, "mode": "managed",
            "type": rtype, "name": name, "provider_name": PROVIDER,
            "change": {"actions": actions, "before": None if actions == ["create"] else after,
                       "after": None if actions == ["delete"] else after,
                       "after_unknown": {} if actions == ["delete"] else unknown,
                       "before_sensitive": False if actions == ["create"] else sensitive,
                       "after_sensitive": False if actions == ["delete"] else sensitive}})
        if actions != ["delete"]:
            modules.setdefault(module_address, []).append({
                "address": address, "mode": "managed", "type": rtype, "name": name,
                "provider_name": PROVIDER, "schema_version": 1, "values": after,
                "sensitive_values": sensitive})
        cfg_modules.setdefault(rtype + "." + name, {
            "address": rtype + "." + name, "mode": "managed", "type": rtype, "name": name,
            "provider_config_key": "aws", "expressions": exprs, "schema_version": 1})

    plan = {
        "format_version": "1.2", "terraform_version": "1.9.5",
        "variables": {"region": {"value": "eu-west-1"}},
        "planned_values": {"root_module": {"child_modules": [
            {"address": m, "resources": rs} for m, rs in modules.items()]}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER, "expressions": {
                "region": {"references": ["var.region"]}}}},
            "root_module": {"module_calls": {"app": {
                "source": "./modules/app", "count_expression": {"constant_value": 20},
                "expressions": {"vpc_id": {"constant_value": "vpc-0123456789abcdef0"}},
                "module": {"resources": list(cfg_modules.values())}}}}},
        "timestamp": "2024-05-01T10:00:00Z", "applyable": True, "complete": True,
        "errored": False,
    }
    with open(a.out, "w") as f:
        json.dump(plan, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
