"""Shared pieces of the cloud-stack tests (offline: cfn-lint and moto only, no AWS account).

Run with the project's peer venv: `.peers/bin/python -m pytest tests/cloud`.
"""
import os
import signal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CFN_DIR = REPO / "deploy" / "cloudformation"
MAIN_STACK = CFN_DIR / "main-stack.yaml"
# Regions the stack is linted for (and documented for in deploy/cloudformation/README.md): every type in the
# template, SiteWise, Timestream for InfluxDB and QuickSight included, exists in these.
LINT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"]
TEST_TIME_LIMIT_S = 180


def templates():
    return sorted(p for p in CFN_DIR.rglob("*.yaml") if p.is_file())


def load_template(path=MAIN_STACK):
    """The template as a dict, CloudFormation short tags (!Ref, !Sub, ...) expanded to their long form."""
    from cfnlint.decode import decode

    template, matches = decode(str(path))
    assert not matches, f"{path} does not parse: {matches}"
    return template


@pytest.fixture(autouse=True)
def time_limit():
    """Bound every test: an in-process moto call that hangs fails the test instead of the CI job."""

    def expired(signum, frame):
        raise TimeoutError(f"test exceeded {TEST_TIME_LIMIT_S} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIME_LIMIT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="session", autouse=True)
def no_real_aws():
    """Fake credentials and region so that nothing here can reach a real account."""
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                            "AWS_DEFAULT_REGION", "AWS_PROFILE")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
                      AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
