"""The hub: the role its Argo CD assumes spokes' roles with, one cluster secret per cluster of the
fleet, and the root Application that installs the fleet's ApplicationSets (the app of apps).

`FleetHubAccess` comes before Argo CD (the release's service accounts carry its role); `FleetHub`
after it (its objects are Argo CD's custom resources and labelled secrets in Argo CD's namespace).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..gitops import IN_CLUSTER, application
from ..irsa import trust_policy
from ..ordering import after
from ..settings.fleet import FleetSettings, HubPath, SpokeSettings
from . import appsets, bridge

# The argo-cd release "argocd": the two components that talk to clusters' APIs.
ARGOCD_SERVICE_ACCOUNTS = ("argocd-application-controller", "argocd-server")
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
FLEET_PROJECT = "kubeboard-fleet"
ROOT_APPLICATION = "kubeboard-fleet"


class FleetHubAccessArgs(TypedDict):
    fleet: FleetSettings
    name: str
    """The hub's platform name (the role's description)."""
    namespace: str
    """Argo CD's namespace."""
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    vpc_cidr: str
    """The hub's VPC: a spoke on a private path must admit it."""
    egress_ips: pulumi.Input[list[str]]
    """The hub's NAT addresses: a spoke on an allow-listed path must admit each."""


class FleetHubAccess(pulumi.ComponentResource):
    """Each spoke's bridge (StackReference) and the IRSA role of the hub's Argo CD."""

    roles: dict[str, aws.iam.Role]
    """The Argo CD role of each service account that reaches clusters."""
    role_arns: pulumi.Output[list[str]]
    bridges: dict[str, pulumi.Output[dict[str, Any]]]
    """Each spoke's bridge by its name in the fleet, checked against this hub."""

    def __init__(
        self, name: str, args: FleetHubAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:FleetHubAccess", name, None, opts)
        fleet = args["fleet"]
        child = pulumi.ResourceOptions(parent=self)
        # One role per service account (each trust names exactly one); spokes admit both.
        self.roles = {
            account: irsa_only_role(
                f"{name}-{account.removeprefix('argocd-')}",
                description=f"{args['name']} Argo CD {account}: assumes the fleet's spoke roles (awsAuthConfig)",
                oidc_provider_arn=args["oidc_provider_arn"],
                oidc_issuer=args["oidc_issuer"],
                namespace=args["namespace"],
                service_account=account,
                opts=child,
            )
            for account in ARGOCD_SERVICE_ACCOUNTS
        }
        self.role_arns = pulumi.Output.all(*[role.arn for role in self.roles.values()])
        self.bridges = {}
        for spoke in fleet.spokes:
            reference = pulumi.StackReference(f"{name}-{spoke.name}", stack_name=spoke.stack, opts=child)

            def check(found: list[Any], spoke: SpokeSettings = spoke) -> dict[str, Any]:
                hub = Hub(
                    role_arns=found[1], vpc_cidr=args["vpc_cidr"], egress_ips=found[2], fleet=fleet.name
                )
                return checked_bridge(spoke.name, spoke.stack, found[0], hub)

            self.bridges[spoke.name] = pulumi.Output.all(
                reference.get_output(bridge.BRIDGE_OUTPUT), self.role_arns, args["egress_ips"]
            ).apply(check)
        if self.bridges:
            # Exactly the spokes' roles: never sts:AssumeRole on "*".
            policy = pulumi.Output.all(*[b["accessRoleArn"] for b in self.bridges.values()]).apply(
                lambda arns: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "AssumeSpokeRoles",
                                "Effect": "Allow",
                                "Action": "sts:AssumeRole",
                                "Resource": sorted(arns),
                            }
                        ],
                    }
                )
            )
            for account, role in self.roles.items():
                aws.iam.RolePolicy(
                    f"{name}-{account.removeprefix('argocd-')}-spokes",
                    role=role.id,
                    policy=policy,
                    opts=pulumi.ResourceOptions(parent=role),
                )
        self.register_outputs({"role_arns": self.role_arns})

    def argocd_values(self) -> dict[str, Any]:
        """What the argo-cd chart needs on a hub: IRSA for the components that reach clusters, and
        progressive syncs on in the ApplicationSet controller (RollingSync is ignored without it)."""

        def annotated(account: str) -> dict[str, Any]:
            return {"serviceAccount": {"annotations": {IRSA_ANNOTATION: self.roles[account].arn}}}

        return {
            "configs": {"params": {"applicationsetcontroller.enable.progressive.syncs": True}},
            "controller": annotated("argocd-application-controller"),
            "server": annotated("argocd-server"),
        }


