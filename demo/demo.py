"""parapet's demo: a drifted AWS account in moto server, then parapet against it.

Starts moto in auth mode on a free loopback port (signatures and IAM permissions are checked),
seeds the small drifted account of tests/integration/seed.py, runs `parapet doctor` and
`parapet scan`, prints where the reports are, and stops moto. Nothing leaves 127.0.0.1.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Moto, clean_env  # noqa: E402
import seed  # noqa: E402

PARAPET = os.environ.get("PARAPET_BIN", os.path.join(ROOT, "build", "cli", "parapet"))
OUT = os.environ.get("PARAPET_DEMO_DIR", os.path.join(ROOT, "demo-out"))


def step(title):
    print(f"\n== {title}", flush=True)


def run(args, env, ok=(0,)):
    print("$ parapet " + " ".join(args), flush=True)
    rc = subprocess.call([PARAPET] + args, env=env)
    if rc not in ok:
        print(f"demo: parapet {args[0]} exited {rc}", file=sys.stderr)
        sys.exit(1)
    return rc


def main():
    os.makedirs(OUT, exist_ok=True)
    step("starting moto server (auth mode) on a free loopback port")
    # moto's auth mode refuses every GuardDuty signature (design.md section 7), so GuardDuty gets
    # a second moto without auth mode, reached through AWS_ENDPOINT_URL_GUARDDUTY.
    with Moto(auth=True) as moto, Moto(auth=False) as gd:
        print(f"moto at {moto.url} (auth mode); GuardDuty at {gd.url}")
        step("seeding a small drifted account (us-east-1 and eu-west-1)")
        seed.seed(moto)
        seed.seed_guardduty(gd)
        print(f"planted {len(seed.PLANTED)} cases: open SSH, a NACL allowing 3389, a key without "
              "rotation, a weak trail, Config in one region only, a weak password policy, ...")
        key, secret = moto.keys()
        env = clean_env(OUT, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                        AWS_REGION="us-east-1", AWS_ENDPOINT_URL=moto.url,
                        AWS_ENDPOINT_URL_GUARDDUTY=gd.url)

        step("parapet doctor: credentials, identity and one read per service")
        run(["doctor"], env)

        db = os.path.join(OUT, "parapet.db")
        if os.path.exists(db):
            os.unlink(db)
        step("parapet scan: inventory, CIS AWS Foundations 3.0 and the reference architecture")
        rc = run(["scan", "--region", "us-east-1,eu-west-1", "--db", db,
                  "--out", os.path.join(OUT, "reports"), "--format", "html,json,csv,ocsf"],
                 env, ok=(0, 1, 3))
        print(f"\nscan exit code {rc} (1: failed controls found, as planted; "
              "3: something could not be assessed)")
        print(f"HTML report: {os.path.join(OUT, 'reports', 'report.html')}")
        print(f"JSON report: {os.path.join(OUT, 'reports', 'report.json')}")
        print(f"database:    {db}  (try: parapet history --db {db})")
    step("moto stopped")


if __name__ == "__main__":
    main()
