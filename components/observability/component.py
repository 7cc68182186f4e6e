"""`Observability`: logs (Loki + Alloy), metrics and alerts (kube-prometheus-stack), and the
AWS resources they stand on (Loki's bucket, IRSA roles, the alert topic)."""

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from .. import sso
from ..addons.release import install_addons
from ..args import validate_args
from ..contracts import AlertTopic
from ..edge.ingress import ingress_helm_values, ingress_hostname
from ..irsa import irsa_role
from ..kms import rotating_key
from ..namespaces import labelled_namespace
from ..ordering import after, split_waits
from ..secure_bucket import secure_bucket
from . import alertmanager, grafana, kube_prometheus_stack, loki, rule_files
from .args import ObservabilityArgs, args_problems, with_config_defaults
from .network_policies import policy_specs
from .release_inputs import STORAGE_CLASS
from .specs import addon_specs

GRAFANA_ADMIN_USER = "admin"


class Observability(pulumi.ComponentResource):
    """Loki, Alloy and kube-prometheus-stack with their buckets, roles, secrets and alert topic."""

    loki_bucket_name: pulumi.Output[str]
    """Loki's chunks and ruler bucket."""
    alert_topic: AlertTopic | None
    """The alert topic and its key, when ``alerting.emails`` lists someone (others publish there too)."""
    grafana_admin_password: pulumi.Output[str]
    """Generated; a Pulumi secret, stored in the ``grafana-admin`` Kubernetes Secret."""
    grafana_url: pulumi.Output[str] | None
    """Grafana's address, when it is published."""

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # What `opts.depends_on` names (the controllers behind Grafana's Ingress) holds back
        # kube-prometheus-stack alone: the bucket, roles, topic and Loki start at once.
        ingress_waits, opts = split_waits(opts)
        super().__init__("kubeboard:index:Observability", name, None, opts)
        validate_args("Observability", args, ObservabilityArgs, args_problems)
        config = with_config_defaults(args)
        namespace = config["namespace"]
        prefix = args["name_prefix"]
        context = args["context"]
        cluster = context["cluster"]
        provider = cluster["provider"]
        tags = dict(args.get("tags") or {})
        child = pulumi.ResourceOptions(parent=self)
        k8s_child = pulumi.ResourceOptions(parent=self, provider=provider)

        # Node exporter and the Alloy DaemonSet read host paths: the namespace cannot be `restricted`.
        ns = labelled_namespace(
            f"{name}-namespace", namespace, enforce="privileged", warn="baseline", opts=k8s_child
        )
        in_ns = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[ns])
        # Loki has no auth of its own (auth_enabled: false): the network decides who reaches it.
        network_policies = [
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-{policy}",
                metadata={"name": policy, "namespace": namespace},
                spec=spec,
                opts=in_ns,
            )
            for policy, spec in policy_specs(
                alb_cidrs=args.get("alb_cidrs") or (),
                api_server_cidrs=args.get("api_server_cidrs") or (),
                loki_readers=args.get("loki_readers") or (),
                prometheus_readers=args.get("prometheus_readers") or (),
            ).items()
        ]

        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata={"name": STORAGE_CLASS},
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Retain" if args.get("protect") else "Delete",
            opts=k8s_child,
        )

        loki_bucket = self._loki_bucket(f"{prefix}-loki", protect=bool(args.get("protect")), tags=tags)
        self.loki_bucket_name = loki_bucket.bucket

        self.alert_topic = None
        emails = config["alerting"]["emails"]
        if emails:
            # A customer-managed key: CloudWatch alarms (error-log reports) publish here too, and
            # the AWS-managed alias/aws/sns key cannot admit them.
            alert_key = rotating_key(
                f"{prefix}-alerts-key",
                alias=f"{prefix}-alerts",
                description=f"Encrypts the {prefix} alert topic",
                allow_cloudwatch_alarms=True,
                protect=bool(args.get("protect")),
                tags=tags,
                opts=child,
            )
            topic = aws.sns.Topic(
                f"{prefix}-alerts",
                kms_master_key_id=alert_key.arn,
                tags=tags,
                opts=child,
            )
            self.alert_topic = {"arn": topic.arn, "key_arn": alert_key.arn}
            for index, email in enumerate(emails):
                aws.sns.TopicSubscription(
                    f"{prefix}-alerts-email-{index}",
                    topic=topic.arn,
                    protocol="email",
                    endpoint=email,
                    opts=pulumi.ResourceOptions(parent=topic),
                )

        grafana_role = irsa_role(
            f"{prefix}-grafana-cloudwatch",
            oidc_provider_arn=cluster["oidc_provider_arn"],
            oidc_issuer=cluster["oidc_issuer"],
            namespace=namespace,
            service_account=kube_prometheus_stack.GRAFANA_SERVICE_ACCOUNT,
            policy_documents={
                "cloudwatch-read": kube_prometheus_stack.cloudwatch_read_policy(context["region"], prefix)
            },
            description="Grafana's read-only CloudWatch data source (IRSA)",
            tags=tags,
            opts=child,
        )

        password = random.RandomPassword(
            f"{name}-grafana-admin-password", length=32, special=False, opts=child
        )
        self.grafana_admin_password = pulumi.Output.secret(password.result)
        grafana_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata={"name": kube_prometheus_stack.GRAFANA_ADMIN_SECRET, "namespace": namespace},
            type="Opaque",
            string_data={
                kube_prometheus_stack.GRAFANA_USER_KEY: GRAFANA_ADMIN_USER,
                kube_prometheus_stack.GRAFANA_PASSWORD_KEY: self.grafana_admin_password,
            },
            opts=in_ns,
        )
        notifier_secret = self._notifier_secret(name, config["alerting"], namespace, in_ns)

        k8s.core.v1.ConfigMap(
            f"{name}-loki-rules",
            metadata={
                "name": "loki-rules",
                "namespace": namespace,
                "labels": {loki.RULE_LABEL: "1"},
                # The sidecar writes these files where the ruler looks for the tenant's rules.
                "annotations": {loki.RULE_FOLDER_ANNOTATION: loki.TENANT},
            },
            data=rule_files.loki_rule_texts(),
            opts=in_ns,
        )
        for file_name, dashboard in grafana.dashboards().items():
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{file_name.removesuffix('.json')}",
                metadata={
                    "name": f"dashboard-{file_name.removesuffix('.json')}",
                    "namespace": namespace,
                    "labels": {grafana.DASHBOARD_LABEL: "1"},
                },
                data={file_name: json.dumps(dashboard, indent=1)},
                opts=in_ns,
            )

        ingress = args.get("ingress")
        sign_in = args.get("sign_in")
        grafana_secrets: list[pulumi.Resource] = [grafana_secret]
        if sign_in is not None:
            grafana_secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-grafana-oauth",
                    metadata={"name": kube_prometheus_stack.GRAFANA_OAUTH_SECRET, "namespace": namespace},
                    type="Opaque",
                    string_data={
                        kube_prometheus_stack.GRAFANA_OAUTH_SECRET_KEY: pulumi.Output.secret(
                            sign_in["sso"]["grafana_client_secret"]
                        )
                    },
                    opts=in_ns,
                )
            )
        grafana_ingress = None
        self.grafana_url = None
        root_url = None
        if ingress is not None:
            hostname = ingress_hostname(ingress, config["grafana"]["hostname_prefix"])
            grafana_ingress = ingress_helm_values(ingress, hostname, healthcheck_path="/api/health")
            root_url = f"https://{hostname}"
            self.grafana_url = pulumi.Output.from_input(root_url)

        specs = addon_specs(
            context,
            {
                "config": args,
                "storage_class": STORAGE_CLASS,
                "loki_bucket_name": loki_bucket.bucket,
                "loki_bucket_arn": loki_bucket.arn,
                "grafana_role_arn": grafana_role.arn,
                "alert_topic": self.alert_topic,
                "grafana_ingress": grafana_ingress,
                "grafana_root_url": root_url,
                "grafana_sign_in": (
                    sso.grafana_ini(sign_in["sso"], sso.Dex(sign_in["dex_host"]))
                    if sign_in is not None
                    else None
                ),
                "service_monitors": list(args.get("service_monitors", ())),
            },
        )
        self._releases = install_addons(
            specs,
            cluster=cluster,
            tags=tags,
            name_prefix=prefix,
            opts=child,
            install_after={
                "*": after(
                    [ns, *network_policies],
                    reason="the charts install into this namespace, labelled for Pod Security; "
                    "Helm must not create it unlabelled first, and no pod starts before its policies",
                ),
                kube_prometheus_stack.NAME: after(
                    [storage_class, *grafana_secrets, notifier_secret, *grafana_role.ready],
                    reason="Grafana and Alertmanager mount these secrets, claim volumes of this "
                    "storage class, and Grafana assumes this role",
                    opts=pulumi.ResourceOptions(depends_on=ingress_waits),
                ),
                loki.NAME: after([storage_class], reason="its volume claim names this storage class"),
                # Dashboards and Loki's rules need no wait: the sidecars pick up labelled
                # ConfigMaps whenever they appear.
            },
        )

        self.register_outputs(
            {
                "loki_bucket_name": self.loki_bucket_name,
                "alert_topic": self.alert_topic,
                "grafana_url": self.grafana_url,
                "grafana_admin_password": self.grafana_admin_password,
            }
        )

    def _loki_bucket(self, name: str, *, protect: bool, tags: dict[str, str]) -> aws.s3.Bucket:
        """Private, SSE-S3-encrypted, versioned, TLS-only; Loki's compactor enforces retention inside it."""
        return secure_bucket(
            name,
            parent=self,
            # Versioning guards against a mistaken delete; chunks the compactor removes for
            # retention linger as noncurrent versions for a week only.
            lifecycle_rules=[
                {
                    "id": "expire-deleted-chunks",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": 7},
                    "expiration": {"expired_object_delete_marker": True},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            protect=protect,
            tags=tags,
        ).bucket

    def _notifier_secret(
        self, name: str, alerting: dict[str, Any], namespace: str, opts: pulumi.ResourceOptions
    ) -> k8s.core.v1.Secret:
        """Slack webhook and heartbeat URLs, as Pulumi secrets, for Alertmanager's ``*_file`` fields."""
        data: dict[str, pulumi.Input[str]] = {}
        if alerting["slack"] is not None:
            data[alertmanager.SLACK_URL_KEY] = pulumi.Output.secret(alerting["slack"]["webhook_url"])
        if alerting["heartbeat_url"] is not None:
            data[alertmanager.HEARTBEAT_URL_KEY] = pulumi.Output.secret(alerting["heartbeat_url"])
        # Always present: the operator refuses to start Alertmanager when a listed Secret is missing.
        return k8s.core.v1.Secret(
            f"{name}-alertmanager-notifiers",
            metadata={"name": alertmanager.NOTIFIER_SECRET, "namespace": namespace},
            type="Opaque",
            string_data=data,
            opts=opts,
        )