def irsa_only_role(
    name: str,
    *,
    description: str,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    namespace: str,
    service_account: str,
    opts: pulumi.ResourceOptions,
) -> aws.iam.Role:
    """An IRSA role whose permissions come later (the spokes' roles are known once they have joined)."""
    trust = pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
        lambda v: json.dumps(trust_policy(v[0], v[1], namespace, service_account))
    )
    return aws.iam.Role(
        name, assume_role_policy=trust, description=description, max_session_duration=3600, opts=opts
    )


@dataclass(frozen=True)
class Hub:
    """What a spoke must admit: the hub's Argo CD roles, and its VPC or NAT addresses."""

    role_arns: Sequence[str]
    vpc_cidr: str
    egress_ips: Sequence[str]
    fleet: str


def checked_bridge(spoke: str, stack: str, found: Mapping[str, Any] | None, hub: Hub) -> dict[str, Any]:
    """A spoke's bridge, refused at deploy time unless this hub can reach and sign in to its API."""
    where = f"Pulumi.{pulumi.get_stack()}.yaml: kubeboard:fleet.spokes ({spoke}, stack {stack!r})"
    if not found:
        raise pulumi.RunError(
            f"{where}: the stack exports no {bridge.BRIDGE_OUTPUT}; deploy it with fleet.role: spoke first"
        )
    if found["fleet"] != hub.fleet:
        raise pulumi.RunError(f"{where}: it joined fleet {found['fleet']!r}, not {hub.fleet!r} (fleet.name)")
    if sorted(found["hubRoleArns"]) != sorted(hub.role_arns):
        raise pulumi.RunError(
            f"{where}: its access role admits {', '.join(found['hubRoleArns'])}, not this hub's Argo CD "
            f"roles ({', '.join(hub.role_arns)}); set its fleet.hubStack to this stack"
        )
    network = found["hubNetwork"]
    admitted = [ipaddress.IPv4Network(cidr) for cidr in network["cidrs"]]
    if network["path"] == HubPath.PRIVATE.value:
        sources = [hub.vpc_cidr]
        what = "this hub's VPC"
    else:
        sources = [f"{ip}/32" for ip in hub.egress_ips]
        what = "this hub's NAT address"
    for source in sources:
        if not any(ipaddress.IPv4Network(source).subnet_of(block) for block in admitted):
            raise pulumi.RunError(
                f"{where}: its API admits {', '.join(network['cidrs'])} ({network['path']}), not {what} "
                f"{source}; add it to its fleet.hubNetwork.cidrs"
            )
    return dict(found)


class OwnCluster(TypedDict):
    """The hub's own cluster, registered like a spoke but reached in-cluster."""

    cluster_name: str
    region: str
    environment: str
    platform_values: pulumi.Input[Mapping[str, Any]]
    irsa_role_arns: Mapping[str, pulumi.Input[str]]
    buckets: Mapping[str, pulumi.Input[str]]
    efs_file_system_id: pulumi.Input[str] | None


class FleetHubArgs(TypedDict):
    fleet: FleetSettings
    namespace: str
    provider: k8s.Provider
    access: FleetHubAccess
    own: OwnCluster
    repository_url: str
    chart_path: str
    chart_namespace: str
    platform_project: str
    argocd_ready: Sequence[pulumi.Resource]
    """Argo CD's release and the platform project: the CRDs and the project these objects need."""


