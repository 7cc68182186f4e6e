"""The log-exporter image: built from a context that holds what its Dockerfile copies, pushed under
the stack's pinned tag before the stack is deployed, and never pushed over an existing tag."""

from __future__ import annotations

import fnmatch
import glob
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import PROJECT_DIR, stack_file

WORKFLOW = PROJECT_DIR / ".github" / "workflows" / "exporter-image.yml"
DEPLOY = PROJECT_DIR / ".github" / "workflows" / "deploy.yml"
SCRIPT = PROJECT_DIR / "scripts" / "exporter_image.py"


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in document:  # YAML 1.1 reads the bare key `on` as True
        document["on"] = document.pop(True)
    return document


def _job() -> dict[str, Any]:
    return _load(WORKFLOW)["jobs"]["image"]


def _step(name: str) -> dict[str, Any]:
    (step,) = [step for step in _job()["steps"] if step.get("name") == name]
    return step


def _copy_sources(dockerfile: Path) -> list[str]:
    """Sources of every COPY/ADD from the build context (multi-stage ``--from`` copies excluded)."""
    sources = []
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0].upper() not in {"COPY", "ADD"}:
            continue
        arguments = [word for word in words[1:] if not word.startswith("--")]
        if any(word.startswith("--from") for word in words[1:]):
            continue
        sources.extend(arguments[:-1])
    return sources


def _sent_to_the_daemon(context: Path, relative: str) -> bool:
    """Whether ``.dockerignore`` (an allow-list: ``*`` then ``!path`` lines) lets a file through."""
    ignore = context / ".dockerignore"
    if not ignore.exists():
        return True
    included = True
    for line in ignore.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.strip().removeprefix("!").rstrip("/")
        if fnmatch.fnmatch(relative, pattern) or relative.startswith(pattern + "/"):
            included = negated
    return included


def test_every_copy_source_exists_in_the_context_the_workflow_builds_from() -> None:
    env = _job()["env"]
    context = (PROJECT_DIR / env["CONTEXT"]).resolve()
    dockerfile = PROJECT_DIR / env["DOCKERFILE"]
    assert dockerfile.is_file()
    sources = _copy_sources(dockerfile)
    assert len(sources) >= 3
    for source in sources:
        matches = [Path(path).relative_to(context).as_posix() for path in glob.glob(str(context / source))]
        assert matches, f"COPY {source}: nothing matches in the context {context}"
        assert all(_sent_to_the_daemon(context, path) for path in matches), (
            f"COPY {source}: .dockerignore drops it"
        )


def test_the_old_build_context_would_have_missed_the_sources() -> None:
    # `docker build ... lambdas/log_exporter` (the context once documented) holds none of them.
    narrow = PROJECT_DIR / "lambdas" / "log_exporter"
    missing = [
        source for source in _copy_sources(narrow / "Dockerfile") if not glob.glob(str(narrow / source))
    ]
    assert missing


