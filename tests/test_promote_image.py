"""scripts/promote_image.py: which image the central promotion rolls out, and how it edits values files."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "promote_image.py"
PROMOTIONS = ROOT / ".github" / "promotions.yaml"

_spec = importlib.util.spec_from_file_location("promote_image", SCRIPT)
assert _spec is not None and _spec.loader is not None
promote_image = importlib.util.module_from_spec(_spec)
sys.modules["promote_image"] = promote_image
_spec.loader.exec_module(promote_image)

SHA_A = "a" * 40
SHA_B = "0123456789" * 4  # digits only: must stay a string in YAML
DIGEST_A = "sha256:" + "1" * 64
DIGEST_B = "sha256:" + "2" * 64
VALUES = """\
# shop-api in dev: the image is written by the platform's promote-image workflow
image:
  repository: 111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/shop/api  # the registry
  tag: "0000000"   # commit SHA
  digest: ""
replicas: 2
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False, timeout=60
    )


def _bump(values: Path, tag: str = SHA_A, digest: str = DIGEST_A) -> subprocess.CompletedProcess[str]:
    return _run(
        "bump",
        str(values),
        "--tag-path",
        ".image.tag",
        "--tag",
        tag,
        "--digest-path",
        ".image.digest",
        "--digest",
        digest,
    )


# --- bump: one scalar rewritten, everything else untouched, idempotent -------------------------------


def test_bump_writes_tag_and_digest_and_keeps_comments_and_layout(tmp_path: Path) -> None:
    values = tmp_path / "values-dev.yaml"
    values.write_text(VALUES)

    result = _bump(values, SHA_B, DIGEST_B)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "changed=true"
    assert yaml.safe_load(values.read_text())["image"] == {
        "repository": "111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/shop/api",
        "tag": SHA_B,  # a string, not the number a plain scalar of digits would read as
        "digest": DIGEST_B,
    }
    expected = VALUES.replace('"0000000"', f'"{SHA_B}"').replace('digest: ""', f'digest: "{DIGEST_B}"')
    assert values.read_text() == expected


def test_bump_is_idempotent(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(VALUES)
    assert _bump(values).returncode == 0
    after_first = values.read_text()

    second = _bump(values)

    assert second.returncode == 0
    assert second.stdout.strip() == "changed=false"
    assert values.read_text() == after_first


def test_bump_fills_an_empty_key(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("image:\n  tag:\n  digest:\nreplicas: 1\n")
    assert _bump(values).returncode == 0
    assert yaml.safe_load(values.read_text()) == {"image": {"tag": SHA_A, "digest": DIGEST_A}, "replicas": 1}


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("image:\n  digest: ''\n", {}, ".image.tag: not found"),  # never adds a key Argo CD ignores
        ("image:\n  tag: ''\n", {}, ".image.digest: not found"),
        ("image: web:1\n", {}, "not inside a mapping"),
        ("image:\n  tag: |\n    x\n  digest: ''\n", {}, "one-line scalar"),
        ("image:\n  tag: [a]\n  digest: ''\n", {}, "one-line scalar"),
        ("a: 1\n---\nb: 2\n", {}, "one YAML document"),
        ("image: {tag: '', digest: ''}\n", {"tag": "main"}, "not a 40-character commit SHA"),
        ("image: {tag: '', digest: ''}\n", {"tag": "A" * 40}, "not a 40-character commit SHA"),
        ("image: {tag: '', digest: ''}\n", {"digest": "sha256:abc"}, "not sha256:"),
        ("image: {tag: '', digest: ''}\n", {"digest": "md5:" + "1" * 64}, "not sha256:"),
    ],
)
def test_bump_refuses_bad_input_and_leaves_the_file_alone(
    tmp_path: Path, content: str, args: dict[str, str], message: str
) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(content)

    result = _bump(values, **args)

    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert values.read_text() == content


def test_bump_refuses_a_path_that_is_not_plain() -> None:
    result = _run(
        "bump",
        "x.yaml",
        "--tag-path",
        '.image.tag | .x = "y"',
        "--tag",
        SHA_A,
        "--digest-path",
        ".d",
        "--digest",
        DIGEST_A,
    )
    assert result.returncode == 2
    assert "--tag-path" in result.stderr


