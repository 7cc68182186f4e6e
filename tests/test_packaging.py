"""The wheel carries every module and data file of components/ and policy/ under the import names."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from .conftest import PROJECT_DIR
from .test_component_schema import COMPONENTS as SCHEMA_COMPONENTS
from .test_component_schema import PENDING
from .test_provider import ENGINE, served_schema, serving

SHIPPED = {
    "components": "kubeboard_infra",
    "lambdas": "kubeboard_infra/lambdas",
    "policy": "kubeboard_policy",
}
# Kept in the repository only: it names the checkout's ../.venv (an installation writes its own).
NOT_SHIPPED = {"kubeboard_policy/PulumiPolicy.yaml"}
SUFFIXES = {".py", ".json", ".yaml", ".txt", ".typed"}
# What the build reads. It builds from a copy: setuptools writes build/ and *.egg-info next to its
# sources, and two test workers building from the same tree at once break each other's build.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", *SHIPPED)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        path = PROJECT_DIR / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [built] = out.glob("kubeboard_infra-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_every_source_and_data_file_is_in_the_wheel(wheel_files: set[str]) -> None:
    expected = {
        f"{package}/{path.relative_to(PROJECT_DIR / folder).as_posix()}"
        for folder, package in SHIPPED.items()
        for path in (PROJECT_DIR / folder).rglob("*")
        if path.suffix in SUFFIXES and "__pycache__" not in path.parts
    }
    assert expected - NOT_SHIPPED - wheel_files == set()
    assert "kubeboard_infra/lambdas/scan_findings/handler.py" in expected
    assert {"kubeboard_infra/py.typed", "kubeboard_policy/py.typed"} <= wheel_files
    assert NOT_SHIPPED & wheel_files == set()


def test_console_script_is_declared(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [entry_points] = [name for name in archive.namelist() if name.endswith("entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert "kubeboard = kubeboard_infra.cli:main" in text
    # The components' provider, under the name Pulumi looks for on PATH.
    assert "pulumi-resource-kubeboard = kubeboard_infra.provider:main" in text


# A stack of the user's own, outside the repository: it imports every component from the installed
# package (not by module path) and builds the account stack and an environment from them.
USER_PROGRAM = """\
import sys

from kubeboard_infra import *  # noqa: F403  every name in __all__ resolves from the wheel
import kubeboard_infra as kb
import pulumi
from kubeboard_infra.settings import AccountSettings, current_settings
from kubeboard_infra.settings.platform_args import platform_args

assert kb.__file__.startswith(sys.prefix), kb.__file__
settings = current_settings()
if isinstance(settings, AccountSettings):  # ImageScanAlerts with its default code among them
    stack = kb.Account("kubeboard", settings.to_args())
else:  # LogReports with its default code among them
    stack = kb.Platform("kubeboard", platform_args(settings))
for name, value in stack.outputs.items():
    pulumi.export(name, value)
