"""The views sync in the chart: what the stack passes reaches the CronJob, its identity is the IRSA
role and nothing else, its egress is HTTPS outside the cluster API, and it writes where the web
pods read; a half-configured view is refused at render time."""

from __future__ import annotations

import pytest

from tests.chart.chart_render import STACKS, Rendered, Renderer, stack_values, with_change
from tests.chart.netpol_model import External, Pod, can_connect

SYNC = Pod(
    "common", {"app.kubernetes.io/name": "kubeboard-views-sync", "app.kubernetes.io/instance": "kubeboard"}
)


def test_off_by_default(rendered_default: Rendered) -> None:
    assert [d for d in rendered_default.docs if "views-sync" in d["metadata"]["name"]] == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_stacks_values_reach_the_sync_job(rendered_stacks: dict[str, Rendered], stack: str) -> None:
    views = stack_values(stack)["views"]
    rendered = rendered_stacks[stack]
    cron = rendered.one("CronJob", "kubeboard-views-sync", "common")
    assert cron["spec"]["schedule"] == views["schedule"] and cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "kubeboard-views-sync"
    assert pod["automountServiceAccountToken"] is False
    [container] = pod["containers"]
    assert container["image"] == f"{views['image']['repository']}:{views['image']['tag']}"
    assert container["command"] == ["python", "/opt/kubeboard/sync_views.py"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["REPORTS_BUCKET"] == views["reports"]["bucket"] and env["REPORTS_PREFIX"] == "reports/"
    assert env["FINDINGS_BUCKET"] == views["images"]["bucket"] and env["FINDINGS_PREFIX"] == "scan-findings/"
    assert env["VIEWS_DIR"] == "/data/views" and env["MAX_REPORTS"] == "1000" and env["MAX_IMAGES"] == "500"
    # It writes the volume the web pods read (/data, read-only there; views under /data/views).
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert not mounts["/data"].get("readOnly")
    claim = next(v for v in pod["volumes"] if v["name"] == mounts["/data"]["name"])
    assert claim["persistentVolumeClaim"]["claimName"] == "kubeboard-snapshots"
    account = rendered.one("ServiceAccount", "kubeboard-views-sync", "common")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == views["roleArn"]
    script = rendered.one("ConfigMap", "kubeboard-views-sync", "common")["data"]["sync_views.py"]
    assert "class Syncer" in script


@pytest.mark.parametrize("stack", STACKS)
def test_sync_egress_is_https_but_never_the_cluster_api(
    rendered_stacks: dict[str, Rendered], stack: str
) -> None:
    rules = rendered_stacks[stack].of_kind("NetworkPolicy")
    s3 = External("52.219.56.10")
    assert can_connect(rules, SYNC, s3, 443)
    assert not can_connect(rules, SYNC, s3, 80)
    assert not can_connect(rules, SYNC, External("172.20.0.1"), 443)
    web = Pod(
        "common", {"app.kubernetes.io/name": "kubeboard-web", "app.kubernetes.io/instance": "kubeboard"}
    )
    assert not can_connect(rules, web, s3, 443)  # the web pods hold no AWS identity and reach nothing


@pytest.mark.parametrize(
    ("change", "value", "message"),
    [
        ("views.roleArn", "", "views.roleArn: required when views.enabled"),
        ("views.image.tag", "", "views.image: give its tag or digest"),
        ("views.image.tag", "latest", "views"),
        ("views.reports.prefix", "reports", "views"),
    ],
)
def test_a_half_configured_view_is_refused(render: Renderer, change: str, value: str, message: str) -> None:
    assert message in render.error(with_change(stack_values("dev"), change, value))


def test_a_view_needs_a_bucket(render: Renderer) -> None:
    values = with_change(stack_values("dev"), "views.reports.bucket", "")
    values = with_change(values, "views.images.bucket", "")
    assert "give views.reports.bucket, views.images.bucket or both" in render.error(values)