def test_bump_in_flow_style(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("image: {repository: r, tag: old, digest: ''}  # flow\n")
    assert _bump(values).returncode == 0
    assert values.read_text() == f'image: {{repository: r, tag: "{SHA_A}", digest: "{DIGEST_A}"}}  # flow\n'


# --- .github/promotions.yaml ------------------------------------------------------------------------


def test_the_repositorys_promotions_file_is_valid_and_names_declared_repositories() -> None:
    promotions = promote_image.load_promotions(PROMOTIONS)
    assert promotions["promotions"]
    shared = yaml.safe_load((ROOT / "Pulumi.shared.yaml").read_text())["config"]["kubeboard:account"]
    declared = {repository["name"] for repository in shared["registry"]["repositories"]}
    delivered = {image for team in shared["delivery"]["teams"] for image in team["ecrRepositories"]}
    for entry in promotions["promotions"]:
        # The promotion role reads the registry's repositories, and only delivered images are promoted.
        assert entry["ecrRepository"] in declared & delivered, entry["name"]
    # prod takes what dev runs and is rolled out through a reviewed pull request without HIGH findings.
    prod = [entry for entry in promotions["promotions"] if entry["name"].endswith("-prod")]
    assert prod
    for entry in prod:
        assert entry["from"] and entry["update"] == "pull-request" and entry["highThreshold"] == 0


def test_matrix_lists_every_entry_or_one() -> None:
    everything = _run("matrix", str(PROMOTIONS))
    assert everything.returncode == 0, everything.stderr
    names = [entry["name"] for entry in json.loads(everything.stdout)]
    assert names == [entry["name"] for entry in yaml.safe_load(PROMOTIONS.read_text())["promotions"]]

    one = _run("matrix", str(PROMOTIONS), "--only", names[0])
    assert [entry["name"] for entry in json.loads(one.stdout)] == [names[0]]
    unknown = _run("matrix", str(PROMOTIONS), "--only", "nobody")
    assert unknown.returncode == 2
    assert "no promotion named 'nobody'" in unknown.stderr


def _promotions(**entry_overrides: Any) -> dict[str, Any]:
    entry = {
        "name": "shop-dev",
        "ecrRepository": "shop/api",
        "valuesFile": "apps/shop/values-dev.yaml",
        **entry_overrides,
    }
    return {"gitops": {"repository": "acme/gitops"}, "promotions": [entry]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"promotions": []}, "exactly the keys gitops and promotions"),
        ({"gitops": {"repository": "gitops"}, "promotions": [{}]}, "gitops.repository"),
        ({"gitops": {"repository": "acme/gitops", "branch": "a..b"}, "promotions": [{}]}, "gitops.branch"),
        ({"gitops": {"repository": "acme/gitops"}, "promotions": []}, "list at least one promotion"),
        (_promotions(name="Shop Dev"), "promotions[0].name"),
        (
            _promotions(ecrRepository="111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/shop/api"),
            "promotions[0].ecrRepository",
        ),
        (_promotions(valuesFile="../secrets.yaml"), "promotions[0].valuesFile"),
        (_promotions(valuesFile="/apps/values.yaml"), "promotions[0].valuesFile"),
        (_promotions(tagPath='.image.tag = "x"'), "promotions[0].tagPath"),
        (_promotions(update="force-push"), "promotions[0].update"),
        (_promotions(highThreshold=-1), "promotions[0].highThreshold"),
        (_promotions(highThreshold=True), "promotions[0].highThreshold"),
        (_promotions(environment="dev"), "promotions[0].environment: unknown key"),
        (_promotions(**{"from": "shop-dev"}), "promotions[0].from"),
        (_promotions(**{"from": "nobody"}), "promotions[0].from"),
    ],
)
def test_a_malformed_promotions_file_is_refused_naming_the_key(
    tmp_path: Path, document: dict[str, Any], message: str
) -> None:
    path = tmp_path / "promotions.yaml"
    path.write_text(yaml.safe_dump(document))

    result = _run("matrix", str(path))

    assert result.returncode == 2
    assert message in result.stderr
    assert str(path) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_duplicates_and_chains_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "promotions.yaml"
    base = {"ecrRepository": "shop/api", "valuesFile": "v.yaml"}
    cases = [
        ([{"name": "a", **base}, {"name": "a", **base}], "promotions[1].name: 'a' is listed twice"),
        (
            [{"name": "a", **base}, {"name": "b", "from": "a", **base}, {"name": "c", "from": "b", **base}],
            "promotions[2].from: 'b' itself promotes from another entry",
        ),
        (
            [{"name": "a", **base}, {"name": "b", "from": "a", **base, "ecrRepository": "shop/web"}],
            "promotes another ECR repository",
        ),
    ]
    for entries, message in cases:
        path.write_text(yaml.safe_dump({"gitops": {"repository": "acme/gitops"}, "promotions": entries}))
        result = _run("matrix", str(path))
        assert result.returncode == 2
        assert message in result.stderr


