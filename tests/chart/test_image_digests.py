"""The chart's images pull by digest when one is given: what the promotion writes into `image.digest`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chart.chart_render import default_values, stack_values, with_change

DIGEST = "sha256:" + "0123456789abcdef" * 4
# (values key, kind and name of the workload, the container that runs the image)
WORKLOADS = [
    ("web", "Deployment", "kubeboard-web", "nginx"),
    ("collector", "CronJob", "kubeboard-collector", "collector"),
]


def _container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    pods = workload["spec"]["jobTemplate"]["spec"] if "jobTemplate" in workload["spec"] else workload["spec"]
    spec = pods["template"]["spec"]
    [container] = [c for c in spec["containers"] if c["name"] == name]
    return container


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w[0] for w in WORKLOADS])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_an_image_with_a_digest_is_pulled_by_that_digest(
    render: Any, stack: str, workload: tuple[str, str, str, str]
) -> None:
    key, kind, name, container = workload
    values = stack_values(stack)
    if kind == "Deployment" and values["rollout"]["strategy"] != "deployment":
        kind = "Rollout"  # the stack runs the web tier as an Argo Rollout (same pod template)
    image = {**default_values()[key]["image"], **values.get(key, {}).get("image", {})}
    assert image["repository"] and not image["digest"]

    by_tag = _container(render(values).one(kind, name), container)["image"]
    by_digest = _container(
        render(with_change(values, f"{key}.image.digest", DIGEST)).one(kind, name), container
    )

    assert by_tag == f"{image['repository']}:{image['tag']}"
    # The tag drops out: a digest names one image, a tag only what it points at today.
    assert by_digest["image"] == f"{image['repository']}@{DIGEST}"


@pytest.mark.parametrize("key", [w[0] for w in WORKLOADS])
@pytest.mark.parametrize("digest", ["latest", "sha256:abc", "sha512:" + "a" * 128, "SHA256:" + "A" * 64])
def test_a_digest_that_is_not_sha256_is_refused(render: Any, key: str, digest: str) -> None:
    message = render.error(with_change(stack_values("dev"), f"{key}.image.digest", digest))
    assert "digest" in message
