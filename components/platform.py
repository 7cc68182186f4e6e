"""Platform: the one place that knows every component and wires them from the typed settings."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumiverse_time

from . import sso
from .account import IMAGE_SCAN_FINDINGS_BUCKET, IMAGE_SCAN_FINDINGS_KEY_ARN, REPOSITORY_URLS
from .addons import HelmAddOn, argo_rollouts, aws_load_balancer_controller, external_dns
from .addons.catalog import install_catalog
from .cluster import DEVELOPER_GROUP, VIEWER_GROUP, Cluster, ClusterCreator
from .deploy_runner import DeployRunner
from .edge import Edge
from .fleet import BRIDGE_OUTPUT, HUB_EGRESS_OUTPUT, HUB_ROLE_OUTPUT, FleetHub, FleetHubAccess, FleetSpoke
from .fleet.hub import OwnCluster
from .gitops import (
    CHART_NAMESPACE,
    PLATFORM_PROJECT,
    GitOps,
    GitOpsArgs,
    front_page_rollout,
    platform_chart_values,
)
from .human_roles import HumanRoles
from .image_scan_alerts import REPORT_PREFIX as FINDINGS_PREFIX
from .log_alarms import ErrorLogAlarms, WatchedLogGroup, control_plane_log_group, function_log_group
from .log_reports import EXPORTER_SELECTOR, REPORT_PREFIX, LogReports
from .network import Network
from .node_groups import NodeGroupArgs
from .observability import Observability
from .observability.component import GrafanaSignIn, ObservabilityArgs
from .observability.kube_prometheus_stack import prometheus_url
from .observability.loki import service_url as loki_service_url
from .observability.network_policies import PodPeer
from .ordering import after
from .report_reader import ReportReader
from .settings import Settings
from .settings.addons import FrontPageStrategy
from .settings.fleet import FleetRole
from .shared_storage import SharedStorage


class Platform(pulumi.ComponentResource):
    """The whole Kubeboard platform for one stack."""

    network: Network
    edge: Edge
    """The certificate, the WebACL and the access-log bucket; ``edge.ingress`` is every UI's contract."""
    cluster: Cluster
    account: pulumi.StackReference
    """The account stack (``kubeboard:platform.accountStack``): the registry this environment pulls from."""
    shared_storage: SharedStorage | None
    addons: dict[str, HelmAddOn]
    observability: Observability | None
    """Loki, Alloy, kube-prometheus-stack and their buckets, roles and alert topic (when enabled)."""
    gitops: GitOps | None
    """Argo CD and the root Application deploying charts/kubeboard with this stack's outputs."""
    log_reports: LogReports | None
    """10-minute error-log exports from Loki and their reports (when ``kubeboard:logReports`` is enabled)."""
    deploy_runner: DeployRunner | None
    """The in-VPC GitHub Actions runner deploys run on (when ``kubeboard:deployRunner`` is enabled)."""
    human_roles: HumanRoles | None
    """The admin, developer and viewer roles, when the stack creates them (``cluster.access.createRoles``)."""
    report_reader: ReportReader | None
    """The front-page views sync's read-only role (when ``kubeboard:views`` is enabled)."""
    log_alarms: ErrorLogAlarms | None
    """ERROR metric filters and alarms on the platform's log groups (when ``kubeboard:logAlarms`` is on)."""
    """The Helm add-ons by release name; other add-ons may ``depends_on`` these."""
    outputs: dict[str, pulumi.Input[object]]
    """What the stack exports, by output name."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:Platform", name, None, opts)
        prefix = settings.platform.name
        # One explicit provider: every AWS resource gets the region and the platform's tags.
        aws_provider = aws.Provider(
            "aws",
            region=settings.region,
            default_tags=_default_tags(settings),
            opts=pulumi.ResourceOptions(parent=self),
        )
        child = pulumi.ResourceOptions(parent=self, providers=[aws_provider])
        self._aws_provider = aws_provider

        network_settings = settings.network
        self.network = Network(
            "network",
            {
                "name": prefix,
                "cluster_name": prefix,
                "cidr": network_settings.cidr,
                "availability_zones": network_settings.availability_zones,
                "public_subnet_cidrs": network_settings.public_subnet_cidrs,
                "private_subnet_cidrs": network_settings.private_subnet_cidrs,
                "intra_subnet_cidrs": network_settings.intra_subnet_cidrs,
                "nat_gateways": network_settings.nat_gateways,
                "endpoints": network_settings.endpoints.model_dump(),
                "flow_log_retention_days": network_settings.flow_logs.retention_days,
                "flow_log_traffic_type": network_settings.flow_logs.traffic_type.value,
            },
            opts=child,
        )

        edge, waf = settings.edge, settings.edge.waf
        self.edge = Edge(
            "edge",
            {
                "name": prefix,
                "region": settings.region,
                "domain": edge.domain,
                "hosted_zone_id": edge.hosted_zone.id,
                "ingress_group": edge.ingress_group,
                "rate_limit": waf.rate_limit,
                "rate_limit_window_seconds": waf.rate_limit_window_seconds,
                "allowed_countries": waf.allowed_countries,
                "block_anonymous_ips": waf.block_anonymous_ips,
                "allow_cidrs": waf.allow_cidrs,
                "deny_cidrs": waf.deny_cidrs,
                "waf_log_retention_days": waf.log_retention_days,
                "access_log_expiration_days": edge.access_logs.expiration_days,
                "access_log_force_destroy": edge.access_logs.force_destroy,
                "protect": settings.is_prod,
            },
            opts=child,
        )

        # Registry, scanning and GitHub delivery exist once per account: the account stack owns them.
        self.account = pulumi.StackReference(
            "account", stack_name=settings.platform.account_stack, opts=pulumi.ResourceOptions(parent=self)
        )
        self._cluster_and_storage(settings, child)
        self.deploy_runner = self._deploy_runner(settings, child)

        ingress_ready = self._ingress_ready()
        self.observability = None
        if settings.observability.enabled:
            observability_args: ObservabilityArgs = {
                "name": settings.platform.name,
                "settings": settings.observability,
                "region": settings.region,
                "provider": self.cluster.provider,
                "oidc_provider_arn": self.cluster.oidc_provider_arn,
                "oidc_issuer": self.cluster.oidc_issuer,
                "ingress": self.edge.ingress,
                "protect": settings.is_prod,
                # The ALB's nodes live in the public subnets, the control plane's ENIs in the private ones.
                "alb_cidrs": list(settings.network.public_subnet_cidrs),
                "api_server_cidrs": list(settings.network.private_subnet_cidrs),
                "loki_readers": self._loki_readers(settings),
            }
            if settings.addons.enabled(argo_rollouts.DEFINITION):
                observability_args["service_monitors"] = [argo_rollouts.service_monitor()]
                # The controller runs the analyses of a new version against Prometheus.
                observability_args["prometheus_readers"] = [
                    PodPeer(argo_rollouts.NAMESPACE, argo_rollouts.CONTROLLER_LABELS)
                ]
            if ingress_ready:
                observability_args["ingress_ready"] = ingress_ready
            if settings.sso is not None:
                observability_args["sign_in"] = GrafanaSignIn(
                    ini=sso.grafana_ini(settings.sso, self._dex(settings)),
                    client_secret=pulumi.Output.secret(settings.sso.grafana_client_secret.get_secret_value()),
                )
            self.observability = Observability(
                "observability",
                observability_args,
                # Its buckets, roles and alert topic wait for nothing in the cluster; only
                # Grafana's release waits, for what its Ingress needs (`ingress_ready`).
                opts=pulumi.ResourceOptions(parent=self, providers=[aws_provider]),
            )

        self.log_reports = self._log_reports(settings, aws_provider)
        self.report_reader = self._report_reader(settings, aws_provider)
        self.log_alarms = self._log_alarms(settings, aws_provider)
        self.fleet_hub_access = self._fleet_hub_access(settings)
        self.gitops = self._gitops(settings, ingress_ready)
        self.fleet_hub = self._fleet_hub(settings)
        self.fleet_spoke = self._fleet_spoke(settings)

        self.outputs = {
            "clusterName": self.cluster.cluster_name,
            "clusterEndpoint": self.cluster.endpoint,
            "oidcProviderArn": self.cluster.oidc_provider_arn,
            "oidcIssuer": self.cluster.oidc_issuer,
            "kubeconfig": self.cluster.kubeconfig,
            "nodeRoleArn": self.cluster.node_role_arn,
            "clusterSecurityGroupId": self.cluster.cluster_security_group_id,
            **({"efsFileSystemId": self.shared_storage.file_system_id} if self.shared_storage else {}),
            **(
                {
                    "deployRunnerProject": self.deploy_runner.project_name,
                    "deployRunnerSecurityGroupId": self.deploy_runner.security_group_id,
                }
                if self.deploy_runner
                else {}
            ),
            "clusterCreatorRoleArn": settings.cluster.access.cluster_creator_role_arn,
            "vpcId": self.network.vpc_id,
            "publicSubnetIds": self.network.public_subnet_ids,
            "privateSubnetIds": self.network.private_subnet_ids,
            "certificateArn": self.edge.certificate_arn,
            "webAclArn": self.edge.web_acl_arn,
            "albAccessLogBucket": self.edge.access_log_bucket_name,
            # No Grafana admin password: people sign in through dex, and no form or basic auth takes one.
            **({"lokiBucketName": self.observability.loki_bucket.bucket} if self.observability else {}),
            **({"argocdUrl": self.gitops.url} if self.gitops else {}),
            **(
                {f"{role}RoleArn": arn for role, arn in self.human_roles.arns.items()}
                if self.human_roles
                else {}
            ),
            **({"viewsSyncRoleArn": self.report_reader.role_arn} if self.report_reader else {}),
            **(
                {
                    "errorLogExportBucket": self.log_reports.raw_bucket_name,
                    "errorReportBucket": self.log_reports.processed_bucket_name,
                }
                if self.log_reports
                else {}
            ),
            **self._fleet_outputs(settings),
        }
        self.register_outputs(self.outputs)

    def _log_reports(self, settings: Settings, aws_provider: aws.Provider) -> LogReports | None:
        """Error lines per namespace from Loki to S3 every 10 minutes, reported by a Lambda (K4)."""
        reports = settings.logReports
        if not reports.enabled or reports.exporter is None or self.observability is None:
            return None
        topic = self.observability.alert_topic
        if topic is None:  # the settings require alerting e-mails, which create the topic
            raise ValueError("logReports needs the observability alert topic (observability.alerting.emails)")
        exporter = reports.exporter
        repository_url = self.account.get_output(REPOSITORY_URLS).apply(
            lambda urls: _repository_url(urls, exporter.repository, settings.platform.account_stack)
        )
        pin = f"@{exporter.image_digest}" if exporter.image_digest else f":{exporter.image_tag}"
        loki_namespace = settings.observability.namespace
        return LogReports(
            "log-reports",
            {
                "name": settings.platform.name,
                "namespaces": reports.namespaces,
                "alert_topic_arn": topic.arn,
                "provider": self.cluster.provider,
                "oidc_provider_arn": self.cluster.oidc_provider_arn,
                "oidc_issuer": self.cluster.oidc_issuer,
                "exporter": {
                    "image": repository_url.apply(lambda url: f"{url}{pin}"),
                    "namespace": exporter.namespace,
                    "service_account": exporter.service_account,
                    "loki_url": loki_service_url(loki_namespace),
                    "loki_namespace": loki_namespace,
                    "schedule": exporter.schedule,
                    "backfill_windows": exporter.backfill_windows,
                    "page_limit": exporter.page_limit,
                    "line_filter": exporter.line_filter,
                    "resources": {
                        "requests": {
                            "cpu": exporter.resources.cpu_request,
                            "memory": exporter.resources.memory_request,
                        },
                        "limits": {
                            "cpu": exporter.resources.cpu_limit,
                            "memory": exporter.resources.memory_limit,
                        },
                    },
                },
                "raw_retention_days": reports.raw_retention_days,
                "report_retention_days": reports.report_retention_days,
                "error_threshold": reports.error_threshold,
                "log_retention_days": reports.log_retention_days,
                "reserved_concurrency": reports.reserved_concurrency,
                "memory_mb": reports.memory_mb,
                "max_retry_attempts": reports.max_retry_attempts,
                "protect": settings.is_prod,
            },
            # No wait for the observability releases: a run before Loki answers fails and the next
            # one backfills, and its Lambda, buckets and alarms need nothing from the cluster.
            opts=pulumi.ResourceOptions(parent=self, providers=[aws_provider]),
        )

    def _exporter_image(self, settings: Settings) -> pulumi.Output[tuple[str, str, str]]:
        """(repository URL, tag, digest) of the log-exporter image in the account's registry."""
        exporter = settings.logReports.exporter
        if exporter is None:
            raise ValueError("logReports.exporter is required (settings validation lets none through)")
        return self.account.get_output(REPOSITORY_URLS).apply(
            lambda urls: (
                _repository_url(urls, exporter.repository, settings.platform.account_stack),
                exporter.image_tag or "",
                exporter.image_digest or "",
            )
        )

    def _report_reader(self, settings: Settings, aws_provider: aws.Provider) -> ReportReader | None:
        """The read-only identity of the front page's views sync: two prefixes, nothing else."""
        views = settings.views
        if not views.enabled or self.log_reports is None:
            return None
        reports = self.log_reports
        return ReportReader(
            "report-reader",
            {
                "name": settings.platform.name,
                "region": settings.region,
                "oidc_provider_arn": self.cluster.oidc_provider_arn,
                "oidc_issuer": self.cluster.oidc_issuer,
                "reports": (
                    {
                        "bucket_name": reports.processed_bucket_name,
                        "prefix": f"{REPORT_PREFIX}/",
                        "key_arn": reports.key_arn,
                    }
                    if views.error_reports
                    else None
                ),
                # The findings bucket is the account stack's (absent when it has no scanning).
                "images": (
                    {
                        "bucket_name": self.account.get_output(IMAGE_SCAN_FINDINGS_BUCKET),
                        "prefix": FINDINGS_PREFIX,
                        "key_arn": self.account.get_output(IMAGE_SCAN_FINDINGS_KEY_ARN),
                    }
                    if views.image_findings
                    else None
                ),
            },
            opts=pulumi.ResourceOptions(parent=self, providers=[aws_provider]),
        )

    def _views_values(self, settings: Settings) -> pulumi.Output[dict[str, object]] | None:
        """The platform chart's ``views`` values: the sync job's role, buckets and image."""
        reader, views = self.report_reader, settings.views
        if reader is None:
            return None
        return pulumi.Output.all(
            reader.role_arn, reader.reports_bucket, reader.images_bucket, self._exporter_image(settings)
        ).apply(
            lambda v: {
                "enabled": True,
                "schedule": views.schedule,
                "region": settings.region,
                "roleArn": v[0],
                "reports": {"bucket": v[1], "prefix": f"{REPORT_PREFIX}/"},
                "images": {"bucket": v[2], "prefix": FINDINGS_PREFIX},
                "maxReports": views.max_reports,
                "maxImages": views.max_images,
                "topFindings": views.top_findings,
                "image": {
                    "repository": v[3][0],
                    "tag": v[3][1],
                    "digest": v[3][2],
                    "pullPolicy": "Always",
                },
            }
        )

    def _log_alarms(self, settings: Settings, aws_provider: aws.Provider) -> ErrorLogAlarms | None:
        """O3: ERROR lines of the platform's Lambda and of the EKS control plane -> alarms -> alert topic."""
        alarms = settings.logAlarms
        topic = self.observability.alert_topic if self.observability else None
        if not alarms.enabled or topic is None:
            return None
        groups: list[WatchedLogGroup] = [
            control_plane_log_group(self.cluster.control_plane_log_group_name, alarms.control_plane_threshold)
        ]
        if self.log_reports is not None:
            groups.append(
                function_log_group("log-report", self.log_reports.log_group_name, alarms.function_threshold)
            )
        return ErrorLogAlarms(
            "log-alarms",
            {
                "name": settings.platform.name,
                "log_groups": groups,
                "alert_topic_arn": topic.arn,
                "period_seconds": alarms.period_seconds,
            },
            opts=pulumi.ResourceOptions(parent=self, providers=[aws_provider]),
        )

    def _ingress_ready(self) -> pulumi.ResourceOptions | None:
        """What a release that makes an Ingress waits for, so that it is installed and destroyed
        while the controllers that turn its Ingress into an ALB and a DNS name are running."""
        needed: list[pulumi.Resource] = []
        if aws_load_balancer_controller.NAME in self.addons:
            needed.append(self.addons[aws_load_balancer_controller.NAME].release)
        if external_dns.NAME in self.addons:
            # Uninstalling an Ingress release returns once its Ingress is gone; external-dns deletes
            # the records on its next loop. On destroy, this holds external-dns for that loop.
            needed.append(
                pulumiverse_time.Sleep(
                    "external-dns-final-sync",
                    destroy_duration=external_dns.FINAL_SYNC_HOLD,
                    opts=after(
                        [self.addons[external_dns.NAME].release],
                        reason="on destroy, external-dns must outlive the Ingress releases by one sync",
                        opts=pulumi.ResourceOptions(parent=self),
                    ),
                )
            )
        if not needed:
            return None
        return after(
            needed,
            reason="an Ingress is validated by the ALB controller's webhook, and on destroy its ALB "
            "and DNS records are deleted only while the controller and external-dns still run",
        )

    @staticmethod
    def _loki_readers(settings: Settings) -> list[PodPeer]:
        """Pods outside the observability namespace that query Loki: the error-log exporter."""
        reports = settings.logReports
        if not reports.enabled or reports.exporter is None:
            return []
        return [PodPeer(reports.exporter.namespace, EXPORTER_SELECTOR)]

    def _dex(self, settings: Settings) -> sso.Dex:
        """The identity provider every UI signs in through: dex inside Argo CD, on its host."""
        return sso.Dex(self.edge.ingress.hostname(settings.gitops.hostname_prefix))

    def _gitops(self, settings: Settings, ingress_ready: pulumi.ResourceOptions | None) -> GitOps | None:
        """Argo CD, and the root Application carrying what this stack made to the platform chart."""
        gitops = settings.gitops
        if not gitops.enabled:
            return None
        chart_values = self._chart_values(settings)
        if settings.sso is None:
            raise ValueError(
                "sso: Argo CD has no local admin; settings validation lets no gitops without sso"
            )
        observability = settings.observability
        dex_clients = [sso.front_page_client(settings.edge.domain)]
        if observability.enabled:
            dex_clients.append(
                sso.grafana_client(self.edge.ingress.hostname(observability.grafana.hostname_prefix))
            )
        gitops_args: GitOpsArgs = {
            "settings": gitops,
            "sso": settings.sso,
            "dex_clients": dex_clients,
            "is_prod": settings.is_prod,
            "provider": self.cluster.provider,
            "ingress": self.edge.ingress,
            "chart_values": chart_values,
        }
        if ingress_ready:
            gitops_args["ingress_ready"] = ingress_ready
        strategy = settings.addons.options(argo_rollouts.DEFINITION)["front_page_strategy"]
        if strategy is not FrontPageStrategy.DEPLOYMENT and argo_rollouts.NAME in self.addons:
            gitops_args["application_after"] = after(
                [self.addons[argo_rollouts.NAME].release],
                reason="the chart renders the front page as an Argo Rollout, whose CRD this release installs",
            )
        if self.fleet_hub_access is not None:
            gitops_args["fleet"] = {
                "argocd_values": self.fleet_hub_access.argocd_values(),
                "destinations": [b["endpoint"] for b in self.fleet_hub_access.bridges.values()],
                "source_repos": sorted({app.repository for app in settings.fleet.team_applications}),
            }
        return GitOps("gitops", gitops_args, opts=pulumi.ResourceOptions(parent=self))

    def _chart_values(self, settings: Settings) -> pulumi.Output[dict[str, object]]:
        """The platform chart's values from what this stack made (its own Argo CD's, or its hub's)."""
        gitops = settings.gitops
        observability = settings.observability
        platform_uis = [self.edge.ingress.hostname(gitops.hostname_prefix)]
        if observability.enabled:
            platform_uis.append(self.edge.ingress.hostname(observability.grafana.hostname_prefix))
        return platform_chart_values(
            environment=settings.platform.environment.value,
            ingress=self.edge.ingress,
            # The front page lives at the platform domain itself; every other UI at <name>.<domain>.
            hostname=settings.edge.domain,
            vpc_cidr=settings.network.cidr,
            # The ALB's nodes live in the public subnets: only they may reach the front page.
            alb_subnet_cidrs=list(settings.network.public_subnet_cidrs),
            grafana_hostname=(
                self.edge.ingress.hostname(observability.grafana.hostname_prefix)
                if observability.enabled
                else None
            ),
            reserved_hosts=platform_uis,
            developer_group=DEVELOPER_GROUP,
            viewer_group=VIEWER_GROUP,
            storage_class_name=settings.storage.storage_class_name if settings.storage.enabled else None,
            kubernetes_version=settings.cluster.kubernetes_version,
            views=self._views_values(settings),
            # The ALB signs people in through dex before a request reaches the front page.
            sign_in_annotations=sso.alb_oidc_annotations(self._dex(settings)),
            rollout=front_page_rollout(
                settings.addons.options(argo_rollouts.DEFINITION)["front_page_strategy"].value,
                prometheus_url(observability.namespace) if observability.enabled else None,
            ),
        )

    def _bridge_parts(
        self,
    ) -> tuple[dict[str, pulumi.Output[str]], dict[str, pulumi.Output[str]], pulumi.Output[str] | None]:
        """The IRSA roles, buckets and file system a fleet's ApplicationSets may template values from."""
        irsa = {"viewsSync": self.report_reader.role_arn} if self.report_reader else {}
        buckets: dict[str, pulumi.Output[str]] = {"albAccessLogs": self.edge.access_log_bucket_name}
        if self.observability:
            buckets["loki"] = self.observability.loki_bucket.bucket
        if self.log_reports:
            buckets["errorLogExport"] = self.log_reports.raw_bucket_name
            buckets["errorReports"] = self.log_reports.processed_bucket_name
        efs = self.shared_storage.file_system_id if self.shared_storage else None
        return irsa, buckets, efs

    def _fleet_hub_access(self, settings: Settings) -> FleetHubAccess | None:
        """A hub's Argo CD role, and each spoke's bridge read from its stack (K12)."""
        if settings.fleet.role is not FleetRole.HUB:
            return None
        return FleetHubAccess(
            "fleet-access",
            {
                "fleet": settings.fleet,
                "name": settings.platform.name,
                "namespace": settings.gitops.namespace,
                "oidc_provider_arn": self.cluster.oidc_provider_arn,
                "oidc_issuer": self.cluster.oidc_issuer,
                "vpc_cidr": settings.network.cidr,
                "egress_ips": self.network.nat_public_ips,
            },
            opts=pulumi.ResourceOptions(parent=self, providers=[self._aws_provider]),
        )

    def _fleet_hub(self, settings: Settings) -> FleetHub | None:
        """The cluster secrets and the fleet's root Application, once Argo CD runs."""
        if self.fleet_hub_access is None or self.gitops is None or settings.gitops.repository is None:
            return None
        irsa, buckets, efs = self._bridge_parts()
        own: OwnCluster = {
            "cluster_name": settings.platform.name,
            "region": settings.region,
            "environment": settings.platform.environment.value,
            "platform_values": self._chart_values(settings),
            "irsa_role_arns": irsa,
            "buckets": buckets,
            "efs_file_system_id": efs,
        }
        return FleetHub(
            "fleet",
            {
                "fleet": settings.fleet,
                "namespace": settings.gitops.namespace,
                "provider": self.cluster.provider,
                "access": self.fleet_hub_access,
                "own": own,
                "repository_url": settings.gitops.repository.url,
                "chart_path": settings.gitops.repository.path,
                "chart_namespace": CHART_NAMESPACE,
                "platform_project": PLATFORM_PROJECT,
                "argocd_ready": self.gitops.ready,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _fleet_spoke(self, settings: Settings) -> FleetSpoke | None:
        """A spoke admits its hub's Argo CD role (read from the hub's stack) and opens the path to its API."""
        fleet = settings.fleet
        if fleet.role is not FleetRole.SPOKE or fleet.hub_stack is None or fleet.hub_network is None:
            return None
        hub = pulumi.StackReference(
            "fleet-hub", stack_name=fleet.hub_stack, opts=pulumi.ResourceOptions(parent=self)
        )
        self._fleet_hub_role_arns = hub.get_output(HUB_ROLE_OUTPUT).apply(
            lambda arns: _hub_roles(arns, fleet.hub_stack or "")
        )
        return FleetSpoke(
            "fleet-spoke",
            {
                "name": settings.platform.name,
                "cluster_name": self.cluster.cluster_name,
                "hub_role_arns": self._fleet_hub_role_arns,
                "hub_network_path": fleet.hub_network.path.value,
                "hub_cidrs": list(fleet.hub_network.cidrs),
                "cluster_security_group_id": self.cluster.cluster_security_group_id,
            },
            opts=pulumi.ResourceOptions(parent=self, providers=[self._aws_provider]),
        )

    def _fleet_outputs(self, settings: Settings) -> dict[str, pulumi.Input[object]]:
        """A hub exports its Argo CD role; a spoke, the bridge its hub registers it from."""
        if self.fleet_hub_access is not None:
            # The NAT addresses are what a spoke with an allow-listed API must admit.
            return {
                HUB_ROLE_OUTPUT: self.fleet_hub_access.role_arns,
                HUB_EGRESS_OUTPUT: self.network.nat_public_ips,
            }
        if self.fleet_spoke is None or settings.fleet.hub_network is None:
            return {}
        network = settings.fleet.hub_network
        irsa, buckets, efs = self._bridge_parts()
        # The CA is public (every client of the API has it); the kubeconfig around it is a secret.
        ca_data = pulumi.Output.unsecret(self.cluster.kubeconfig).apply(
            lambda text: json.loads(text)["clusters"][0]["cluster"]["certificate-authority-data"]
        )
        return {
            BRIDGE_OUTPUT: pulumi.Output.all(
                self.cluster.cluster_name,
                self.cluster.endpoint,
                ca_data,
                self.fleet_spoke.access_role_arn,
                self._fleet_hub_role_arns,
                pulumi.Output.from_input(irsa),
                pulumi.Output.from_input(buckets),
                efs,
                self._chart_values(settings),
            ).apply(
                lambda v: {
                    "clusterName": v[0],
                    "endpoint": v[1],
                    "caData": v[2],
                    "region": settings.region,
                    "environment": settings.platform.environment.value,
                    "accessRoleArn": v[3],
                    "hubRoleArns": v[4],
                    "fleet": settings.fleet.name,
                    "hubNetwork": {"path": network.path.value, "cidrs": list(network.cidrs)},
                    "irsaRoleArns": v[5],
                    "buckets": v[6],
                    "efsFileSystemId": v[7],
                    "platformValues": v[8],
                }
            )
        }

    def _deploy_runner(self, settings: Settings, child: pulumi.ResourceOptions) -> DeployRunner | None:
        """A CodeBuild-hosted runner in the private subnets, for deploys GitHub's runners cannot make."""
        runner = settings.deployRunner
        if not runner.enabled or runner.repository is None or runner.connection_arn is None:
            return None
        return DeployRunner(
            "deploy-runner",
            {
                "name": settings.platform.name,
                "repository": runner.repository,
                "connection_arn": runner.connection_arn,
                "vpc_id": self.network.vpc_id,
                "subnet_ids": self.network.private_subnet_ids,
                "cluster_security_group_id": self.cluster.cluster_security_group_id,
                "compute_type": runner.compute_type.value,
                "image": runner.image,
                "timeout_minutes": runner.timeout_minutes,
                "log_retention_days": runner.log_retention_days,
                "protect": settings.is_prod,
            },
            opts=child,
        )

    def _cluster_creator(self, settings: Settings) -> ClusterCreator:
        """The provider the cluster alone is created through: an AWS profile resolving to the creator role.

        A profile, not ``assumeRoles``: the provider's inputs stay the same while deploys resolve the
        profile to the creator role and read-only previews to their own credentials (README).
        """
        access = settings.cluster.access
        provider = aws.Provider(
            "cluster-creator",
            region=settings.region,
            profile=access.cluster_creator_profile,
            default_tags=_default_tags(settings),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return ClusterCreator(provider=provider, role_arn=access.cluster_creator_role_arn)

    def _cluster_and_storage(self, settings: Settings, child: pulumi.ResourceOptions) -> None:
        """The cluster, its Helm add-ons and shared storage (K1, K2, O4)."""
        prefix, cluster = settings.platform.name, settings.cluster
        create = cluster.access.create_roles
        self.human_roles = None
        if create is not None:
            # The people's roles exist before the cluster: its access entries name them.
            self.human_roles = HumanRoles(
                "human-roles",
                {
                    "name": prefix,
                    "cluster_name": prefix,
                    "saml": {"provider_arn": create.saml.provider_arn} if create.saml else None,
                    "oidc": (
                        {
                            "provider_arn": create.oidc.provider_arn,
                            "audience": create.oidc.audience,
                            "subjects": create.oidc.subjects.model_dump(),
                        }
                        if create.oidc
                        else None
                    ),
                    "identity_center": (
                        {"permission_sets": create.identity_center.permission_sets.model_dump()}
                        if create.identity_center
                        else None
                    ),
                    "max_session_hours": create.max_session_hours,
                },
                opts=child,
            )
        human_arns: dict[str, pulumi.Input[str]] = (
            dict(self.human_roles.arns)
            if self.human_roles
            else {
                "admin": _given(cluster.access.admin_role_arn),
                "developer": _given(cluster.access.developer_role_arn),
                "viewer": _given(cluster.access.viewer_role_arn),
            }
        )
        # One output per private subnet: EFS needs a mount target in each, counted at program time.
        private_subnets = [
            _nth(self.network.private_subnet_ids, index)
            for index in range(len(settings.network.private_subnet_cidrs))
        ]
        node_groups: list[NodeGroupArgs] = [
            {
                "name": group.name,
                "instance_types": group.instance_types,
                "capacity_type": group.capacity_type.value,
                "min_size": group.min_size,
                "desired_size": group.desired_size,
                "max_size": group.max_size,
                "disk_size_gib": group.disk_size_gib,
                "ami_type": group.ami_type.value,
                "labels": group.labels,
                "taints": [{"key": t.key, "value": t.value, "effect": t.effect.value} for t in group.taints],
            }
            for group in cluster.node_groups
        ]
        self.cluster = Cluster(
            "cluster",
            {
                "name": prefix,
                "kubernetes_version": cluster.kubernetes_version,
                "upgrade_policy": cluster.upgrade_policy.value,
                "vpc_id": self.network.vpc_id,
                "private_subnet_ids": self.network.private_subnet_ids,
                "endpoint_public_access": cluster.endpoint.public_access,
                "public_access_cidrs": cluster.endpoint.public_access_cidrs,
                "access": {
                    "admin_role_arn": human_arns["admin"],
                    "developer_role_arn": human_arns["developer"],
                    "viewer_role_arn": human_arns["viewer"],
                    "developer_namespaces": cluster.access.developer_namespaces,
                    "deploy_role_arns": cluster.access.deploy_role_arns,
                    "preview_role_arn": cluster.access.preview_role_arn,
                },
                "creator": self._cluster_creator(settings),
                "node_groups": node_groups,
                "addon_versions": cluster.managed_addons.by_addon_name(),
                "log_retention_days": cluster.log_retention_days,
                "protect": settings.is_prod,
            },
            opts=child,
        )
        self.addons = install_catalog(
            {
                "cluster": {
                    "cluster_name": self.cluster.cluster_name,
                    "provider": self.cluster.provider,
                    "oidc_provider_arn": self.cluster.oidc_provider_arn,
                    "oidc_issuer": self.cluster.oidc_issuer,
                    "node_security_group_id": self.cluster.node_security_group_id,
                },
                "cluster_name": prefix,
                "region": settings.region,
                "vpc_id": self.network.vpc_id,
                "kubernetes_version": cluster.kubernetes_version,
                "is_prod": settings.is_prod,
                "node_groups": [
                    {"args": group, "node_group": self.cluster.node_groups[group["name"]]}
                    for group in node_groups
                ],
            },
            settings.addons.choices(),
            name_prefix=prefix,
            opts=child,
        )
        storage = settings.storage
        self.shared_storage = None
        if storage.enabled:
            self.shared_storage = SharedStorage(
                "shared-storage",
                {
                    "name": prefix,
                    "vpc_id": self.network.vpc_id,
                    "subnet_ids": private_subnets,
                    "client_security_group_id": self.cluster.node_security_group_id,
                    "provider": self.cluster.provider,
                    "access_point": {
                        "path": storage.access_point.path,
                        "uid": storage.access_point.uid,
                        "gid": storage.access_point.gid,
                        "permissions": storage.access_point.permissions,
                    },
                    "storage_class_name": storage.storage_class_name,
                    "performance_mode": storage.performance_mode.value,
                    "throughput_mode": storage.throughput_mode.value,
                    "transition_to_ia_days": storage.transition_to_ia_days,
                    "protect": settings.is_prod,
                },
                opts=child,
            )


def _given(arn: str | None) -> str:
    if arn is None:  # settings require the ARN whenever the stack does not create the role
        raise ValueError("cluster.access: a role ARN is missing and createRoles is not set")
    return arn


def _nth(ids: pulumi.Output[list[str]], index: int) -> pulumi.Output[str]:
    return ids.apply(lambda resolved: resolved[index])


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


def _hub_roles(arns: list[str] | None, hub_stack: str) -> list[str]:
    # Known only once the hub's outputs are read; refused before anything trusts a missing role.
    if not arns:
        raise pulumi.RunError(
            f"Pulumi.{pulumi.get_stack()}.yaml: kubeboard:fleet.hubStack: stack {hub_stack!r} exports no "
            f"{HUB_ROLE_OUTPUT}; it must be a hub (kubeboard:fleet.role: hub), deployed before its spokes"
        )
    return list(arns)


def _default_tags(settings: Settings) -> aws.ProviderDefaultTagsArgs:
    """Every AWS resource carries the project, the environment and the stack's own tags."""
    return aws.ProviderDefaultTagsArgs(
        tags={
            "Project": "kubeboard",
            "Environment": settings.platform.environment.value,
            "ManagedBy": "pulumi",
            **settings.platform.tags,
        }
    )
