"""Every component of kubeboard_infra used directly, as a platform team composes them in its own stack.

Plain values in, typed contracts between components (``cluster.access``, ``edge.ingress``), ordering
in ``opts``. Nothing here reads a stack file: `kubeboard plan` runs it under Pulumi's mocks, and the
tests run it from an installed wheel, where ``import kubeboard_infra`` pulls in no pydantic.
"""

import pulumi

import kubeboard_infra as kb

NAME, REGION, ACCOUNT = "acme-dev", "ap-northeast-2", "111122223333"
ZONES = ["ap-northeast-2a", "ap-northeast-2c"]
EMAILS = ["platform@example.com"]
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
WORKFLOW = "acme/platform/.github/workflows/build-push-deploy.yml@refs/heads/main"
CLUSTER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{NAME}-cluster-creator"
NODE_GROUPS: list[kb.NodeGroupArgs] = [
    {"name": "system", "instance_types": ["t3.large"], "min_size": 2, "max_size": 4, "desired_size": 2}
]
ADDON_VERSIONS = {  # EKS managed add-ons, pinned (VERSIONS.md)
    "vpc-cni": "v1.22.4-eksbuild.3",
    "coredns": "v1.14.3-eksbuild.16",
    "kube-proxy": "v1.36.0-eksbuild.21",
    "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
    "aws-efs-csi-driver": "v3.4.1-eksbuild.1",
}

# The account's registry, scanning and delivery, then the same pieces one by one.
account = kb.Account(
    "account", {"name": "acme", "region": REGION, "registry": {"repositories": [{"name": "shop/api"}]}}
)
registry = kb.Registry("registry", {"name": "acme-extra", "repositories": [{"name": "shop/web"}]})
kb.ImageScanAlerts(
    "scan-alerts", {"name": "acme-extra", "repository_arns": registry.repository_arns, "alarm_emails": EMAILS}
)
kb.GitHubDelivery(
    "delivery",
    {
        "name": "acme-extra",
        "workflow_ref": WORKFLOW,
        "repositories": [
            {
                "repository": "acme/shop",
                "ecr_repository_arns": [registry.repository_arns["shop/web"]],
                "environments": ["dev"],
            }
        ],
    },
)
kb.DeployRoles(
    "deploy-roles",
    {
        "name": "acme",
        "repository": "acme/platform",
        "oidc_provider_arn": OIDC,
        "environments": [{"stack": "dev", "cluster_name": NAME}],
    },
)
kb.GuardDuty("guardduty", {"name": "acme", "alert_emails": EMAILS})

