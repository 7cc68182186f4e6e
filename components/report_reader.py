"""ReportReader: the read-only identity of the front page's views sync (issue 18).

The platform chart's ``kubeboard-views-sync`` CronJob copies the error-log reports (this
environment's processed bucket, ``reports/``) and the image-scan findings (the account stack's
findings bucket, ``scan-findings/``) to the volume the front page serves. Its IRSA role may list and
read exactly those two prefixes, and decrypt through S3 with the two buckets' keys; nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import pulumi

from .irsa import irsa_role

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
    prefix: str
    """Ends in ``/``; the reader may list and read only keys under it."""
    key_arn: pulumi.Input[str | None]
    """The bucket's SSE-KMS key (decrypt through S3 only); ``None`` for SSE-S3."""


class ReportReaderArgs(TypedDict):
    name: str
    region: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    reports: NotRequired[ReadSourceArgs | None]
    """The error-log reports: the processed bucket of ``LogReports`` and ``reports/``."""
    images: NotRequired[ReadSourceArgs | None]
    """The image-scan findings: the account stack's findings bucket and ``scan-findings/``."""
    namespace: NotRequired[str]
    service_account: NotRequired[str]
    tags: NotRequired[Mapping[str, str]]


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
    reports_bucket: pulumi.Output[str]
    """The processed bucket, or "" when the reports view is off."""
    images_bucket: pulumi.Output[str]
    """The findings bucket, or "" when the account stack has no scanning or the view is off."""
    service_account: str
    namespace: str

    def __init__(self, name: str, args: ReportReaderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kubeboard:index:ReportReader", name, None, opts)
        self.namespace = args.get("namespace", NAMESPACE)
        self.service_account = args.get("service_account", SERVICE_ACCOUNT)
        reports, images = args.get("reports"), args.get("images")
        if reports is None and images is None:
            raise ValueError("ReportReader: give reports, images or both")
        for label, source in (("reports", reports), ("images", images)):
            if source is not None and not source["prefix"].endswith("/"):
                raise ValueError(f"ReportReader: {label}.prefix must end in '/'")

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
            oidc_provider_arn=args["oidc_provider_arn"],
            oidc_issuer=args["oidc_issuer"],
            namespace=self.namespace,
            service_account=self.service_account,
            policy_documents={"read": both.apply(document)},
            description="Front-page views sync: lists and reads the error-log reports and image-scan findings",
            tags=dict(args.get("tags") or {}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_arn = role.arn
        self.reports_bucket = both.apply(lambda v: v[0][0] or "")
        self.images_bucket = both.apply(lambda v: v[1][0] or "")
        self.register_outputs({"roleArn": self.role_arn})
