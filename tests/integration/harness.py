"""Shared pieces of parapet's integration tests.

Each test starts its own moto server on a free loopback port (auth mode where signatures and
IAM permissions matter), seeds it through boto3, runs the parapet binary against it and stops the
server by the process id it started. Nothing here talks to real AWS: every endpoint is 127.0.0.1.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import boto3
import botocore.config

PARAPET = os.environ.get("PARAPET_BIN", "parapet")
SRC = os.environ.get("PARAPET_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SHARED = os.environ.get("PARAPET_SHARED", os.path.join(SRC, "..", "shared"))

# Keys the bootstrap admin gets in auth mode are created by moto; these are for no-auth mode.
DUMMY_KEY = "AKIAIOSFODNN7EXAMPLE"
DUMMY_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
MAIN_ACCOUNT = "123456789012"  # moto's default account

ADMIN_POLICY = json.dumps({"Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """A moto server of our own. In auth mode the first `free_calls` requests are unauthenticated,
    which bootstrap() spends creating an admin user and its access key."""

    def __init__(self, auth=False, managed_policies=False, extra_env=None, accounts=()):
        self.auth = auth
        # Extra accounts, each given a role ParapetAudit (admin, trusting the main account) during
        # moto's free-call window, so AssumeRole into them works once auth mode is on.
        self.accounts = list(accounts)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.admin = None  # (key id, secret) in auth mode
        self.managed_policies = managed_policies
        self.extra_env = extra_env or {}
        self.logfile = None

    def start(self):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        if self.auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(3 + 3 * len(self.accounts))
        if self.managed_policies:
            env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        env.update(self.extra_env)
        self.logfile = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.logfile, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto exited early, see {self.logfile.name}")
            try:
                with urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=1):
                    break
            except Exception:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("moto did not start")
        if self.auth:
            self.bootstrap()
        return self

    def bootstrap(self):
        iam = boto3.client("iam", endpoint_url=self.url, region_name="us-east-1",
                           aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_SECRET)
        iam.create_user(UserName="parapet-admin")
        iam.put_user_policy(UserName="parapet-admin", PolicyName="admin",
                            PolicyDocument=ADMIN_POLICY)
        key = iam.create_access_key(UserName="parapet-admin")["AccessKey"]
        self.admin = (key["AccessKeyId"], key["SecretAccessKey"])
        sts = boto3.client("sts", endpoint_url=self.url, region_name="us-east-1",
                           aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_SECRET)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MAIN_ACCOUNT}:root"},
            "Action": "sts:AssumeRole"}]})
        for account in self.accounts:
            c = sts.assume_role(RoleArn=self.role_arn(account), RoleSessionName="bootstrap")
            c = c["Credentials"]
            iam_b = boto3.client("iam", endpoint_url=self.url, region_name="us-east-1",
                                 aws_access_key_id=c["AccessKeyId"],
                                 aws_secret_access_key=c["SecretAccessKey"],
                                 aws_session_token=c["SessionToken"])
            iam_b.create_role(RoleName="ParapetAudit", AssumeRolePolicyDocument=trust)
            iam_b.put_role_policy(RoleName="ParapetAudit", PolicyName="admin",
                                  PolicyDocument=ADMIN_POLICY)

    @staticmethod
    def role_arn(account):
        return f"arn:aws:iam::{account}:role/ParapetAudit"

    def assume(self, account):
        """(key, secret, token) for the ParapetAudit role of an extra account."""
        c = self.client("sts").assume_role(RoleArn=self.role_arn(account),
                                           RoleSessionName="seed")["Credentials"]
        return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]

    def client_in(self, account, service, region="us-east-1"):
        """A boto3 client acting in an extra account through its ParapetAudit role."""
        key, secret, token = self.assume(account)
        return self.client(service, region=region, keys=(key, secret), session_token=token)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self.logfile:
            self.logfile.close()
            os.unlink(self.logfile.name)
            self.logfile = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def keys(self):
        return self.admin if self.auth else (DUMMY_KEY, DUMMY_SECRET)

    def client(self, service, region="us-east-1", keys=None, session_token=None):
        key, secret = keys or self.keys()
        return boto3.client(service, endpoint_url=self.url, region_name=region,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            aws_session_token=session_token,
                            config=botocore.config.Config(retries={"max_attempts": 2}))

    def reset(self):
        req = urllib.request.Request(self.url + "/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).read()


def clean_env(home, **extra):
    """An environment with no AWS settings from the machine, HOME pointing at `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = home
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def run(args, env, timeout=300, input=None):
    """Runs parapet; returns (exit code, stdout, stderr)."""
    p = subprocess.run([PARAPET] + list(args), env=env, capture_output=True, text=True,
                       timeout=timeout, input=input)
    return p.returncode, p.stdout, p.stderr


class TestCase(unittest.TestCase):
    """Gives each test a temporary HOME and working directory."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parapet-it-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def env_for(self, moto, keys=None, session_token=None, **extra):
        key, secret = keys or moto.keys()
        return clean_env(self.tmp, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                         AWS_SESSION_TOKEN=session_token, AWS_REGION="us-east-1",
                         AWS_ENDPOINT_URL=moto.url, **extra)


def main():
    unittest.main(verbosity=2)
