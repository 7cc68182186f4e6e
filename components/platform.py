"""Platform: the one place that knows every component. `Platform.__init__` builds them top to
bottom in the order they depend on each other, one call each, and exports the stack's outputs in
one place; the small functions below it only compute values."""

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumiverse_time

from . import sso
from .account import IMAGE_SCAN_FINDINGS_BUCKET, IMAGE_SCAN_FINDINGS_KEY_ARN, REPOSITORY_URLS
from .addons import HelmAddOn, argo_rollouts, aws_load_balancer_controller, external_dns
from .addons.catalog import CATALOG, AddOnChoice, install_catalog
from .addons.definition import AddOnContext, AddOnDefinition
from .args import validate_args
from .cluster import DEVELOPER_GROUP, VIEWER_GROUP, Cluster, ClusterArgs, ClusterCreator
from .contracts import AlertTopic
from .deploy_runner import DeployRunner
from .edge import Edge, IngressContract
from .edge.ingress import ingress_hostname
from .environment import Environment
from .fleet import BRIDGE_OUTPUT, HUB_EGRESS_OUTPUT, HUB_ROLE_OUTPUT, FleetHub, FleetHubAccess, FleetSpoke
from .fleet.config import FleetArgs, FleetRole
from .fleet.spoke import HubNetworkArgs
from .gitops import (
    CHART_NAMESPACE,
    PLATFORM_PROJECT,
    GitOps,
    argocd,
    front_page_rollout,
    platform_chart_values,
)
from .gitops import DEFAULTS as GITOPS_DEFAULTS
from .gitops.args import FleetHubOptions
from .gitops.args import with_config_defaults as gitops_with_defaults
from .human_roles import HumanRoles
from .image_scan_alerts import REPORT_PREFIX as FINDINGS_PREFIX
from .log_alarms import ErrorLogAlarms, WatchedLogGroup, control_plane_log_group, function_log_group
from .log_reports import EXPORTER_SELECTOR, REPORT_PREFIX, LogReports, LogReportsArgs
from .network import NatGatewayStrategy, Network, NetworkArgs
from .observability import Observability
from .observability.args import PodPeer
from .observability.args import with_config_defaults as observability_with_defaults
from .observability.kube_prometheus_stack import prometheus_url
from .observability.loki import service_url as loki_service_url
from .observability.specs import CATALOG as OBSERVABILITY_RELEASES
from .ordering import after
from .platform_args import DEFAULTS, LogReportsSection, PlatformArgs, ViewsSection, problems
from .report_reader import ReportReader
from .shared_storage import SharedStorage

__all__ = ["HELM_ADDONS", "Platform", "PlatformArgs", "problems"]

HELM_ADDONS: tuple[AddOnDefinition[Any], ...] = (*CATALOG, *OBSERVABILITY_RELEASES, *argocd.CATALOG)
"""Every Helm release the platform installs, each declared once: the add-ons a stack switches
(`kubeboard:addons`), then the releases of Observability and GitOps."""


