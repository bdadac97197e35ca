"""Writes the seed inputs of tests/fuzz/corpus/<target>/seed-*: the repository's own fixtures and
policies (what each parser meets in practice) plus hand-written hostile cases (alias bombs, deep
nesting, truncation, wrong types, invalid UTF-8). Run from anywhere; files the fuzzers found are
named by their SHA-1 and are left alone:  python3 tests/fuzz/make_seeds.py"""
import base64
import glob
import json
import os
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
FIX = os.path.join(SRC, "tests", "fixtures")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- policy YAML and rules -----------------------------------------------------------------
def yaml_seeds():
    files = sorted(glob.glob(os.path.join(SRC, "policies", "**", "*.yaml"), recursive=True))
    files += sorted(glob.glob(os.path.join(FIX, "rules", "**", "*.yaml"), recursive=True))
    files += sorted(glob.glob(os.path.join(FIX, "plans", "baselines", "*.yaml")))
    for path in files:
        rel = os.path.relpath(path, SRC).replace("/", "_")
        put("policy_yaml", rel, read(path))
        if not path.endswith(".test.yaml") and "/tests/" not in path and "environments" not in path \
                and not path.endswith("pack.yaml") and "baselines" not in path:
            put("rule_compile", rel, read(path))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, " \
                f"*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, " \
                f"*{chr(96 + i)}]\n"
    put("policy_yaml", "alias-bomb.yaml", bomb)
    put("policy_yaml", "deep-flow.yaml", "[" * 200 + "]" * 200)
    put("policy_yaml", "deep-block.yaml", "".join("  " * i + "k:\n" for i in range(100)))
    put("policy_yaml", "recursive-alias.yaml", "a: &a\n  b: *a\n")
    put("policy_yaml", "merge-key.yaml", "base: &b {x: 1}\nrule:\n  <<: *b\n  y: 2\n")
    put("policy_yaml", "tags.yaml", "a: !!str 1\nb: !custom x\nc: !!binary aGk=\n")
    put("policy_yaml", "multi-doc.yaml", "id: a\n---\nid: b\n...\n---\n- 1\n")
    put("policy_yaml", "bad-utf8.yaml", b"id: \xff\xfe\nt\xc3\x28: 1\n")
    put("policy_yaml", "scalars.yaml",
        "a: 0x1F\nb: 0o17\nc: -1.5e3\nd: .inf\ne: ~\nf: True\ng: '007'\nh: 99999999999999999999\n")
    put("policy_yaml", "dup-keys.yaml", "a: 1\na: 2\n? [x]\n: y\n")


