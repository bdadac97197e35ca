"""parapet scan against moto server in auth mode: the inventory must agree with what the AWS API
(boto3, as the AWS CLI reads it) returns from the same moto, key for key, in two regions and two
accounts (the second through AssumeRole), with paging exercised. Also bad input, a killed scan,
and the least-privilege policy the collectors declare."""
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import time

import harness
from harness import Moto, TestCase, run

ACCOUNT_B = "222222222222"
REGIONS = ("us-east-1", "eu-west-1")


def norm(v):
    """Timestamps become epoch seconds and lists of dicts are sorted, so documents compare by
    content: parapet normalises timestamps to UTC ISO strings, boto3 returns datetimes."""
    if isinstance(v, datetime.datetime):
        return int(v.timestamp())
    if isinstance(v, str) and len(v) >= 20 and v[4] == "-" and v[10] == "T" and v.endswith("Z"):
        try:
            return int(datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return v
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items() if k != "ResponseMetadata"}
    if isinstance(v, list):
        items = [norm(x) for x in v]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
    return v


def seed_network(ec2, n_groups, tag):
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    groups = []
    for i in range(n_groups):
        g = ec2.create_security_group(GroupName=f"{tag}-sg-{i}", Description=f"group {i}",
                                      VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 1000 + i, "ToPort": 1000 + i,
             "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "office"}]},
            {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        groups.append(g)
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=90, Protocol="6", RuleAction="deny",
                                 Egress=False, CidrBlock="0.0.0.0/0",
                                 PortRange={"From": 3389, "To": 3389})
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0")
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-bucket")
    # moto pages DescribeInstances (one reservation each), which the scan must follow
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    for _ in range(max(n_groups // 2, 1)):
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet,
                          MetadataOptions={"HttpTokens": "required"})
    return vpc, groups


def seed_account(moto, client, region_clients, n_groups, n_users):
    """client(service, region) -> boto3 client in the account being seeded."""
    iam = client("iam", "us-east-1")
    iam.create_group(GroupName="readers")
    for i in range(n_users):
        iam.create_user(UserName=f"user-{i}")
        iam.add_user_to_group(GroupName="readers", UserName=f"user-{i}")
        if i % 3 == 0:
            iam.create_access_key(UserName=f"user-{i}")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    pol = iam.create_policy(PolicyName="read-all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*",
                                                "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="app", PolicyArn=pol)
    for region in region_clients:
        ec2 = client("ec2", region)
        seed_network(ec2, n_groups, region)
        kms = client("kms", region)
        k = kms.create_key(Description="data")["KeyMetadata"]["KeyId"]
        kms.enable_key_rotation(KeyId=k)
        kms.create_key(Description="no rotation")
        for i in range(n_groups // 2):  # enough keys for more than one page at 5 a page
            kms.create_key(Description=f"spare {i}")
        kms.create_alias(AliasName=f"alias/data-{region}", TargetKeyId=k)
        logs = client("logs", region)
        logs.create_log_group(logGroupName="trail-logs")
        logs.put_metric_filter(logGroupName="trail-logs", filterName="root-usage",
                               filterPattern='{ $.userIdentity.type = "Root" }',
                               metricTransformations=[{"metricName": "RootUsage",
                                                       "metricNamespace": "CIS",
                                                       "metricValue": "1"}])
        sns = client("sns", region)
        topic = sns.create_topic(Name="security-alarms")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="sec@example.com")
        cw = client("cloudwatch", region)
        cw.put_metric_alarm(AlarmName="root-usage", MetricName="RootUsage", Namespace="CIS",
                            Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanOrEqualToThreshold",
                            AlarmActions=[topic])
        cfg = client("config", region)
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    s3 = client("s3", "us-east-1")
    s3.create_bucket(Bucket=f"trail-{region_clients[0]}-{n_users}")
    bucket = f"trail-{region_clients[0]}-{n_users}"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
    ct = client("cloudtrail", "us-east-1")
    ct.create_trail(Name="main", S3BucketName=bucket, IsMultiRegionTrail=True,
                    EnableLogFileValidation=True)
    ct.start_logging(Name="main")
    ct.put_event_selectors(TrailName="main", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])


def inventory(env, db, *args):
    rc, out, err = run(["inventory", "--db", db] + list(args), env)
    assert rc == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


class ScanTest(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(auth=True, accounts=[ACCOUNT_B]).start()
        m = cls.moto
        seed_account(m, lambda svc, region: m.client(svc, region=region), REGIONS, 12, 14)
        key, secret, token = m.assume(ACCOUNT_B)
        seed_account(m, lambda svc, region: m.client(svc, region=region, keys=(key, secret),
                                                     session_token=token), REGIONS[:1], 3, 4)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def scan(self, *extra, env=None, db=None, expect=(0, 1, 3)):
        db = db or os.path.join(self.tmp, "parapet.db")
        env = env or self.env_for(self.moto, PARAPET_PAGE_SIZE="5")
        rc, out, err = run(["scan", "--db", db, "--out", os.path.join(self.tmp, "out"),
                            "--no-progress"] + list(extra), env)
        self.assertIn(rc, expect, err)
        return rc, out, err, db

    def test_two_accounts_two_regions_match_the_api(self):
        rc, out, err, db = self.scan("--region", "us-east-1,eu-west-1",
                                     db=os.path.join(self.tmp, "two.db"))
        env = self.env_for(self.moto)
        rows = inventory(env, db)
        # paging: at 5 a page the instances came in several pages and were all collected. moto
        # pages only some lists (DescribeInstances, ListPolicies); it answers
        # DescribeSecurityGroups, ListKeys, ListUsers and GetAccountAuthorizationDetails in one
        # page whatever the page size (boto3 gets the same), so paging of those is proven on
        # multi-page fixtures in tests/unit/test_protocols.c and tests/unit/test_engine.c.
        con = sqlite3.connect(db)
        pages = dict(((op, region), calls) for op, region, calls in con.execute(
            "SELECT operation, region, calls FROM coverage WHERE operation = 'DescribeInstances'"))
        con.close()
        for region in REGIONS:
            self.assertGreater(pages[("DescribeInstances", region)], 1, region)
            ec2 = self.moto.client("ec2", region=region)
            api = {i["InstanceId"] for r in ec2.describe_instances()["Reservations"]
                   for i in r["Instances"]}
            ours = {r["id"] for r in rows if r["type"] == "AWS::EC2::Instance"
                    and r["region"] == region and r["account"] == harness.MAIN_ACCOUNT}
            self.assertEqual(ours, api)
            self.assertGreaterEqual(len(api), 6)
        self.assertTrue(rows)
        by_type = {}
        for r in rows:
            self.assertEqual(set(r), {"type", "id", "arn", "account", "region", "document"}
                             | ({"errors"} if "errors" in r else set()))
            by_type.setdefault(r["type"], []).append(r)

        for region in REGIONS:
            ec2 = self.moto.client("ec2", region=region)
            api = {g["GroupId"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}
            ours = {r["id"]: r["document"] for r in by_type["AWS::EC2::SecurityGroup"]
                    if r["region"] == region}
            self.assertEqual(set(api), set(ours))
            for gid, g in api.items():
                self.assertEqual(norm(ours[gid]), norm(g), gid)
            api = {a["NetworkAclId"]: a for a in ec2.describe_network_acls()["NetworkAcls"]}
            ours = {r["id"]: r["document"] for r in by_type["AWS::EC2::NetworkAcl"]
                    if r["region"] == region}
            self.assertEqual(set(api), set(ours))
            for aid, a in api.items():
                self.assertEqual(norm(ours[aid]), norm(a), aid)
            for op, key, typ, idk in (("describe_vpcs", "Vpcs", "AWS::EC2::VPC", "VpcId"),
                                      ("describe_subnets", "Subnets", "AWS::EC2::Subnet", "SubnetId"),
                                      ("describe_route_tables", "RouteTables", "AWS::EC2::RouteTable",
                                       "RouteTableId"),
                                      ("describe_flow_logs", "FlowLogs", "AWS::EC2::FlowLog",
                                       "FlowLogId")):
                api = {x[idk]: x for x in getattr(ec2, op)()[key]}
                ours = {r["id"]: r["document"] for r in by_type.get(typ, []) if r["region"] == region}
                self.assertEqual(set(api), set(ours), typ)
                for i, x in api.items():
                    self.assertEqual(norm(ours[i]), norm(x), f"{typ} {i}")

            kms = self.moto.client("kms", region=region)
            keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
            ours = {r["id"]: r["document"] for r in by_type["AWS::KMS::Key"] if r["region"] == region}
            self.assertEqual(set(keys), set(ours))
            for k in keys:
                meta = kms.describe_key(KeyId=k)["KeyMetadata"]
                self.assertEqual(norm(ours[k]["KeyMetadata"]), norm(meta))
                rot = kms.get_key_rotation_status(KeyId=k)["KeyRotationEnabled"]
                self.assertEqual(ours[k]["KeyRotationEnabled"], rot)
                policy = json.loads(kms.get_key_policy(KeyId=k, PolicyName="default")["Policy"])
                self.assertEqual(ours[k]["KeyPolicy"], policy)
            aliased = [d for d in ours.values() if d["Aliases"]]
            self.assertEqual([a["AliasName"] for a in aliased[0]["Aliases"]], [f"alias/data-{region}"])

            logs = self.moto.client("logs", region=region)
            api = logs.describe_metric_filters()["metricFilters"]
            ours = [r["document"] for r in by_type["AWS::Logs::MetricFilter"] if r["region"] == region]
            self.assertEqual(norm(ours), norm(api))
            cw = self.moto.client("cloudwatch", region=region)
            api = cw.describe_alarms()["MetricAlarms"]
            ours = [r["document"] for r in by_type["AWS::CloudWatch::Alarm"] if r["region"] == region]
            self.assertEqual(norm(ours), norm(api))
            topics = [r["document"] for r in by_type["AWS::SNS::Topic"] if r["region"] == region]
            self.assertEqual(len(topics), 1)
            self.assertEqual([s["Endpoint"] for s in topics[0]["Subscriptions"]], ["sec@example.com"])
            cfg = self.moto.client("config", region=region)
            api = cfg.describe_configuration_recorders()["ConfigurationRecorders"]
            ours = [r["document"] for r in by_type["AWS::Config::ConfigurationRecorder"]
                    if r["region"] == region]
            self.assertEqual(len(ours), len(api))
            for o, a in zip(ours, api):
                # "status" is a moto addition to the recorder (not in AWS's model; boto3 drops it)
                self.assertEqual({k: v for k, v in norm(o).items() if k not in ("Status", "status")},
                                 norm(a))
                self.assertIn("recording", o["Status"])

        trails = by_type["AWS::CloudTrail::Trail"]
        self.assertEqual([t["id"] for t in trails], ["main"])  # multi-region: reported once
        ct = self.moto.client("cloudtrail")
        api = ct.describe_trails()["trailList"][0]
        doc = trails[0]["document"]
        for k, v in api.items():
            self.assertEqual(norm(doc[k]), norm(v), k)
        self.assertTrue(doc["Status"]["IsLogging"])
        self.assertEqual(doc["EventSelectors"][0]["DataResources"][0]["Type"], "AWS::S3::Object")
        buckets = by_type["AWS::S3::Bucket"]
        self.assertEqual(len(buckets), 1)
        self.assertIn("Policy", buckets[0]["document"])

        iam = self.moto.client("iam")
        users = {u["UserName"] for u in iam.list_users()["Users"]}
        ours = {r["id"]: r["document"] for r in by_type["AWS::IAM::User"]}
        self.assertEqual(users, set(ours))  # 15 users: more than one page of 5
        for name in users:
            keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
            self.assertEqual(sorted(k["AccessKeyId"] for k in ours[name]["AccessKeys"]),
                             sorted(k["AccessKeyId"] for k in keys))
            self.assertIn("CredentialReport", ours[name])
        roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
        self.assertEqual(roles, {r["id"] for r in by_type["AWS::IAM::Role"]})
        app = [r["document"] for r in by_type["AWS::IAM::Role"] if r["id"] == "app"][0]
        self.assertEqual(app["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
                         "ecs-tasks.amazonaws.com")
        policies = [r["document"] for r in by_type["AWS::IAM::Policy"] if r["id"] == "read-all"]
        self.assertEqual(policies[0]["Document"]["Statement"][0]["Action"], "ec2:Describe*")
        account = by_type["AWS::::Account"][0]["document"]
        self.assertEqual(account["AccountId"], harness.MAIN_ACCOUNT)
        # moto's credential report has no <root_account> row (AWS's always has): the collector
        # must say so rather than leave the root-user controls to judge nothing.
        root = [r for r in by_type["AWS::::Account"]][0]
        if "CredentialReport" in account:
            self.assertEqual(account["CredentialReport"]["user"], "<root_account>")
        else:
            self.assertIn("<root_account>", root["errors"]["CredentialReport"])

    def test_second_account_through_assume_role(self):
        accounts = os.path.join(self.tmp, "accounts.yaml")
        with open(accounts, "w") as f:
            f.write(f'- id: "{ACCOUNT_B}"\n  role_arn: {Moto.role_arn(ACCOUNT_B)}\n'
                    f'  name: staging\n  regions: [us-east-1]\n')
        rc, out, err, db = self.scan("--accounts", accounts, "--services", "ec2,iam")
        rows = inventory(self.env_for(self.moto), db)
        self.assertEqual({r["account"] for r in rows}, {ACCOUNT_B})
        names = {r["document"].get("GroupName") for r in rows if r["type"] == "AWS::EC2::SecurityGroup"}
        self.assertEqual(names, {"default", "us-east-1-sg-0", "us-east-1-sg-1", "us-east-1-sg-2"})
        b_ec2 = self.moto.client_in(ACCOUNT_B, "ec2")
        self.assertEqual({g["GroupId"] for g in b_ec2.describe_security_groups()["SecurityGroups"]},
                         {r["id"] for r in rows if r["type"] == "AWS::EC2::SecurityGroup"})
        self.assertEqual({r["id"] for r in rows if r["type"] == "AWS::IAM::User"},
                         {f"user-{i}" for i in range(4)})

    def test_bad_input_is_refused_before_anything_is_written(self):
        env = self.env_for(self.moto)
        db = os.path.join(self.tmp, "never.db")
        bad_accounts = os.path.join(self.tmp, "bad.yaml")
        with open(bad_accounts, "w") as f:
            f.write("- id: '222222222222'\n  role: arn:aws:iam::222222222222:role/x\n")
        cases = [
            (["--region", "mars-north-1x"], "not a region name"),
            (["--services", "ec2,lambda"], "unknown service 'lambda'"),
            (["--accounts", bad_accounts], "bad.yaml:2:3: unknown key 'role'"),
            (["--accounts", os.path.join(self.tmp, "missing.yaml")], "missing.yaml"),
            (["--region", "us-east-1", "--all-regions"], "exclude each other"),
            (["--format", "pdf"], "unknown format 'pdf'"),
            (["--fail-on", "urgent"], "not a severity"),
        ]
        for args, message in cases:
            rc, out, err = run(["scan", "--db", db] + args, env)
            self.assertEqual(rc, 2, (args, err))
            self.assertIn(message, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertTrue(err.startswith("parapet: "), err)
            self.assertFalse(os.path.exists(db), args)
        rc, out, err = run(["scan", "--db", os.path.join(self.tmp, "no", "such", "dir.db")], env)
        self.assertEqual(rc, 2, err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))

    def test_killed_scan_leaves_no_complete_snapshot(self):
        db = os.path.join(self.tmp, "killed.db")
        env = self.env_for(self.moto, PARAPET_PAGE_SIZE="5")
        p = subprocess.Popen([harness.PARAPET, "scan", "--db", db, "--no-progress",
                              "--out", os.path.join(self.tmp, "k")], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and not os.path.exists(db):
            time.sleep(0.05)
        time.sleep(0.5)
        p.send_signal(signal.SIGKILL)
        p.wait()
        rc, out, err = run(["inventory", "--db", db], env)
        self.assertNotEqual(rc, 0)  # no complete snapshot to read
        rc, out, err, _ = self.scan("--services", "ec2", db=db)
        rows = inventory(env, db)
        self.assertTrue(any(r["type"] == "AWS::EC2::SecurityGroup" for r in rows))
        rc, out, err = run(["history", "--db", db, "--format", "json"], env)
        self.assertEqual(rc, 0, err)
        snaps = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([s["complete"] for s in snaps], [False, True])

    def test_progress_on_a_terminal_and_json_logs(self):
        """On a terminal the scan draws a live table per account and collector; piped, it is
        silent; --log-format json makes every log line one JSON object."""
        import pty
        import select
        db = os.path.join(self.tmp, "tty.db")
        env = self.env_for(self.moto)
        master, slave = pty.openpty()
        p = subprocess.Popen([harness.PARAPET, "scan", "--db", db, "--services", "ec2,kms",
                              "--out", os.path.join(self.tmp, "tty-out")], env=env,
                             stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        seen = b""
        while True:
            r, _, _ = select.select([master], [], [], 60)
            if not r:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        p.wait(timeout=120)
        os.close(master)
        text = seen.decode(errors="replace")
        self.assertIn(p.returncode, (0, 1, 3), text)
        self.assertRegex(text, r"123456789012 ec2 +\d+ calls +\d+ resources +\d+ errors")
        self.assertRegex(text, r"123456789012 kms +\d+ calls")
        self.assertIn("\x1b[", text)  # redrawn in place
        # piped: no progress at all
        rc, out, err, _ = self.scan("--services", "ec2", db=os.path.join(self.tmp, "pipe.db"))
        self.assertNotIn(" calls ", err)
        self.assertNotIn("\x1b[", out + err)
        # JSON logs: every stderr line parses, with time, level, component and msg
        rc, out, err = run(["scan", "--db", os.path.join(self.tmp, "json.db"), "--services",
                            "ec2", "--no-progress", "--out", os.path.join(self.tmp, "j"),
                            "--log-level", "debug", "--log-format", "json"], env)
        self.assertIn(rc, (0, 1, 3), err)
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertTrue(lines)
        for line in lines:
            o = json.loads(line)
            self.assertEqual(set(o), {"time", "level", "component", "msg"}, line)
        self.assertTrue(any(json.loads(l)["component"] == "scan" for l in lines))


class LeastPrivilegeTest(TestCase):
    """A user holding only docs/iam-scan-policy.json gets complete coverage; without its KMS
    permissions, KMS becomes coverage errors and nothing else changes."""

    def policy(self):
        with open(os.path.join(harness.SRC, "docs", "iam-scan-policy.json")) as f:
            return json.load(f)

    def test_generated_policy_is_current(self):
        rc, out, err = run(["iam-policy", "scan"], harness.clean_env(self.tmp))
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), self.policy())

    def test_scan_with_only_the_declared_permissions(self):
        with Moto(auth=True) as m:
            seed_account(m, lambda svc, region: m.client(svc, region=region), REGIONS[:1], 2, 2)
            iam = m.client("iam")
            full = self.policy()
            # moto checks three actions under names AWS does not use (the shipped policy keeps
            # AWS's names); grant moto's spelling alongside so the test measures our declarations.
            # (moto's S3 action map misses ?publicAccessBlock and ?encryption and checks
            # s3:ListBucket for them.)
            moto_names = {"cloudwatch:DescribeAlarms": "monitoring:DescribeAlarms",
                          "s3:GetBucketPublicAccessBlock": "s3:ListBucket",
                          "s3:GetEncryptionConfiguration": "s3:ListBucket"}
            for st in full["Statement"]:
                st["Action"] += [moto_names[a] for a in st["Action"] if a in moto_names]
            no_kms = json.loads(json.dumps(full))
            for st in no_kms["Statement"]:
                st["Action"] = [a for a in st["Action"] if not a.startswith("kms:")]
            keys = {}
            for name, doc in (("auditor", full), ("auditor-no-kms", no_kms)):
                iam.create_user(UserName=name)
                iam.put_user_policy(UserName=name, PolicyName="scan", PolicyDocument=json.dumps(doc))
                k = iam.create_access_key(UserName=name)["AccessKey"]
                keys[name] = (k["AccessKeyId"], k["SecretAccessKey"])
            services = "account,iam,ec2,kms,cloudtrail,config,logs,cloudwatch,sns,s3"
            results = {}
            for name in keys:
                db = os.path.join(self.tmp, name + ".db")
                rc, out, err = run(["scan", "--db", db, "--services", services, "--no-progress",
                                    "--out", os.path.join(self.tmp, name)],
                                   self.env_for(m, keys=keys[name]))
                self.assertIn(rc, (0, 1, 3), err)
                con = sqlite3.connect(db)
                cov = con.execute("select service, operation, ok, error from coverage").fetchall()
                con.close()
                rows = inventory(self.env_for(m), db)
                results[name] = (cov, rows)
            cov, rows = results["auditor"]
            self.assertEqual([c for c in cov if not c[2]], [], "complete coverage expected")
            cov2, rows2 = results["auditor-no-kms"]
            bad = [c for c in cov2 if not c[2]]
            self.assertTrue(bad)
            self.assertEqual({c[0] for c in bad}, {"kms"})
            self.assertTrue(all("AccessDenied" in (c[3] or "") for c in bad), bad)
            self.assertFalse([r for r in rows2 if r["type"] == "AWS::KMS::Key"])
            strip = lambda rs: sorted((r["type"], r["id"]) for r in rs
                                      if r["type"] != "AWS::KMS::Key")
            self.assertEqual(strip(rows), strip(rows2))  # everything but KMS is the same


if __name__ == "__main__":
    harness.main()