class Platform(pulumi.ComponentResource):
    """The whole Kubeboard platform for one stack."""

    outputs: dict[str, pulumi.Input[Any]]
    """What the stack exports, by output name (``clusterName``, ``vpcId``, ``argocdUrl``...)."""

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Platform", name, None, opts)
        validate_args("Platform", args, PlatformArgs, problems)
        args = cast(PlatformArgs, {**DEFAULTS, **args})
        prefix, region = args["name"], args["region"]
        protect = args["environment"] == Environment.PROD
        # One explicit provider: every AWS resource gets the region and the platform's tags.
        aws_provider = aws.Provider(
            "aws", region=region, default_tags=_default_tags(args), opts=pulumi.ResourceOptions(parent=self)
        )
        child = pulumi.ResourceOptions(parent=self, providers=[aws_provider])
        own = pulumi.ResourceOptions(parent=self)

        network = Network("network", _network_args(args), opts=child)
        edge = Edge(
            "edge", {"name": prefix, "region": region, "protect": protect, **args["edge"]}, opts=child
        )
        ingress = edge.ingress
        # Registry, scanning and GitHub delivery exist once per account: the account stack owns them.
        account = pulumi.StackReference("account", stack_name=args["account_stack"], opts=own)

        create_roles = args["cluster"]["access"].get("create_roles")
        # The people's roles exist before the cluster: its access entries name them.
        human_roles = (
            HumanRoles("human-roles", {"name": prefix, "cluster_name": prefix, **create_roles}, opts=child)
            if create_roles
            else None
        )
        cluster = Cluster(
            "cluster",
            _cluster_args(args, network, human_roles, _cluster_creator(args, parent=self)),
            opts=child,
        )
        # What every Helm add-on is built in (the catalog's, Observability's and GitOps' releases).
        addon_context: AddOnContext = {
            "cluster": cluster.access,
            "cluster_name": prefix,
            "region": region,
            "vpc_id": network.vpc_id,
            "kubernetes_version": args["cluster"]["kubernetes_version"],
            "is_prod": protect,
            "node_groups": [
                {"args": group, "node_group": cluster.node_groups[group["name"]]}
                for group in args["cluster"]["node_groups"]
            ],
        }
        addons = install_catalog(addon_context, args["addons"], name_prefix=prefix, opts=child)
        storage = args.get("storage")
        shared_storage = (
            SharedStorage(
                "shared-storage",
                {
                    "name": prefix,
                    "vpc_id": network.vpc_id,
                    "subnet_ids": _private_subnets(network, args),
                    "cluster": cluster.access,
                    "protect": protect,
                    **storage,
                },
                opts=child,
            )
            if storage
            else None
        )
        runner = args.get("deploy_runner")
        # A CodeBuild-hosted runner in the private subnets, for deploys GitHub's runners cannot make.
        deploy_runner = (
            DeployRunner(
                "deploy-runner",
                {
                    "name": prefix,
                    "vpc_id": network.vpc_id,
                    "subnet_ids": network.private_subnet_ids,
                    "cluster_security_group_id": cluster.cluster_security_group_id,
                    "protect": protect,
                    **runner,
                },
                opts=child,
            )
            if runner
            else None
        )

        ingress_ready = _ingress_ready(addons, parent=self)
        gitops_config, sso_config = args.get("gitops"), args.get("sso")
        # dex runs inside Argo CD, on its host: every UI signs in there.
        dex_host = ingress_hostname(ingress, _argocd_prefix(args))
        observability_config = args.get("observability")
        observability = (
            Observability(
                "observability",
                {
                    **observability_config,
                    "name_prefix": prefix,
                    "context": addon_context,
                    "ingress": ingress,
                    "sign_in": {"sso": sso_config, "dex_host": dex_host} if sso_config else None,
                    "protect": protect,
                    # The ALB's nodes live in the public subnets, the control plane's ENIs in the private ones.
                    "alb_cidrs": list(args["network"]["public_subnet_cidrs"]),
                    "api_server_cidrs": list(args["network"]["private_subnet_cidrs"]),
                    "loki_readers": _loki_readers(args.get("log_reports")),
                    "service_monitors": _rollouts_service_monitors(args["addons"]),
                    "prometheus_readers": _rollouts_readers(args["addons"]),
                },
                # Its buckets, roles and alert topic could start at once; Grafana's Ingress cannot.
                opts=after(ingress_ready, reason=_INGRESS_REASON, opts=child),
            )
            if observability_config
            else None
        )
        alert_topic = observability.alert_topic if observability else None

        reports = args.get("log_reports")
        # No wait for the observability releases: a run before Loki answers fails and the next
        # one backfills, and its Lambda, buckets and alarms need nothing from the cluster.
        log_reports = (
            LogReports(
                "log-reports", _log_reports_args(args, reports, cluster, account, alert_topic), opts=child
            )
            if reports and alert_topic
            else None
        )
        views = args.get("views")
        # The read-only identity of the front page's views sync: two prefixes, nothing else.
        report_reader = (
            ReportReader(
                "report-reader",
                {
                    "name": prefix,
                    "region": region,
                    "cluster": cluster.access,
                    "reports": (
                        {
                            "bucket_name": log_reports.processed_bucket_name,
                            "prefix": f"{REPORT_PREFIX}/",
                            "key_arn": log_reports.key_arn,
                        }
                        if views["error_reports"]
                        else None
                    ),
                    # The findings bucket is the account stack's (absent when it has no scanning).
                    "images": (
                        {
                            "bucket_name": account.get_output(IMAGE_SCAN_FINDINGS_BUCKET),
                            "prefix": FINDINGS_PREFIX,
                            "key_arn": account.get_output(IMAGE_SCAN_FINDINGS_KEY_ARN),
                        }
                        if views["image_findings"]
                        else None
                    ),
                },
                opts=child,
            )
            if views and log_reports
            else None
        )
        alarms = args.get("log_alarms")
        if alarms and alert_topic:
            ErrorLogAlarms(
                "log-alarms",
                {
                    "name": prefix,
                    "log_groups": _watched_log_groups(cluster, log_reports, alarms),
                    "alert_topic_arn": alert_topic["arn"],
                    "period_seconds": alarms["period_seconds"],
                },
                opts=child,
            )

        fleet = args["fleet"]
        hub = fleet.get("hub") if fleet["role"] == FleetRole.HUB else None
        hub_stack, hub_network = fleet.get("hub_stack"), fleet.get("hub_network")
        # A hub's Argo CD role, and each spoke's bridge read from its stack (K12).
        fleet_access = (
            FleetHubAccess(
                "fleet-access",
                {
                    "fleet": hub,
                    "name": prefix,
                    "namespace": gitops_with_defaults(gitops_config)["namespace"] if gitops_config else "",
                    "cluster": cluster.access,
                    "vpc_cidr": args["network"]["cidr"],
                    "egress_ips": network.nat_public_ips,
                },
                opts=child,
            )
            if hub
            else None
        )
        grafana_host = (
            ingress_hostname(
                ingress, observability_with_defaults(observability_config)["grafana"]["hostname_prefix"]
            )
            if observability_config
            else None
        )
        chart_values = (
            _chart_values(args, ingress, grafana_host, report_reader, account)
            if gitops_config or fleet["role"] == FleetRole.SPOKE
            else None
        )
        gitops = (
            GitOps(
                "gitops",
                {
                    **gitops_config,
                    "sso": sso_config,
                    "context": addon_context,
                    "ingress": ingress,
                    "chart_values": chart_values,
                    "front_page_host": args["edge"]["domain"],
                    "grafana_host": grafana_host,
                    "fleet": _fleet_hub_options(hub, fleet_access),
                },
                opts=after(
                    [*ingress_ready, *_front_page_crds(args["addons"], addons)],
                    reason=f"{_INGRESS_REASON}; the chart may render an Argo Rollout, whose CRD that release installs",
                    opts=own,
                ),
            )
            if gitops_config and sso_config and chart_values is not None
            else None
        )
        bridge_parts = _bridge_parts(edge, observability, log_reports, report_reader, shared_storage)
        if hub and fleet_access and gitops and gitops_config and chart_values is not None:
            # The cluster secrets and the fleet's root Application, once Argo CD runs.
            FleetHub(
                "fleet",
                {
                    "fleet": hub,
                    "namespace": gitops_with_defaults(gitops_config)["namespace"],
                    "cluster": cluster.access,
                    "bridges": fleet_access.bridges,
                    "own": {
                        "cluster_name": prefix,
                        "region": region,
                        "environment": Environment(args["environment"]).value,
                        "platform_values": chart_values,
                        **bridge_parts,
                    },
                    "repository_url": gitops_with_defaults(gitops_config)["repository"]["url"],
                    "chart_path": gitops_with_defaults(gitops_config)["repository"]["path"],
                    "chart_namespace": CHART_NAMESPACE,
                    "platform_project": PLATFORM_PROJECT,
                },
                opts=after(
                    gitops.ready,
                    reason="cluster secrets and Argo CD's custom resources need its namespace, CRDs and platform project",
                    opts=own,
                ),
            )
        hub_role_arns = (
            _hub_role_arns(pulumi.StackReference("fleet-hub", stack_name=hub_stack, opts=own), hub_stack)
            if fleet["role"] == FleetRole.SPOKE and hub_stack and hub_network
            else None
        )
        # A spoke admits its hub's Argo CD role (read from the hub's stack) and opens the path to its API.
        fleet_spoke = (
            FleetSpoke(
                "fleet-spoke",
                {
                    "name": prefix,
                    "cluster": cluster.access,
                    "hub_role_arns": hub_role_arns,
                    "hub_network": hub_network,
                },
                opts=child,
            )
            if hub_role_arns is not None and hub_network
            else None
        )

        self.outputs = {
            "clusterName": cluster.cluster_name,
            "clusterEndpoint": cluster.endpoint,
            "oidcProviderArn": cluster.oidc_provider_arn,
            "oidcIssuer": cluster.oidc_issuer,
            "kubeconfig": cluster.kubeconfig,
            "nodeRoleArn": cluster.node_role_arn,
            "clusterSecurityGroupId": cluster.cluster_security_group_id,
            **({"efsFileSystemId": shared_storage.file_system_id} if shared_storage else {}),
            **(
                {
                    "deployRunnerProject": deploy_runner.project_name,
                    "deployRunnerSecurityGroupId": deploy_runner.security_group_id,
                }
                if deploy_runner
                else {}
            ),
            "clusterCreatorRoleArn": args["cluster"]["access"]["cluster_creator_role_arn"],
            "vpcId": network.vpc_id,
            "publicSubnetIds": network.public_subnet_ids,
            "privateSubnetIds": network.private_subnet_ids,
            "certificateArn": edge.certificate_arn,
            "webAclArn": edge.web_acl_arn,
            "albAccessLogBucket": edge.access_log_bucket_name,
            # No Grafana admin password: people sign in through dex, and no form or basic auth takes one.
            **({"lokiBucketName": observability.loki_bucket_name} if observability else {}),
            **({"argocdUrl": gitops.url} if gitops else {}),
            **({f"{role}RoleArn": arn for role, arn in human_roles.arns.items()} if human_roles else {}),
            **({"viewsSyncRoleArn": report_reader.role_arn} if report_reader else {}),
            **(
                {
                    "errorLogExportBucket": log_reports.raw_bucket_name,
                    "errorReportBucket": log_reports.processed_bucket_name,
                }
                if log_reports
                else {}
            ),
            # A hub exports its Argo CD role, and the NAT addresses a spoke with an allow-listed API
            # must admit; a spoke, the bridge its hub registers it from.
            **(
                {HUB_ROLE_OUTPUT: fleet_access.role_arns, HUB_EGRESS_OUTPUT: network.nat_public_ips}
                if fleet_access
                else {}
            ),
            **(
                {
                    BRIDGE_OUTPUT: _bridge(
                        args,
                        cluster,
                        spoke=fleet_spoke,
                        hub_role_arns=hub_role_arns,
                        hub_network=hub_network,
                        parts=bridge_parts,
                        chart_values=chart_values,
                    )
                }
                if fleet_spoke and hub_role_arns is not None and hub_network and chart_values is not None
                else {}
            ),
        }
        self.register_outputs({"outputs": self.outputs})


