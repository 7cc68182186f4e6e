"""LogReports: Loki error lines exported to S3 every 10 minutes, turned into reports by a Lambda (K4, O3).

An exporter CronJob in the cluster (IRSA role limited to its bucket prefix, ``concurrencyPolicy: Forbid``)
writes one gzip JSON-lines object per namespace and closed window to the raw bucket. Each new object
triggers the ``log_report`` Lambda, which groups the lines by namespace, app and signature and writes a
JSON and an HTML report to the processed bucket, emitting ``ErrorLines`` per namespace as EMF metrics.
One alarm per namespace watches that metric; others watch the function, its dead letters and the
pipeline's heartbeat. All notify the alerts topic passed in.
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .args import validate_args
from .contracts import ClusterAccess
from .irsa import irsa_role
from .kms import rotating_key
from .namespaces import labelled_namespace
from .queued_function import (
    FunctionSpec,
    QueuedFunction,
    function_limit_problems,
    health_alarms,
    park_dead_letters,
    queued_function,
    write_own_logs,
)
from .secure_bucket import secure_bucket
from .value_rules import cpu_problems, k8s_name_problems, memory_problems

FUNCTION_PACKAGE = "log_report"
HANDLER = f"{FUNCTION_PACKAGE}.handler.lambda_handler"
RAW_PREFIX = "errors"
REPORT_PREFIX = "reports"
METRICS_NAMESPACE = "Kubeboard/LogReports"
ERROR_METRIC = "ErrorLines"
# Emitted by the function for an export no retry can read (not gzip, truncated): it is never retried.
CORRUPT_EXPORT_METRIC = "CorruptExports"
WINDOW_SECONDS = 600
EXPORTER_UID = 10001
# Tells the policy pack these buckets hold expiring logs and reports (no versioning needed).
DATA_CLASS_TAGS = {"kubeboard.io/data-class": "logs"}


class ExporterArgs(TypedDict):
    image: pulumi.Input[str]
    """Pinned image reference (immutable tag or ``@sha256:`` digest) built from lambdas/log_exporter;
    required."""
    loki_url: str
    """Loki's HTTP address inside the cluster, e.g. ``http://loki.monitoring.svc.cluster.local:3100``;
    required."""
    loki_namespace: str
    """Namespace of the Loki pods: the exporter's only in-cluster egress besides DNS; required."""
    namespace: NotRequired[str]
    """Kubernetes namespace the CronJob runs in, created here with Pod Security ``restricted``
    (default ``log-export``)."""
    service_account: NotRequired[str]
    """The CronJob's service account, bound to its IRSA role (default ``log-exporter``)."""
    schedule: NotRequired[str]
    """Five-field cron schedule; each run exports every closed window still missing (default every
    10 minutes)."""
    backfill_windows: NotRequired[int]
    """How many past 10-minute windows a run checks and fills, 1-1008 (default 36: six hours)."""
    page_limit: NotRequired[int]
    """Entries per Loki query page, 100-5000 (at most Loki's ``max_entries_limit_per_query``; default 5000)."""
    line_filter: NotRequired[str]
    """Regular expression selecting error lines (a LogQL ``|~`` filter) instead of the exporter's
    built-in classifier; no backtick (default empty: the built-in classifier)."""
    resources: NotRequired[Mapping[str, Mapping[str, str]]]
    """Kubernetes ``resources`` ({requests: {cpu, memory}, limits: {cpu, memory}}); default requests
    50m/96Mi, limits 500m/256Mi."""


class LogReportsConfig(TypedDict):
    """The reports' plain values: what the ``kubeboard:logReports`` stack-file section holds besides
    the exporter's image."""

    namespaces: NotRequired[Sequence[str]]
    """Kubernetes namespaces whose error lines are exported, at least one, each once; one error-count
    alarm each (default ``default``)."""
    raw_retention_days: NotRequired[int]
    """Days an exported window is kept, 1-3650 (default 30)."""
    report_retention_days: NotRequired[int]
    """Days a report is kept, 1-3650 (default 90)."""
    error_threshold: NotRequired[int]
    """Error lines of one namespace in one window that raise its alarm, 1-10000000 (default 100)."""
    log_retention_days: NotRequired[int]
    """Retention of the function's log group (default 30)."""
    reserved_concurrency: NotRequired[int]
    """Upper bound of concurrent invocations, 1-100 (default 5)."""
    memory_mb: NotRequired[int]
    """Function memory, 128-10240; Lambda's CPU share grows with it (default 1024)."""
    max_retry_attempts: NotRequired[int]
    """Retries of a failed invocation before the event is dead-lettered, 0-2 (default 2)."""


