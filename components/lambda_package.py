"""Build a Lambda deployment archive from `lambdas/<name>/`: its package plus its pinned requirements.

The sources ship in the wheel as package `kubeboard_infra.lambdas` (the repository's lambdas/ folder), so an
installed distribution builds the same archives as a checkout. The requirements file is the function's lock:
every line is `name==version`, installed with `--no-deps` as manylinux2014 aarch64 wheels for CPython 3.12
(the functions run on python3.12 / arm64), whatever machine runs the program. The installed tree is cached
under `<cache dir>/lambda-deps/<sha256>/` (see `cache_dir`), keyed by the content of requirements.txt and the
target platform, so a second `pulumi up` neither reinstalls nor changes the asset; the cache is never written
next to the installed files.
The archive lists its files sorted and skips byte-code, so the same sources give the same archive.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pulumi

# Overrides the cache location (CI caches it between runs; a read-only home can point it elsewhere).
CACHE_DIR_VARIABLE = "KUBEBOARD_CACHE_DIR"

# The Lambda target: runtime python3.12 on arm64 (Graviton).
RUNTIME = "python3.12"
ARCHITECTURE = "arm64"
PIP_TARGET_ARGS: tuple[str, ...] = (
    "--platform",
    "manylinux2014_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    "3.12",
    "--abi",
    "cp312",
    "--only-binary=:all:",
)
_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!_-]+$")
_SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache"})
_SKIPPED_SUFFIXES = frozenset({".pyc", ".pyo"})
_COMPLETE_MARKER = ".complete"

Installer = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


class LambdaPackageError(Exception):
    """The function's sources or requirements cannot be turned into an archive."""


def sources_dir() -> Path:
    """The folder holding one package per function, wherever `kubeboard_infra` is installed."""
    # A regular package on disk (wheel or editable install): its resources are plain files.
    return Path(str(resources.files("kubeboard_infra.lambdas")))


def cache_dir() -> Path:
    """`$KUBEBOARD_CACHE_DIR`, else `$XDG_CACHE_HOME/kubeboard`, else `~/.cache/kubeboard`."""
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec ignores a relative XDG_CACHE_HOME.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "kubeboard"


def deps_cache_dir() -> Path:
    """Where installed requirements are cached, one tree per requirements digest."""
    return cache_dir() / "lambda-deps"


def _run_pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False)


def pinned_requirements(requirements: Path) -> list[str]:
    """The requirement lines, each checked to be an exact `name==version` pin."""
    pins = []
    for number, raw in enumerate(requirements.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not _PIN.fullmatch(line):
            raise LambdaPackageError(f"{requirements}:{number}: {line!r} is not an exact pin (name==version)")
        pins.append(line)
    return pins


def requirements_key(requirements: Path) -> str:
    """Cache key: the file's bytes plus the target, so a new platform never reuses an old tree."""
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update("\0".join(PIP_TARGET_ARGS).encode())
    return digest.hexdigest()


def install_requirements(
    requirements: Path, build_dir: Path | None = None, installer: Installer = _run_pip
) -> Path:
    """Return the directory holding the installed requirements, installing them on a cache miss."""
    pins = pinned_requirements(requirements)
    build_dir = build_dir if build_dir is not None else deps_cache_dir()
    target = build_dir / requirements_key(requirements)
    if (target / _COMPLETE_MARKER).is_file():
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    # Install into a scratch directory and rename it into place: an interrupted or concurrent build
    # never leaves a half-filled cache entry behind.
    scratch = Path(tempfile.mkdtemp(prefix="install-", dir=build_dir))
    try:
        if pins:
            result = installer(
                [
                    "install",
                    "--no-deps",  # requirements.txt is the complete lock, transitive pins included
                    "--no-compile",
                    "--disable-pip-version-check",
                    "--quiet",
                    *PIP_TARGET_ARGS,
                    "--target",
                    str(scratch),
                    "--requirement",
                    str(requirements),
                ]
            )
            if result.returncode != 0:
                detail = (result.stderr or result.stdout or "").strip().splitlines()[-15:]
                raise LambdaPackageError(
                    f"installing {requirements} for manylinux2014_aarch64/cp312 failed "
                    f"(pip exit {result.returncode}):\n" + "\n".join(detail)
                )
        (scratch / _COMPLETE_MARKER).write_text("\n".join(pins) + "\n")
        if target.exists():  # another build finished first; its tree is identical
            shutil.rmtree(scratch)
        else:
            scratch.rename(target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return target


def _machine_specific(relative: Path) -> bool:
    """pip writes console scripts (bin/) with this machine's interpreter in the shebang, and RECORD
    holds their hashes: neither is needed by the function, and both would make the archive differ
    from one build machine to the next."""
    return relative.parts[0] == "bin" or (
        relative.parent.suffix == ".dist-info" and relative.name == "RECORD"
    )


def _files(root: Path, installed: bool = False) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (
            path.is_dir()
            or _SKIPPED_DIRS.intersection(relative.parts)
            or path.suffix in _SKIPPED_SUFFIXES
            or relative.name == _COMPLETE_MARKER
            or (installed and _machine_specific(relative))
        ):
            continue
        files[relative.as_posix()] = path
    return files


@dataclass(frozen=True)
class LambdaPackage:
    """The file set of one function's archive, archive path -> source file, sorted."""

    name: str
    files: dict[str, Path]

    @property
    def handler(self) -> str:
        """The Lambda `handler` setting: the package's handler module, imported as a package."""
        return f"{self.name}.handler.lambda_handler"

    def sha256(self) -> str:
        """A digest of names and contents, for change detection and reports."""
        digest = hashlib.sha256()
        for archive_path, source in self.files.items():
            digest.update(archive_path.encode() + b"\0" + source.read_bytes() + b"\0")
        return digest.hexdigest()

    def archive(self) -> pulumi.AssetArchive:
        return pulumi.AssetArchive(
            {path: pulumi.FileAsset(str(source)) for path, source in self.files.items()}
        )


def lambda_package(
    name: str,
    *,
    lambdas_dir: Path | None = None,
    build_dir: Path | None = None,
    installer: Installer = _run_pip,
) -> LambdaPackage:
    """Collect `lambdas/<name>/` (as package `<name>/`) and its installed requirements (at the root)."""
    source = (lambdas_dir if lambdas_dir is not None else sources_dir()) / name
    if not (source / "__init__.py").is_file():
        raise LambdaPackageError(f"{source}: not a Lambda package (no __init__.py)")
    requirements = source / "requirements.txt"
    if not requirements.is_file():
        raise LambdaPackageError(f"{requirements}: missing; list the function's pinned dependencies there")
    dependencies = _files(install_requirements(requirements, build_dir, installer), installed=True)
    own = {f"{name}/{path}": file for path, file in _files(source).items() if path != "requirements.txt"}
    clashes = sorted(set(own) & set(dependencies))
    if clashes:
        raise LambdaPackageError(f"{source}: files clash with installed requirements: {clashes[:5]}")
    return LambdaPackage(name=name, files=dict(sorted({**dependencies, **own}.items())))


def lambda_archive(
    name: str,
    *,
    lambdas_dir: Path | None = None,
    build_dir: Path | None = None,
    installer: Installer = _run_pip,
) -> pulumi.AssetArchive:
    """The deployment archive of `lambdas/<name>/` (handler `<name>.handler.lambda_handler`)."""
    return lambda_package(name, lambdas_dir=lambdas_dir, build_dir=build_dir, installer=installer).archive()