RULES = {
    "sg-world-ports": """
id: T-1
title: no world ssh
description: d
severity: high
resource: AWS::EC2::SecurityGroup
frameworks: {cis-aws-3.0: ["5.2"]}
where: {path: GroupName, op: ne, value: default}
assert:
  none:
    path: IpPermissions[]
    match:
      all:
        - any: {path: "IpRanges[].CidrIp", op: open_to_world}
        - ports_overlap: {ports: "{{ params.admin_ports }}"}
remediation: {action: revoke-ingress, targets: matched}
""",
    "join-flowlog": """
id: T-2
title: every vpc has a flow log
description: d
severity: medium
resource: AWS::EC2::VPC
assert:
  any:
    join: {type: AWS::EC2::FlowLog, on: ResourceId, equals: VpcId}
""",
    "exists-region": """
id: T-3
title: a multi-region trail logs
description: d
severity: high
resource: AWS::CloudTrail::Trail
exists: region
assert:
  all:
    - {path: IsMultiRegionTrail, op: eq, value: true}
    - {path: Status.IsLogging, op: eq, value: true}
""",
    "iam-admin": """
id: T-4
title: no full admin
description: d
severity: critical
resource: AWS::IAM::Policy
where: {path: AttachmentCount, op: gt, value: 0}
assert:
  none:
    path: "PolicyVersionList[]"
    match: {path: Document, policy_full_admin: true}
""",
    "kms-rotation": """
- id: T-5
  title: keys rotate
  description: d
  severity: medium
  resource: AWS::KMS::Key
  where: {path: KeyMetadata.KeyManager, op: eq, value: CUSTOMER}
  assert: {path: KeyRotationEnabled, op: eq, value: true}
- id: T-6
  title: manual one
  description: d
  severity: low
  resource: AWS::IAM::User
  manual: true
- id: T-7
  title: error one
  description: d
  severity: info
  resource: AWS::IAM::User
  error: not collected yet
""",
    "ages-regex-count": """
id: T-8
title: keys are young
description: d
severity: low
resource: AWS::IAM::User
params: {days: 90}
assert:
  all:
    - count: {path: "AccessKeys[]", op: le, value: 1}
    - all: {path: "AccessKeys[]", match: {age_days: CreateDate, op: lt, value: "{{ params.days }}"}}
    - {path: UserName, op: regex, value: "^[a-z]+$"}
    - {path: UserName, op: glob, value: "a*"}
    - {path: CredentialReport.mfa_active, op: in, value: ["true", "false"]}
""",
    "nacl": """
id: T-9
title: no rdp from the world
description: d
severity: high
resource: AWS::EC2::NetworkAcl
assert:
  not:
    nacl_allows: {ports: [3389], from: ["0.0.0.0/0", "::/0"], protocol: tcp}
""",
    "for-each": """
id: T-10
title: subnets exist
description: d
severity: medium
resource: AWS::EC2::VPC
exists: region
for_each: [{cidr: 10.0.0.0/16}, {cidr: 10.1.0.0/16}]
label: "{{ item.cidr }}"
assert: {path: CidrBlock, op: cidr_within, value: "{{ item.cidr }}"}
""",
    "bad-regex": """
id: T-11
title: t
description: d
severity: high
resource: AWS::EC2::VPC
assert: {path: VpcId, op: regex, value: "(["}
""",
    "policy-allows": """
id: T-12
title: no s3 write
description: d
severity: high
resource: AWS::IAM::Policy
assert:
  none:
    path: "PolicyVersionList[]"
    match: {path: Document, policy_allows: {action: ["s3:PutObject", "iam:*"], resource: "arn:aws:s3:::b/*"}}
""",
}


def rule_seeds():
    for name, text in RULES.items():
        put("rule_compile", name + ".yaml", text.lstrip())


def pack_seeds():
    """Whole packs for policy_pack: each file after a "#> NAME" line."""
    ex = os.path.join(FIX, "rules", "packs", "example")
    files = [("pack.yaml", "pack.yaml"), ("rules.yaml", "network.yaml"),
             ("rules.test.yaml", "network.test.yaml")]
    text = b"".join(b"#> " + name.encode() + b"\n" + read(os.path.join(ex, src))
                    for name, src in files)
    put("policy_pack", "example-network", text)
    files = [("pack.yaml", "pack.yaml"), ("rules.yaml", "identity.yaml"),
             ("rules.test.yaml", "identity.test.yaml")]
    put("policy_pack", "example-identity",
        b"".join(b"#> " + n.encode() + b"\n" + read(os.path.join(ex, s)) for n, s in files)
        + b"#> environments/prod.yaml\nparams: {max_key_age: 45}\n")
    put("policy_pack", "example-logging",
        b"#> pack.yaml\n" + read(os.path.join(ex, "pack.yaml")) + b"#> rules.yaml\n"
        + read(os.path.join(ex, "logging.yaml")) + b"#> tests/more.yaml\n"
        + read(os.path.join(ex, "tests", "logging.yaml")))
    put("policy_pack", "suppressions",
        RULES["kms-rotation"].lstrip().encode() + b"#> suppressions.yaml\n"
        b"- {rule: T-5, resource: '*', owner: sec, reason: tracked, expires: 2030-01-01}\n"
        b"#> environments/prod.yaml\nparams: {max_age: 30}\nrules: {T-5: {}}\n")
    put("policy_pack", "bad-pack", b"#> pack.yaml\nname: [x]\n#> rules.yaml\n- 1\n")


