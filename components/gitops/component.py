"""`GitOps`: Argo CD (argo-cd chart, pinned) behind the shared ALB, and the root Application that
deploys the platform chart with the values this stack produced (K6, D1)."""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..addons.release import HelmAddOn, helm_addon_args
from ..args import validate_args
from ..edge.ingress import IngressValuesShape, ingress_helm_values, ingress_hostname
from ..namespaces import labelled_namespace, pod_security_labels
from ..ordering import after, split_waits
from ..sso import (
    FRONT_PAGE_CLIENT_ID,
    FRONT_PAGE_OIDC_SECRET,
    FRONT_PAGE_SECRET_KEY,
    GITHUB_SECRET_KEY,
    SsoConfig,
    client_secret,
    front_page_client,
    grafana_client,
)
from . import argocd
from .args import GitOpsArgs, args_problems, with_config_defaults
from .values import (
    CHART_NAMESPACE,
    DEX_SECRET,
    IN_CLUSTER,
    PLATFORM_CLUSTER_KINDS,
    PLATFORM_NAMESPACES,
    PLATFORM_PROJECT,
    REPOSITORY_SECRET,
    ROOT_APPLICATION,
)


def app_project(
    resource_name: str, *, name: str, namespace: str, spec: Mapping[str, Any], opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    """An Argo CD AppProject: which repositories its Applications read and where they may deploy."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version="argoproj.io/v1alpha1",
        kind="AppProject",
        metadata={"name": name, "namespace": namespace},
        spec=spec,
        opts=opts,
    )


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


class GitOps(pulumi.ComponentResource):
    """Argo CD and the root Application of the platform."""

    url: str
    """Argo CD's address."""

    def __init__(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # What `opts.depends_on` names (the controllers behind its Ingress, the releases whose CRDs
        # the chart renders) holds back the Argo CD release alone, and through it the Applications.
        release_waits, opts = split_waits(opts)
        super().__init__("kubeboard:index:GitOps", name, None, opts)
        validate_args("GitOps", args, GitOpsArgs, args_problems)
        config = with_config_defaults(args)
        sso = args["sso"]
        repository = config["repository"]
        namespace = config["namespace"]
        context = args["context"]
        provider = context["cluster"]["provider"]
        contract = args["ingress"]
        hostname = ingress_hostname(contract, config["hostname_prefix"])
        self.url = f"https://{hostname}"
        k8s_child = pulumi.ResourceOptions(parent=self, provider=provider)

        # Every Argo CD pod (redis-ha's included) meets `restricted`; tests/chart renders them to check.
        ns = labelled_namespace(f"{name}-namespace", namespace, enforce="restricted", opts=k8s_child)
        in_ns = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns])

        front_page_host, grafana_host = args.get("front_page_host"), args.get("grafana_host")
        dex_clients = [
            *([front_page_client(front_page_host)] if front_page_host else []),
            *([grafana_client(grafana_host)] if grafana_host else []),
        ]
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
                GITHUB_SECRET_KEY: pulumi.Output.secret(sso["github"]["client_secret"]),
                **{
                    client.secret_key: pulumi.Output.secret(client_secret(sso, client))
                    for client in dex_clients
                },
            },
            opts=in_ns,
        )
        ready: list[pulumi.Resource] = [ns, dex_secret]
        # The front page's Ingress (synced by the root Application) needs its OIDC client first.
        front_page_ready = (
            [self._front_page_oidc_secret(name, sso, provider)]
            if any(client.secret_key == FRONT_PAGE_SECRET_KEY for client in dex_clients)
            else []
        )

        fleet = args.get("fleet")
        spec = argocd.release_spec(
            context,
            {
                "config": args,
                "sso": sso,
                "dex_clients": dex_clients,
                "hostname": hostname,
                "ingress": ingress_helm_values(
                    contract, hostname, shape=IngressValuesShape.HOSTNAME, healthcheck_path="/healthz"
                ),
                "extra_values": fleet["argocd_values"] if fleet is not None else None,
            },
        )
        release = HelmAddOn(
            f"{name}-argocd",
            helm_addon_args(spec, context["cluster"]),
            opts=after(
                ready,
                reason="Argo CD runs in this labelled namespace and reads the dex secret",
                opts=pulumi.ResourceOptions(parent=self, depends_on=release_waits),
            ),
        )

        app_ready: list[pulumi.Resource] = [release, *front_page_ready]
        if repository["token"] is not None:
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
                        "url": repository["url"],
                        "username": repository["username"],
                        "password": pulumi.Output.secret(repository["token"]),
                    },
                    opts=in_ns,
                )
            )

        project = app_project(
            f"{name}-platform-project",
            name=PLATFORM_PROJECT,
            namespace=namespace,
            spec={
                "description": "The platform chart: team namespaces, their policies and the front page",
                "sourceRepos": [repository["url"], *(fleet["source_repos"] if fleet else [])],
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
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[release]),
        )
        app_ready.append(project)
        self._ready = app_ready
        if fleet is not None:
            # The fleet's ApplicationSets deploy the platform chart here too (components/fleet).
            self.register_outputs({"url": self.url})
            return

        application(
            f"{name}-root-application",
            name=ROOT_APPLICATION,
            namespace=namespace,
            project=PLATFORM_PROJECT,
            source={
                "repoURL": repository["url"],
                "targetRevision": repository["target_revision"],
                "path": repository["path"],
                "helm": {"releaseName": "kubeboard", "valuesObject": args["chart_values"]},
            },
            destination_namespace=CHART_NAMESPACE,
            server_side_apply=True,
            # The Application CRD comes with the release; the repository credential must be there first.
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=app_ready),
        )
        self.register_outputs({"url": self.url})

    @property
    def ready(self) -> list[pulumi.Resource]:
        """Argo CD's release, the repository credential and the platform project: what Applications wait for."""
        return list(self._ready)

    def _front_page_oidc_secret(
        self, name: str, sso: SsoConfig, provider: k8s.Provider
    ) -> k8s.core.v1.Secret:
        """The ALB controller reads the front page's OIDC client from a Secret beside its Ingress.

        The chart creates the namespace too; Pulumi creates it first, with the same Pod Security
        labels, so the Secret exists before Argo CD's first sync publishes the Ingress.
        """
        ns = k8s.core.v1.Namespace(
            f"{name}-chart-namespace",
            metadata={
                "name": CHART_NAMESPACE,
                "labels": {"kubeboard.io/tier": "shared", **pod_security_labels("restricted")},
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
                "clientSecret": pulumi.Output.secret(sso["front_page_client_secret"]),
            },
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns]),
        )
