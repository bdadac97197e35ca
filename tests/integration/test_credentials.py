"""Credentials, config files and endpoints end to end: `parapet doctor` against moto server in auth
mode, so every request is signed and checked. Environment keys, AWS_ENDPOINT_URL and the
per-service variables, a [services x] block, role profiles (AssumeRole into other accounts,
external id, session name, a two-role chain), credential_process, the container endpoint and
IMDSv2 (both served by a loopback HTTP server in this process), and the one-line errors for bad
input: unknown profile, a role loop, a malformed file, a wrong secret, plain http to a remote
host."""
import http.server
import json
import os
import re
import threading

import harness
from harness import Moto, TestCase, run

ACCOUNT_B = "222222222222"
ACCOUNT_C = "333333333333"


class MetadataServer:
    """Container endpoint (GET /creds with an Authorization token) and IMDSv2 (token PUT, role
    name, role credentials) on 127.0.0.1, serving whatever credentials the test sets."""

    def __init__(self):
        self.creds = None
        self.auth = "container-auth-token-0001"
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                outer.requests.append(("PUT", self.path))
                if (self.path == "/latest/api/token"
                        and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds") == "21600"):
                    return self.reply(200, "imds-token-for-parapet-tests")
                return self.reply(400, "")

            def do_GET(self):
                outer.requests.append(("GET", self.path))
                c = outer.creds
                if self.path == "/creds":
                    if self.headers.get("Authorization") != outer.auth:
                        return self.reply(401, json.dumps({"message": "bad token"}))
                    return self.reply(200, json.dumps({
                        "AccessKeyId": c[0], "SecretAccessKey": c[1], "Token": c[2],
                        "Expiration": "2099-01-01T00:00:00Z"}))
                prefix = "/latest/meta-data/iam/security-credentials/"
                if self.headers.get("X-aws-ec2-metadata-token") != "imds-token-for-parapet-tests":
                    return self.reply(401, "")
                if self.path == prefix:
                    return self.reply(200, "parapet-instance-role")
                if self.path == prefix + "parapet-instance-role":
                    return self.reply(200, json.dumps({
                        "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": c[0],
                        "SecretAccessKey": c[1], "Token": c[2],
                        "Expiration": "2099-01-01T00:00:00Z"}))
                return self.reply(404, "")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class CredentialsTest(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = Moto(auth=True, accounts=[ACCOUNT_B, ACCOUNT_C]).start()
        cls.key, cls.secret = cls.moto.keys()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def write(self, name, text):
        os.makedirs(os.path.join(self.tmp, ".aws"), exist_ok=True)
        path = os.path.join(self.tmp, ".aws", name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def doctor(self, env, *args, expect=0):
        rc, out, err = run(["doctor", "--services", "iam"] + list(args), env, timeout=120)
        self.assertEqual(rc, expect, f"stdout:\n{out}\nstderr:\n{err}")
        # never a secret, whatever happened
        for secret in (self.secret, "container-auth-token-0001", "imds-token-for-parapet-tests"):
            self.assertNotIn(secret, out + err)
        return out, err

    def line(self, out, label):
        for l in out.splitlines():
            if l.startswith(label):
                return l[len(label):].strip()
        self.fail(f"no '{label}' line in:\n{out}")

    def base_files(self, config):
        """[base] holds the admin keys; the config file is the test's."""
        self.write("credentials", f"[base]\naws_access_key_id = {self.key}\n"
                                  f"aws_secret_access_key = {self.secret}\n")
        self.write("config", config)

    def env(self, **extra):
        return harness.clean_env(self.tmp, **extra)

    # ---- keys and endpoints ------------------------------------------------------------------

    def test_environment_keys_and_endpoint_url(self):
        out, _ = self.doctor(self.env_for(self.moto))
        self.assertEqual(self.line(out, "credentials"), f"{self.key} (environment)")
        self.assertEqual(self.line(out, "identity"),
                         "arn:aws:iam::123456789012:user/parapet-admin (account 123456789012)")
        self.assertRegex(out, rf"(?m)^iam\s+{re.escape(self.moto.url)}\s+ok$")

    def test_service_variables_and_services_section(self):
        # No AWS_ENDPOINT_URL: STS from its own variable, IAM from the profile's services block.
        self.base_files("[profile emu]\nservices = local\nregion = eu-west-1\n"
                        "[services local]\niam =\n"
                        f"  endpoint_url = {self.moto.url}/\n")
        env = self.env(AWS_PROFILE="emu", AWS_ACCESS_KEY_ID=self.key,
                       AWS_SECRET_ACCESS_KEY=self.secret, AWS_ENDPOINT_URL_STS=self.moto.url)
        out, _ = self.doctor(env)
        self.assertIn("user/parapet-admin", self.line(out, "identity"))
        self.assertEqual(self.line(out, "region"), "eu-west-1")
        self.assertRegex(out, rf"(?m)^iam\s+{re.escape(self.moto.url)}\s+ok$")

    def test_wrong_secret_is_refused(self):
        env = self.env_for(self.moto, keys=(self.key, "not-the-secret-not-the-secret-0"))
        out, err = self.doctor(env, expect=3)
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], r"^parapet: doctor: credentials refused by STS "
                                   r"GetCallerIdentity: (SignatureDoesNotMatch|InvalidClientTokenId)")
        self.assertNotIn("not-the-secret", out + err)

    def test_explicit_profile_beats_environment_keys(self):
        self.base_files("")
        env = self.env(AWS_ACCESS_KEY_ID="AKIAWRONGWRONGWRONG1", AWS_SECRET_ACCESS_KEY="wrong" * 8,
                       AWS_ENDPOINT_URL=self.moto.url, AWS_REGION="us-east-1")
        out, _ = self.doctor(env, "--profile", "base")
        self.assertEqual(self.line(out, "credentials"),
                         f"{self.key} (profile base (~/.aws/credentials))")

    # ---- role profiles ---------------------------------------------------------------------------

    def test_assume_role_profile(self):
        self.base_files(f"[profile audit]\nrole_arn = {Moto.role_arn(ACCOUNT_B)}\n"
                        "source_profile = base\nexternal_id = parapet-external-id-42\n"
                        "role_session_name = parapet-it\nduration_seconds = 900\n")
        env = self.env(AWS_ENDPOINT_URL=self.moto.url, AWS_REGION="us-east-1")
        out, err = self.doctor(env, "--profile", "audit")
        self.assertEqual(
            self.line(out, "credentials").split(" ", 1)[1],
            f"(assume-role {Moto.role_arn(ACCOUNT_B)} (profile audit) via profile base "
            f"(~/.aws/credentials))")
        self.assertTrue(self.line(out, "credentials").startswith("ASIA"))
        self.assertEqual(self.line(out, "identity"),
                         f"arn:aws:sts::{ACCOUNT_B}:assumed-role/ParapetAudit/parapet-it "
                         f"(account {ACCOUNT_B})")
        self.assertNotIn("parapet-external-id-42", out + err)

    def test_role_chain(self):
        self.base_files(f"[profile c]\nrole_arn = {Moto.role_arn(ACCOUNT_C)}\n"
                        "source_profile = b\nrole_session_name = hop-two\n"
                        f"[profile b]\nrole_arn = {Moto.role_arn(ACCOUNT_B)}\n"
                        "source_profile = base\n")
        env = self.env(AWS_ENDPOINT_URL=self.moto.url, AWS_REGION="us-east-1", AWS_PROFILE="c")
        out, _ = self.doctor(env)
        self.assertIn(f"(assume-role {Moto.role_arn(ACCOUNT_C)} (profile c) via assume-role "
                      f"{Moto.role_arn(ACCOUNT_B)} (profile b) via profile base", out)
        self.assertEqual(self.line(out, "identity"),
                         f"arn:aws:sts::{ACCOUNT_C}:assumed-role/ParapetAudit/hop-two "
                         f"(account {ACCOUNT_C})")

    def test_role_loop_and_bad_profiles(self):
        self.base_files("[profile x]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = y\n"
                        "[profile y]\nrole_arn = arn:aws:iam::1:role/y\nsource_profile = x\n")
        env = self.env(AWS_ENDPOINT_URL=self.moto.url)
        _, err = self.doctor(env, "--profile", "x", expect=2)
        self.assertEqual(err.strip(), "parapet: doctor: profile 'y': source_profile loop: "
                                      "x -> y -> x")
        _, err = self.doctor(env, "--profile", "nope", expect=2)
        self.assertEqual(err.strip(), "parapet: doctor: profile 'nope' is not defined in "
                                      "~/.aws/config or ~/.aws/credentials")
        self.write("config", "[default]\nregion = eu-west-1\nthis is not ini\n")
        _, err = self.doctor(env, expect=2)
        self.assertEqual(err.strip(), f"parapet: doctor: {self.tmp}/.aws/config:3: expected "
                                      "'key = value'")

    def test_assume_role_refused(self):
        # moto answers AccessDenied-style errors for an unknown key: the chain reports it.
        self.write("credentials", "[base]\naws_access_key_id = AKIAUNKNOWNUNKNOWN01\n"
                                  "aws_secret_access_key = unknown-unknown-unknown-01\n")
        self.write("config", f"[profile audit]\nrole_arn = {Moto.role_arn(ACCOUNT_B)}\n"
                             "source_profile = base\n")
        env = self.env(AWS_ENDPOINT_URL=self.moto.url)
        _, err = self.doctor(env, "--profile", "audit", expect=3)
        self.assertRegex(err.strip(), rf"^parapet: doctor: credentials: assume role "
                                      rf"{re.escape(Moto.role_arn(ACCOUNT_B))}: \w+")
        self.assertNotIn("unknown-unknown-unknown-01", err)

    # ---- credential_process, container, IMDS ------------------------------------------------------

    def test_credential_process(self):
        script = os.path.join(harness.SRC, "tests", "fixtures", "bin", "cred-process")
        self.write("config", f"[profile proc]\ncredential_process = {script} args "
                             f"{self.key} '{self.secret}'\n"
                             f"[profile broken]\ncredential_process = {script} fail\n"
                             f"[profile v2]\ncredential_process = {script} v2\n")
        env = self.env(AWS_ENDPOINT_URL=self.moto.url)
        out, _ = self.doctor(env, "--profile", "proc")
        self.assertEqual(self.line(out, "credentials"),
                         f"{self.key} (credential_process (profile proc))")
        self.assertIn("user/parapet-admin", self.line(out, "identity"))
        _, err = self.doctor(env, "--profile", "broken", expect=2)
        self.assertEqual(err.strip(), f"parapet: doctor: credentials: credential_process: "
                                      f"'{script}' exited with status 3: fetch-creds: token "
                                      f"expired, run 'corp-login' first")
        _, err = self.doctor(env, "--profile", "v2", expect=2)
        self.assertEqual(err.strip(), f"parapet: doctor: credentials: credential_process: "
                                      f"'{script}': Version must be 1 (got 2)")

    def test_container_credentials(self):
        with MetadataServer() as md:
            md.creds = self.moto.assume(ACCOUNT_B)
            env = self.env(AWS_ENDPOINT_URL=self.moto.url,
                           AWS_CONTAINER_CREDENTIALS_FULL_URI=md.url + "/creds",
                           AWS_CONTAINER_AUTHORIZATION_TOKEN=md.auth)
            out, _ = self.doctor(env)
            self.assertEqual(self.line(out, "credentials"),
                             f"{md.creds[0]} (container endpoint)")
            self.assertIn(f"arn:aws:sts::{ACCOUNT_B}:assumed-role/ParapetAudit/",
                          self.line(out, "identity"))
            self.assertIn(("GET", "/creds"), md.requests)

    def test_imds_credentials(self):
        with MetadataServer() as md:
            md.creds = self.moto.assume(ACCOUNT_C)
            env = self.env(AWS_ENDPOINT_URL=self.moto.url,
                           AWS_EC2_METADATA_SERVICE_ENDPOINT=md.url)
            del env["AWS_EC2_METADATA_DISABLED"]
            out, _ = self.doctor(env)
            self.assertEqual(self.line(out, "credentials"),
                             f"{md.creds[0]} (EC2 instance metadata)")
            self.assertIn(f"arn:aws:sts::{ACCOUNT_C}:assumed-role/ParapetAudit/",
                          self.line(out, "identity"))
            self.assertEqual(md.requests[0], ("PUT", "/latest/api/token"))
            # a role profile can take its source credentials from IMDS too
            self.write("config", f"[profile via-imds]\nrole_arn = {Moto.role_arn(ACCOUNT_B)}\n"
                                 "credential_source = Ec2InstanceMetadata\n")
            out, _ = self.doctor(env, "--profile", "via-imds")
            self.assertIn(f"arn:aws:sts::{ACCOUNT_B}:assumed-role/ParapetAudit/parapet-",
                          self.line(out, "identity"))

    def test_no_credentials_and_insecure_endpoint(self):
        env = self.env(AWS_ENDPOINT_URL=self.moto.url)
        _, err = self.doctor(env, expect=2)
        self.assertEqual(err.strip(), "parapet: doctor: no AWS credentials found (tried "
                                      "environment variables, profile 'default' in ~/.aws/config "
                                      "and ~/.aws/credentials, container endpoint, EC2 instance "
                                      "metadata: disabled by AWS_EC2_METADATA_DISABLED)")
        env = self.env_for(self.moto, AWS_ENDPOINT_URL_IAM="http://iam.example.com")
        _, err = self.doctor(env, expect=2)
        self.assertEqual(err.strip(), "parapet: doctor: AWS_ENDPOINT_URL_IAM: refusing plain "
                                      "http to non-loopback host 'iam.example.com' (use https)")


if __name__ == "__main__":
    harness.main()