# ---- AWS responses -----------------------------------------------------------------------------
RESPONSES = {
    "decode_xml": [
        ("iam-list-users.xml", "ListUsers 200"), ("iam-gaad.xml", "GetAccountAuthorizationDetails 200"),
        ("iam-get-account-summary.xml", "GetAccountSummary 200"),
        ("iam-password-policy.xml", "GetAccountPasswordPolicy 200"),
        ("iam-policy-version-bad-document.xml", "GetPolicyVersion 200"),
        ("iam-update-password-policy.xml", "UpdateAccountPasswordPolicy 200"),
        ("iam-error-nosuchentity.xml", "GetAccountPasswordPolicy 404"),
        ("sts-assume-role.xml", "AssumeRole 200"),
        ("sns-get-topic-attributes.xml", "GetTopicAttributes 200"),
        ("cloudwatch-describe-alarms.xml", "DescribeAlarms 200"),
        ("ec2-describe-instances.xml", "DescribeInstances 200"),
        ("ec2-describe-network-acls.xml", "DescribeNetworkAcls 200"),
        ("ec2-describe-security-groups.xml", "DescribeSecurityGroups 200"),
        ("ec2-describe-security-groups-empty-page.xml", "DescribeSecurityGroups 200"),
        ("ec2-describe-vpc-endpoints.xml", "DescribeVpcEndpoints 200"),
        ("ec2-error-not-found.xml", "DescribeSecurityGroups 400"),
        ("ec2-error-throttled.xml", "DescribeVpcs 503"),
        ("bad-external-entity.xml", "ListUsers 200"), ("bad-truncated.xml", "ListUsers 200"),
        ("bad-wrong-root.xml", "ListUsers 200"), ("bad-proxy-502.html", "DescribeVpcs 502"),
    ],
    "decode_json": [
        ("cloudtrail-describe-trails.json", "DescribeTrails 200"),
        ("cloudtrail-get-trail-status.json", "GetTrailStatus 200"),
        ("config-recorder-status.json", "DescribeConfigurationRecorderStatus 200"),
        ("kms-describe-key.json", "DescribeKey 200"), ("kms-get-key-policy.json", "GetKeyPolicy 200"),
        ("kms-list-keys.json", "ListKeys 200"), ("kms-error-not-found.json", "DescribeKey 400"),
        ("json-error-throttling.json", "ListKeys 400"),
        ("logs-describe-metric-filters.json", "DescribeMetricFilters 200"),
        ("bad-json-array.json", "ListKeys 200"), ("bad-json-truncated.json", "ListKeys 200"),
    ],
    "decode_restjson": [
        ("guardduty-get-detector.json", "GetDetector 200"),
        ("guardduty-list-detectors.json", "ListDetectors 200"),
        ("guardduty-error.json", "GetDetector 400 h"),
    ],
    "decode_restxml": [
        ("s3-list-buckets.xml", "ListBuckets 200"), ("s3-get-bucket-encryption.xml", "GetBucketEncryption 200"),
        ("s3-get-bucket-location.xml", "GetBucketLocation 200"),
        ("s3-get-bucket-location-us-east-1.xml", "GetBucketLocation 200"),
        ("s3-get-bucket-logging.xml", "GetBucketLogging 200"),
        ("s3-get-bucket-logging-disabled.xml", "GetBucketLogging 200"),
        ("s3-get-bucket-policy.json", "GetBucketPolicy 200"),
        ("s3-get-public-access-block.xml", "GetPublicAccessBlock 200"),
        ("s3-error-no-policy.xml", "GetBucketPolicy 404"),
    ],
}