def test_documented_build_commands_use_the_repository_root_as_context() -> None:
    for path in (PROJECT_DIR / "README.md", PROJECT_DIR / "lambdas" / "log_exporter" / "Dockerfile"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "docker build" in line:
                assert "-f lambdas/log_exporter/Dockerfile" in line and line.rstrip().endswith(" ."), line


class FakeAws:
    """``aws`` and ``docker`` on PATH that record their calls; the tag exists or not."""

    def __init__(self, directory: Path, *, tag_exists: bool) -> None:
        self.log = directory / "calls.log"
        self.bin = directory / "bin"
        self.bin.mkdir()
        describe = (
            "echo sha256:1111111111111111111111111111111111111111111111111111111111111111"
            if tag_exists
            else 'if [ -f "$STATE/pushed" ]; then echo sha256:2222222222222222222222222222222222222222222222222222222222222222; '
            'else echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation" >&2; '
            "exit 254; fi"
        )
        self._write(
            "aws",
            f"""echo "aws $*" >> "$LOG"
case "$2" in
  describe-repositories) echo 111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/kubeboard/log-exporter ;;
  describe-images) {describe} ;;
  get-login-password) echo password ;;
esac""",
        )
        self._write(
            "docker",
            """echo "docker $*" >> "$LOG"
if [ "$1" = push ]; then touch "$STATE/pushed"; fi
cat > /dev/null""",
        )

    def _write(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)

    def calls(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


def _run_push_step(tmp_path: Path, *, tag_exists: bool) -> tuple[subprocess.CompletedProcess[str], FakeAws]:
    fake = FakeAws(tmp_path, tag_exists=tag_exists)
    output = tmp_path / "github_output"
    env = {
        **os.environ,
        **_job()["env"],
        "PATH": f"{fake.bin}{os.pathsep}{os.environ['PATH']}",
        "LOG": str(fake.log),
        "STATE": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "REPOSITORY": "kubeboard/log-exporter",
        "TAG": "0.1.0",
    }
    result = subprocess.run(
        ["bash", "-c", _step("Build and push unless the tag exists")["run"]],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, fake


def test_an_existing_tag_is_neither_rebuilt_nor_pushed(tmp_path: Path) -> None:
    result, fake = _run_push_step(tmp_path, tag_exists=True)

    assert result.returncode == 0, result.stderr
    assert not [call for call in fake.calls() if call.startswith("docker")]
    assert "immutable" in result.stdout
    assert (tmp_path / "github_output").read_text().strip().endswith("@sha256:" + "1" * 64)


def test_a_missing_tag_is_built_from_the_repository_root_and_pushed(tmp_path: Path) -> None:
    result, fake = _run_push_step(tmp_path, tag_exists=False)

    assert result.returncode == 0, result.stderr
    uri = "111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/kubeboard/log-exporter"
    docker = [call for call in fake.calls() if call.startswith("docker")]
    assert docker == [
        "docker login --username AWS --password-stdin 111122223333.dkr.ecr.ap-northeast-2.amazonaws.com",
        f"docker build --file lambdas/log_exporter/Dockerfile --tag {uri}:0.1.0 .",
        f"docker push {uri}:0.1.0",
    ]
    assert (tmp_path / "github_output").read_text().strip() == f"image={uri}@sha256:" + "2" * 64


def test_each_stack_is_deployed_only_after_its_exporter_image() -> None:
    jobs = _load(DEPLOY)["jobs"]
    for stack in ("dev", "prod"):
        image_job = jobs[f"{stack}-exporter-image"]
        assert image_job["uses"] == "./.github/workflows/exporter-image.yml"
        assert image_job["with"] == {"stack": stack}
        assert jobs[stack]["needs"] == f"{stack}-exporter-image"
    assert jobs["prod-exporter-image"]["needs"] == "dev"


def _reference(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_workflow_builds_the_tag_each_stack_pins(stack: str) -> None:
    exporter = stack_file(stack)["config"]["kubeboard:logReports"]["exporter"]

    result = _reference(PROJECT_DIR / f"Pulumi.{stack}.yaml")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "build=true",
        f"repository={exporter['repository']}",
        f"tag={exporter['imageTag']}",
    ]


def test_a_digest_pin_or_no_exporter_builds_nothing(tmp_path: Path) -> None:
    config = stack_file("dev")["config"]
    pinned = tmp_path / "Pulumi.pinned.yaml"
    reports = config["kubeboard:logReports"] | {
        "exporter": {"repository": "kubeboard/log-exporter", "imageDigest": "sha256:" + "a" * 64}
    }
    pinned.write_text(yaml.safe_dump({"config": {"kubeboard:logReports": reports}}), encoding="utf-8")
    off = tmp_path / "Pulumi.off.yaml"
    off.write_text(yaml.safe_dump({"config": {"kubeboard:logReports": {"enabled": False}}}), encoding="utf-8")

    assert _reference(pinned).stdout.strip() == "build=false"
    assert _reference(off).stdout.strip() == "build=false"


def test_an_enabled_exporter_without_a_tag_is_refused_naming_the_key(tmp_path: Path) -> None:
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text(
        yaml.safe_dump({"config": {"kubeboard:logReports": {"enabled": True, "exporter": {}}}}),
        encoding="utf-8",
    )

    result = _reference(broken)

    assert result.returncode == 2
    assert "Pulumi.broken.yaml: kubeboard:logReports.exporter.imageTag" in result.stderr
