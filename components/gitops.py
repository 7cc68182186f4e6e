"""`GitOps`: Argo CD (argo-cd chart, pinned) behind the shared ALB, and the root Application that
deploys the platform chart with the values this stack produced (K6, D1).

Infra outputs reach GitOps in one place, `platform_chart_values`: the root Application carries
them as ``helm.valuesObject``, so the chart in git never hard-codes an ARN or a CIDR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from .addons.contract import AddOnSpec
from .addons.release import HelmAddOn
from .edge.ingress import PREFIX, IngressContract, IngressValuesShape
from .ordering import after
from .settings.gitops import GitOpsSettings
from .settings.sso import SsoSettings
from .sso import (
    FRONT_PAGE_CLIENT_ID,
    FRONT_PAGE_OIDC_SECRET,
    FRONT_PAGE_SECRET_KEY,
    GITHUB_SECRET_KEY,
    DexClient,
    argocd_rbac_policy,
    client_secret,
    dex_config,
)

CHART = "argo-cd"
CHART_VERSION = "10.1.1"
REPOSITORY = "https://argoproj.github.io/argo-helm"
# The release is named "argocd" so the chart's objects are argocd-server, argocd-cm, ...
RELEASE_NAME = "argocd"
ROOT_APPLICATION = "kubeboard-platform"
# The AppProject of the platform chart: its repository, its three namespaces, and only the
# cluster-scoped kinds the chart itself creates (never the permissive `default` project).
PLATFORM_PROJECT = "kubeboard-platform"
PLATFORM_NAMESPACES = ("dev", "prod", "common")
PLATFORM_CLUSTER_KINDS = (
    ("", "Namespace"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("networking.k8s.io", "IngressClass"),
    ("elbv2.k8s.aws", "IngressClassParams"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
)
IN_CLUSTER = "https://kubernetes.default.svc"
DEX_SECRET = "argocd-dex-github"
REPOSITORY_SECRET = "kubeboard-platform-repository"
# Where the platform chart puts its namespaced objects (charts/kubeboard: kubeboard.namespace).
CHART_NAMESPACE = "common"
# Dashboards the observability stack provisions (components/observability/dashboards/*.json).
LOGGING_DASHBOARD = "kubeboard-error-logs"
_SMALL = {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}
"""The notifications controller and HAProxy."""
_TINY = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}}
"""Sentinels, init containers and the Redis password Job."""
INFRA_DASHBOARD = "kubeboard-infrastructure"
IMAGE_SCAN_DASHBOARD = "kubeboard-image-vulnerabilities"
# Annotations the platform chart's Ingress template writes itself from its own ingress fields.
_CHART_OWN_ANNOTATIONS = frozenset(
    f"{PREFIX}/{name}"
    for name in (
        "scheme",
        "target-type",
        "group.name",
        "group.order",
        "listen-ports",
        "ssl-redirect",
        "certificate-arn",
        "ssl-policy",
        "wafv2-acl-arn",
        "healthcheck-path",
    )
)


def argocd_values(
    settings: GitOpsSettings,
    *,
    sso: SsoSettings,
    dex_clients: Sequence[DexClient],
    is_prod: bool,
    hostname: str,
    ingress: pulumi.Input[Mapping[str, Any]],
) -> dict[str, Any]:
    """The argo-cd chart's values (every key checked against the pinned chart in the tests)."""
    workload = settings.resources.as_values()
    cm: dict[str, Any] = {
        # Everyone signs in through dex (GitHub teams): no local account exists to be guessed.
        "admin.enabled": False,
        "exec.enabled": False,
        "dex.config": dex_config(sso, dex_clients, secret_name=DEX_SECRET),
    }
    replicas = 2 if is_prod else 1
    # Two replicas of each stateless part in prod, never on one node, and a PDB to keep one up.
    ha: dict[str, Any] = {"replicas": replicas}
    if is_prod:
        ha["pdb"] = {"enabled": True, "minAvailable": 1}
    return {
        "global": {"domain": hostname},
        "configs": {
            # TLS ends at the ALB; the server speaks plain HTTP to it inside the VPC.
            "params": {"server.insecure": True},
            "cm": cm,
            "rbac": {
                "policy.default": "role:readonly",
                "policy.csv": argocd_rbac_policy(sso),
                "scopes": "[groups]",
            },
        },
        "controller": {"replicas": 1, "resources": settings.controller_resources.as_values()},
        "notifications": {"resources": _SMALL},
        # The hook Job that generates the Redis password.
        "redisSecretInit": {"resources": _TINY},
        "server": {
            **ha,
            "resources": workload,
            # The CLI reaches the server through the ALB with --grpc-web (plain HTTP/1.1 and 2).
            "ingress": ingress,
        },
        "repoServer": {**ha, "resources": workload},
        "applicationSet": {**ha, "resources": workload},
        "dex": {"enabled": True, "resources": workload},
        # HA Redis (3 replicas with sentinels and HAProxy) in prod; the chart then drops the single one.
        "redis": {"resources": workload},
        "redis-ha": {
            "enabled": is_prod,
            "redis": {"resources": workload},
            "sentinel": {"resources": _TINY},
            "splitBrainDetection": {"resources": _TINY},
            # The config-init containers of the Redis pods and of HAProxy.
            "init": {"resources": _TINY},
            "haproxy": {"resources": _SMALL, "init": {"resources": _TINY}},
        },
    }


