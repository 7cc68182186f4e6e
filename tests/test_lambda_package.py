"""The Lambda archive builder: pinned requirements for aarch64/cp312, a cache keyed by their hash, a stable
file set, and clear errors. pip is replaced by a recorder so the tests stay offline and fast."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pulumi
import pytest

from components.lambda_package import (
    LambdaPackage,
    LambdaPackageError,
    cache_dir,
    deps_cache_dir,
    lambda_archive,
    lambda_package,
    requirements_key,
    sources_dir,
)


class FakePip:
    """Records pip invocations and 'installs' one module per pinned requirement into --target."""

    def __init__(self, returncode: int = 0, stderr: str = "") -> None:
        self.calls: list[list[str]] = []
        self.returncode = returncode
        self.stderr = stderr

    def __call__(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        target = Path(args[args.index("--target") + 1])
        requirements = Path(args[args.index("--requirement") + 1])
        for raw in requirements.read_text().splitlines():
            line = raw.split("#", 1)[0].strip()
            if line:
                name, version = line.split("==")
                module = name.replace("-", "_")
                (target / module).mkdir()
                (target / module / "__init__.py").write_text(f"VERSION = {version!r}\n")
                (target / module / "__pycache__").mkdir()
                (target / module / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"\0")
                info = target / f"{module}-{version}.dist-info"
                info.mkdir()
                (info / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n")
                (info / "RECORD").write_text("../../bin/tool,sha256=machine-specific\n")
        (target / "bin").mkdir(exist_ok=True)
        (target / "bin" / "tool").write_text("#!/some/machine/python\n")
        return subprocess.CompletedProcess(list(args), self.returncode, "", self.stderr)


@pytest.fixture
def function(tmp_path: Path) -> Path:
    source = tmp_path / "lambdas" / "demo"
    (source / "__pycache__").mkdir(parents=True)
    (source / "__init__.py").write_text("")
    (source / "handler.py").write_text("def lambda_handler(event, context):\n    return event\n")
    (source / "__pycache__" / "handler.cpython-312.pyc").write_bytes(b"\0")
    (source / "requirements.txt").write_text("# lock\nalpha-lib==1.2.3\nbeta==0.1  # why\n")
    return source


def build(function: Path, pip: FakePip) -> LambdaPackage:
    return lambda_package(
        "demo", lambdas_dir=function.parent, build_dir=function.parent.parent / "build", installer=pip
    )


def test_installs_pinned_requirements_for_the_lambda_platform(function: Path) -> None:
    pip = FakePip()
    package = build(function, pip)
    (call,) = pip.calls
    for flag in ("--no-deps", "--only-binary=:all:"):
        assert flag in call
    assert call[call.index("--platform") + 1] == "manylinux2014_aarch64"
    assert call[call.index("--python-version") + 1] == "3.12"
    assert call[call.index("--abi") + 1] == "cp312"
    assert package.handler == "demo.handler.lambda_handler"


def test_file_set_is_sorted_and_free_of_bytecode_and_machine_specific_files(function: Path) -> None:
    package = build(function, FakePip())
    names = list(package.files)
    assert names == sorted(names)
    assert names == [
        "alpha_lib-1.2.3.dist-info/METADATA",
        "alpha_lib/__init__.py",
        "beta-0.1.dist-info/METADATA",
        "beta/__init__.py",
        "demo/__init__.py",
        "demo/handler.py",
    ]


def test_second_build_uses_the_cache_and_gives_the_same_archive(function: Path) -> None:
    pip = FakePip()
    first = build(function, pip)
    second = build(function, pip)
    assert len(pip.calls) == 1
    assert first.sha256() == second.sha256()


def test_changed_requirements_get_a_new_cache_entry(function: Path) -> None:
    pip = FakePip()
    requirements = function / "requirements.txt"
    before = requirements_key(requirements)
    build(function, pip)
    requirements.write_text("alpha-lib==1.2.4\n")
    assert requirements_key(requirements) != before
    package = build(function, pip)
    assert len(pip.calls) == 2
    assert "alpha_lib-1.2.4.dist-info/METADATA" in package.files


def test_comment_only_requirements_need_no_pip(function: Path) -> None:
    (function / "requirements.txt").write_text("# nothing beyond the runtime's boto3\n")
    pip = FakePip()
    package = build(function, pip)
    assert pip.calls == []
    assert list(package.files) == ["demo/__init__.py", "demo/handler.py"]


def test_unpinned_requirement_is_rejected_with_its_line(function: Path) -> None:
    (function / "requirements.txt").write_text("alpha-lib==1.2.3\nbeta>=0.1\n")
    with pytest.raises(LambdaPackageError, match=r"requirements.txt:2: 'beta>=0.1' is not an exact pin"):
        build(function, FakePip())


def test_failed_install_names_the_file_and_leaves_no_cache_entry(function: Path) -> None:
    pip = FakePip(returncode=1, stderr="ERROR: No matching distribution found for beta==0.1")
    with pytest.raises(
        LambdaPackageError, match=r"manylinux2014_aarch64/cp312 failed \(pip exit 1\)"
    ) as error:
        build(function, pip)
    assert "No matching distribution found for beta==0.1" in str(error.value)
    assert list((function.parent.parent / "build").iterdir()) == []
    # The next attempt runs pip again instead of trusting a broken entry.
    build(function, FakePip())


def test_missing_package_or_requirements_are_clear_errors(function: Path) -> None:
    with pytest.raises(LambdaPackageError, match="not a Lambda package"):
        lambda_package("absent", lambdas_dir=function.parent, installer=FakePip())
    (function / "requirements.txt").unlink()
    with pytest.raises(LambdaPackageError, match=r"requirements\.txt: missing"):
        build(function, FakePip())


def test_archive_maps_every_file_as_an_asset(function: Path) -> None:
    archive = lambda_archive(
        "demo", lambdas_dir=function.parent, build_dir=function.parent.parent / "build", installer=FakePip()
    )
    assert isinstance(archive, pulumi.AssetArchive)
    assert sorted(archive.assets) == list(archive.assets)
    handler = archive.assets["demo/handler.py"]
    assert isinstance(handler, pulumi.FileAsset)
    assert Path(handler.path) == function / "handler.py"


def test_scan_findings_lambda_requirements_are_a_complete_lock(tmp_path: Path) -> None:
    package = lambda_package("scan_findings", build_dir=tmp_path, installer=FakePip())
    names = set(package.files)
    assert {"scan_findings/handler.py", "aws_lambda_powertools/__init__.py", "jmespath/__init__.py"} <= names
    assert not any(name.startswith("scan_findings/tests") for name in names)
    assert (sources_dir() / "scan_findings" / "requirements.txt").is_file()


def test_cache_dir_is_the_override_then_xdg_then_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBEBOARD_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir() == tmp_path / "home" / ".cache" / "kubeboard"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache_dir() == tmp_path / "home" / ".cache" / "kubeboard"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "kubeboard"
    monkeypatch.setenv("KUBEBOARD_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == tmp_path / "explicit"
    assert deps_cache_dir() == tmp_path / "explicit" / "lambda-deps"


def test_default_build_caches_in_the_cache_dir_not_beside_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEBOARD_CACHE_DIR", str(tmp_path / "cache"))
    before = sorted(p.name for p in sources_dir().parent.iterdir())
    package = lambda_package("log_report", installer=FakePip())
    [tree] = (tmp_path / "cache" / "lambda-deps").iterdir()
    assert (tree / ".complete").is_file()
    dependency = package.files["aws_lambda_powertools/__init__.py"]
    assert dependency.is_relative_to(tmp_path / "cache")
    assert sorted(p.name for p in sources_dir().parent.iterdir()) == before