class LogReportsArgs(LogReportsConfig):
    """`LogReportsConfig` and what the platform adds: names, the cluster, the alert topic, the exporter."""

    name: str
    """Name prefix of every resource (the platform name); required."""
    alert_topic_arn: pulumi.Input[str]
    """SNS topic the alarms notify; required."""
    cluster: ClusterAccess
    """The cluster the exporter CronJob runs in; its IRSA role trusts the cluster's OIDC provider;
    required."""
    exporter: ExporterArgs
    """The exporter CronJob; required."""
    code: NotRequired[pulumi.Archive]
    """The function's archive; defaults to ``lambdas/log_report`` built with its pinned requirements."""
    protect: NotRequired[bool]
    """Protect the buckets and their key from deletion (default off)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every AWS resource (default none)."""


DEFAULTS: dict[str, Any] = {
    "namespaces": ["default"],
    "raw_retention_days": 30,
    "report_retention_days": 90,
    "error_threshold": 100,
    "log_retention_days": 30,
    "reserved_concurrency": 5,
    "memory_mb": 1024,
    "max_retry_attempts": 2,
    "code": None,
    "protect": False,
    "tags": {},
}
EXPORTER_DEFAULTS: dict[str, Any] = {
    "namespace": "log-export",
    "service_account": "log-exporter",
    "schedule": "*/10 * * * *",
    "backfill_windows": 36,
    "page_limit": 5000,
    "line_filter": "",
    "resources": {
        "requests": {"cpu": "50m", "memory": "96Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    },
}
_RANGES = {
    "raw_retention_days": (1, 3650),
    "report_retention_days": (1, 3650),
    "error_threshold": (1, 10_000_000),
}
_EXPORTER_RANGES = {"backfill_windows": (1, 1008), "page_limit": (100, 5000)}


def exporter_problems(exporter: Mapping[str, Any]) -> list[str]:
    """The exporter's rules, paths under ``exporter``."""
    config: dict[str, Any] = {**EXPORTER_DEFAULTS, **exporter}
    found = [
        problem
        for key in ("namespace", "service_account")
        for problem in k8s_name_problems(f"exporter.{key}", config[key])
    ]
    if len(config["schedule"].split()) != 5:
        found.append(f"exporter.schedule: {config['schedule']!r} is not a five-field cron expression")
    found += [
        f"exporter.{key}: must be {low}..{high}, got {config[key]}"
        for key, (low, high) in _EXPORTER_RANGES.items()
        if not low <= config[key] <= high
    ]
    line_filter = config["line_filter"]
    if "`" in line_filter:
        found.append("exporter.line_filter: must not contain a backtick")
    else:
        try:
            re.compile(line_filter)
        except re.error as error:
            found.append(f"exporter.line_filter: not a regular expression ({error})")
    for kind, values in config["resources"].items():
        found += cpu_problems(f"exporter.resources.{kind}.cpu", values.get("cpu", ""))
        found += memory_problems(f"exporter.resources.{kind}.memory", values.get("memory", ""))
    return found


def config_problems(config: Mapping[str, Any]) -> list[str]:
    """The rules of the stack-file values other than the exporter's."""
    merged: dict[str, Any] = {**DEFAULTS, **config}
    namespaces = list(merged["namespaces"])
    found = [] if namespaces else ["namespaces: list at least one namespace"]
    for index, namespace in enumerate(namespaces):
        if invalid := k8s_name_problems(f"namespaces[{index}]", namespace):
            found += invalid
        elif namespace in namespaces[:index]:
            found.append(f"namespaces[{index}]: {namespace!r} is listed twice")
    found += function_limit_problems(merged)
    return found + [
        f"{key}: must be {low}..{high}, got {merged[key]}"
        for key, (low, high) in _RANGES.items()
        if not low <= merged[key] <= high
    ]


def problems(args: LogReportsArgs) -> list[str]:
    """Every reason LogReports could not be built from ``args``, one line per arg."""
    return config_problems(args) + exporter_problems(args["exporter"])


# --- policy documents (plain data, so tests and the offline plan can read them) ------------------------


def exporter_policy(*, bucket_arn: str, key_arn: str, region: str) -> dict[str, Any]:
    """The exporter may list and add objects under its prefix of the raw bucket, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteExportsUnderOwnPrefix",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{RAW_PREFIX}/*",
            },
            {
                # Finding the windows already exported (and missing ones to backfill).
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{RAW_PREFIX}/*"]}},
            },
            {
                "Sid": "EncryptThroughS3",
                "Effect": "Allow",
                "Action": "kms:GenerateDataKey",
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        ],
    }


def function_policy(
    *,
    raw_bucket_arn: str,
    processed_bucket_arn: str,
    key_arn: str,
    queue_arn: str,
    log_group_arn: str,
    region: str,
) -> dict[str, Any]:
    """The function reads exports, writes reports, logs, and parks failed events."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            write_own_logs(log_group_arn),
            {
                "Sid": "ReadExports",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{raw_bucket_arn}/{RAW_PREFIX}/*",
            },
            {
                "Sid": "WriteReports",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{processed_bucket_arn}/{REPORT_PREFIX}/*",
            },
            {
                "Sid": "UseTheBucketKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
            park_dead_letters(queue_arn),
        ],
    }


def dead_letter_queue_policy(queue_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


# --- the exporter's Kubernetes objects (plain data as well) ---------------------------------------------


def exporter_pod_spec(
    *,
    image: Any,
    service_account: str,
    env: Mapping[str, Any],
    resources: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    """A hardened pod: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no API token."""
    return {
        "serviceAccountName": service_account,
        # The IRSA webhook mounts its own web-identity token; the Kubernetes API token is not needed.
        "automountServiceAccountToken": False,
        "restartPolicy": "Never",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": EXPORTER_UID,
            "runAsGroup": EXPORTER_UID,
            # Makes the projected web-identity token readable by the non-root user.
            "fsGroup": EXPORTER_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "exporter",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["python", "-m", "lambdas.log_exporter"],
                "env": [{"name": key, "value": value} for key, value in env.items()],
                "resources": {kind: dict(values) for kind, values in resources.items()},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "privileged": False,
                    "capabilities": {"drop": ["ALL"]},
                },
                # The window is spooled to /tmp before upload; the root filesystem stays read-only.
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
            }
        ],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}}],
    }


EXPORTER_SELECTOR = {"app.kubernetes.io/name": "log-exporter"}
"""The exporter's pods; Loki's NetworkPolicy admits them by these labels."""


def exporter_network_policy_spec(loki_namespace: str) -> dict[str, Any]:
    """No ingress; egress only to DNS, Loki's HTTP port and HTTPS (S3, STS)."""
    return {
        "podSelector": {"matchLabels": dict(EXPORTER_SELECTOR)},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [],
        "egress": [
            {
                "to": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            },
            {
                "to": [
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": loki_namespace}}}
                ],
                "ports": [{"protocol": "TCP", "port": 3100}],
            },
            {"ports": [{"protocol": "TCP", "port": 443}]},
        ],
    }


class LogReports(pulumi.ComponentResource):
    """Loki's error lines exported to S3 every 10 minutes, reported by a Lambda, alarmed per namespace."""

    raw_bucket_name: pulumi.Output[str]
    """Exports: ``errors/<namespace>/<YYYY>/<MM>/<DD>/<HHMM>.jsonl.gz``."""
    processed_bucket_name: pulumi.Output[str]
    """Reports: ``reports/<namespace>/<YYYY>/<MM>/<DD>/<HHMM>.json`` and ``.html``."""
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str]
    exporter_role_arn: pulumi.Output[str]
    exporter_cron_job_name: pulumi.Output[str]
    alarm_names: pulumi.Output[list[str]]
    key_arn: pulumi.Output[str]
    """The key both buckets are encrypted with: readers of the reports decrypt through S3 with it."""
    log_group_name: pulumi.Output[str]
    """The function's log group (its error lines are watched by the platform's log alarms)."""

    def __init__(self, name: str, args: LogReportsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:LogReports", name, None, opts)
        validate_args("LogReports", args, LogReportsArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args, "exporter": {**EXPORTER_DEFAULTS, **args["exporter"]}}
        prefix = config["name"]
        tags = dict(config["tags"])
        protect = config["protect"]
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region

        key = rotating_key(
            f"{name}-key",
            alias=f"{prefix}-log-reports",
            description=f"Encrypts the {prefix} error-log exports and reports",
            protect=protect,
            tags=tags,
            opts=child,
        )
        raw = self._bucket(
            f"{name}-raw",
            bucket_prefix=f"{prefix[:30]}-error-logs-raw-",
            key=key,
            expire_prefix=f"{RAW_PREFIX}/",
            expire_days=config["raw_retention_days"],
            protect=protect,
            tags=tags,
        )
        processed = self._bucket(
            f"{name}-processed",
            bucket_prefix=f"{prefix[:30]}-error-reports-",
            key=key,
            expire_prefix=f"{REPORT_PREFIX}/",
            expire_days=config["report_retention_days"],
            protect=protect,
            tags=tags,
        )

        queued = self._function(
            name,
            prefix=prefix,
            args=config,
            account_id=account_id,
            region=region,
            raw=raw,
            processed=processed,
            key=key,
            tags=tags,
        )
        function, dead_letters = queued.function, queued.dead_letters
        aws.sqs.QueuePolicy(
            f"{name}-dlq",
            queue_url=dead_letters.url,
            policy=dead_letters.arn.apply(lambda arn: json.dumps(dead_letter_queue_policy(arn))),
            opts=child,
        )

        self._notification(name, raw=raw, function=function, account_id=account_id)

        exporter_role = irsa_role(
            f"{name}-exporter",
            oidc_provider_arn=args["cluster"]["oidc_provider_arn"],
            oidc_issuer=args["cluster"]["oidc_issuer"],
            namespace=config["exporter"]["namespace"],
            service_account=config["exporter"]["service_account"],
            policy_documents={
                "export": pulumi.Output.all(raw.arn, key.arn, region).apply(
                    lambda v: exporter_policy(bucket_arn=v[0], key_arn=v[1], region=v[2])
                )
            },
            description="Log exporter CronJob: lists and writes its prefix of the raw error-log bucket",
            tags=tags,
            opts=child,
        )
        cron_job = self._exporter(
            name, args=config, raw=raw, region=region, role_arn=exporter_role.arn, ready=exporter_role.ready
        )
        alarms = self._alarms(name, prefix=prefix, args=config, queued=queued)

        self.raw_bucket_name = raw.bucket
        self.processed_bucket_name = processed.bucket
        self.function_name = function.name
        self.function_arn = function.arn
        self.dead_letter_queue_url = dead_letters.url
        self.exporter_role_arn = exporter_role.arn
        self.exporter_cron_job_name = cron_job.metadata.apply(lambda m: m["name"] if m else "")
        self.alarm_names = pulumi.Output.all(*[alarm.name for alarm in alarms]).apply(list)
        self.key_arn = key.arn
        self.log_group_name = queued.log_group.name
        self.register_outputs(
            {
                "raw_bucket_name": self.raw_bucket_name,
                "processed_bucket_name": self.processed_bucket_name,
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "dead_letter_queue_url": self.dead_letter_queue_url,
                "exporter_role_arn": self.exporter_role_arn,
                "exporter_cron_job_name": self.exporter_cron_job_name,
                "alarm_names": self.alarm_names,
                "key_arn": self.key_arn,
                "log_group_name": self.log_group_name,
            }
        )

    def _bucket(
        self,
        name: str,
        *,
        bucket_prefix: str,
        key: aws.kms.Key,
        expire_prefix: str,
        expire_days: int,
        protect: bool,
        tags: dict[str, str],
    ) -> aws.s3.Bucket:
        """Private, KMS-encrypted (bucket key), TLS-only; objects expire after `expire_days`.

        Not versioned: windows are written once (conditional puts) and expire whole.
        """
        return secure_bucket(
            name,
            parent=self,
            bucket_prefix=bucket_prefix,
            kms_key_arn=key.arn,
            versioned=False,
            lifecycle_rules=[
                {
                    "id": "expire",
                    "status": "Enabled",
                    "filter": {"prefix": expire_prefix},
                    "expiration": {"days": expire_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            protect=protect,
            tags={**tags, **DATA_CLASS_TAGS},
        ).bucket

    def _function(
        self,
        name: str,
        *,
        prefix: str,
        args: Mapping[str, Any],
        account_id: pulumi.Output[str],
        region: pulumi.Output[str],
        raw: aws.s3.Bucket,
        processed: aws.s3.Bucket,
        key: aws.kms.Key,
        tags: dict[str, str],
    ) -> QueuedFunction:
        def role_policy(
            queue_arn: pulumi.Output[str], log_group_arn: pulumi.Output[str]
        ) -> pulumi.Output[str]:
            return pulumi.Output.all(raw.arn, processed.arn, key.arn, queue_arn, log_group_arn, region).apply(
                lambda v: json.dumps(
                    function_policy(
                        raw_bucket_arn=v[0],
                        processed_bucket_arn=v[1],
                        key_arn=v[2],
                        queue_arn=v[3],
                        log_group_arn=v[4],
                        region=v[5],
                    )
                )
            )

        return queued_function(
            name,
            FunctionSpec(
                function_name=f"{prefix}-log-report",
                description="Error-log export (S3) -> grouped JSON and HTML report, EMF error counts",
                role_description="log_report Lambda: reads error-log exports, writes reports",
                package=FUNCTION_PACKAGE,
                handler=HANDLER,
                code=args["code"],
                memory_mb=args["memory_mb"],
                # A large window streams through in well under a minute; the margin covers S3 slowness.
                timeout_seconds=300,
                reserved_concurrency=args["reserved_concurrency"],
                log_retention_days=args["log_retention_days"],
                max_retry_attempts=args["max_retry_attempts"],
                environment={
                    "PROCESSED_BUCKET": processed.bucket,
                    "REPORT_PREFIX": REPORT_PREFIX,
                    "EXPORT_PREFIX": RAW_PREFIX,
                    "METRICS_NAMESPACE": METRICS_NAMESPACE,
                    "POWERTOOLS_SERVICE_NAME": "log-report",
                    "POWERTOOLS_LOG_LEVEL": "INFO",
                },
                role_policy=role_policy,
            ),
            parent=self,
            account_id=account_id,
            tags=tags,
        )

    def _notification(
        self, name: str, *, raw: aws.s3.Bucket, function: aws.lambda_.Function, account_id: pulumi.Output[str]
    ) -> None:
        """New export objects (and only those) invoke the function."""
        permission = aws.lambda_.Permission(
            f"{name}-s3-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="s3.amazonaws.com",
            source_arn=raw.arn,
            source_account=account_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.s3.BucketNotification(
            f"{name}-raw",
            bucket=raw.bucket,
            lambda_functions=[
                {
                    "lambda_function_arn": function.arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": f"{RAW_PREFIX}/",
                    "filter_suffix": ".jsonl.gz",
                }
            ],
            # S3 checks it may invoke the function when the notification is saved.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

    def _exporter(
        self,
        name: str,
        *,
        args: Mapping[str, Any],
        raw: aws.s3.Bucket,
        region: pulumi.Output[str],
        role_arn: pulumi.Output[str],
        ready: list[pulumi.Resource],
    ) -> k8s.batch.v1.CronJob:
        exporter = args["exporter"]
        namespace = exporter["namespace"]
        labels = {"app.kubernetes.io/name": "log-exporter", "app.kubernetes.io/part-of": "kubeboard"}
        k8s_child = pulumi.ResourceOptions(parent=self, provider=args["cluster"]["provider"])
        ns = labelled_namespace(f"{name}-namespace", namespace, enforce="restricted", opts=k8s_child)
        in_ns = pulumi.ResourceOptions(parent=self, provider=args["cluster"]["provider"], depends_on=[ns])
        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-exporter",
            metadata={
                "name": exporter["service_account"],
                "namespace": namespace,
                "labels": labels,
                "annotations": {
                    "eks.amazonaws.com/role-arn": role_arn,
                    "eks.amazonaws.com/sts-regional-endpoints": "true",
                },
            },
            automount_service_account_token=False,
            opts=in_ns,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-exporter",
            metadata={"name": "log-exporter", "namespace": namespace, "labels": labels},
            spec=exporter_network_policy_spec(exporter["loki_namespace"]),
            opts=in_ns,
        )
        resources = exporter["resources"]
        env = {
            "LOKI_URL": exporter["loki_url"],
            "EXPORT_BUCKET": raw.bucket,
            "EXPORT_PREFIX": RAW_PREFIX,
            "EXPORT_NAMESPACES": ",".join(args["namespaces"]),
            "BACKFILL_WINDOWS": str(exporter["backfill_windows"]),
            "PAGE_LIMIT": str(exporter["page_limit"]),
            "AWS_REGION": region,
            **({"LINE_FILTER": exporter["line_filter"]} if exporter["line_filter"] else {}),
        }
        return k8s.batch.v1.CronJob(
            f"{name}-exporter",
            metadata={"name": "log-exporter", "namespace": namespace, "labels": labels},
            spec={
                "schedule": exporter["schedule"],
                "timeZone": "Etc/UTC",
                # A slow run must not overlap the next: both would export the same windows.
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 300,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "metadata": {"labels": labels},
                    "spec": {
                        # A failed run is retried by the next schedule, which backfills what is missing.
                        "backoffLimit": 1,
                        "activeDeadlineSeconds": 540,
                        "ttlSecondsAfterFinished": 86400,
                        "template": {
                            "metadata": {"labels": labels},
                            "spec": exporter_pod_spec(
                                image=exporter["image"],
                                service_account=exporter["service_account"],
                                env=env,
                                resources=resources,
                            ),
                        },
                    },
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=args["cluster"]["provider"], depends_on=[ns, service_account, *ready]
            ),
        )

    def _alarms(
        self,
        name: str,
        *,
        prefix: str,
        args: Mapping[str, Any],
        queued: QueuedFunction,
    ) -> list[aws.cloudwatch.MetricAlarm]:
        topic = args["alert_topic_arn"]
        tags = dict(args["tags"])
        threshold = args["error_threshold"]
        child = pulumi.ResourceOptions(parent=self)
        actions: dict[str, Any] = {
            "alarm_actions": [topic],
            "ok_actions": [topic],
            "tags": tags,
            "opts": child,
        }
        alarms = [
            aws.cloudwatch.MetricAlarm(
                f"{name}-errors-{namespace}",
                name=f"{prefix}-error-logs-{namespace}",
                alarm_description=(
                    f"At least {threshold} error lines in namespace {namespace} in one 10-minute window"
                ),
                namespace=METRICS_NAMESPACE,
                metric_name=ERROR_METRIC,
                dimensions={"namespace": namespace},
                statistic="Sum",
                period=WINDOW_SECONDS,
                evaluation_periods=1,
                threshold=threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                # The heartbeat alarm below catches a pipeline that stopped; here no data is no errors.
                treat_missing_data="notBreaching",
                **actions,
            )
            for namespace in args["namespaces"]
        ]
        alarms.append(
            aws.cloudwatch.MetricAlarm(
                f"{name}-corrupt-exports",
                name=f"{prefix}-log-report-corrupt-exports",
                alarm_description=(
                    "An error-log export could not be read (not gzip or truncated); its window has no report"
                ),
                namespace=METRICS_NAMESPACE,
                metric_name=CORRUPT_EXPORT_METRIC,
                statistic="Sum",
                period=WINDOW_SECONDS,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                **actions,
            )
        )
        alarms += health_alarms(
            name,
            queued,
            alarm_prefix=f"{prefix}-log-report",
            what="exports",
            topic_arn=topic,
            parent=self,
            tags=tags,
        )
        alarms.append(
            aws.cloudwatch.MetricAlarm(
                f"{name}-heartbeat",
                name=f"{prefix}-log-report-stalled",
                alarm_description=(
                    "No export was reported for 30 minutes: the exporter CronJob or the function stopped"
                ),
                namespace="AWS/Lambda",
                metric_name="Invocations",
                dimensions={"FunctionName": queued.function.name},
                statistic="Sum",
                period=WINDOW_SECONDS,
                evaluation_periods=3,
                threshold=1,
                comparison_operator="LessThanThreshold",
                # Every window produces one object per namespace, so silence means a broken pipeline.
                treat_missing_data="breaching",
                **actions,
            )
        )
        return alarms