def platform_chart_values(
    *,
    environment: str,
    ingress: IngressContract,
    hostname: str,
    vpc_cidr: str,
    alb_subnet_cidrs: list[str],
    grafana_hostname: str | None,
    reserved_hosts: list[str],
    developer_group: str,
    viewer_group: str,
    storage_class_name: str | None,
    kubernetes_version: str,
    views: pulumi.Input[Mapping[str, Any]] | None = None,
    sign_in_annotations: Mapping[str, str] | None = None,
    rollout: Mapping[str, Any] | None = None,
) -> pulumi.Output[dict[str, Any]]:
    """The platform chart's values from the stack's outputs (the shape of charts/kubeboard/values.yaml).

    ``sign_in_annotations`` (``sso.alb_oidc_annotations``) make the ALB authenticate every request.
    """
    annotations = ingress.annotations(hostname, extra=sign_in_annotations)

    def build(resolved: list[Any]) -> dict[str, Any]:
        contract, certificate_arn, web_acl_arn, views_values = resolved
        values: dict[str, Any] = {
            "network": {"vpcCidr": vpc_cidr, "albSubnetCidrs": alb_subnet_cidrs},
            # Pod Security follows the cluster's minor: it moves only with a planned upgrade.
            "podSecurity": {"version": f"v{kubernetes_version}"},
            "rbac": {"developerGroup": developer_group, "viewerGroup": viewer_group},
            "frontPage": {"title": f"Kubeboard ({environment})"},
            "ingress": {
                "enabled": True,
                "className": ingress.ingress_class_name,
                "host": hostname,
                "groupName": ingress.group_name,
                "certificateArn": certificate_arn,
                "wafAclArn": web_acl_arn,
                "sslPolicy": ingress.ssl_policy,
                "extraAnnotations": {
                    key: value for key, value in contract.items() if key not in _CHART_OWN_ANNOTATIONS
                },
            },
            # No team Ingress may claim a platform UI's name (the front page's is added by the chart).
            "tenancy": {"reservedHosts": sorted(set(reserved_hosts))},
        }
        if grafana_hostname is not None:
            base = f"https://{grafana_hostname}/d"
            values["frontPage"] |= {
                "grafana": {
                    "loggingUrl": f"{base}/{LOGGING_DASHBOARD}",
                    "infraUrl": f"{base}/{INFRA_DASHBOARD}",
                },
                "links": [
                    {
                        "title": "Error logs in Grafana",
                        "url": f"{base}/{LOGGING_DASHBOARD}",
                        "description": "Error lines per namespace, every 10 minutes",
                    },
                    {"title": "Image findings in Grafana", "url": f"{base}/{IMAGE_SCAN_DASHBOARD}"},
                ],
            }
        if storage_class_name is not None:
            values["storage"] = {"storageClassName": storage_class_name}
        if views_values is not None:
            # The front page's error-log reports and image vulnerabilities (components/report_reader.py).
            values["views"] = dict(views_values)
        if rollout is not None:
            # The web tier's strategy and the Prometheus its analysis reads (`front_page_rollout`).
            values["rollout"] = dict(rollout)
        return values

    return pulumi.Output.all(annotations, ingress.certificate_arn, ingress.web_acl_arn, views).apply(build)


def front_page_rollout(strategy: str, prometheus_url: str | None) -> dict[str, Any]:
    """The platform chart's ``rollout`` values: a Deployment, or a Rollout analysed on Prometheus."""
    values: dict[str, Any] = {"strategy": strategy}
    if prometheus_url is not None:
        values["analysis"] = {"prometheusUrl": prometheus_url}
    return values


