"""parapet remediate against moto server: plan, approve, apply, journal (issue 8).

- A drifted account (seed.py, moto in auth mode; GuardDuty in a second moto without auth mode,
  since moto's auth layer refuses every GuardDuty signature): scan, plan (changes nothing), apply,
  rescan. Every CIS failure the plan has a step for passes, the resources no step names are
  unchanged, and a second plan is empty. Risky actions only with --allow-risky.
- An empty account with --env production provisions the reference architecture: every
  reference-architecture finding passes afterwards and a second plan is empty. This moto runs
  without auth mode: the architecture's descriptions hold spaces, and moto's auth layer verifies
  form bodies re-encoded with '+' (parapet sends %20), so it rejects their signatures.
- A killed apply (SIGKILL after a few steps) resumes: applying the same plan again converges, and
  the journal has each step once, nothing created twice.
- Throttling and a denied permission in the middle (the fault proxy): the steps behind the failed
  ones are skipped, the others are done, the exit code says partial; applying again finishes
  without repeating a done step.
"""
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time

import harness
import seed
from harness import Moto, TestCase, run

sys.path.insert(0, os.path.join(harness.SRC, "tests", "faultproxy"))
from faultproxy import FaultProxy  # noqa: E402

ACCOUNT = harness.MAIN_ACCOUNT
CIS = os.path.join(harness.SRC, "policies", "cis-aws-3.0")
REFERENCE = os.path.join(harness.SRC, "policies", "reference")
REGIONS = "us-east-1,eu-west-1"

# Keys of a document that change without anyone changing the resource: use timestamps, counters
# of the whole account, the report parapet asks IAM to generate, a trail's delivery status.
VOLATILE = {
    "AWS::::Account": {"AccountSummary", "CredentialReport"},
    "AWS::IAM::User": {"AccessKeys", "CredentialReport", "PasswordLastUsed"},
    "AWS::IAM::Role": {"RoleLastUsed"},
    "AWS::CloudTrail::Trail": {"Status"},
    "AWS::Config::ConfigurationRecorder": {"Status"},
    "AWS::GuardDuty::Detector": {"UpdatedAt"},
    "AWS::SNS::Topic": {"Attributes"},
}


def lines(text):
    return [json.loads(x) for x in text.splitlines() if x.strip()]


class RemediateCase(TestCase):
    def parapet(self, env, *args, ok=(0,), timeout=600):
        rc, out, err = run(list(args), env, timeout=timeout)
        self.assertIn(rc, ok, f"parapet {' '.join(args)} exited {rc}\n{out[-4000:]}\n{err[-4000:]}")
        return rc, out, err

    def scan(self, env, db, n, policies, *extra, regions=REGIONS, ok=(0, 1, 3)):
        out_dir = os.path.join(self.tmp, f"out{n}")
        self.parapet(env, "scan", "--db", db, "--policies", policies, "--region", regions,
                     "--out", out_dir, "--format", "json", "--quiet", *extra, ok=ok)
        with open(os.path.join(out_dir, "report.json")) as f:
            return json.load(f)

    def plan(self, env, db, name, *extra):
        path = os.path.join(self.tmp, name)
        if "--policies" not in extra:
            # the CIS pack alone: CIS 1.17's support role comes from the reference architecture,
            # whose description holds spaces that moto's auth mode cannot verify (module doc)
            extra = ("--policies", CIS) + tuple(extra)
        self.parapet(env, "remediate", "--db", db, "--plan-out", path, *extra)
        with open(path) as f:
            return path, json.load(f)

    def inventory(self, env, db, snapshot):
        _, out, _ = self.parapet(env, "inventory", "--db", db, "--snapshot", str(snapshot))
        return {(r["type"], r["account"], r["region"], r["id"]): r for r in lines(out)}

    def journal(self, env, db, plan_id):
        _, out, _ = self.parapet(env, "remediate", "--journal", "--db", db, "--plan", plan_id,
                                 "--format", "json")
        return lines(out)


def fails(report):
    return {(f["rule"], f["resource"]["id"]) for f in report["findings"] if f["status"] == "FAIL"
            and not f.get("suppression")}


def finding_ids_of(plan):
    ids = set()
    for s in plan["steps"]:
        ids.update(s.get("findings", []))
    return ids


