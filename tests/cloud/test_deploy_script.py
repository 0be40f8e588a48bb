"""deploy/cloudformation/deploy-stack.sh with a recording stand-in for the AWS CLI: it uploads the Lambda zip under a
content-addressed key and runs the seed's `aws cloudformation deploy` command shape with the code parameters."""
import hashlib
import os
import subprocess

from conftest import CFN_DIR, MAIN_STACK

SCRIPT = CFN_DIR / "deploy-stack.sh"


def run(tmp_path, *args):
    log = tmp_path / "aws.log"
    fake = tmp_path / "aws"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\n')
    fake.chmod(0o755)
    env = dict(os.environ, AWS_CLI=str(fake))
    done = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return done, calls


def test_uploads_the_zip_then_deploys_with_the_seed_command(tmp_path):
    zip_path = tmp_path / "bootstrap.zip"
    zip_path.write_bytes(b"PK not really a zip")
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()[:16]
    done, calls = run(tmp_path, "--bucket", "my-artifacts", "--zip", str(zip_path), "--", "AlertEmail=ops@example.com")
    assert done.returncode == 0, done.stderr
    key = f"enrichment-lambda/bootstrap-{digest}.zip"
    assert calls[0] == f"s3 cp {zip_path} s3://my-artifacts/{key}"
    deploy = calls[1]
    assert deploy.startswith(f"cloudformation deploy --template-file {MAIN_STACK} --stack-name smart-factory-production ")
    assert (f"--parameter-overrides EnvironmentType=Production LambdaCodeBucket=my-artifacts LambdaCodeKey={key} "
            "LambdaArchitecture=arm64 AlertEmail=ops@example.com --capabilities CAPABILITY_IAM --s3-bucket my-artifacts") in deploy
    assert calls[2].startswith("cloudformation describe-stacks --stack-name smart-factory-production")


def test_x86_64_development_and_region(tmp_path):
    zip_path = tmp_path / "bootstrap.zip"
    zip_path.write_bytes(b"x")
    done, calls = run(tmp_path, "--bucket", "b", "--zip", str(zip_path), "--env", "Development", "--x86_64",
                      "--region", "eu-west-1")
    assert done.returncode == 0, done.stderr
    assert all(c.startswith("--region eu-west-1 ") for c in calls)
    assert "--stack-name smart-factory-development" in calls[1] and "LambdaArchitecture=x86_64" in calls[1]


def test_refuses_without_bucket_zip_or_with_a_bad_environment(tmp_path):
    done, calls = run(tmp_path, "--zip", "/nonexistent.zip")
    assert done.returncode == 2 and "--bucket is required" in done.stderr and not calls
    done, calls = run(tmp_path, "--bucket", "b", "--zip", str(tmp_path / "missing.zip"))
    assert done.returncode == 1 and "build-lambda.sh" in done.stderr and not calls
    done, calls = run(tmp_path, "--bucket", "b", "--env", "Staging")
    assert done.returncode == 2 and not calls
