"""cfn-lint over every template under deploy/cloudformation/, plus a control that the check can fail."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CFN_DIR, LINT_REGIONS, MAIN_STACK, templates


def cfn_lint(*paths):
    exe = Path(sys.executable).with_name("cfn-lint")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from cfnlint.runner import main; main()"]
    return subprocess.run(cmd + ["--regions", *LINT_REGIONS, "--", *map(str, paths)],
                          capture_output=True, text=True, timeout=150)


def test_templates_exist():
    assert MAIN_STACK in templates()


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(CFN_DIR)))
def test_template_lints_clean(path):
    r = cfn_lint(path)
    assert r.returncode == 0 and not r.stdout.strip(), f"cfn-lint findings:\n{r.stdout}{r.stderr}"


def test_lint_catches_a_broken_copy(tmp_path):
    """Control: the same run reports a wrong enum and a misspelt property in a copy of the main stack."""
    broken = MAIN_STACK.read_text()
    assert "StreamMode: !If [IsProduction, ON_DEMAND, PROVISIONED]" in broken
    broken = broken.replace("StreamMode: !If [IsProduction, ON_DEMAND, PROVISIONED]",
                            "StreamMode: !If [IsProduction, ONDEMAND, PROVISIONED]")
    broken = broken.replace("PointInTimeRecoveryEnabled: true", "PointInTimeRecoveryEnable: true")
    p = tmp_path / "broken.yaml"
    p.write_text(broken)
    r = cfn_lint(p)
    assert r.returncode != 0
    assert "ONDEMAND" in r.stdout and "PointInTimeRecoveryEnable" in r.stdout, r.stdout