def application(
    resource_name: str,
    *,
    name: str,
    namespace: str,
    project: str,
    source: Mapping[str, Any],
    destination_namespace: str,
    opts: pulumi.ResourceOptions,
    server_side_apply: bool = False,
) -> k8s.apiextensions.CustomResource:
    """An Argo CD Application on its own cluster, synced automatically with pruning and retries."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version="argoproj.io/v1alpha1",
        kind="Application",
        metadata={
            "name": name,
            "namespace": namespace,
            # Deleting the Application deletes what it deployed, not leaves it orphaned.
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        spec={
            "project": project,
            "source": source,
            "destination": {"server": IN_CLUSTER, "namespace": destination_namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                **({"syncOptions": ["ServerSideApply=true"]} if server_side_apply else {}),
                "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
            },
        },
        opts=opts,
    )


class GitOpsArgs(TypedDict):
    settings: GitOpsSettings
    sso: SsoSettings
    """Who signs in (dex's GitHub connector) and as what (Argo CD RBAC)."""
    dex_clients: NotRequired[Sequence[DexClient]]
    """The other UIs that sign in through this dex (Grafana, the front page's ALB)."""
    is_prod: bool
    provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    ingress: IngressContract
    chart_values: pulumi.Input[Mapping[str, Any]]
    """What the root Application passes to the platform chart (`platform_chart_values`)."""
    ingress_ready: NotRequired[pulumi.ResourceOptions]
    """What the server's Ingress waits for (`ordering.after`: the ALB controller, external-dns)."""
    application_after: NotRequired[pulumi.ResourceOptions]
    """What the root Application waits for besides Argo CD (`ordering.after`): the releases that
    install CRDs of kinds the chart renders (Argo Rollouts' Rollout), so its first sync finds them."""
    fleet: NotRequired[FleetHubOptions]
    """On a fleet's hub: what Argo CD and the platform project need for the spokes."""


class FleetHubOptions(TypedDict):
    """A hub's additions (components/fleet): the fleet's ApplicationSets deploy the platform chart."""

    argocd_values: Mapping[str, Any]
    """Deep-merged over the chart's values (IRSA on the service accounts, progressive syncs)."""
    destinations: Sequence[pulumi.Input[str]]
    """The spokes' API servers: the platform project admits its namespaces there too."""
    source_repos: Sequence[str]
    """The team applications' repositories."""


def _merged(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        current = merged.get(key)
        merged[key] = (
            _merged(current, value) if isinstance(current, Mapping) and isinstance(value, Mapping) else value
        )
    return merged


class GitOps(pulumi.ComponentResource):
    """Argo CD and the root Application of the platform."""

    release: HelmAddOn
    root_application: k8s.apiextensions.CustomResource | None
    """The platform chart's Application; none on a fleet's hub, whose ApplicationSets deploy it."""
    platform_project: k8s.apiextensions.CustomResource
    ready: list[pulumi.Resource]
    """Argo CD's release, the repository credential and the platform project: what Applications wait for."""
    url: str

    def __init__(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:GitOps", name, None, opts)
        sso = args.get("sso")
        if sso is None:
            raise ValueError("sso: required (Argo CD has no local admin: people sign in through dex)")
        settings = args["settings"]
        repository = settings.repository
        if repository is None:
            raise ValueError("gitops: a repository is required (settings validation lets none through)")
        namespace = settings.namespace
        contract = args["ingress"]
        hostname = contract.hostname(settings.hostname_prefix)
        self.url = f"https://{hostname}"
        k8s_child = pulumi.ResourceOptions(parent=self, provider=args["provider"])

        # Every Argo CD pod (redis-ha's included) meets `restricted`; tests/chart renders them to check.
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": namespace,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            },
            opts=k8s_child,
        )
        in_ns = pulumi.ResourceOptions(parent=self, provider=args["provider"], depends_on=[ns])

        dex_clients = list(args.get("dex_clients") or ())
        # Argo CD resolves "$argocd-dex-github:<key>" only in secrets labelled part-of argocd.
        dex_secret = k8s.core.v1.Secret(
            f"{name}-dex-github",
            metadata={
                "name": DEX_SECRET,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/part-of": "argocd"},
            },
            type="Opaque",
            string_data={
                GITHUB_SECRET_KEY: pulumi.Output.secret(sso.github.client_secret.get_secret_value()),
                **{
                    client.secret_key: pulumi.Output.secret(client_secret(sso, client).get_secret_value())
                    for client in dex_clients
                },
            },
            opts=in_ns,
        )
        ready: list[pulumi.Resource] = [ns, dex_secret]
        # The front page's Ingress (synced by the root Application) needs its OIDC client first.
        front_page_ready = (
            [self._front_page_oidc_secret(name, sso, args["provider"])]
            if any(client.secret_key == FRONT_PAGE_SECRET_KEY for client in dex_clients)
            else []
        )

        values = argocd_values(
            settings,
            sso=sso,
            dex_clients=dex_clients,
            is_prod=args["is_prod"],
            hostname=hostname,
            ingress=contract.helm_ingress_values(
                hostname, shape=IngressValuesShape.HOSTNAME, healthcheck_path="/healthz"
            ),
        )
        fleet = args.get("fleet")
        if fleet is not None:
            values = _merged(values, fleet["argocd_values"])
        spec = AddOnSpec(
            name=RELEASE_NAME,
            chart=CHART,
            version=CHART_VERSION,
            repository=REPOSITORY,
            namespace=namespace,
            values=values,
        )
        self.release = HelmAddOn(
            f"{name}-argocd",
            {
                "spec": spec,
                "provider": args["provider"],
                "install_after": pulumi.ResourceOptions.merge(
                    after(ready, reason="Argo CD runs in this labelled namespace and reads the dex secret"),
                    args.get("ingress_ready"),
                ),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

        app_ready: list[pulumi.Resource] = [self.release, *front_page_ready]
        if repository.token is not None:
            app_ready.append(
                k8s.core.v1.Secret(
                    f"{name}-repository",
                    metadata={
                        "name": REPOSITORY_SECRET,
                        "namespace": namespace,
                        "labels": {"argocd.argoproj.io/secret-type": "repository"},
                    },
                    type="Opaque",
                    string_data={
                        "type": "git",
                        "url": repository.url,
                        "username": repository.username,
                        "password": pulumi.Output.secret(repository.token.get_secret_value()),
                    },
                    opts=in_ns,
                )
            )

        project = k8s.apiextensions.CustomResource(
            f"{name}-platform-project",
            api_version="argoproj.io/v1alpha1",
            kind="AppProject",
            metadata={"name": PLATFORM_PROJECT, "namespace": namespace},
            spec={
                "description": "The platform chart: team namespaces, their policies and the front page",
                "sourceRepos": [repository.url, *(fleet["source_repos"] if fleet else [])],
                "destinations": [
                    {"server": server, "namespace": ns}
                    for server in [IN_CLUSTER, *(fleet["destinations"] if fleet else [])]
                    for ns in PLATFORM_NAMESPACES
                ],
                "clusterResourceWhitelist": [
                    {"group": group, "kind": kind} for group, kind in PLATFORM_CLUSTER_KINDS
                ],
                "orphanedResources": {"warn": True},
            },
            # The AppProject CRD comes with the release.
            opts=pulumi.ResourceOptions(parent=self, provider=args["provider"], depends_on=[self.release]),
        )
        app_ready.append(project)
        self.platform_project = project
        self.ready = app_ready
        self.root_application = None
        if fleet is not None:
            # The fleet's ApplicationSets deploy the platform chart here too (components/fleet).
            self.register_outputs({"url": self.url})
            return

        self.root_application = application(
            f"{name}-root-application",
            name=ROOT_APPLICATION,
            namespace=namespace,
            project=PLATFORM_PROJECT,
            source={
                "repoURL": repository.url,
                "targetRevision": repository.target_revision,
                "path": repository.path,
                "helm": {"releaseName": "kubeboard", "valuesObject": args["chart_values"]},
            },
            destination_namespace=CHART_NAMESPACE,
            server_side_apply=True,
            # The Application CRD comes with the release; the repository credential must be there first.
            opts=pulumi.ResourceOptions.merge(
                pulumi.ResourceOptions(parent=self, provider=args["provider"], depends_on=app_ready),
                args.get("application_after"),
            ),
        )
        self.register_outputs({"url": self.url})

    def _front_page_oidc_secret(
        self, name: str, sso: SsoSettings, provider: k8s.Provider
    ) -> k8s.core.v1.Secret:
        """The ALB controller reads the front page's OIDC client from a Secret beside its Ingress.

        The chart creates the namespace too; Pulumi creates it first, with the same Pod Security
        labels, so the Secret exists before Argo CD's first sync publishes the Ingress.
        """
        ns = k8s.core.v1.Namespace(
            f"{name}-chart-namespace",
            metadata={
                "name": CHART_NAMESPACE,
                "labels": {
                    "kubeboard.io/tier": "shared",
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
                # Argo CD never deletes it on prune (as the chart's own copy says).
                "annotations": {"argocd.argoproj.io/sync-options": "Prune=false"},
            },
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        return k8s.core.v1.Secret(
            f"{name}-front-page-oidc",
            metadata={"name": FRONT_PAGE_OIDC_SECRET, "namespace": CHART_NAMESPACE},
            type="Opaque",
            string_data={
                "clientID": FRONT_PAGE_CLIENT_ID,
                "clientSecret": pulumi.Output.secret(sso.front_page_client_secret.get_secret_value()),
            },
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns]),
        )