# --- select: the newest delivered image, or what the source environment runs ------------------------


@pytest.fixture
def registry() -> Any:
    with mock_aws():
        client = boto3.client("ecr", region_name="ap-northeast-2")
        client.create_repository(repositoryName="shop/api", imageTagMutability="IMMUTABLE")
        yield client


def _push(client: Any, tag: str, layer: str) -> str:
    # moto gives every manifest the same digest unless told one; ECR would compute it.
    digest = "sha256:" + layer * 64
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": "sha256:" + layer * 64,
            },
            "layers": [],
        }
    )
    image = client.put_image(
        repositoryName="shop/api", imageManifest=manifest, imageTag=tag, imageDigest=digest
    )["image"]
    return image["imageId"]["imageDigest"]


def _pages(client: Any) -> Any:
    paginator = client.get_paginator("describe_images")
    return lambda repository: paginator.paginate(repositoryName=repository, filter={"tagStatus": "TAGGED"})


def test_select_takes_an_image_tagged_with_a_commit_sha_from_the_registry(
    registry: Any, tmp_path: Path
) -> None:
    delivered = _push(registry, SHA_B, "b")
    _push(registry, "latest-build", "c")  # pushed later, but not a commit SHA: never promoted

    assert promote_image.select(_promotions(), "shop-dev", tmp_path, _pages(registry)) == (SHA_B, delivered)


def test_newest_image_compares_push_times_not_listing_order() -> None:
    now = datetime.now(UTC)
    pages = [
        {"imageDetails": [{"imageTags": [SHA_B], "imageDigest": DIGEST_B, "imagePushedAt": now}]},
        {
            "imageDetails": [
                {"imageTags": [SHA_A], "imageDigest": DIGEST_A, "imagePushedAt": now - timedelta(hours=1)}
            ]
        },
        {
            "imageDetails": [
                {"imageTags": ["v1"], "imageDigest": DIGEST_A, "imagePushedAt": now + timedelta(hours=1)}
            ]
        },
    ]
    assert promote_image.newest_image(lambda _: pages, "shop/api") == (SHA_B, DIGEST_B)
    assert promote_image.newest_image(lambda _: [{"imageDetails": []}], "shop/api") is None


def test_select_without_any_delivered_image_exits_1(registry: Any, tmp_path: Path) -> None:
    path = tmp_path / "promotions.yaml"
    path.write_text(yaml.safe_dump(_promotions()))
    assert (
        promote_image.main(["select", str(path), "shop-dev", "--gitops", str(tmp_path)], _pages(registry))
        == 1
    )


