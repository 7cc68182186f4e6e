"""Write a Pulumi policy-pack directory that serves this installed `kubeboard_policy`.

`pulumi preview --policy-pack DIR` runs `DIR/__main__.py` with the interpreter its PulumiPolicy.yaml
names. The repository's own policy/ folder names `../.venv`, which means nothing once the package is
installed elsewhere, so an installed distribution writes a pack that names the interpreter's own
environment and imports the pack from it. The per-stack configurations are copied beside it for
`--policy-pack-config DIR/config/<stack>.json`.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

MAIN = '''"""Serve the Kubeboard policy pack installed in the environment PulumiPolicy.yaml names."""

import runpy

runpy.run_module("kubeboard_policy", run_name="__main__")
'''


class PackDirError(Exception):
    """The directory cannot hold a pack (a file is in the way, or it already holds another pack)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kubeboard-infra")
    except PackageNotFoundError:  # imported from a checkout without an install
        return "0.0.0"


def environment() -> Path:
    """The virtualenv (or installation prefix) this interpreter runs from."""
    return Path(sys.prefix).resolve()


def policy_yaml() -> str:
    runtime_options = "    toolchain: pip\n"
    if sys.prefix != sys.base_prefix:  # a virtualenv: Pulumi runs the pack with its interpreter
        runtime_options += f"    virtualenv: {environment()}\n"
    return (
        "# Written by `kubeboard policy-pack`: serves the kubeboard_policy installed in the environment below.\n"
        "description: Kubeboard platform guardrails (CrossGuard, Python)\n"
        f"version: {_version()}\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n" + runtime_options
    )


def write_pack(directory: Path) -> list[Path]:
    """Write PulumiPolicy.yaml, __main__.py and config/*.json into ``directory``; return what was written."""
    if directory.exists() and not directory.is_dir():
        raise PackDirError(f"{directory}: exists and is not a directory")
    existing = directory / "PulumiPolicy.yaml"
    if existing.is_file() and not existing.read_text(encoding="utf-8").startswith("# Written by `kubeboard"):
        raise PackDirError(f"{existing}: another policy pack is there; choose an empty directory")
    directory.mkdir(parents=True, exist_ok=True)
    written = [existing, directory / "__main__.py"]
    existing.write_text(policy_yaml(), encoding="utf-8")
    written[1].write_text(MAIN, encoding="utf-8")
    config = directory / "config"
    config.mkdir(exist_ok=True)
    for source in sorted(resources.files("kubeboard_policy").joinpath("config").iterdir(), key=str):
        if source.name.endswith(".json"):
            target = config / source.name
            with resources.as_file(source) as path:
                shutil.copyfile(path, target)
            written.append(target)
    return written