_INGRESS_REASON = (
    "an Ingress is validated by the ALB controller's webhook, and on destroy its ALB and DNS records "
    "are deleted only while the controller and external-dns still run"
)


def _network_args(args: PlatformArgs) -> NetworkArgs:
    """The VPC's section, named after the platform, its NAT strategy as the network's enum."""
    section = args["network"]
    network: NetworkArgs = {
        "name": args["name"],
        "cluster_name": args["name"],
        "cidr": section["cidr"],
        "availability_zones": section["availability_zones"],
        "public_subnet_cidrs": section["public_subnet_cidrs"],
        "private_subnet_cidrs": section["private_subnet_cidrs"],
    }
    for key in ("intra_subnet_cidrs", "endpoints", "flow_log_retention_days", "flow_log_traffic_type"):
        if key in section:
            network[key] = section[key]
    if "nat_gateways" in section:
        network["nat_gateways"] = NatGatewayStrategy(section["nat_gateways"])
    return network


def _default_tags(args: PlatformArgs) -> aws.ProviderDefaultTagsArgs:
    """Every AWS resource carries the project, the environment and the stack's own tags."""
    return aws.ProviderDefaultTagsArgs(
        tags={
            "Project": "kubeboard",
            "Environment": Environment(args["environment"]).value,
            "ManagedBy": "pulumi",
            **(args.get("tags") or {}),
        }
    )