HOSTILE = {
    "decode_xml": [
        ("deep", "DescribeVpcs 200", "<DescribeVpcsResponse>" + "<a>" * 300 + "</a>" * 300
         + "</DescribeVpcsResponse>"),
        ("wrong-types", "DescribeSecurityGroups 200",
         "<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-1</groupId>"
         "<ipPermissions><item><fromPort>abc</fromPort><toPort>1e99</toPort><ipRanges>text"
         "</ipRanges></item></ipPermissions></item></securityGroupInfo>"
         "</DescribeSecurityGroupsResponse>"),
        ("bad-utf8", "ListUsers 200", b"<ListUsersResponse><ListUsersResult><Users><member>"
         b"<UserName>\xff\xfe</UserName></member></Users></ListUsersResult></ListUsersResponse>"),
        ("entity", "ListUsers 200", "<!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
         "<ListUsersResponse>&b;</ListUsersResponse>"),
        ("error-200", "ListUsers 200", "<ErrorResponse><Error><Code>Throttling</Code></Error>"
         "</ErrorResponse>"),
        ("summary-map", "GetAccountSummary 200",
         "<GetAccountSummaryResponse><GetAccountSummaryResult><SummaryMap><entry><key>Users</key>"
         "<value>x</value></entry><entry></entry></SummaryMap></GetAccountSummaryResult>"
         "</GetAccountSummaryResponse>"),
        ("policy-doc", "GetPolicyVersion 200",
         "<GetPolicyVersionResponse><GetPolicyVersionResult><PolicyVersion><Document>%7B%22a%22%3A"
         "%5B1%2C%7B%7D%5D%7D</Document></PolicyVersion></GetPolicyVersionResult>"
         "</GetPolicyVersionResponse>"),
    ],
    "decode_json": [
        ("deep", "ListKeys 200", "{\"Keys\":" + "[" * 3000 + "]" * 3000 + "}"),
        ("wrong-types", "ListKeys 200", "{\"Keys\":5,\"Truncated\":\"yes\",\"NextMarker\":{}}"),
        ("bad-utf8", "DescribeKey 200", b"{\"KeyMetadata\":{\"KeyId\":\"\xff\"}}"),
        ("nulls", "DescribeTrails 200", "{\"trailList\":[null,{\"Name\":null}]}"),
        ("dup-keys", "ListKeys 200", "{\"Keys\":[],\"Keys\":[]}"),
        ("error-type", "ListKeys 400", "{\"__type\":\"com.amazonaws.kms#Throttling:http://x\","
         "\"Message\":\"line\\nbreak\"}"),
        ("key-policy", "GetKeyPolicy 200", "{\"Policy\":\"{\\\"Statement\\\":[{\\\"Effect\\\":"
         "\\\"Allow\\\"}]}\"}"),
        ("timestamps", "DescribeKey 200", "{\"KeyMetadata\":{\"CreationDate\":1e300,"
         "\"DeletionDate\":-1,\"ValidTo\":\"2024-13-45T99:99:99Z\"}}"),
    ],
    "decode_restjson": [
        ("deep", "GetDetector 200", "{\"features\":" + "[" * 3000 + "]" * 3000 + "}"),
        ("wrong-types", "ListDetectors 200", "{\"detectorIds\":\"x\",\"nextToken\":5}"),
        ("throttle", "ListDetectors 429 ht", "{\"message\":\"Rate exceeded\"}"),
        ("bad-utf8", "GetDetector 200", b"{\"status\":\"\xc3\x28\"}"),
    ],
    "decode_restxml": [
        ("deep", "ListBuckets 200", "<ListAllMyBucketsResult>" + "<Buckets>" * 300
         + "</Buckets>" * 300 + "</ListAllMyBucketsResult>"),
        ("redirect", "GetBucketLocation 301 h", "<Error><Code>PermanentRedirect</Code></Error>"),
        ("wrong-types", "GetPublicAccessBlock 200",
         "<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls>"
         "</PublicAccessBlockConfiguration>"),
        ("bad-utf8", "ListBuckets 200", b"<ListAllMyBucketsResult><Buckets><Bucket><Name>\xff"
         b"</Name></Bucket></Buckets></ListAllMyBucketsResult>"),
        ("grantee", "GetBucketLogging 200",
         "<BucketLoggingStatus xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
         "<LoggingEnabled><TargetBucket>b</TargetBucket><TargetGrants><Grant><Grantee "
         "xsi:type=\"Group\"><URI>x</URI></Grantee></Grant></TargetGrants></LoggingEnabled>"
         "</BucketLoggingStatus>"),
    ],
}


def response_seeds():
    resp = os.path.join(FIX, "aws-responses")
    for target, items in RESPONSES.items():
        for file, head in items:
            put(target, file, head.encode() + b"\n" + read(os.path.join(resp, file)))
    for target, items in HOSTILE.items():
        for name, head, body in items:
            if isinstance(body, str):
                body = body.encode()
            put(target, name, head.encode() + b"\n" + body)


# ---- credential report, IAM documents, config files, plans, JSON lines ---------------------------
REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
    "<root_account>,arn:aws:iam::111122223333:root,2019-01-01T00:00:00+00:00,not_supported,"
    "2024-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,"
    "N/A,N/A,N/A,false,N/A,false,N/A\n"
    "alice,arn:aws:iam::111122223333:user/alice,2020-01-01T00:00:00+00:00,true,no_information,"
    "2020-01-01T00:00:00+00:00,N/A,false,true,2020-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,"
    "N/A,N/A,N/A,false,N/A,false,N/A\n")


