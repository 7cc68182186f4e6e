"""The front page: collector and web share the EFS volume, scale and survive drains, and are
published on the shared ALB exactly as the Edge ingress contract says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.chart.chart_render import STACKS, Rendered, stack_values

ALB = "alb.ingress.kubernetes.io/"


def template_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return doc["spec"]["template"]


def test_snapshot_volume_is_shared_efs(rendered_default: Rendered) -> None:
    claim = rendered_default.one("PersistentVolumeClaim", "kubeboard-snapshots", "common")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] == "efs-sc"
    mounts = {}
    for doc in (
        rendered_default.one("CronJob", "kubeboard-collector"),
        rendered_default.one("Deployment", "kubeboard-web"),
    ):
        spec = template_spec(doc)["spec"]
        volume = next(v for v in spec["volumes"] if "persistentVolumeClaim" in v)
        assert volume["persistentVolumeClaim"]["claimName"] == "kubeboard-snapshots"
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
        mounts[doc["kind"]] = (mount["mountPath"], bool(mount.get("readOnly")))
    # The collector writes where the web server reads, and only the collector writes.
    assert mounts == {"CronJob": ("/data", False), "Deployment": ("/data", True)}


def test_collector_runs_the_mounted_script_on_schedule(rendered_default: Rendered) -> None:
    cron = rendered_default.one("CronJob", "kubeboard-collector")
    assert cron["spec"]["schedule"] == "*/5 * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    container = template_spec(cron)["spec"]["containers"][0]
    assert container["command"] == ["python", "/opt/kubeboard/collect.py"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["SNAPSHOT_PATH"] == "/data/snapshot.json"
    script = rendered_default.one("ConfigMap", "kubeboard-collector")["data"]["collect.py"]
    assert "def build_snapshot" in script


def test_service_hpa_and_pdb_select_the_web_pods(rendered_default: Rendered) -> None:
    deployment = rendered_default.one("Deployment", "kubeboard-web")
    pod_labels = template_spec(deployment)["metadata"]["labels"]
    assert "replicas" not in deployment["spec"]  # the HPA owns the count
    service = rendered_default.one("Service", "kubeboard-web")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    pdb = rendered_default.one("PodDisruptionBudget", "kubeboard-web")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    hpa = rendered_default.one("HorizontalPodAutoscaler", "kubeboard-web")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "kubeboard-web",
    }
    assert hpa["spec"]["minReplicas"] > pdb["spec"]["minAvailable"]


@pytest.mark.parametrize("stack", STACKS)
def test_ingress_follows_the_edge_contract(rendered_stacks: dict[str, Rendered], stack: str) -> None:
    edge = stack_values(stack)["ingress"]
    ingress = rendered_stacks[stack].one("Ingress", "kubeboard-web", "common")
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert annotations[f"{ALB}group.name"] == edge["groupName"]
    assert annotations[f"{ALB}certificate-arn"] == edge["certificateArn"]
    assert annotations[f"{ALB}wafv2-acl-arn"] == edge["wafAclArn"]
    assert annotations[f"{ALB}ssl-policy"] == edge["sslPolicy"]
    assert annotations[f"{ALB}listen-ports"] == '[{"HTTP":80},{"HTTPS":443}]'
    assert annotations[f"{ALB}ssl-redirect"] == "443"
    assert annotations[f"{ALB}target-type"] == "ip"
    assert annotations[f"{ALB}healthcheck-path"] == "/healthz"
    assert edge["extraAnnotations"]
    for key, value in edge["extraAnnotations"].items():
        assert annotations[key] == value
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == edge["host"]
    paths = {p["path"]: p for p in rule["http"]["paths"]}
    assert set(paths) == {"/cluster-info", "/logging", "/infra"}
    # A canary's backend is the action Argo Rollouts writes and the LB controller turns into
    # weighted target groups; otherwise the Service's own port.
    port = "use-annotation" if stack_values(stack)["rollout"]["strategy"] == "canary" else "http"
    for path in paths.values():
        assert path["pathType"] == "Prefix"
        assert path["backend"]["service"] == {"name": "kubeboard-web", "port": {"name": port}}


@pytest.mark.parametrize("stack", STACKS)
def test_nginx_serves_the_snapshot_and_redirects_to_grafana(
    rendered_stacks: dict[str, Rendered], stack: str
) -> None:
    grafana = stack_values(stack)["frontPage"]["grafana"]
    conf = rendered_stacks[stack].one("ConfigMap", "kubeboard-web-nginx")["data"]["nginx.conf"]
    assert "listen 8080;" in conf
    assert "alias /data/snapshot.json;" in conf
    assert f"return 302 {grafana['loggingUrl']};" in conf
    assert f"return 302 {grafana['infraUrl']};" in conf
    assert "pid /tmp/nginx.pid;" in conf


def test_page_config_carries_the_links(rendered_stacks: dict[str, Rendered]) -> None:
    site = rendered_stacks["dev"].one("ConfigMap", "kubeboard-web-site")["data"]
    config = json.loads(site["config.json"])
    assert config["title"] == "Kubeboard (dev)"
    assert [link["title"] for link in config["links"]] == [
        "Error logs in Grafana",
        "Image findings in Grafana",
    ]
    assert {"index.html", "app.js", "style.css"} <= set(site)
    # The page renders data as text only: no HTML injection from event messages.
    assert "innerHTML" not in site["app.js"]


@pytest.mark.parametrize("stack", STACKS)
def test_ingress_carries_every_annotation_of_the_edge_contract(
    rendered_stacks: dict[str, Rendered], stack: str
) -> None:
    from kubeboard_infra.edge.ingress import CONTRACT_ANNOTATIONS, INGRESS_CLASS, SSL_POLICY

    ingress = rendered_stacks[stack].one("Ingress", "kubeboard-web", "common")
    assert set(ingress["metadata"]["annotations"]) >= CONTRACT_ANNOTATIONS
    assert ingress["spec"]["ingressClassName"] == INGRESS_CLASS
    assert ingress["metadata"]["annotations"][f"{ALB}ssl-policy"] == SSL_POLICY