def _cluster_creator(args: PlatformArgs, *, parent: pulumi.Resource) -> ClusterCreator:
    """The provider the cluster alone is created through: an AWS profile resolving to the creator role.

    A profile, not ``assumeRoles``: the provider's inputs stay the same while deploys resolve the
    profile to the creator role and read-only previews to their own credentials (README).
    """
    access = args["cluster"]["access"]
    provider = aws.Provider(
        "cluster-creator",
        region=args["region"],
        profile=access.get("cluster_creator_profile"),
        default_tags=_default_tags(args),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return ClusterCreator(provider=provider, role_arn=access["cluster_creator_role_arn"])


def _cluster_args(
    args: PlatformArgs, network: Network, human_roles: HumanRoles | None, creator: ClusterCreator
) -> ClusterArgs:
    """The cluster's section with the network, the people's roles and the creator wired in."""
    section, prefix = args["cluster"], args["name"]
    access = section["access"]
    # `problems` requires the three ARNs whenever the stack does not create the roles.
    given = {
        "admin": access.get("admin_role_arn"),
        "developer": access.get("developer_role_arn"),
        "viewer": access.get("viewer_role_arn"),
    }
    arns: Mapping[str, pulumi.Input[str]] = (
        human_roles.arns if human_roles else {role: arn or "" for role, arn in given.items()}
    )
    # The section is the cluster's config (what it leaves out takes the cluster's defaults) and the
    # API access the platform resolves below.
    config = {key: value for key, value in section.items() if key != "access"}
    cluster_args: dict[str, Any] = {
        **config,
        "name": prefix,
        "vpc_id": network.vpc_id,
        "private_subnet_ids": network.private_subnet_ids,
        "access": {
            "admin_role_arn": arns["admin"],
            "developer_role_arn": arns["developer"],
            "viewer_role_arn": arns["viewer"],
            "developer_namespaces": access["developer_namespaces"],
            "deploy_role_arns": access.get("deploy_role_arns", []),
            "preview_role_arn": access.get("preview_role_arn"),
        },
        "creator": creator,
        "protect": args["environment"] == Environment.PROD,
    }
    return cast(ClusterArgs, cluster_args)


def _private_subnets(network: Network, args: PlatformArgs) -> list[pulumi.Output[str]]:
    """One output per private subnet: EFS needs a mount target in each, counted at program time."""
    count = len(args["network"]["private_subnet_cidrs"])
    return [_nth(network.private_subnet_ids, index) for index in range(count)]


def _nth(ids: pulumi.Output[list[str]], index: int) -> pulumi.Output[str]:
    return ids.apply(lambda resolved: resolved[index])


def _ingress_ready(addons: Mapping[str, HelmAddOn], *, parent: pulumi.Resource) -> list[pulumi.Resource]:
    """What a release that makes an Ingress waits for, so that it is installed and destroyed while
    the controllers that turn its Ingress into an ALB and a DNS name are running."""
    needed: list[pulumi.Resource] = []
    if aws_load_balancer_controller.NAME in addons:
        needed.append(addons[aws_load_balancer_controller.NAME].release)
    if external_dns.NAME in addons:
        # Uninstalling an Ingress release returns once its Ingress is gone; external-dns deletes
        # the records on its next loop. On destroy, this holds external-dns for that loop.
        needed.append(
            pulumiverse_time.Sleep(
                "external-dns-final-sync",
                destroy_duration=external_dns.FINAL_SYNC_HOLD,
                opts=after(
                    [addons[external_dns.NAME].release],
                    reason="on destroy, external-dns must outlive the Ingress releases by one sync",
                    opts=pulumi.ResourceOptions(parent=parent),
                ),
            )
        )
    return needed


def _rollouts(choices: Mapping[str, AddOnChoice]) -> tuple[bool, argo_rollouts.FrontPageStrategy]:
    """Whether the stack runs Argo Rollouts, and the front page's strategy."""
    definition = argo_rollouts.DEFINITION
    choice = choices.get(definition.name)
    enabled = choice["enabled"] if choice else definition.enabled_by_default
    options = definition.with_defaults(choice["options"] if choice else None)
    return enabled, options["front_page_strategy"]


def _front_page_crds(
    choices: Mapping[str, AddOnChoice], addons: Mapping[str, HelmAddOn]
) -> list[pulumi.Resource]:
    """The release whose CRD the platform chart renders the front page with (an Argo Rollout)."""
    _, strategy = _rollouts(choices)
    if strategy is argo_rollouts.FrontPageStrategy.DEPLOYMENT or argo_rollouts.NAME not in addons:
        return []
    return [addons[argo_rollouts.NAME].release]


def _rollouts_service_monitors(choices: Mapping[str, AddOnChoice]) -> list[dict[str, Any]]:
    """Argo Rollouts' ServiceMonitor, made by kube-prometheus-stack (which installs its CRD)."""
    return [argo_rollouts.service_monitor()] if _rollouts(choices)[0] else []


def _rollouts_readers(choices: Mapping[str, AddOnChoice]) -> list[PodPeer]:
    """The Rollouts controller runs the analyses of a new version against Prometheus."""
    if not _rollouts(choices)[0]:
        return []
    return [{"namespace": argo_rollouts.NAMESPACE, "labels": argo_rollouts.CONTROLLER_LABELS}]


def _argocd_prefix(args: PlatformArgs) -> str:
    """Argo CD's host prefix: dex is served there, for this stack's UIs (a spoke's too)."""
    gitops = args.get("gitops")
    prefix: str = GITOPS_DEFAULTS["hostname_prefix"]
    return gitops.get("hostname_prefix", prefix) if gitops else prefix


def _loki_readers(reports: LogReportsSection | None) -> list[PodPeer]:
    """Pods outside the observability namespace that query Loki: the error-log exporter."""
    if not reports:
        return []
    return [{"namespace": reports["exporter"]["namespace"], "labels": EXPORTER_SELECTOR}]


def _exporter_image(
    args: PlatformArgs, reports: LogReportsSection, account: pulumi.StackReference
) -> pulumi.Output[tuple[str, str, str]]:
    """(repository URL, tag, digest) of the log-exporter image in the account's registry."""
    exporter = reports["exporter"]
    return account.get_output(REPOSITORY_URLS).apply(
        lambda urls: (
            _repository_url(urls, exporter["repository"], args["account_stack"]),
            exporter["image_tag"] or "",
            exporter["image_digest"] or "",
        )
    )


def _log_reports_args(
    args: PlatformArgs,
    reports: LogReportsSection,
    cluster: Cluster,
    account: pulumi.StackReference,
    alert_topic: AlertTopic,
) -> LogReportsArgs:
    """Error lines per namespace from Loki to S3 every 10 minutes, reported by a Lambda (K4)."""
    exporter = reports["exporter"]
    pin = f"@{exporter['image_digest']}" if exporter["image_digest"] else f":{exporter['image_tag']}"
    observability = args.get("observability")
    loki_namespace = observability_with_defaults(observability)["namespace"] if observability else ""
    image = _exporter_image(args, reports, account).apply(lambda image: f"{image[0]}{pin}")
    return {
        "name": args["name"],
        "namespaces": reports["namespaces"],
        "alert_topic_arn": alert_topic["arn"],
        "cluster": cluster.access,
        "exporter": {
            "image": image,
            "namespace": exporter["namespace"],
            "service_account": exporter["service_account"],
            "loki_url": loki_service_url(loki_namespace),
            "loki_namespace": loki_namespace,
            "schedule": exporter["schedule"],
            "backfill_windows": exporter["backfill_windows"],
            "page_limit": exporter["page_limit"],
            "line_filter": exporter["line_filter"],
            "resources": exporter["resources"],
        },
        "raw_retention_days": reports["raw_retention_days"],
        "report_retention_days": reports["report_retention_days"],
        "error_threshold": reports["error_threshold"],
        "log_retention_days": reports["log_retention_days"],
        "reserved_concurrency": reports["reserved_concurrency"],
        "memory_mb": reports["memory_mb"],
        "max_retry_attempts": reports["max_retry_attempts"],
        "protect": args["environment"] == Environment.PROD,
    }


def _watched_log_groups(
    cluster: Cluster, log_reports: LogReports | None, alarms: Mapping[str, Any]
) -> list[WatchedLogGroup]:
    """O3: ERROR lines of the platform's Lambda and of the EKS control plane -> alarms -> alert topic."""
    groups = [
        control_plane_log_group(cluster.control_plane_log_group_name, alarms["control_plane_threshold"])
    ]
    if log_reports is not None:
        groups.append(
            function_log_group("log-report", log_reports.log_group_name, alarms["function_threshold"])
        )
    return groups


def _views_values(
    args: PlatformArgs, reader: ReportReader | None, account: pulumi.StackReference
) -> pulumi.Output[dict[str, object]] | None:
    """The platform chart's ``views`` values: the sync job's role, buckets and image."""
    views: ViewsSection | None = args.get("views")
    reports = args.get("log_reports")
    if reader is None or views is None or reports is None:
        return None
    return pulumi.Output.all(
        reader.role_arn, reader.reports_bucket, reader.images_bucket, _exporter_image(args, reports, account)
    ).apply(
        lambda v: {
            "enabled": True,
            "schedule": views["schedule"],
            "region": args["region"],
            "roleArn": v[0],
            "reports": {"bucket": v[1], "prefix": f"{REPORT_PREFIX}/"},
            "images": {"bucket": v[2], "prefix": FINDINGS_PREFIX},
            "maxReports": views["max_reports"],
            "maxImages": views["max_images"],
            "topFindings": views["top_findings"],
            "image": {"repository": v[3][0], "tag": v[3][1], "digest": v[3][2], "pullPolicy": "Always"},
        }
    )


def _chart_values(
    args: PlatformArgs,
    ingress: IngressContract,
    grafana_host: str | None,
    reader: ReportReader | None,
    account: pulumi.StackReference,
) -> pulumi.Output[dict[str, Any]]:
    """The platform chart's values from what this stack made (its own Argo CD's, or its hub's)."""
    gitops_prefix = _argocd_prefix(args)
    observability = args.get("observability")
    storage = args.get("storage")
    dex = sso.Dex(ingress_hostname(ingress, gitops_prefix))
    return platform_chart_values(
        environment=Environment(args["environment"]).value,
        ingress=ingress,
        # The front page lives at the platform domain itself; every other UI at <name>.<domain>.
        hostname=args["edge"]["domain"],
        vpc_cidr=args["network"]["cidr"],
        # The ALB's nodes live in the public subnets: only they may reach the front page.
        alb_subnet_cidrs=list(args["network"]["public_subnet_cidrs"]),
        grafana_hostname=grafana_host,
        reserved_hosts=[dex.host, *([grafana_host] if grafana_host else [])],
        developer_group=DEVELOPER_GROUP,
        viewer_group=VIEWER_GROUP,
        storage_class_name=storage["storage_class_name"] if storage else None,
        kubernetes_version=args["cluster"]["kubernetes_version"],
        views=_views_values(args, reader, account),
        # The ALB signs people in through dex before a request reaches the front page.
        sign_in_annotations=sso.alb_oidc_annotations(dex),
        rollout=front_page_rollout(
            _rollouts(args["addons"])[1].value,
            prometheus_url(observability_with_defaults(observability)["namespace"])
            if observability
            else None,
        ),
    )


def _fleet_hub_options(hub: FleetArgs | None, access: FleetHubAccess | None) -> FleetHubOptions | None:
    """On a hub: Argo CD's IRSA and the spokes its platform project may deploy to."""
    if hub is None or access is None:
        return None
    return {
        "argocd_values": access.argocd_values(),
        "destinations": [bridge["endpoint"] for bridge in access.bridges.values()],
        "source_repos": sorted({app["repository"] for app in hub.get("team_applications", [])}),
    }


class BridgeParts(TypedDict):
    """What a fleet's ApplicationSets may template a cluster's values from."""

    irsa_role_arns: Mapping[str, pulumi.Input[str]]
    buckets: Mapping[str, pulumi.Input[str]]
    efs_file_system_id: pulumi.Input[str] | None


def _bridge_parts(
    edge: Edge,
    observability: Observability | None,
    log_reports: LogReports | None,
    report_reader: ReportReader | None,
    shared_storage: SharedStorage | None,
) -> BridgeParts:
    """The IRSA roles, buckets and file system a fleet's ApplicationSets may template values from."""
    buckets: dict[str, pulumi.Output[str]] = {"albAccessLogs": edge.access_log_bucket_name}
    if observability:
        buckets["loki"] = observability.loki_bucket_name
    if log_reports:
        buckets["errorLogExport"] = log_reports.raw_bucket_name
        buckets["errorReports"] = log_reports.processed_bucket_name
    return {
        "irsa_role_arns": {"viewsSync": report_reader.role_arn} if report_reader else {},
        "buckets": buckets,
        "efs_file_system_id": shared_storage.file_system_id if shared_storage else None,
    }


def _hub_role_arns(hub: pulumi.StackReference, hub_stack: str) -> pulumi.Output[list[str]]:
    return hub.get_output(HUB_ROLE_OUTPUT).apply(lambda arns: _hub_roles(arns, hub_stack))


def _bridge(
    args: PlatformArgs,
    cluster: Cluster,
    *,
    spoke: FleetSpoke,
    hub_role_arns: pulumi.Output[list[str]],
    hub_network: HubNetworkArgs,
    parts: BridgeParts,
    chart_values: pulumi.Output[dict[str, Any]],
) -> pulumi.Output[dict[str, Any]]:
    """What a spoke's hub registers it from (its stack output)."""
    fleet, network = args["fleet"], hub_network
    # The CA is public (every client of the API has it); the kubeconfig around it is a secret.
    ca_data = pulumi.Output.unsecret(cluster.kubeconfig).apply(
        lambda text: json.loads(text)["clusters"][0]["cluster"]["certificate-authority-data"]
    )
    return pulumi.Output.all(
        cluster.cluster_name,
        cluster.endpoint,
        ca_data,
        spoke.access_role_arn,
        hub_role_arns,
        pulumi.Output.from_input(parts["irsa_role_arns"]),
        pulumi.Output.from_input(parts["buckets"]),
        parts["efs_file_system_id"],
        chart_values,
    ).apply(
        lambda v: {
            "clusterName": v[0],
            "endpoint": v[1],
            "caData": v[2],
            "region": args["region"],
            "environment": Environment(args["environment"]).value,
            "accessRoleArn": v[3],
            "hubRoleArns": v[4],
            "fleet": fleet.get("name", "kubeboard"),
            "hubNetwork": {"path": str(network["path"]), "cidrs": list(network["cidrs"])},
            "irsaRoleArns": v[5],
            "buckets": v[6],
            "efsFileSystemId": v[7],
            "platformValues": v[8],
        }
    )


def _repository_url(urls: dict[str, str] | None, repository: str, account_stack: str) -> str:
    # Known only once the account stack's outputs are read; refused before any Kubernetes object.
    if not urls or repository not in urls:
        known = ", ".join(sorted(urls or {})) or "none"
        raise pulumi.RunError(
            f"Pulumi.{pulumi.get_stack()}.yaml: kubeboard:logReports.exporter.repository: "
            f"{repository!r} is not a repository of the "
            f"account stack {account_stack!r} (it has: {known}); add it under kubeboard:account.registry"
        )
    return urls[repository]


def _hub_roles(arns: Sequence[str] | None, hub_stack: str) -> list[str]:
    # Known only once the hub's outputs are read; refused before anything trusts a missing role.
    if not arns:
        raise pulumi.RunError(
            f"Pulumi.{pulumi.get_stack()}.yaml: kubeboard:fleet.hubStack: stack {hub_stack!r} exports no "
            f"{HUB_ROLE_OUTPUT}; it must be a hub (kubeboard:fleet.role: hub), deployed before its spokes"
        )
    return list(arns)
