"""Every malformed stack file in tests/data/malformed is refused: exit 2, file and key named, no traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubeboard_infra.cli import main

from .conftest import PROJECT_DIR, merge_overlay, stack_file

CASES_DIR = Path(__file__).parent / "data" / "malformed"
CASES = sorted(CASES_DIR.glob("*.yaml"))


def materialise(case: Path, project: Path) -> tuple[str, str]:
    """Write the case as ``Pulumi.<case>.yaml`` in a copy of the project; returns (stack, expected)."""
    spec = yaml.safe_load(case.read_text(encoding="utf-8"))
    stack = case.stem
    if "raw" in spec:
        text = spec["raw"]
    else:
        base = stack_file(spec.get("base", "dev"))
        text = yaml.safe_dump({"config": merge_overlay(base["config"], spec["config"])}, sort_keys=False)
    (project / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    return stack, spec["expect"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    # Environment stacks read the account stack: it comes along.
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.shared.yaml"):
        shutil.copy(PROJECT_DIR / name, copy / name)
    return copy


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_malformed_stack_file_is_refused(
    case: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack, expected = materialise(case, project)

    code = main(["plan", stack, "--cwd", str(project), "--out", str(project / "out")])

    err = capsys.readouterr().err
    assert code == 2
    assert f"Pulumi.{stack}.yaml" in err
    assert expected in err
    assert not (project / "out" / "plan.json").exists()


def test_refusal_from_the_command_line_has_no_traceback(project: Path) -> None:
    stack, expected = materialise(CASES_DIR / "network-subnets-overlap.yaml", project)

    result = subprocess.run(
        [sys.executable, "-m", "kubeboard_infra.cli", "plan", stack, "--cwd", str(project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_yaml_syntax_error_names_its_line_and_column(tmp_path: Path) -> None:
    from kubeboard_infra.plan.stack_files import StackFileError, read_stack_config

    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.broken.yaml").write_text(
        "config:\n  aws:region: ap-northeast-2: x\n", encoding="utf-8"
    )
    with pytest.raises(StackFileError) as raised:
        read_stack_config(tmp_path, "broken")
    assert (
        "Pulumi.broken.yaml: not valid YAML (line 2, column 29): mapping values are not allowed here"
        in str(raised.value)
    )
