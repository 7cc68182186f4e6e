"""The wheel carries every module and data file of components/ and policy/ under the import names."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import PROJECT_DIR

SHIPPED = {"components": "kubeboard_infra", "policy": "kubeboard_policy"}
SUFFIXES = {".py", ".json", ".yaml", ".txt"}
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
    assert expected - wheel_files == set()


def test_console_script_is_declared(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [entry_points] = [name for name in archive.namelist() if name.endswith("entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert "kubeboard = kubeboard_infra.cli:main" in text
