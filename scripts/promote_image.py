#!/usr/bin/env python3
"""Roll a delivered image out through the GitOps repository, for the central promote-image workflow.

Application repositories push images (build-push-deploy) but hold no GitOps write key: this
repository's promote-image workflow writes the new tag and digest into the GitOps values files
that `.github/promotions.yaml` lists, after the scan gate passed on the exact digest.

    promote_image.py matrix PROMOTIONS [--only NAME]      the entries as a JSON list, for a job matrix
    promote_image.py select PROMOTIONS NAME --gitops DIR   tag= and digest= of the image to roll out
    promote_image.py bump VALUES --tag-path .image.tag --tag SHA [--digest-path P --digest D]

`select` takes the newest image of the entry's ECR repository whose tag is a commit SHA (what
build-push-deploy pushes), or, for an entry with `from:`, the image another entry's values file
already runs (prod gets exactly what dev runs). `bump` rewrites only the scalars it names, keeping
every comment and the layout of the file, and is idempotent: `changed=false` when the file already
holds them. Both keys must already exist, so a typo cannot add a key Argo CD ignores.

Exit codes: 0 done; 1 nothing to promote (no image); 2 bad input (one line naming the file and key)
or AWS refused the call.
Needs only PyYAML and boto3 (requirements/promote.txt), so the workflow runs it from a checkout.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

EXIT_OK = 0
EXIT_NOTHING = 1
EXIT_BAD_INPUT = 2

_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}(?<!/)$")
_ECR_REPOSITORY = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
_VALUES_FILE = re.compile(r"^(?!/)(?!.*\.\.)[A-Za-z0-9_./-]+\.ya?ml$")
_PATH = re.compile(r"^(?:\.[A-Za-z0-9_-]+)+$")
_TAG = re.compile(r"^[0-9a-f]{40}$")  # build-push-deploy tags every image with its commit SHA
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
UPDATE_MODES = ("commit", "pull-request")
ENTRY_KEYS = {
    "name",
    "ecrRepository",
    "valuesFile",
    "tagPath",
    "digestPath",
    "update",
    "highThreshold",
    "from",
}


class BadInput(Exception):
    """Input the script refuses: the message names the file and the key."""


# --- .github/promotions.yaml ------------------------------------------------------------------------


def load_promotions(path: Path) -> dict[str, Any]:
    """The validated promotions file: ``gitops`` (repository, branch) and ``promotions`` (entries)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise BadInput(f"{path}: cannot read: {error}") from None
    if not isinstance(document, dict) or set(document) != {"gitops", "promotions"}:
        raise BadInput(f"{path}: expected exactly the keys gitops and promotions")
    gitops = document["gitops"]
    if not isinstance(gitops, dict) or not set(gitops) <= {"repository", "branch"}:
        raise BadInput(f"{path}: gitops: expected repository and branch")
    _check(path, "gitops.repository", gitops.get("repository"), _REPOSITORY, "owner/name")
    gitops.setdefault("branch", "main")
    _check(path, "gitops.branch", gitops["branch"], _BRANCH, "a branch name")
    entries = document["promotions"]
    if not isinstance(entries, list) or not entries:
        raise BadInput(f"{path}: promotions: list at least one promotion")
    by_name: dict[str, dict[str, Any]] = {}
    for index, raw in enumerate(entries):
        entry = _entry(path, f"promotions[{index}]", raw)
        if entry["name"] in by_name:
            raise BadInput(f"{path}: promotions[{index}].name: {entry['name']!r} is listed twice")
        by_name[entry["name"]] = entry
    for index, entry in enumerate(by_name.values()):
        source = entry.get("from")
        if source is None:
            continue
        key = f"promotions[{index}].from"
        if source not in by_name or source == entry["name"]:
            raise BadInput(f"{path}: {key}: {source!r} is not another promotion in this file")
        if by_name[source].get("from") is not None:
            raise BadInput(f"{path}: {key}: {source!r} itself promotes from another entry; name the first")
        if by_name[source]["ecrRepository"] != entry["ecrRepository"]:
            raise BadInput(f"{path}: {key}: {source!r} promotes another ECR repository")
    return {"gitops": gitops, "promotions": list(by_name.values())}