def test_select_from_another_entry_takes_the_image_that_environment_runs(tmp_path: Path) -> None:
    promotions = {
        "gitops": {"repository": "acme/gitops"},
        "promotions": [
            {"name": "shop-dev", "ecrRepository": "shop/api", "valuesFile": "apps/shop/values-dev.yaml"},
            {
                "name": "shop-prod",
                "ecrRepository": "shop/api",
                "valuesFile": "apps/shop/values-prod.yaml",
                "from": "shop-dev",
            },
        ],
    }
    path = tmp_path / "promotions.yaml"
    path.write_text(yaml.safe_dump(promotions))
    loaded = promote_image.load_promotions(path)
    dev = tmp_path / "apps" / "shop" / "values-dev.yaml"
    dev.parent.mkdir(parents=True)

    def never(_: str) -> Any:
        raise AssertionError("a `from` entry must not look at the registry")

    dev.write_text(f'image:\n  tag: "{SHA_A}"\n  digest: "{DIGEST_A}"\n')
    assert promote_image.select(loaded, "shop-prod", tmp_path, never) == (SHA_A, DIGEST_A)
    dev.write_text('image:\n  tag: ""\n  digest: ""\n')
    assert promote_image.select(loaded, "shop-prod", tmp_path, never) is None
    dev.write_text(f'image:\n  tag: "{SHA_A}"\n  digest: "latest"\n')
    with pytest.raises(promote_image.BadInput, match=r"values-dev.yaml: .* digest 'latest'"):
        promote_image.select(loaded, "shop-prod", tmp_path, never)


# --- The workflow's write step, against a local GitOps repository ------------------------------------


def _write_step() -> dict[str, Any]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "promote-image.yml").read_text())
    [step] = [s for s in workflow["jobs"]["promote"]["steps"] if s["name"].startswith("Write the tag")]
    return step


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_the_write_step_commits_once_and_then_finds_nothing_to_do(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    seed = tmp_path / "seed"
    _git("init", "--quiet", "--bare", "--initial-branch=main", str(origin), cwd=tmp_path)
    _git("clone", "--quiet", str(origin), str(seed), cwd=tmp_path)
    (seed / "apps" / "shop").mkdir(parents=True)
    (seed / "apps" / "shop" / "values-dev.yaml").write_text(VALUES)
    for args in (
        ("add", "."),
        ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "seed"),
    ):
        _git(*args, cwd=seed)
    _git("push", "--quiet", "origin", "HEAD:main", cwd=seed)
    work = tmp_path / "job"
    work.mkdir()
    (work / "platform").symlink_to(ROOT)
    _git("clone", "--quiet", str(origin), str(work / "gitops"), cwd=tmp_path)

    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "NAME": "shop-dev",
        "ECR_REPOSITORY": "shop/api",
        "VALUES_FILE": "apps/shop/values-dev.yaml",
        "TAG_PATH": ".image.tag",
        "DIGEST_PATH": ".image.digest",
        "UPDATE_MODE": "commit",
        "TAG": SHA_B,
        "DIGEST": DIGEST_B,
        "GITOPS_REPOSITORY": "acme/gitops",
        "GITOPS_BRANCH": "main",
        "GH_TOKEN": "unused",
        "RUN_URL": "https://github.com/acme/platform/actions/runs/1",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-e", "-c", _write_step()["run"]],
            cwd=work / "gitops",
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    first = run()
    assert first.returncode == 0, first.stderr
    log = _git("log", "--format=%s", "main", cwd=origin).splitlines()
    assert log == [f"promote(shop-dev): shop/api {SHA_B[:12]}", "seed"]
    pushed = yaml.safe_load(_git("show", "main:apps/shop/values-dev.yaml", cwd=origin))
    assert pushed["image"]["tag"] == SHA_B
    assert pushed["image"]["digest"] == DIGEST_B

    second = run()
    assert second.returncode == 0, second.stderr
    assert "already runs" in second.stdout
    assert len(_git("log", "--format=%s", "main", cwd=origin).splitlines()) == 2


def test_select_names_an_unknown_promotion(tmp_path: Path) -> None:
    result = _run("select", str(PROMOTIONS), "nobody", "--gitops", str(tmp_path))
    assert result.returncode == 2
    assert "promotion 'nobody' is not listed" in result.stderr


def test_select_reports_what_aws_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "promotions.yaml"
    path.write_text(yaml.safe_dump(_promotions()))
    with mock_aws():  # no repository shop/api in this registry
        status = promote_image.main(
            ["select", str(path), "shop-dev", "--gitops", str(tmp_path), "--region", "ap-northeast-2"]
        )
    assert status == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ECR refused to list shop/api: ")
    assert "RepositoryNotFoundException" in error
    assert len(error.strip().splitlines()) == 1
