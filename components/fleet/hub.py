"""The hub: the role its Argo CD assumes spokes' roles with, one cluster secret per cluster of the
fleet, and the root Application that installs the fleet's ApplicationSets (the app of apps).

`FleetHubAccess` comes before Argo CD (the release's service accounts carry its role); `FleetHub`
after it (its objects are Argo CD's custom resources and labelled secrets in Argo CD's namespace).
"""

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..args import validate_args
from ..contracts import ClusterAccess
from ..gitops import IN_CLUSTER, app_project, application
from ..irsa import trust_policy
from ..ordering import after
from . import appsets, bridge
from .config import FLEET_DEFAULTS, FleetArgs, HubPath, SpokeArgs, Wave, fleet_problems

# The argo-cd release "argocd": the two components that talk to clusters' APIs.
ARGOCD_SERVICE_ACCOUNTS = ("argocd-application-controller", "argocd-server")
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
FLEET_PROJECT = "kubeboard-fleet"
ROOT_APPLICATION = "kubeboard-fleet"


class FleetHubAccessArgs(TypedDict):
    fleet: FleetArgs
    """The fleet this hub deploys. Required."""
    name: str
    """The hub's platform name (the role's description). Required."""
    namespace: str
    """Argo CD's namespace. Required."""
    cluster: ClusterAccess
    """The hub's cluster: its OIDC provider is what Argo CD's roles trust. Required."""
    vpc_cidr: str
    """The hub's VPC: a spoke on a private path must admit it. Required."""
    egress_ips: pulumi.Input[list[str]]
    """The hub's NAT addresses: a spoke on an allow-listed path must admit each. Required."""


def hub_access_problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason ``args`` (a `FleetHubAccessArgs`) cannot give the hub's Argo CD its roles."""
    found = [f"fleet.{problem}" for problem in fleet_problems(args.get("fleet") or {})]
    try:
        ipaddress.IPv4Network(args.get("vpc_cidr"))
    except (TypeError, ValueError):
        found.append(f"vpc_cidr: {args.get('vpc_cidr')!r} is not an IPv4 CIDR block")
    return found