def csv_seeds():
    put("credential_csv", "report.csv", REPORT)
    put("credential_csv", "report-crlf.csv", REPORT.replace("\n", "\r\n"))
    put("credential_csv", "quoted.csv", 'a,"b ""q""",c\n"x\ny",2,"3"\n,,\n')
    put("credential_csv", "ragged.csv", "a,b\n1,2,3\n")
    put("credential_csv", "unterminated.csv", 'a,b\n"1,2\n')
    put("credential_csv", "base64.txt", base64.b64encode(REPORT.encode()))
    put("credential_csv", "dup-header.csv", "a,a,\xff\n1,2,3\n".encode("latin-1"))


POLICIES = [
    ("*", "*", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    ("s3:Get*", "arn:aws:s3:::b/*", {"Statement": [{"Effect": "Allow", "Action": ["s3:*"],
                                                     "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]},
                                                    {"Effect": "Deny", "Action": "s3:GetObject",
                                                     "Resource": "*"}]}),
    ("iam:PassRole", "*", {"Statement": {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:x"}}),
    ("ec2:Describe?", "*", {"Statement": [{"Effect": "Allow", "Action": "ec2:*",
                                          "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
                                         {"Effect": "Deny", "Action": "*", "Resource": "*",
                                          "Condition": {"StringEquals": {"aws:RequestedRegion": "x"}}}]}),
    ("kms:*", "arn:aws:kms:*:*:key/*", {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                      "Action": "kms:*", "Resource": "*"}]}),
]


def iam_seeds():
    for i, (action, resource, doc) in enumerate(POLICIES):
        text = json.dumps(doc)
        put("iam_policy", f"doc-{i}", f"{action}\n{resource}\n{text}")
        put("iam_policy", f"encoded-{i}", f"{action}\n{resource}\n{urllib.parse.quote(text)}")
    put("iam_policy", "not-json", "s3:*\n*\nnot a policy %ZZ %")
    put("iam_policy", "wrong-types", 's3:*\n*\n{"Statement": [{"Effect": 1, "Action": {"a": 1}, "Resource": [null, 2]}]}')
    put("iam_policy", "globs", "*?*?*?*?*?*?*?*?*\n" + "a*" * 40 + "\n{\"Statement\":[]}")


def ini_seeds():
    for name in ("config", "credentials"):
        put("aws_ini", name, read(os.path.join(FIX, "aws-config", name)))
    put("aws_ini", "services", "[profile local]\nservices = local\n\n[services local]\nec2 =\n"
        "  endpoint_url = http://127.0.0.1:4566\ns3 =\n  endpoint_url = http://127.0.0.1:4567\n")
    put("aws_ini", "bad", "[unterminated\nkey = value\n  indented = top\n=novalue\n")
    put("aws_ini", "crlf", "[default]\r\nregion = us-east-1\r\n  sub = x\r\n# c\r\n; c\r\n")


def plan_seeds():
    for name in ("basic", "types"):
        put("plan", name + ".json", read(os.path.join(FIX, "plans", name, "plan.json")))
    put("plan", "empty.json", '{"format_version":"1.2","terraform_version":"1.6.0"}')
    put("plan", "v2.json", '{"format_version":"2.0"}')
    put("plan", "state.json", '{"format_version":"1.0","values":{"root_module":{}}}')
    put("plan", "errored.json", '{"format_version":"1.2","errored":true,"resource_changes":[]}')
    put("plan", "unknown.json", json.dumps({
        "format_version": "1.2", "resource_changes": [{
            "address": "aws_security_group.a", "mode": "managed", "type": "aws_security_group",
            "name": "a", "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": None,
                       "after": {"name": "a", "ingress": [{"from_port": 22, "to_port": 22,
                                                           "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]},
                       "after_unknown": {"id": True, "ingress": [{"cidr_blocks": [False]}]},
                       "after_sensitive": {"ingress": [{"description": True}]}}}]}))
    put("plan", "ignore-comment", "parapet:ignore CIS-5.2 bastion host until=2025-01-31")
    put("plan", "deep.json", '{"format_version":"1.2","resource_changes":' + "[" * 5000 + "]" * 5000 + "}")


def jsonl_seeds():
    line = {"type": "AWS::EC2::SecurityGroup", "id": "sg-1", "arn": None, "account": "111122223333",
            "region": "us-east-1", "document": {"GroupId": "sg-1", "IpPermissions": []}}
    put("jsonl", "sg.jsonl", json.dumps(line, separators=(",", ":")) + "\n")
    user = {"type": "AWS::IAM::User", "id": "alice", "arn": "arn:aws:iam::111122223333:user/alice",
            "account": "111122223333", "region": "global", "document": {"UserName": "alice"},
            "errors": {"AccessKeys": "ListAccessKeys: AccessDenied: no"}}
    put("jsonl", "user-errors.jsonl", json.dumps(user) + "\n" + json.dumps(line) + "\n\n")
    plan = dict(line, account=None, region="unknown", address="aws_security_group.a",
                unknown={"GroupId": True})
    put("jsonl", "plan.jsonl", json.dumps(plan) + "\n")
    put("jsonl", "bad-type.jsonl", json.dumps(dict(line, type="AWS::Nope")) + "\n")
    put("jsonl", "bad-region.jsonl", json.dumps(dict(line, region="global")) + "\n")
    put("jsonl", "extra-key.jsonl", json.dumps(dict(line, extra=1)) + "\n")
    put("jsonl", "truncated.jsonl", json.dumps(line)[:40])
    put("jsonl", "dup.jsonl", (json.dumps(line) + "\n") * 2)


# ---- binary documents (core/jbin.c) -----------------------------------------------------------
def jbin_varint(n):
    out = bytearray()
    while True:
        c = n & 0x7F
        n >>= 7
        out.append(c | (0x80 if n else 0))
        if not n:
            return bytes(out)


def jbin_value(v):
    import struct
    if v is None:
        return b"n"
    if v is True:
        return b"t"
    if v is False:
        return b"f"
    if isinstance(v, int):
        return b"i" + jbin_varint(((v << 1) ^ (-1 if v < 0 else 0)) & 0xFFFFFFFFFFFFFFFF)
    if isinstance(v, float):
        return b"d" + struct.pack("<d", v)
    if isinstance(v, str):
        b = v.encode()
        return b"s" + jbin_varint(len(b)) + b
    if isinstance(v, list):
        return b"a" + jbin_varint(len(v)) + b"".join(jbin_value(x) for x in v)
    out = b"o" + jbin_varint(len(v))
    for k, x in v.items():
        kb = k.encode()
        out += jbin_varint(len(kb)) + kb + jbin_value(x)
    return out


def jbin_seeds():
    doc = {"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
           "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "Tags": [], "Owner": None, "Ok": True,
           "No": False, "Ratio": 0.5, "Neg": -9223372036854775808, "Big": 9223372036854775807,
           "Unicode": "caf\u00e9 \u2713 \U0001F600", "Nul": "a\u0000b"}
    good = b"J\x01" + jbin_value(doc)
    put("jbin", "sg.bin", good)
    put("jbin", "scalars.bin", b"J\x01" + jbin_value([None, True, False, 0, -1, 1.25, "", {}, []]))
    put("jbin", "deep.bin", b"J\x01" + b"a\x01" * 3000 + b"n")  # past the depth limit
    put("jbin", "truncated.bin", good[:len(good) // 2])
    put("jbin", "trailing.bin", good + b"n")
    put("jbin", "bad-tag.bin", b"J\x01x")
    put("jbin", "bad-magic.bin", b"J\x02n")
    put("jbin", "huge-count.bin", b"J\x01a\xff\xff\xff\xff\xff\xff\xff\xff\x7f")
    put("jbin", "long-varint.bin", b"J\x01i" + b"\xff" * 11)
    put("jbin", "nan.bin", b"J\x01d\x00\x00\x00\x00\x00\x00\xf8\x7f")
    put("jbin", "bad-utf8.bin", b"J\x01s\x02\xc3\x28")
    put("jbin", "nul-key.bin", b"J\x01o\x01\x03a\x00bn")
    put("jbin", "dup-key.bin", b"J\x01o\x02\x01an\x01at")


def main():
    yaml_seeds()
    rule_seeds()
    pack_seeds()
    response_seeds()
    csv_seeds()
    iam_seeds()
    ini_seeds()
    plan_seeds()
    jsonl_seeds()
    jbin_seeds()


if __name__ == "__main__":
    main()