class FleetHub(pulumi.ComponentResource):
    """One cluster secret per cluster (IAM auth, bridge labels and annotations) and the fleet's root Application."""

    cluster_secrets: dict[str, k8s.core.v1.Secret]
    root_application: k8s.apiextensions.CustomResource

    def __init__(self, name: str, args: FleetHubArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:FleetHub", name, None, opts)
        fleet, namespace = args["fleet"], args["namespace"]
        if fleet.waves is None:
            raise ValueError("FleetHub: fleet.waves is required (the revision each wave follows)")
        waves = fleet.waves
        k8s_child = after(
            args["argocd_ready"],
            reason="cluster secrets and Argo CD's custom resources need its namespace, CRDs and platform project",
            opts=pulumi.ResourceOptions(parent=self, provider=args["provider"]),
        )
        self.cluster_secrets = {}

        own = args["own"]
        own_data = pulumi.Output.all(
            own["platform_values"],
            pulumi.Output.from_input(dict(own["irsa_role_arns"])),
            pulumi.Output.from_input(dict(own["buckets"])),
            own["efs_file_system_id"],
        )
        self.cluster_secrets["in-cluster"] = self._secret(
            f"{name}-in-cluster",
            namespace,
            cluster="in-cluster",
            server=IN_CLUSTER,
            config=bridge.cluster_config(None),
            labels=bridge.secret_labels(
                fleet=fleet.name,
                wave=fleet.hub_wave.value,
                environment=own["environment"],
                cluster_name=own["cluster_name"],
                region=own["region"],
            ),
            annotations=own_data.apply(
                lambda v: bridge.secret_annotations(
                    target_revision=getattr(waves, fleet.hub_wave.value).target_revision,
                    platform_values=v[0],
                    access_role_arn=None,
                    irsa_role_arns=v[1],
                    buckets=v[2],
                    efs_file_system_id=v[3],
                )
            ),
            opts=k8s_child,
        )
        for spoke in fleet.spokes:
            self.cluster_secrets[spoke.name] = self._spoke_secret(
                f"{name}-{spoke.name}",
                namespace,
                fleet=fleet.name,
                spoke=spoke,
                revision=getattr(waves, spoke.wave.value).target_revision,
                data=args["access"].bridges[spoke.name],
                opts=k8s_child,
            )

        project = k8s.apiextensions.CustomResource(
            f"{name}-project",
            api_version="argoproj.io/v1alpha1",
            kind="AppProject",
            metadata={"name": FLEET_PROJECT, "namespace": namespace},
            spec={
                "description": "The fleet's root: the argocd-apps chart, ApplicationSets in Argo CD's namespace only",
                "sourceRepos": [appsets.REPOSITORY],
                "destinations": [{"server": IN_CLUSTER, "namespace": namespace}],
                "clusterResourceWhitelist": [],
                "namespaceResourceWhitelist": [{"group": "argoproj.io", "kind": "ApplicationSet"}],
            },
            opts=k8s_child,
        )
        self.root_application = application(
            f"{name}-root-application",
            name=ROOT_APPLICATION,
            namespace=namespace,
            project=FLEET_PROJECT,
            source={
                "repoURL": appsets.REPOSITORY,
                "chart": appsets.CHART,
                "targetRevision": appsets.CHART_VERSION,
                "helm": {
                    "releaseName": ROOT_APPLICATION,
                    "valuesObject": appsets.applicationsets_values(
                        fleet,
                        namespace=namespace,
                        project=args["platform_project"],
                        repository_url=args["repository_url"],
                        chart_path=args["chart_path"],
                        chart_namespace=args["chart_namespace"],
                    ),
                },
            },
            destination_namespace=namespace,
            opts=after(
                [*args["argocd_ready"], project, *self.cluster_secrets.values()],
                reason="the ApplicationSets select the cluster secrets and run in the fleet's project",
                opts=pulumi.ResourceOptions(parent=self, provider=args["provider"]),
            ),
        )
        self.register_outputs({"root_application": self.root_application.metadata})

    def _spoke_secret(
        self,
        name: str,
        namespace: str,
        *,
        fleet: str,
        spoke: SpokeSettings,
        revision: str,
        data: pulumi.Output[dict[str, Any]],
        opts: pulumi.ResourceOptions,
    ) -> k8s.core.v1.Secret:
        """A spoke's cluster secret, from the bridge its stack exported."""

        def labels(found: dict[str, Any]) -> dict[str, str]:
            return bridge.secret_labels(
                fleet=fleet,
                wave=spoke.wave.value,
                environment=found["environment"],
                cluster_name=found["clusterName"],
                region=found["region"],
            )

        def annotations(found: dict[str, Any]) -> dict[str, str]:
            return bridge.secret_annotations(
                target_revision=revision,
                platform_values=found["platformValues"],
                access_role_arn=found["accessRoleArn"],
                irsa_role_arns=found["irsaRoleArns"],
                buckets=found["buckets"],
                efs_file_system_id=found["efsFileSystemId"],
            )

        return self._secret(
            name,
            namespace,
            cluster=spoke.name,
            server=data["endpoint"],
            config=data.apply(bridge.cluster_config),
            labels=data.apply(labels),
            annotations=data.apply(annotations),
            opts=opts,
        )

    def _secret(
        self,
        name: str,
        namespace: str,
        *,
        cluster: str,
        server: pulumi.Input[str],
        config: pulumi.Input[Mapping[str, Any]],
        labels: pulumi.Input[Mapping[str, str]],
        annotations: pulumi.Input[Mapping[str, str]],
        opts: pulumi.ResourceOptions,
    ) -> k8s.core.v1.Secret:
        # `config` holds no credential (IAM auth: a role ARN, a cluster name, the public CA), so it
        # stays readable in the plan, where the policy checks that no token is in it.
        return k8s.core.v1.Secret(
            name,
            metadata={
                "name": f"cluster-{cluster}",
                "namespace": namespace,
                "labels": labels,
                "annotations": annotations,
            },
            type="Opaque",
            string_data={
                "name": cluster,
                "server": server,
                "config": pulumi.Output.from_input(config).apply(lambda c: json.dumps(c, sort_keys=True)),
            },
            opts=opts,
        )