# One environment: network, people's roles, cluster, edge and what runs on them.
network = kb.Network(
    "network",
    {
        "name": NAME,
        "cluster_name": NAME,
        "cidr": "10.30.0.0/16",
        "availability_zones": ZONES,
        "public_subnet_cidrs": ["10.30.0.0/24", "10.30.1.0/24"],
        "private_subnet_cidrs": ["10.30.32.0/19", "10.30.64.0/19"],
    },
)
people = kb.HumanRoles(
    "people",
    {
        "name": NAME,
        "cluster_name": NAME,
        "saml": {"provider_arn": f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"},
    },
)
cluster = kb.Cluster(
    "cluster",
    {
        "name": NAME,
        "kubernetes_version": "1.36",
        "upgrade_policy": kb.UpgradePolicy.STANDARD,
        "vpc_id": network.vpc_id,
        "private_subnet_ids": network.private_subnet_ids,
        "access": {
            "admin_role_arn": people.admin_role_arn,
            "developer_role_arn": people.developer_role_arn,
            "viewer_role_arn": people.viewer_role_arn,
            "developer_namespaces": ["shop"],
        },
        "node_groups": NODE_GROUPS,
        "addon_versions": ADDON_VERSIONS,
    },
)
edge = kb.Edge(
    "edge",
    {
        "name": NAME,
        "region": REGION,
        "domain": "dev.acme.example.com",
        "hosted_zone_id": "Z0ACMEEXAMPLE01",
        "rate_limit": 2000,
        "allowed_countries": ["KR"],
    },
)
context: kb.AddOnContext = {
    "cluster": cluster.access,
    "cluster_name": NAME,
    "region": REGION,
    "vpc_id": network.vpc_id,
    "kubernetes_version": "1.36",
    "is_prod": False,
}
kb.HelmAddOn(
    "metrics-server",
    {
        "release_name": "metrics-server",
        "chart": "metrics-server",
        "version": "3.13.0",
        "repository": "https://kubernetes-sigs.github.io/metrics-server/",
        "namespace": "kube-system",
        "cluster": cluster.access,
    },
)
kb.SharedStorage(
    "shared-storage",
    {
        "name": NAME,
        "vpc_id": network.vpc_id,
        "subnet_ids": [network.private_subnet_ids[i] for i in range(len(ZONES))],
        "cluster": cluster.access,
    },
)
sso: kb.SsoConfig = {
    "github": {
        "client_id": "Ov23liAcmeExample01",
        "client_secret": pulumi.Output.secret("c" * 40),
        "org": "acme",
        "teams": ["platform"],
    },
    "roles": {"admins": ["platform"]},
    "grafana_client_secret": pulumi.Output.secret("g" * 40),
    "front_page_client_secret": pulumi.Output.secret("f" * 40),
}
dex_host = kb.ingress_hostname(edge.ingress, "argocd")
observability = kb.Observability(
    "observability",
    {
        "loki": {"retention_days": 14},
        "prometheus": {"retention_days": 15},
        "alerting": {"emails": EMAILS},
        "name_prefix": NAME,
        "context": context,
        "ingress": edge.ingress,
        "sign_in": {"sso": sso, "dex_host": dex_host},
        "alb_cidrs": ["10.30.0.0/24", "10.30.1.0/24"],
        "api_server_cidrs": ["10.30.32.0/19", "10.30.64.0/19"],
    },
)
assert observability.alert_topic is not None  # alerting.emails given
topic = observability.alert_topic["arn"]
kb.GitOps(
    "gitops",
    {
        "repository": {"url": "https://github.com/acme/platform.git"},
        "sso": sso,
        "context": context,
        "ingress": edge.ingress,
        "chart_values": {"environment": "dev"},
    },
)
reports = kb.LogReports(
    "log-reports",
    {
        "name": NAME,
        "alert_topic_arn": topic,
        "cluster": cluster.access,
        "exporter": {
            "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/log-exporter:0.1.0",
            "loki_namespace": "monitoring",
            "loki_url": "http://loki.monitoring:3100",
        },
    },
)
kb.ReportReader(
    "report-reader",
    {
        "name": NAME,
        "region": REGION,
        "cluster": cluster.access,
        "reports": {
            "bucket_name": reports.processed_bucket_name,
            "prefix": "reports/",
            "key_arn": reports.key_arn,
        },
    },
)
kb.ErrorLogAlarms(
    "log-alarms",
    {
        "name": NAME,
        "alert_topic_arn": topic,
        "log_groups": [
            kb.control_plane_log_group(cluster.control_plane_log_group_name, threshold=20),
            kb.function_log_group("log-reports", reports.log_group_name, threshold=1),
        ],
    },
)
kb.DeployRunner(
    "deploy-runner",
    {
        "name": NAME,
        "repository": "acme/platform",
        "connection_arn": f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/8a3c9f0e-5b1d-4e7a-9c2f-1d6b0e4a7f31",
        "vpc_id": network.vpc_id,
        "subnet_ids": network.private_subnet_ids,
        "cluster_security_group_id": cluster.cluster_security_group_id,
    },
)

# A fleet: this cluster as a hub's spoke, and its own hub role and cluster secrets.
fleet: kb.FleetArgs = {
    "name": "acme",
    "waves": {"dev": {"target_revision": "main"}, "prod": {"target_revision": "v1.0.0"}},
}
hub = kb.FleetHubAccess(
    "fleet-access",
    {
        "name": NAME,
        "fleet": fleet,
        "namespace": "argocd",
        "cluster": cluster.access,
        "vpc_cidr": "10.30.0.0/16",
        "egress_ips": network.nat_public_ips,
    },
)
kb.FleetSpoke(
    "fleet-spoke",
    {
        "name": NAME,
        "cluster": cluster.access,
        "hub_role_arns": hub.role_arns,
        "hub_network": {"path": kb.HubPath.PRIVATE, "cidrs": ["10.40.0.0/16"]},
    },
)
kb.FleetHub(
    "fleet-hub",
    {
        "fleet": fleet,
        "namespace": "argocd",
        "cluster": cluster.access,
        "bridges": hub.bridges,
        "own": {
            "cluster_name": NAME,
            "region": REGION,
            "environment": "dev",
            "platform_values": {},
            "irsa_role_arns": {},
            "buckets": {},
        },
        "repository_url": "https://github.com/acme/platform.git",
        "chart_path": "charts/kubeboard",
        "chart_namespace": "kubeboard",
        "platform_project": "platform",
    },
)

# And the whole platform of one stack in one component, from the same kind of plain values.
kb.Platform(
    "platform",
    {
        "name": "acme-staging",
        "region": REGION,
        "environment": kb.Environment.DEV,
        "account_stack": "shared",
        "network": {
            "cidr": "10.50.0.0/16",
            "availability_zones": ZONES,
            "public_subnet_cidrs": ["10.50.0.0/24", "10.50.1.0/24"],
            "private_subnet_cidrs": ["10.50.32.0/19", "10.50.64.0/19"],
        },
        "edge": {
            "domain": "staging.acme.example.com",
            "hosted_zone_id": "Z0ACMEEXAMPLE01",
            "rate_limit": 2000,
            "allowed_countries": ["KR"],
        },
        "cluster": {
            "kubernetes_version": "1.36",
            "upgrade_policy": kb.UpgradePolicy.STANDARD,
            "access": {
                "cluster_creator_role_arn": CLUSTER_ROLE,
                "developer_namespaces": ["shop"],
                "create_roles": {"saml": {"provider_arn": f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"}},
            },
            "node_groups": NODE_GROUPS,
            "addon_versions": ADDON_VERSIONS,
        },
        "addons": {},
    },
)