"""
# The components a user builds, each recorded as its own type in the plan.
COMPONENTS = (
    "Account", "Cluster", "DeployRoles", "DeployRunner", "Edge", "ErrorLogAlarms", "GitHubDelivery",
    "GitOps", "GuardDuty", "HelmAddOn", "HumanRoles", "ImageScanAlerts", "LogReports", "Network",
    "Observability", "Platform", "Registry", "ReportReader", "SharedStorage",
)  # fmt: skip


def _fresh_venv(env: Path) -> Path:
    """A virtualenv at ``env`` whose dependencies come from this test environment through a path file,
    so installing into it needs no network and stays fast; it holds no kubeboard package yet."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    site = subprocess.run(
        [env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return env


def _pip_install(env: Path, *args: str | Path, cwd: Path | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--no-deps", "--no-index",
         "-q", *args],
        check=True, capture_output=True, timeout=300, cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the repository holding the built wheel (not editable)."""
    env = _fresh_venv(tmp_path_factory.mktemp("fresh") / "venv")
    _pip_install(env, wheel)
    return env


def _clean_env() -> dict[str, str]:
    # Nothing of the repository on the path: the program sees only what the wheel installed.
    return {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}}


def _run_installed(
    installed: Path, program: str, *args: str | Path, cwd: Path, timeout: int
) -> subprocess.CompletedProcess[str]:
    """Run one of the fresh virtualenv's programs (``python``, ``kubeboard``) away from the repository."""
    return subprocess.run(
        [installed / "bin" / program, *args], cwd=cwd, env=_clean_env(), check=False,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_import_is_light_and_every_export_resolves(installed: Path, tmp_path: Path) -> None:
    script = (
        "import sys, kubeboard_infra as kb\n"
        "assert 'pydantic' not in sys.modules and 'pulumi_aws' not in sys.modules\n"
        "assert kb.__file__.startswith(sys.prefix), kb.__file__\n"
        "missing = [name for name in kb.__all__ if getattr(kb, name, None) is None]\n"
        "print(len(kb.__all__), missing)\n"
    )
    result = _run_installed(installed, "python", "-c", script, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    count, missing = result.stdout.split(" ", 1)
    assert int(count) >= len(COMPONENTS) and missing.strip() == "[]"


def test_a_user_stack_builds_every_component_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "my-stack"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: kubeboard\nruntime: python\n")
    (project / "__main__.py").write_text(USER_PROGRAM)
    for stack in ("shared", "dev"):
        shutil.copy2(PROJECT_DIR / f"Pulumi.{stack}.yaml", project)
    plan = ("plan", "shared", "dev", "--out", str(tmp_path / "out"), "--quiet")
    result = _run_installed(installed, "kubeboard", *plan, cwd=project, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    built = set()
    for stack in ("shared", "dev"):
        plan = json.loads((tmp_path / "out" / stack / "plan.json").read_text())
        built |= {resource["type"].rsplit(":", 1)[-1] for resource in plan["resources"]}
    assert set(COMPONENTS) - built == set()
    # The default Lambda code was built from the installed sources, cached outside the installation.
    assert not list(installed.rglob("lambda-deps"))


# Runs a program under the plan's recording mocks, as `pulumi up` would run it, and reports what it built.
DIRECT_DRIVER = """\
import json, runpy, sys
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.settings import ROOT
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await
import kubeboard_infra as kb
from kubeboard_infra.plan.mocks import PlanMocks
from kubeboard_infra.plan.recorder import RecordingMonitor

assert kb.__file__.startswith(sys.prefix), kb.__file__
mocks = PlanMocks(region="ap-northeast-2", stack="dev", stack_outputs={"shared": {}})
monitor = RecordingMonitor(mocks)
set_mocks(mocks, project="library", stack="dev", preview=False, monitor=monitor)
ROOT.set(None)
_sync_await(run_in_stack(lambda: runpy.run_path(sys.argv[1], run_name="__main__") and None))
resources = monitor.recording.resources
print(json.dumps({
    "components": sorted({r.type.split(":")[-1] for r in resources if r.type.startswith("kubeboard:index:")}),
    "types": sorted({r.type for r in resources}),
    "pydantic": "pydantic" in sys.modules,
}))
"""


def test_every_component_builds_directly_from_the_wheel_without_the_stack_schema(
    installed: Path, tmp_path: Path
) -> None:
    """examples/library builds each exported component itself, from plain values."""
    driver = tmp_path / "driver.py"
    driver.write_text(DIRECT_DRIVER)
    program = tmp_path / "my_stack.py"  # a program of the user's own, outside the repository
    shutil.copy2(PROJECT_DIR / "examples" / "library" / "__main__.py", program)
    result = _run_installed(installed, "python", driver, program, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    built = json.loads(result.stdout.splitlines()[-1])
    exported = json.loads(
        _run_installed(
            installed, "python", "-c",
            "import json; from kubeboard_infra.provider import components; "
            "print(json.dumps(sorted(c.__name__ for c in components())))",
            cwd=tmp_path, timeout=120,
        ).stdout
    )  # fmt: skip
    assert len(exported) >= 22
    assert built["components"] == exported
    # The Lambdas' default code was packaged from the installed sources.
    assert {"aws:lambda/function:Function", "kubernetes:batch/v1:CronJob"} <= set(built["types"])
    assert built["pydantic"] is False
    assert not list(installed.rglob("lambda-deps"))


def test_policy_pack_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    result = _run_installed(installed, "kubeboard", "policy-pack", str(pack), cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    policy = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())
    assert policy["runtime"]["options"]["virtualenv"] == str(installed.resolve())
    assert sorted(path.name for path in (pack / "config").iterdir()) == [
        "dev.json",
        "prod.json",
        "shared.json",
    ]
    # Pulumi starts the pack as `<venv>/bin/python DIR/__main__.py` and reads the port it serves on.
    server = subprocess.Popen(
        [installed / "bin" / "python", pack / "__main__.py"], cwd=pack, env=_clean_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        assert port.isdigit(), server.stderr.read() if server.stderr else port
    finally:
        server.kill()
        server.communicate(timeout=30)


def test_all_lists_exactly_the_lazy_exports() -> None:
    import kubeboard_infra

    assert sorted(kubeboard_infra.__all__) == sorted(kubeboard_infra._EXPORTS)
    assert set(COMPONENTS) <= set(kubeboard_infra.__all__)
    # The fleet's components, built only by a fleet's stacks (tests/test_fleet.py plans those).
    assert {"FleetHub", "FleetHubAccess", "FleetSpoke"} <= set(kubeboard_infra.__all__)
    with pytest.raises(AttributeError, match="NoSuchComponent"):
        _ = kubeboard_infra.NoSuchComponent


def test_policy_pack_refuses_a_directory_holding_another_pack(tmp_path: Path) -> None:
    from kubeboard_infra.cli import main

    (tmp_path / "PulumiPolicy.yaml").write_text("description: someone else's pack\n")
    assert main(["policy-pack", str(tmp_path)]) == 2
    assert (tmp_path / "PulumiPolicy.yaml").read_text() == "description: someone else's pack\n"
    assert main(["policy-pack", str(tmp_path / "fresh")]) == 0
    assert main(["policy-pack", str(tmp_path / "fresh")]) == 0  # its own pack is rewritten in place


def test_lambda_archives_from_the_wheel_equal_the_checkouts(installed: Path, tmp_path: Path) -> None:
    from kubeboard_infra.lambda_package import lambda_package

    script = (
        "from kubeboard_infra.lambda_package import lambda_package\n"
        "for name in ('scan_findings', 'log_report'):\n"
        "    package = lambda_package(name)\n"
        "    print(name, package.sha256(), len(package.files))\n"
    )
    result = _run_installed(installed, "python", "-c", script, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        name, digest, count = line.split()
        package = lambda_package(name)  # same files at the same archive paths, same bytes
        assert (digest, int(count)) == (package.sha256(), len(package.files))


@pytest.mark.slow
def test_the_provider_plugin_installs_its_checkout_and_serves_from_it(tmp_path: Path) -> None:
    # What `pulumi package add github.com/<org>/kubeboard-infra/provider@<tag>` does with the clone:
    # a virtualenv in the plugin directory, `pip install -r requirements.txt` run there, then the
    # plugin started with that virtualenv's python.
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in (*BUILD_INPUTS, "provider"):
        path = PROJECT_DIR / name
        if path.is_dir():
            shutil.copytree(path, checkout / name, ignore=shutil.ignore_patterns("__pycache__", "venv"))
        else:
            shutil.copy2(path, checkout / name)
    env = _fresh_venv(checkout / "provider" / "venv")
    _pip_install(env, "--no-build-isolation", "-r", "requirements.txt", cwd=checkout / "provider")
    clean = sorted(set(SCHEMA_COMPONENTS) - PENDING)
    serve_clean = (
        "import sys\n"
        "from kubeboard_infra import provider\n"
        "assert provider.__file__.startswith(sys.prefix), provider.__file__\n"
        f"provider.serve([c for c in provider.components() if c.__name__ in {clean!r}])\n"
    )
    with serving([env / "bin" / "python", "-c", serve_clean, ENGINE], tmp_path, env=_clean_env()) as stub:
        schema = served_schema(stub)
    assert set(schema["resources"]) == {f"kubeboard:index:{name}" for name in clean}
    assert (env / "bin" / "pulumi-resource-kubeboard").is_file()