class FleetHubAccess(pulumi.ComponentResource):
    """Each spoke's bridge (StackReference) and the IRSA role of the hub's Argo CD."""

    role_arns: pulumi.Output[list[str]]
    """The roles Argo CD's controller and server run as; every spoke admits them."""
    bridges: dict[str, pulumi.Output[bridge.Bridge]]
    """Each spoke's bridge by its name in the fleet, checked against this hub."""

    def __init__(
        self, name: str, args: FleetHubAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:FleetHubAccess", name, None, opts)
        validate_args("FleetHubAccess", args, FleetHubAccessArgs, hub_access_problems)
        fleet = cast(FleetArgs, {**FLEET_DEFAULTS, **args["fleet"]})
        cluster = args["cluster"]
        child = pulumi.ResourceOptions(parent=self)
        # One role per service account (each trust names exactly one); spokes admit both.
        self._roles = {
            account: irsa_only_role(
                f"{name}-{account.removeprefix('argocd-')}",
                description=f"{args['name']} Argo CD {account}: assumes the fleet's spoke roles (awsAuthConfig)",
                oidc_provider_arn=cluster["oidc_provider_arn"],
                oidc_issuer=cluster["oidc_issuer"],
                namespace=args["namespace"],
                service_account=account,
                opts=child,
            )
            for account in ARGOCD_SERVICE_ACCOUNTS
        }
        self.role_arns = pulumi.Output.all(*[role.arn for role in self._roles.values()])
        self.bridges = {}
        for spoke in fleet["spokes"]:
            reference = pulumi.StackReference(
                f"{name}-{spoke['name']}", stack_name=spoke["stack"], opts=child
            )

            def check(found: list[Any], spoke: SpokeArgs = spoke) -> bridge.Bridge:
                hub = Hub(
                    role_arns=found[1], vpc_cidr=args["vpc_cidr"], egress_ips=found[2], fleet=fleet["name"]
                )
                return checked_bridge(spoke["name"], spoke["stack"], found[0], hub)

            self.bridges[spoke["name"]] = pulumi.Output.all(
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
            for account, role in self._roles.items():
                aws.iam.RolePolicy(
                    f"{name}-{account.removeprefix('argocd-')}-spokes",
                    role=role.id,
                    policy=policy,
                    opts=pulumi.ResourceOptions(parent=role),
                )
        self.register_outputs({"role_arns": self.role_arns, "bridges": self.bridges})

    def argocd_values(self) -> dict[str, Any]:
        """What the argo-cd chart needs on a hub: IRSA for the components that reach clusters, and
        progressive syncs on in the ApplicationSet controller (RollingSync is ignored without it)."""

        def annotated(account: str) -> dict[str, Any]:
            return {"serviceAccount": {"annotations": {IRSA_ANNOTATION: self._roles[account].arn}}}

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


def checked_bridge(spoke: str, stack: str, found: Mapping[str, Any] | None, hub: Hub) -> bridge.Bridge:
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
    return cast(bridge.Bridge, dict(found))


class OwnCluster(TypedDict):
    """The hub's own cluster, registered like a spoke but reached in-cluster."""

    cluster_name: str
    """The hub cluster's name. Required."""
    region: str
    """The hub's region. Required."""
    environment: str
    """The hub's environment (``dev`` or ``prod``). Required."""
    platform_values: pulumi.Input[Mapping[str, Any]]
    """The platform chart's values for the hub's cluster. Required."""
    irsa_role_arns: Mapping[str, pulumi.Input[str]]
    """IRSA roles the chart's workloads use, by key. Required."""
    buckets: Mapping[str, pulumi.Input[str]]
    """Buckets the chart's workloads use, by key. Required."""
    efs_file_system_id: NotRequired[pulumi.Input[str] | None]
    """The shared file system, if the hub has one (default: none)."""


class FleetHubArgs(TypedDict):
    fleet: FleetArgs
    """The fleet this hub deploys. Required."""
    namespace: str
    """Argo CD's namespace. Required."""
    cluster: ClusterAccess
    """The hub's cluster, whose provider makes the secrets and the root Application. Required."""
    bridges: Mapping[str, pulumi.Input[bridge.Bridge]]
    """Each spoke's checked bridge by its name in the fleet (``FleetHubAccess.bridges``). Required."""
    own: OwnCluster
    """The hub's own cluster. Required."""
    repository_url: str
    """The git repository of the platform chart. Required."""
    chart_path: str
    """The platform chart's directory in that repository. Required."""
    chart_namespace: str
    """The namespace the platform chart is installed into. Required."""
    platform_project: str
    """The Argo CD project of the platform Applications. Required."""


def hub_problems(args: Mapping[str, Any]) -> list[str]:
    """Every reason ``args`` (a `FleetHubArgs`) cannot register the fleet."""
    fleet = args.get("fleet") or {}
    found = [f"fleet.{problem}" for problem in fleet_problems(fleet)]
    bridges = args.get("bridges") or {}
    found += [
        f"bridges: no bridge of spoke {spoke['name']!r}"
        for spoke in fleet.get("spokes") or []
        if spoke["name"] not in bridges
    ]
    return found


class FleetHub(pulumi.ComponentResource):
    """One cluster secret per cluster (IAM auth, bridge labels and annotations) and the fleet's root Application.

    ``opts.depends_on`` names Argo CD's release and the platform project: every child is an Argo CD object
    (a cluster secret, the project, the root Application), so every child waits for them.
    """

    root_application_name: pulumi.Output[str]
    """The fleet's root Application (the app of apps)."""

    def __init__(self, name: str, args: FleetHubArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:FleetHub", name, None, opts)
        validate_args("FleetHub", args, FleetHubArgs, hub_problems)

        fleet = cast(FleetArgs, {**FLEET_DEFAULTS, **args["fleet"]})
        namespace = args["namespace"]
        provider = args["cluster"]["provider"]
        waves = fleet["waves"]
        hub_wave = Wave(fleet["hub_wave"])
        # Argo CD's release and project (the caller's depends_on): the CRDs and project these objects need.
        argocd_ready = _depends_on(opts)
        k8s_child = after(
            argocd_ready,
            reason="cluster secrets and Argo CD's custom resources need its namespace, CRDs and platform project",
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self._cluster_secrets = {}

        own = args["own"]
        own_data = pulumi.Output.all(
            own["platform_values"],
            pulumi.Output.from_input(dict(own["irsa_role_arns"])),
            pulumi.Output.from_input(dict(own["buckets"])),
            own.get("efs_file_system_id"),
        )
        self._cluster_secrets["in-cluster"] = self._secret(
            f"{name}-in-cluster",
            namespace,
            cluster="in-cluster",
            server=IN_CLUSTER,
            config=bridge.cluster_config(None),
            labels=bridge.secret_labels(
                fleet=fleet["name"],
                wave=hub_wave.value,
                environment=own["environment"],
                cluster_name=own["cluster_name"],
                region=own["region"],
            ),
            annotations=own_data.apply(
                lambda v: bridge.secret_annotations(
                    target_revision=waves[hub_wave.value]["target_revision"],
                    platform_values=v[0],
                    access_role_arn=None,
                    irsa_role_arns=v[1],
                    buckets=v[2],
                    efs_file_system_id=v[3],
                )
            ),
            opts=k8s_child,
        )
        for spoke in fleet["spokes"]:
            self._cluster_secrets[spoke["name"]] = self._spoke_secret(
                f"{name}-{spoke['name']}",
                namespace,
                fleet=fleet["name"],
                spoke=spoke,
                revision=waves[Wave(spoke["wave"]).value]["target_revision"],
                data=pulumi.Output.from_input(args["bridges"][spoke["name"]]),
                opts=k8s_child,
            )

        project = app_project(
            f"{name}-project",
            name=FLEET_PROJECT,
            namespace=namespace,
            spec={
                "description": "The fleet's root: the argocd-apps chart, ApplicationSets in Argo CD's namespace only",
                "sourceRepos": [appsets.REPOSITORY],
                "destinations": [{"server": IN_CLUSTER, "namespace": namespace}],
                "clusterResourceWhitelist": [],
                "namespaceResourceWhitelist": [{"group": "argoproj.io", "kind": "ApplicationSet"}],
            },
            opts=k8s_child,
        )
        self._root_application = application(
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
                [*argocd_ready, project, *self._cluster_secrets.values()],
                reason="the ApplicationSets select the cluster secrets and run in the fleet's project",
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            ),
        )
        self.root_application_name = self._root_application.metadata.apply(lambda m: m["name"])
        self.register_outputs({"root_application_name": self.root_application_name})

    def _spoke_secret(
        self,
        name: str,
        namespace: str,
        *,
        fleet: str,
        spoke: SpokeArgs,
        revision: str,
        data: pulumi.Output[Any],
        opts: pulumi.ResourceOptions,
    ) -> k8s.core.v1.Secret:
        """A spoke's cluster secret, from the bridge its stack exported."""

        def labels(found: dict[str, Any]) -> dict[str, str]:
            return bridge.secret_labels(
                fleet=fleet,
                wave=Wave(spoke["wave"]).value,
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
            cluster=spoke["name"],
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


def _depends_on(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    depends = opts.depends_on if opts else None
    if depends is None:
        return []
    if isinstance(depends, pulumi.Resource):
        return [depends]
    if not isinstance(depends, Sequence):
        return []  # an Output of resources: known only at deploy time
    return [resource for resource in depends if isinstance(resource, pulumi.Resource)]
