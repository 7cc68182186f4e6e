"""ReportReader: the read-only identity of the front page's views sync (issue 18).

The platform chart's ``kubeboard-views-sync`` CronJob copies the error-log reports (this
environment's processed bucket, ``reports/``) and the image-scan findings (the account stack's
findings bucket, ``scan-findings/``) to the volume the front page serves. Its IRSA role may list and
read exactly those two prefixes, and decrypt through S3 with the two buckets' keys; nothing else.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi

from .args import validate_args
from .contracts import ClusterAccess
from .irsa import irsa_role
from .value_rules import k8s_name_problems

NAMESPACE = "common"
"""Where the platform chart runs Kubeboard's own workloads (charts/kubeboard: kubeboard.namespace)."""
SERVICE_ACCOUNT = "kubeboard-views-sync"


@dataclass(frozen=True)
class ReadSource:
    """One bucket prefix the reader may list and read, and the key its objects are encrypted with."""

    label: str
    bucket_arn: str
    prefix: str
    key_arn: str | None


class ReadSourceArgs(TypedDict):
    bucket_name: pulumi.Input[str]
    """The bucket; required."""
    prefix: str
    """Ends in ``/``; the reader may list and read only keys under it. Required."""
    key_arn: pulumi.Input[str | None]
    """The bucket's SSE-KMS key (decrypt through S3 only); ``None`` for SSE-S3. Required."""


class ReportReaderArgs(TypedDict):
    name: str
    """Prefix of the role name (the platform name); required."""
    region: str
    """The region of the buckets (S3 decrypts there); required."""
    cluster: ClusterAccess
    """The cluster the views sync runs in (the role trusts its OIDC provider); required."""
    reports: NotRequired[ReadSourceArgs | None]
    """The error-log reports: the processed bucket of ``LogReports`` and ``reports/`` (default ``None``;
    give reports, images or both)."""
    images: NotRequired[ReadSourceArgs | None]
    """The image-scan findings: the account stack's findings bucket and ``scan-findings/`` (default ``None``)."""
    namespace: NotRequired[str]
    """The views sync's namespace (default ``common``)."""
    service_account: NotRequired[str]
    """The views sync's service account (default ``kubeboard-views-sync``)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of the role (default none)."""


DEFAULTS: dict[str, Any] = {
    "reports": None,
    "images": None,
    "namespace": NAMESPACE,
    "service_account": SERVICE_ACCOUNT,
    "tags": {},
}


def problems(args: ReportReaderArgs) -> list[str]:
    """Every reason a ReportReader could not be built from ``args``, one line per arg."""
    config: dict[str, Any] = {**DEFAULTS, **args}
    found = []
    if config["reports"] is None and config["images"] is None:
        found.append("reports: give reports, images or both")
    for label in ("reports", "images"):
        source = config[label]
        if source is not None and not source["prefix"].endswith("/"):
            found.append(f"{label}.prefix: {source['prefix']!r} must end in '/'")
    found += k8s_name_problems("namespace", config["namespace"])
    found += k8s_name_problems("service_account", config["service_account"])
    return found


def reader_policy(*, region: str, sources: Sequence[ReadSource]) -> dict[str, Any]:
    """List and read the given prefixes, decrypt their objects through S3; nothing else."""
    statements: list[dict[str, Any]] = []
    for source in sources:
        statements += [
            {
                "Sid": f"Read{source.label}",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{source.bucket_arn}/{source.prefix}*",
            },
            {
                "Sid": f"List{source.label}",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": source.bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{source.prefix}*"]}},
            },
        ]
    keys = sorted({source.key_arn for source in sources if source.key_arn})
    if keys:
        statements.append(
            {
                "Sid": "DecryptThroughS3",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": keys,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


class ReportReader(pulumi.ComponentResource):
    """The views sync's IRSA role: read-only on the reports and findings prefixes."""

    role_arn: pulumi.Output[str]
    """The views sync's IRSA role."""
    reports_bucket: pulumi.Output[str]
    """The processed bucket, or "" when the reports view is off."""
    images_bucket: pulumi.Output[str]
    """The findings bucket, or "" when the account stack has no scanning or the view is off."""
    service_account: str
    """The service account the role is bound to."""
    namespace: str
    """The service account's namespace."""

    def __init__(self, name: str, args: ReportReaderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:ReportReader", name, None, opts)
        validate_args("ReportReader", args, ReportReaderArgs, problems)
        config: dict[str, Any] = {**DEFAULTS, **args}
        self.namespace = config["namespace"]
        self.service_account = config["service_account"]
        reports, images = config["reports"], config["images"]

        def resolved(source: ReadSourceArgs | None) -> pulumi.Output[list[Any]]:
            if source is None:
                return pulumi.Output.from_input([None, None])
            return pulumi.Output.all(source["bucket_name"], source["key_arn"])

        region = args["region"]

        def document(values: list[list[Any]]) -> dict[str, Any]:
            (reports_bucket, reports_key), (images_bucket, images_key) = values
            sources = []
            # The account stack may have no scanning: then there is no findings bucket to read.
            if reports is not None and reports_bucket:
                sources.append(
                    ReadSource("ErrorReports", _bucket_arn(reports_bucket), reports["prefix"], reports_key)
                )
            if images is not None and images_bucket:
                sources.append(
                    ReadSource("ImageFindings", _bucket_arn(images_bucket), images["prefix"], images_key)
                )
            if not sources:
                raise pulumi.RunError(
                    "views: nothing to read: the account stack exports no findings bucket (it has no "
                    "scanning) and the error-log reports view is off"
                )
            return reader_policy(region=region, sources=sources)

        both = pulumi.Output.all(resolved(reports), resolved(images))
        role = irsa_role(
            f"{name}-views-sync",
            oidc_provider_arn=args["cluster"]["oidc_provider_arn"],
            oidc_issuer=args["cluster"]["oidc_issuer"],
            namespace=self.namespace,
            service_account=self.service_account,
            policy_documents={"read": both.apply(document)},
            description="Front-page views sync: lists and reads the error-log reports and image-scan findings",
            tags=dict(config["tags"]),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_arn = role.arn
        self.reports_bucket = both.apply(lambda v: v[0][0] or "")
        self.images_bucket = both.apply(lambda v: v[1][0] or "")
        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "reports_bucket": self.reports_bucket,
                "images_bucket": self.images_bucket,
                "service_account": self.service_account,
                "namespace": self.namespace,
            }
        )