def _entry(path: Path, key: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadInput(f"{path}: {key}: expected a mapping")
    unknown = sorted(set(raw) - ENTRY_KEYS)
    if unknown:
        raise BadInput(f"{path}: {key}.{unknown[0]}: unknown key (known: {', '.join(sorted(ENTRY_KEYS))})")
    entry = {
        "tagPath": ".image.tag",
        "digestPath": ".image.digest",
        "update": "pull-request",
        "highThreshold": 0,
    }
    entry.update(raw)
    _check(path, f"{key}.name", entry.get("name"), _NAME, "lower-case letters, digits and '-'")
    _check(
        path, f"{key}.ecrRepository", entry.get("ecrRepository"), _ECR_REPOSITORY, "an ECR repository name"
    )
    if ".dkr.ecr." in entry["ecrRepository"]:
        raise BadInput(f"{path}: {key}.ecrRepository: give the repository's name, not its URL")
    _check(path, f"{key}.valuesFile", entry.get("valuesFile"), _VALUES_FILE, "a relative .yaml path")
    _check(path, f"{key}.tagPath", entry["tagPath"], _PATH, "a path such as .image.tag")
    _check(path, f"{key}.digestPath", entry["digestPath"], _PATH, "a path such as .image.digest")
    if entry["update"] not in UPDATE_MODES:
        raise BadInput(f"{path}: {key}.update: {entry['update']!r} is not one of {', '.join(UPDATE_MODES)}")
    threshold = entry["highThreshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise BadInput(f"{path}: {key}.highThreshold: {threshold!r} is not a whole number >= 0")
    if entry.get("from") is not None and not isinstance(entry["from"], str):
        raise BadInput(f"{path}: {key}.from: expected the name of another promotion")
    return entry


def _check(path: Path, key: str, value: Any, pattern: re.Pattern[str], what: str) -> None:
    if not isinstance(value, str) or not pattern.match(value):
        raise BadInput(f"{path}: {key}: {value!r} is not {what}")


# --- Values files: read and rewrite one scalar in place ---------------------------------------------


def _scalar_node(text: str, dotted: str, where: str) -> yaml.ScalarNode:
    try:
        documents = list(yaml.compose_all(text))
    except yaml.YAMLError as error:
        raise BadInput(f"{where}: not YAML: {error}") from None
    if len(documents) != 1:
        raise BadInput(f"{where}: expected one YAML document, found {len(documents)}")
    node = documents[0]
    for part in dotted.removeprefix(".").split("."):
        if not isinstance(node, yaml.MappingNode):
            raise BadInput(f"{where}: {dotted}: {part!r} is not inside a mapping")
        found = [value for key, value in node.value if isinstance(key, yaml.ScalarNode) and key.value == part]
        if not found:
            raise BadInput(f"{where}: {dotted}: not found (add the key first; a new key would be ignored)")
        node = found[0]
    if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
        raise BadInput(f"{where}: {dotted}: expected a one-line scalar value")
    return node


def read_value(path: Path, dotted: str) -> str:
    return str(_scalar_node(_read(path), dotted, str(path)).value)


def bump(path: Path, updates: Sequence[tuple[str, str]]) -> bool:
    """Write each (path, value) into the file; True when the file changed."""
    text = _read(path)
    changed = False
    for dotted, value in updates:
        node = _scalar_node(text, dotted, str(path))
        if node.value == value and node.tag == "tag:yaml.org,2002:str":
            continue
        # Always double-quoted: a commit SHA of digits only would otherwise read back as a number.
        start, end = node.start_mark.index, node.end_mark.index
        # An empty value (`digest:`) has no width and sits right after the colon.
        separator = " " if start == end else ""
        text = f"{text[:start]}{separator}{json.dumps(value)}{text[end:]}"
        changed = True
    if changed:
        path.write_text(text, encoding="utf-8")
    return changed


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise BadInput(f"{path}: cannot read: {error}") from None


# --- Which image ------------------------------------------------------------------------------------


def newest_image(describe_pages: Callable[[str], Any], repository: str) -> tuple[str, str] | None:
    """(tag, digest) of the newest image tagged with a commit SHA, or None when there is none."""
    best: tuple[Any, str, str] | None = None
    for page in describe_pages(repository):
        for image in page.get("imageDetails", ()):
            tags = [tag for tag in image.get("imageTags", ()) if _TAG.match(tag)]
            if not tags:
                continue
            candidate = (image["imagePushedAt"], tags[0], image["imageDigest"])
            if best is None or candidate[0] > best[0]:
                best = candidate
    return (best[1], best[2]) if best else None


def _ecr_pages(region: str | None) -> Callable[[str], Any]:
    """Pages of ECR's DescribeImages; the client is made on first use, after the input is checked."""

    def pages(repository: str) -> Any:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            paginator = boto3.client("ecr", region_name=region).get_paginator("describe_images")
            return list(paginator.paginate(repositoryName=repository, filter={"tagStatus": "TAGGED"}))
        except (BotoCoreError, ClientError) as error:
            raise BadInput(f"ECR refused to list {repository}: {error}") from None

    return pages


def select(
    promotions: dict[str, Any], name: str, gitops: Path, describe_pages: Callable[[str], Any]
) -> tuple[str, str] | None:
    by_name = {entry["name"]: entry for entry in promotions["promotions"]}
    if name not in by_name:
        raise BadInput(f"promotion {name!r} is not listed (listed: {', '.join(sorted(by_name))})")
    entry = by_name[name]
    if entry.get("from") is None:
        return newest_image(describe_pages, entry["ecrRepository"])
    source = by_name[entry["from"]]
    values = gitops / source["valuesFile"]
    tag, digest = read_value(values, source["tagPath"]), read_value(values, source["digestPath"])
    if not tag and not digest:
        return None  # the source environment runs nothing yet
    check_image(tag, digest, f"{values}: {source['tagPath']} / {source['digestPath']}")
    return tag, digest


def check_image(tag: str, digest: str, where: str) -> None:
    if not _TAG.match(tag):
        raise BadInput(f"{where}: tag {tag!r} is not a 40-character commit SHA")
    if not _DIGEST.match(digest):
        raise BadInput(f"{where}: digest {digest!r} is not sha256:<64 hex digits>")


# --- Command line -----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    matrix = commands.add_parser("matrix", help="the promotions as a JSON list")
    matrix.add_argument("promotions", type=Path)
    matrix.add_argument("--only", default="", help="one promotion by name (default: all)")
    chosen = commands.add_parser("select", help="tag= and digest= of the image to roll out")
    chosen.add_argument("promotions", type=Path)
    chosen.add_argument("name")
    chosen.add_argument("--gitops", type=Path, required=True, help="checkout of the GitOps repository")
    chosen.add_argument("--region")
    bumped = commands.add_parser("bump", help="write the tag (and digest) into a values file")
    bumped.add_argument("values", type=Path)
    bumped.add_argument("--tag-path", required=True)
    bumped.add_argument("--tag", required=True)
    bumped.add_argument("--digest-path", required=True)
    bumped.add_argument("--digest", required=True)
    return parser


def main(argv: Sequence[str] | None = None, describe_pages: Callable[[str], Any] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "matrix":
            entries = load_promotions(args.promotions)["promotions"]
            if args.only:
                entries = [entry for entry in entries if entry["name"] == args.only]
                if not entries:
                    raise BadInput(f"{args.promotions}: no promotion named {args.only!r}")
            print(json.dumps(entries, separators=(",", ":")))
            return EXIT_OK
        if args.command == "select":
            promotions = load_promotions(args.promotions)
            image = select(promotions, args.name, args.gitops, describe_pages or _ecr_pages(args.region))
            if image is None:
                print(f"promotion {args.name}: no image to promote yet", file=sys.stderr)
                return EXIT_NOTHING
            print(f"tag={image[0]}\ndigest={image[1]}")
            return EXIT_OK
        for key, value in (("--tag-path", args.tag_path), ("--digest-path", args.digest_path)):
            if not _PATH.match(value):
                raise BadInput(f"{key}: {value!r} is not a path such as .image.tag")
        check_image(args.tag, args.digest, "bump")
        changed = bump(args.values, [(args.tag_path, args.tag), (args.digest_path, args.digest)])
        print(f"changed={'true' if changed else 'false'}")
        return EXIT_OK
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
