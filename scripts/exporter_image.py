"""Which log-exporter image a stack runs: ``key=value`` lines for ``$GITHUB_OUTPUT``.

    python scripts/exporter_image.py Pulumi.dev.yaml
    build=true
    repository=kubeboard/log-exporter
    tag=0.1.0

``build=false`` when the stack runs no exporter (``logReports`` off) or pins it by ``imageDigest``
(a digest names an image that already exists). Needs only PyYAML, so the image workflow can run it
before anything else is installed. Exit code 2, with the file and key, when the stack file says
nothing usable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

SECTION = "kubeboard:logReports"
DEFAULT_REPOSITORY = "kubeboard/log-exporter"  # ExporterSettings.repository's default


class StackFileProblem(Exception):
    pass


def image_reference(stack_file: Path) -> dict[str, str]:
    try:
        document = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise StackFileProblem(f"{stack_file.name}: cannot be read as YAML ({error})") from None
    config: dict[str, Any] = document.get("config") or {}
    reports = config.get(SECTION) or {}
    if not reports.get("enabled", False):
        return {"build": "false"}
    exporter = reports.get("exporter") or {}
    if exporter.get("imageDigest"):
        return {"build": "false"}
    tag = exporter.get("imageTag")
    if not isinstance(tag, str) or not tag:
        raise StackFileProblem(f"{stack_file.name}: {SECTION}.exporter.imageTag: required to build the image")
    repository = exporter.get("repository", DEFAULT_REPOSITORY)
    return {"build": "true", "repository": str(repository), "tag": tag}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: exporter_image.py Pulumi.<stack>.yaml", file=sys.stderr)
        return 2
    try:
        reference = image_reference(Path(argv[0]))
    except StackFileProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    for key, value in reference.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