class DriftTest(RemediateCase):
    def setUp(self):
        super().setUp()
        self.moto = Moto(auth=True).start()
        self.addCleanup(self.moto.stop)
        self.gd = Moto(auth=False).start()
        self.addCleanup(self.gd.stop)
        self.ids = seed.seed(self.moto)
        seed.seed_guardduty(self.gd)
        self.env = self.env_for(self.moto, AWS_ENDPOINT_URL_GUARDDUTY=self.gd.url,
                                PARAPET_RETRY_BASE_MS="5")
        self.db = os.path.join(self.tmp, "parapet.db")

    def test_drifted_account_converges(self):
        before = self.scan(self.env, self.db, 1, CIS)
        failed = fails(before)
        self.assertIn(("CIS-5.2", self.ids["sgs"]["open-ssh"]), failed)
        path, plan = self.plan(self.env, self.db, "plan.json")
        # the plan file: private, complete, and nothing changed by planning
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(plan["account"], ACCOUNT)
        self.assertEqual(plan["snapshot"], 1)
        self.assertTrue(plan["plan_id"].startswith("rp-"))
        for s in plan["steps"]:
            for key in ("id", "action", "change", "summary", "calls", "depends_on", "resource",
                        "why", "undo"):
                self.assertIn(key, s, s["id"])
            for c in s["calls"]:
                self.assertIn("operation", c)
                self.assertIn("params", c)
        self.assertNotIn(self.moto.admin[1], json.dumps(plan))
        actions = {s["action"] for s in plan["steps"]}
        for a in ("revoke-ingress", "remove-nacl-entries", "enable-key-rotation",
                  "configure-trail", "create-trail", "enable-config", "create-flow-logs", "set-password-policy", "create-cis-alarm",
                  "strip-default-security-group", "enable-bucket-logging"):
            self.assertIn(a, actions)
        self.assertEqual({x["action"] for x in plan["needs_allow_risky"]},
                         {"deactivate-access-key", "detach-user-policies"})
        self.assertIn("CIS-1.10", {x["rule"] for x in plan["no_action"]})
        # only the matched entry: open-ssh loses 0.0.0.0/0 on 22, nothing else is named
        revoke = [s for s in plan["steps"] if s["id"] == "revoke-ingress:" +
                  self.ids["sgs"]["open-ssh"]][0]
        self.assertEqual(revoke["calls"][0]["params"]["IpPermissions"],
                         [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                           "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.assertFalse(any(self.ids["sgs"]["private-ssh"] in s["id"] for s in plan["steps"]))

        ec2 = self.moto.client("ec2")
        private = ec2.describe_security_groups(GroupIds=[self.ids["sgs"]["private-ssh"]])
        still = self.scan(self.env, self.db, 2, CIS)
        self.assertEqual(fails(still), failed, "planning changed the account")

        rc, out, err = self.parapet(self.env, "remediate", "--db", self.db, "--apply", path,
                                    "--yes")
        self.assertIn("Applied:", out)
        self.assertNotIn(" FAILED ", out)
        after = self.scan(self.env, self.db, 3, CIS)
        by_id = {f["id"]: f for f in after["findings"]}
        planned = finding_ids_of(plan)
        self.assertTrue(planned)
        for f in before["findings"]:
            if f["id"] in planned:
                self.assertEqual(by_id[f["id"]]["status"], "PASS",
                                 f"{f['rule']} {f['resource']['id']}: {by_id[f['id']]['message']}")
        # what no step named is as it was (the look-alikes, the users, the other groups)
        self.assertEqual(ec2.describe_security_groups(GroupIds=[self.ids["sgs"]["private-ssh"]])
                         ["SecurityGroups"], private["SecurityGroups"])
        inv1, inv3 = self.inventory(self.env, self.db, 1), self.inventory(self.env, self.db, 3)
        touched = {(s["resource"]["type"], s["resource"]["id"]) for s in plan["steps"]}
        compared = 0
        for key, res in inv1.items():
            if (res["type"], res["id"]) in touched or res["type"] == "AWS::EC2::FlowLog":
                continue
            self.assertIn(key, inv3, f"{key} disappeared")
            skip = VOLATILE.get(res["type"], set())
            a = {k: v for k, v in res["document"].items() if k not in skip}
            b = {k: v for k, v in inv3[key]["document"].items() if k not in skip}
            if res["type"] == "AWS::EC2::VPC":
                pass  # flow logs are separate resources; the VPC document itself must not move
            self.assertEqual(a, b, f"{key} changed")
            compared += 1
        self.assertGreater(compared, 20)
        # everything new is parapet's
        for key, res in inv3.items():
            if key in inv1 or res["type"] in ("AWS::EC2::FlowLog", "AWS::Logs::MetricFilter",
                                               "AWS::::Account"):
                continue
            doc = json.dumps(res["document"])
            if res["type"] in ("AWS::EC2::VPC", "AWS::EC2::SecurityGroup", "AWS::KMS::Key",
                               "AWS::CloudTrail::Trail"):
                self.assertIn("parapet", doc, key)
        # a second plan has nothing to do
        _, plan2 = self.plan(self.env, self.db, "plan2.json")
        self.assertEqual(plan2["steps"], [], [s["id"] for s in plan2["steps"]])
        # the journal: every step once, done, with the key id that made the calls
        j = self.journal(self.env, self.db, plan["plan_id"])
        self.assertEqual(sorted(e["step_id"] for e in j), sorted(s["id"] for s in plan["steps"]))
        self.assertTrue(all(e["state"] == "done" for e in j), j)
        key = self.moto.admin[0]
        self.assertTrue(all(e["key_id"] and e["key_id"][:4] == key[:4] and
                            e["key_id"][-4:] == key[-4:] for e in j))
        self.assertTrue(any(e["request_id"] for e in j))
        _, text, _ = self.parapet(self.env, "remediate", "--journal", "--db", self.db)
        self.assertIn(plan["plan_id"], text)
        self.assertNotIn(self.moto.admin[1], text)

    def test_refusals(self):
        self.scan(self.env, self.db, 1, CIS)
        path, plan = self.plan(self.env, self.db, "plan.json", "--rules", "CIS-5.*")
        self.assertTrue(plan["steps"])
        self.assertTrue(all(s["rule"].startswith("CIS-5.") for s in plan["steps"]))
        # stdin is not a terminal: --yes is required
        rc, out, err = run(["remediate", "--db", self.db, "--apply", path], self.env, input="yes\n")
        self.assertEqual(rc, 2, err)
        self.assertIn("--yes", err)
        # a plan for another account
        other = dict(plan, account="999999999999", accounts=["999999999999"])
        for s in other["steps"]:
            s["resource"] = dict(s["resource"], account="999999999999")
        other_path = os.path.join(self.tmp, "other.json")
        with open(other_path, "w") as f:
            json.dump(other, f)
        rc, out, err = run(["remediate", "--db", self.db, "--apply", other_path, "--yes"],
                           self.env)
        self.assertEqual(rc, 2, err)
        self.assertIn("the plan is for account 999999999999", err)
        # a step calling what its action does not declare
        bad = json.loads(json.dumps(plan))
        bad["steps"][0]["calls"][0]["operation"] = "DeleteVpc"
        with open(other_path, "w") as f:
            json.dump(bad, f)
        rc, out, err = run(["remediate", "--db", self.db, "--apply", other_path, "--yes"],
                           self.env)
        self.assertEqual(rc, 2, err)
        self.assertIn("does not call ec2 DeleteVpc", err)
        # more steps than --max-changes
        rc, out, err = run(["remediate", "--db", self.db, "--apply", path, "--yes",
                            "--max-changes", "1"], self.env)
        self.assertEqual(rc, 2, err)
        # another run holds the database
        con = sqlite3.connect(self.db)
        holder = subprocess.Popen(["sleep", "60"])
        self.addCleanup(holder.kill)
        con.execute("INSERT INTO locks (name, pid, host, acquired_at) VALUES (?, ?, ?, ?)",
                    ("run", holder.pid, os.uname().nodename, int(time.time())))
        con.commit()
        rc, out, err = run(["remediate", "--db", self.db, "--apply", path, "--yes"], self.env)
        self.assertEqual(rc, 4, err)
        con.execute("DELETE FROM locks")
        con.commit()
        con.close()
        # nothing was applied by any of these
        self.assertEqual(self.journal(self.env, self.db, plan["plan_id"]), [])
        # on a terminal it asks, and only "yes" applies
        self.assertEqual(self.on_terminal(path, "no\n")[0], 2)
        self.assertEqual(self.journal(self.env, self.db, plan["plan_id"]), [])
        rc, shown = self.on_terminal(path, "yes\n")
        self.assertEqual(rc, 0, shown)
        self.assertIn("Only 'yes' will be accepted", shown)
        self.assertIn("revoke ingress", shown)
        self.assertTrue(self.journal(self.env, self.db, plan["plan_id"]))
        # usage errors
        rc, _, err = run(["remediate", "--db", self.db, "--apply", path, "--rules", "x"],
                         self.env)
        self.assertEqual(rc, 2)
        rc, _, err = run(["remediate", "--db", self.db, "--journal", "--yes"], self.env)
        self.assertEqual(rc, 2)

    def on_terminal(self, path, answer):
        """Applies with a pseudo-terminal as standard input, answering the question."""
        import pty
        master, slave = pty.openpty()
        p = subprocess.Popen([harness.PARAPET, "remediate", "--db", self.db, "--apply", path],
                             env=self.env, stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        os.close(slave)
        os.write(master, answer.encode())
        out, _ = p.communicate(timeout=120)
        os.close(master)
        return p.returncode, out

    def test_risky_only_when_allowed(self):
        self.scan(self.env, self.db, 1, CIS)
        _, plan = self.plan(self.env, self.db, "plan.json", "--resources", "bob")
        self.assertEqual(plan["steps"], [])
        self.assertEqual(len(plan["needs_allow_risky"]), 2)
        path, plan = self.plan(self.env, self.db, "risky.json", "--resources", "bob",
                               "--allow-risky")
        self.assertEqual({s["action"] for s in plan["steps"]},
                         {"deactivate-access-key", "detach-user-policies"})
        self.assertTrue(all(s["risky"] for s in plan["steps"]))
        rc, out, err = run(["remediate", "--db", self.db, "--apply", path, "--yes"], self.env)
        self.assertEqual(rc, 2, err)
        self.assertIn("--allow-risky", err)
        self.parapet(self.env, "remediate", "--db", self.db, "--apply", path, "--yes",
                     "--allow-risky")
        iam = self.moto.client("iam")
        keys = iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]
        self.assertEqual(sorted(k["Status"] for k in keys), ["Active", "Inactive"])
        self.assertEqual(iam.list_attached_user_policies(UserName="bob")["AttachedPolicies"], [])
        after = self.scan(self.env, self.db, 2, CIS)
        self.assertNotIn(("CIS-1.13", "bob"), fails(after))
        self.assertNotIn(("CIS-1.15", "bob"), fails(after))
        self.assertIn(("CIS-1.10", "alice"), fails(after))

    def test_failures_are_partial_and_resume(self):
        self.scan(self.env, self.db, 1, CIS)
        path, plan = self.plan(self.env, self.db, "plan.json")
        steps = {s["id"]: s for s in plan["steps"]}
        # every CreateLogGroup is throttled and kms:CreateKey is denied
        with FaultProxy(self.moto.url, throttle=1.0, only=["logs:CreateLogGroup"],
                        deny=["kms:CreateKey"]) as proxy:
            env = dict(self.env, AWS_ENDPOINT_URL=proxy.url)
            rc, out, err = run(["remediate", "--db", self.db, "--apply", path, "--yes"], env)
            self.assertEqual(rc, 1, out + err)
            self.assertTrue(proxy.faults("throttle"))
        j = {e["step_id"]: e for e in self.journal(self.env, self.db, plan["plan_id"])}
        failed = {k for k, e in j.items() if e["state"] == "failed"}
        skipped = {k for k, e in j.items() if e["state"] == "skipped"}
        done = {k for k, e in j.items() if e["state"] == "done"}
        self.assertTrue(any(k.startswith("log-group:") for k in failed), failed)
        self.assertTrue(any(k.startswith("kms-key:") for k in failed), failed)
        self.assertIn("Throttl", " ".join(j[k]["message"] for k in failed))
        self.assertIn("AccessDenied", " ".join(j[k]["message"] for k in failed))
        # what depends on a failed step did not run
        for k in skipped:
            self.assertIn("dependency failed", j[k]["message"])
            self.assertTrue(set(steps[k]["depends_on"]) & (failed | skipped), k)
        self.assertTrue(any(k.startswith("create-trail:") for k in skipped))
        self.assertTrue(any(k.startswith("create-cis-alarm:") for k in skipped))
        # the independent ones are done
        self.assertTrue(any(k.startswith("revoke-ingress:") for k in done))
        self.assertTrue(any(k.startswith("set-password-policy:") for k in done))
        self.assertIn("partial", out)

        # apply again, faults gone: the rest is done, nothing done is repeated
        with FaultProxy(self.moto.url) as proxy:
            env = dict(self.env, AWS_ENDPOINT_URL=proxy.url)
            rc, out, err = run(["remediate", "--db", self.db, "--apply", path, "--yes"], env)
            self.assertEqual(rc, 0, out + err)
            ops = [e["operation"] for e in proxy.log]
        self.assertNotIn("RevokeSecurityGroupIngress", ops)
        self.assertNotIn("UpdateAccountPasswordPolicy", ops)
        self.assertIn("CreateKey", ops)
        self.assertIn("already done", out)
        j2 = self.journal(self.env, self.db, plan["plan_id"])
        self.assertEqual(len(j2), len(plan["steps"]))
        self.assertTrue(all(e["state"] == "done" or (e["state"] == "skipped" and
                                                       e["result"]["outcome"] == "unneeded")
                            for e in j2), [(e["step_id"], e["state"]) for e in j2])


TEST_PACK = {
    "pack.yaml": "name: remediate-test\nversion: 1.0.0\n",
    "rules.yaml": """
- id: T-GD
  title: GuardDuty is enabled in every region
  description: test rule
  severity: high
  resource: AWS::GuardDuty::Detector
  exists: region
  assert: { path: Status, op: eq, value: ENABLED }
  remediation: { action: enable-guardduty }
- id: T-TRAIL-LOGGING
  title: Trails log
  description: test rule
  severity: high
  resource: AWS::CloudTrail::Trail
  assert: { path: Status.IsLogging, op: eq, value: true }
  remediation: { action: start-trail-logging }
- id: T-TRAIL-SETTINGS
  title: Trails are multi-region and deliver to CloudWatch Logs
  description: test rule
  severity: high
  resource: AWS::CloudTrail::Trail
  assert:
    all:
      - { path: IsMultiRegionTrail, op: eq, value: true }
      - { path: CloudWatchLogsLogGroupArn, op: present }
  remediation: { action: configure-trail, multi_region: true, cloudwatch_logs_group: create }
- id: T-FLOW
  title: VPCs have flow logs to S3
  description: test rule
  severity: high
  resource: AWS::EC2::VPC
  where: { path: CidrBlock, op: eq, value: 10.5.0.0/16 }
  assert:
    any:
      join: { type: AWS::EC2::FlowLog, on: ResourceId, equals: VpcId }
      match: { path: TrafficType, op: eq, value: ALL }
  remediation: { action: create-flow-logs, destination: s3, bucket: t-flow-logs-eu }
""",
}


class OtherActionsTest(RemediateCase):
    """The actions the CIS pack does not use on the seed: enabling GuardDuty (a new detector and
    a disabled one), starting a trail, making a trail multi-region with CloudWatch Logs."""

    def test_guardduty_and_trail_actions(self):
        with Moto(auth=True) as moto, Moto(auth=False) as gd:
            pack = os.path.join(self.tmp, "pack")
            os.makedirs(pack)
            for name, text in TEST_PACK.items():
                with open(os.path.join(pack, name), "w") as f:
                    f.write(text)
            s3 = moto.client("s3")
            s3.create_bucket(Bucket="t-logs")
            s3.put_bucket_policy(Bucket="t-logs", Policy=seed._trail_bucket_policy("t-logs",
                                                                                ACCOUNT))
            moto.client("cloudtrail").create_trail(Name="quiet", S3BucketName="t-logs")
            det = gd.client("guardduty").create_detector(Enable=False)["DetectorId"]
            vpc = moto.client("ec2", region="eu-west-1").create_vpc(
                CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
            env = self.env_for(moto, AWS_ENDPOINT_URL_GUARDDUTY=gd.url)
            db = os.path.join(self.tmp, "parapet.db")
            before = self.scan(env, db, 1, pack)
            self.assertEqual({r for r, _ in fails(before)},
                             {"T-GD", "T-TRAIL-LOGGING", "T-TRAIL-SETTINGS", "T-FLOW"})
            path, plan = self.plan(env, db, "plan.json", "--policies", pack)
            ops = {(s["id"], c["operation"]) for s in plan["steps"] for c in s["calls"]}
            self.assertIn((f"enable-guardduty:{ACCOUNT}/us-east-1", "UpdateDetector"), ops)
            self.assertIn((f"enable-guardduty:{ACCOUNT}/eu-west-1", "CreateDetector"), ops)
            trail = [s for s in plan["steps"] if s["id"].startswith("configure-trail:")][0]
            self.assertTrue(trail["calls"][0]["params"]["IsMultiRegionTrail"])
            self.assertEqual(trail["calls"][0]["params"]["CloudWatchLogsLogGroupArn"],
                             f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:parapet-cloudtrail:*")
            self.parapet(env, "remediate", "--db", db, "--apply", path, "--yes")
            after = self.scan(env, db, 2, pack, ok=(0,))
            self.assertEqual(fails(after), set())
            detectors = gd.client("guardduty", region="us-east-1").list_detectors()["DetectorIds"]
            self.assertEqual(detectors, [det])
            self.assertEqual(gd.client("guardduty").get_detector(DetectorId=det)["Status"],
                             "ENABLED")
            self.assertEqual(len(gd.client("guardduty", region="eu-west-1").list_detectors()
                                 ["DetectorIds"]), 1)
            _, plan2 = self.plan(env, db, "plan2.json", "--policies", pack)
            self.assertEqual(plan2["steps"], [])
            # the flow log bucket went to the VPC's region (an S3 request body), private and
            # tagged, with the delivery policy
            s3 = moto.client("s3", region="eu-west-1")
            self.assertEqual(s3.get_bucket_location(Bucket="t-flow-logs-eu")
                             ["LocationConstraint"], "eu-west-1")
            self.assertIn({"Key": "parapet:managed", "Value": "true"},
                          s3.get_bucket_tagging(Bucket="t-flow-logs-eu")["TagSet"])
            self.assertTrue(s3.get_public_access_block(Bucket="t-flow-logs-eu")
                            ["PublicAccessBlockConfiguration"]["BlockPublicPolicy"])
            policy = json.loads(s3.get_bucket_policy(Bucket="t-flow-logs-eu")["Policy"])
            self.assertIn("logging.s3.amazonaws.com", json.dumps(policy))
            logs = moto.client("ec2", region="eu-west-1").describe_flow_logs()["FlowLogs"]
            self.assertEqual([(f["ResourceId"], f["LogDestinationType"], f["LogDestination"])
                              for f in logs], [(vpc, "s3", "arn:aws:s3:::t-flow-logs-eu")])


class ProvisionTest(RemediateCase):
    def setUp(self):
        super().setUp()
        self.moto = Moto(auth=False).start()
        self.addCleanup(self.moto.stop)
        self.env = self.env_for(self.moto, PARAPET_RETRY_BASE_MS="5")
        self.db = os.path.join(self.tmp, "parapet.db")
        self.regions = "us-east-1,us-west-2"

    def scan_ref(self, n, ok=(0, 1, 3)):
        return self.scan(self.env, self.db, n, REFERENCE, "--env", "production",
                         regions=self.regions, ok=ok)

    def test_empty_account_provisions_reference(self):
        before = self.scan_ref(1)
        self.assertTrue(fails(before))
        path, plan = self.plan(self.env, self.db, "plan.json", "--policies", REFERENCE,
                               "--max-changes", "500")
        self.assertEqual(plan["env"], "production")
        comps = {s.get("component") for s in plan["steps"]}
        for c in ("vpc", "subnets.public-a", "subnets.data-b", "nat_gateways.a",
                  "route_tables.private-b", "vpc_endpoints.s3", "vpc_endpoints.logs",
                  "security_groups.alb", "nacls.public", "flow_logs", "iam.groups.developers",
                  "iam.roles.cross-account-prod", "kms.keys.logs", "s3.buckets.logs", "trail",
                  "sns.topics.security-alarms", "alarms.root-usage"):
            self.assertIn(c, comps)
        self.assertIn("provision:config@us-west-2", {s["id"] for s in plan["steps"]})
        order = [s["id"] for s in plan["steps"]]
        self.assertLess(order.index("provision:vpc"), order.index("provision:subnets.public-a"))
        self.assertLess(order.index("provision:kms.keys.logs"), order.index("provision:trail"))
        self.assertLess(order.index("provision:s3.buckets.logs"), order.index("provision:trail"))
        # the default cap is 50: the plan says what it defers
        _, capped = self.plan(self.env, self.db, "capped.json", "--policies", REFERENCE)
        self.assertEqual(len(capped["steps"]), 50)
        self.assertEqual(len(capped["deferred"]), len(plan["steps"]) - 50)

        rc, out, err = self.parapet(self.env, "remediate", "--db", self.db, "--apply", path,
                                    "--yes", "--max-changes", "500")
        after = self.scan_ref(2, ok=(0,))
        ref = [f for f in after["findings"] if "reference-architecture" in f["frameworks"]]
        self.assertTrue(ref)
        self.assertEqual([(f["rule"], f["message"]) for f in ref if f["status"] != "PASS"], [])
        _, plan2 = self.plan(self.env, self.db, "plan2.json", "--policies", REFERENCE)
        self.assertEqual(plan2["steps"], [])
        # tagged as parapet's
        ec2 = self.moto.client("ec2")
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:parapet:component", "Values": ["vpc"]}])
        self.assertEqual(len(vpcs["Vpcs"]), 1)
        tags = {t["Key"]: t["Value"] for t in vpcs["Vpcs"][0]["Tags"]}
        self.assertEqual(tags["parapet:managed"], "true")
        self.assertEqual(tags["Environment"], "production")

    def test_killed_apply_resumes(self):
        self.scan_ref(1)
        path, plan = self.plan(self.env, self.db, "plan.json", "--policies", REFERENCE,
                               "--max-changes", "500")
        n = len(plan["steps"])
        # through a proxy that slows every call down, so there is time to kill it half-way
        proxy = FaultProxy(self.moto.url, latency=(0.03, 0.06)).start()
        self.addCleanup(proxy.stop)
        slow = dict(self.env, AWS_ENDPOINT_URL=proxy.url)
        p = subprocess.Popen([harness.PARAPET, "remediate", "--db", self.db, "--apply", path,
                              "--yes", "--max-changes", "500", "--concurrency", "1"],
                             env=slow, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        done = 0
        while time.time() < deadline and p.poll() is None and done < 6:
            time.sleep(0.05)
            try:
                con = sqlite3.connect(self.db, timeout=1)
                done = con.execute("SELECT count(*) FROM journal WHERE plan_id = ? AND state "
                                   "IN ('done', 'skipped')", (plan["plan_id"],)).fetchone()[0]
                con.close()
            except sqlite3.Error:
                pass
        self.assertIsNone(p.poll(), "the apply finished before it could be killed")
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        first = {e["step_id"]: e for e in self.journal(self.env, self.db, plan["plan_id"])}
        finished = {k for k, e in first.items() if e["state"] in ("done", "skipped")}
        self.assertGreaterEqual(len(finished), 6)
        self.assertLess(len(finished), n)

        rc, out, err = self.parapet(self.env, "remediate", "--db", self.db, "--apply", path,
                                    "--yes", "--max-changes", "500")
        for k in finished:
            self.assertRegex(out, r"already done\s+" + k.replace(".", r"\.") + ":")
        j = self.journal(self.env, self.db, plan["plan_id"])
        self.assertEqual(sorted(e["step_id"] for e in j), sorted(s["id"] for s in plan["steps"]))
        self.assertTrue(all(e["state"] == "done" or (e["state"] == "skipped" and
                                                       e["result"]["outcome"] == "unneeded")
                            for e in j), [(e["step_id"], e["state"]) for e in j])
        # finished steps kept their journal row and time; nothing was created twice
        for k in finished:
            row = [e for e in j if e["step_id"] == k][0]
            self.assertEqual(row["updated_at"], first[k]["updated_at"])
        ec2 = self.moto.client("ec2")
        for comp in ("vpc", "subnets.public-a", "nat_gateways.a"):
            flt = [{"Name": "tag:parapet:component", "Values": [comp]}]
            found = (ec2.describe_vpcs(Filters=flt)["Vpcs"] + ec2.describe_subnets(Filters=flt)
                     ["Subnets"])
            if comp.startswith("nat"):
                found = [g for g in ec2.describe_nat_gateways()["NatGateways"]
                         if {"Key": "parapet:component", "Value": comp} in g.get("Tags", [])]
            self.assertEqual(len(found), 1, comp)
        after = self.scan_ref(2, ok=(0,))
        self.assertEqual(fails(after), set())


if __name__ == "__main__":
    harness.main()
