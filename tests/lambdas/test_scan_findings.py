"""The scan_findings Lambda against moto (ECR with custom scan findings, S3, SNS -> SQS), EMF from stdout."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.ecr.responses import ECRResponse

from scan_findings import handler
from scan_findings.config import ConfigurationError, load_config
from scan_findings.events import MalformedEvent, ScanType, parse_event

DATA = Path(__file__).parent.parent / "data" / "scan_findings"
REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "kubeboard-scan-findings-test"
NAMESPACE = "Kubeboard/ImageScanTest"
MANAGED = ("kubeboard/api", "kubeboard/web")
OUTCOMES = {outcome.value for outcome in handler.Outcome}


@dataclass
class LambdaContext:
    function_name: str = "scan-findings"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:scan-findings"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


SAMPLES = {path.name: json.loads(path.read_text()) for path in DATA.glob("*.json")}


def sample(name: str) -> dict[str, Any]:
    return copy.deepcopy(SAMPLES[name])


def basic_event(repository: str, digest: str, tags: list[str], status: str = "COMPLETE") -> dict[str, Any]:
    event = sample("ecr_image_scan.json")
    event["region"] = REGION
    event["resources"] = [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}"]
    event["detail"].update({"repository-name": repository, "image-digest": digest, "image-tags": tags})
    event["detail"]["scan-status"] = status
    return event


def enhanced_event(repository: str, digest: str, tags: list[str]) -> dict[str, Any]:
    event = sample("inspector2_scan.json")
    arn = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}"
    event["region"] = REGION
    event["resources"] = [arn]
    event["detail"].update({"repository-name": arn, "image-digest": digest, "image-tags": tags})
    return event


def basic_finding(index: int, severity: str) -> dict[str, Any]:
    return {
        "name": f"CVE-2026-{index:05d}",
        "description": f"Vulnerability {index} in libexample.",
        "uri": f"https://security-tracker.debian.org/tracker/CVE-2026-{index:05d}",
        "severity": severity,
        "attributes": [
            {"key": "package_name", "value": "libexample"},
            {"key": "package_version", "value": f"1.{index}"},
            {"key": "CVSS3_SCORE", "value": "9.8" if severity == "CRITICAL" else "5.0"},
        ],
    }


def enhanced_finding(index: int, severity: str) -> dict[str, Any]:
    return {
        "awsAccountId": ACCOUNT,
        "description": f"Inspector finding {index}.",
        "findingArn": f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/{index:032x}",
        "severity": severity,
        "score": 9.1 if severity == "CRITICAL" else 7.4,
        "status": "ACTIVE",
        "title": f"CVE-2026-{index:05d} - openssl",
        "type": "PACKAGE_VULNERABILITY",
        "packageVulnerabilityDetails": {
            "vulnerabilityId": f"CVE-2026-{index:05d}",
            "source": "NVD",
            "sourceUrl": f"https://nvd.nist.gov/vuln/detail/CVE-2026-{index:05d}",
            "vulnerablePackages": [
                {"name": "openssl", "version": "3.0.1", "fixedInVersion": "3.0.15", "packageManager": "OS"}
            ],
        },
    }


class Registry:
    """A moto ECR registry whose images carry the scan results a test asks for."""

    def __init__(self) -> None:
        self.ecr = boto3.client("ecr", region_name=REGION)

    def push(self, repository: str, tag: str) -> str:
        with contextlib.suppress(self.ecr.exceptions.RepositoryAlreadyExistsException):
            self.ecr.create_repository(repositoryName=repository)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": f"sha256:{uuid.uuid4().hex * 2}"},
            }
        )
        image = self.ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)["image"]
        digest = image["imageId"]["imageDigest"]
        self.ecr.start_image_scan(repositoryName=repository, imageId={"imageDigest": digest})
        return digest

    def set_findings(
        self,
        repository: str,
        digest: str,
        *,
        basic: list[dict[str, Any]] | None = None,
        enhanced: list[dict[str, Any]] | None = None,
        status: str = "COMPLETE",
    ) -> None:
        counts: dict[str, int] = {}
        for finding in (basic or []) + (enhanced or []):
            counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
        body: dict[str, Any] = {"findingSeverityCounts": counts, "imageScanCompletedAt": 1767225600}
        if basic is not None:
            body["findings"] = basic
        if enhanced is not None:
            body["enhancedFindings"] = enhanced
        result = {
            "registryId": ACCOUNT,
            "repositoryName": repository,
            "imageId": {"imageDigest": digest},
            "imageScanStatus": {"status": status, "description": f"scan {status.lower()}"},
            "imageScanFindings": body,
        }
        # moto's documented way to configure custom scan findings.
        response = requests.post(
            "http://motoapi.amazonaws.com/moto-api/static/ecr/scan-finding-results",
            json={"results": [result], "region": REGION},
            timeout=5,
        )
        response.raise_for_status()


@pytest.fixture
def paged_requests(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """moto returns every finding at once; serve them in pages by maxResults/nextToken like ECR does."""
    seen: list[dict[str, Any]] = []

    def describe_image_scan_findings(self: ECRResponse) -> ActionResult:
        full = self.ecr_backend.describe_image_scan_findings(
            registry_id=self._get_param("registryId"),
            repository_name=self._get_param("repositoryName"),
            image_id=self._get_param("imageId"),
        )
        start = int(self._get_param("nextToken") or 0)
        size = int(self._get_param("maxResults") or 100)
        seen.append({"start": start, "size": size})
        page = copy.deepcopy(full)
        body = page["imageScanFindings"]
        total = 0
        for key in ("findings", "enhancedFindings"):
            if key in body:
                total = max(total, len(body[key]))
                body[key] = body[key][start : start + size]
        if start + size < total:
            page["nextToken"] = str(start + size)
        return ActionResult(page)

    monkeypatch.setattr(ECRResponse, "describe_image_scan_findings", describe_image_scan_findings)
    return seen


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, paged_requests: list[dict[str, Any]]) -> Any:
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "FINDINGS_BUCKET": BUCKET,
        "FINDINGS_PREFIX": "scan-findings/",
        "CRITICAL_THRESHOLD": "1",
        "HIGH_THRESHOLD": "3",
        "MANAGED_REPOSITORIES": ",".join(MANAGED),
        "FINDINGS_PAGE_SIZE": "1000",
        "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="image-scan-alerts")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
        handler.aws_clients.cache_clear()

        class World:
            registry = Registry()
            pages = paged_requests

            @staticmethod
            def invoke(event: Any) -> dict[str, Any]:
                return handler.lambda_handler(event, LambdaContext())

            @staticmethod
            def report(key: str) -> dict[str, Any]:
                return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

            @staticmethod
            def report_keys() -> list[str]:
                objects = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
                return [o["Key"] for o in objects if ".alerts/" not in o["Key"]]

            @staticmethod
            def ledger_keys() -> list[str]:
                objects = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
                return [o["Key"] for o in objects if ".alerts/" in o["Key"]]

            @staticmethod
            def notifications() -> list[dict[str, Any]]:
                messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
                return [json.loads(m["Body"]) for m in messages]

        yield World
        handler.aws_clients.cache_clear()


def emf_records(output: str) -> list[dict[str, Any]]:
    records = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            records.append(json.loads(line))
    return records


def finding_metrics(records: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """(repository, severity) -> value of ImageFindings, checking namespace and dimension sets."""
    values = {}
    for record in records:
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        if directive["Metrics"][0]["Name"] != "ImageFindings":
            continue
        assert directive["Namespace"] == NAMESPACE
        assert directive["Dimensions"] == [["Repository", "Severity"], ["Severity"]]
        value = record["ImageFindings"]  # Powertools writes a list of values
        (values[(record["Repository"], record["Severity"])],) = value if isinstance(value, list) else [value]
    return values


def outcome_metrics(records: list[dict[str, Any]]) -> list[str]:
    return [r["Outcome"] for r in records if "ScanEvents" in r]


# --- event parsing -----------------------------------------------------------------------------------


def test_parses_aws_basic_scan_sample() -> None:
    event = parse_event(sample("ecr_image_scan.json"))
    assert event.scan_type is ScanType.BASIC
    assert (event.repository, event.registry_id, event.scan_status) == (
        "my-repository-name",
        ACCOUNT,
        "COMPLETE",
    )
    # Only severities above zero are present in the event; missing ones are simply absent.
    assert event.reported_counts == {"CRITICAL": 10, "MEDIUM": 9}
    assert event.image_tags == ()


def test_parses_aws_inspector_sample_with_repository_arn() -> None:
    event = parse_event(sample("inspector2_scan.json"))
    assert event.scan_type is ScanType.ENHANCED
    assert event.repository == "amazon/amazon-ecs-sample"
    assert event.registry_id == ACCOUNT
    assert event.image_tags == ("latest",)
    assert event.reported_counts["TOTAL"] == 158


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.update(source="aws.s3"), "unsupported source/detail-type"),
        (lambda e: e["detail"].pop("image-digest"), "detail.image-digest: missing"),
        (lambda e: e["detail"].update({"repository-name": "../etc"}), "detail.repository-name"),
        (lambda e: e["detail"].update({"finding-severity-counts": {"HIGH": -1}}), "not a count"),
        (lambda e: e.update(account=None), "account"),
    ],
)
def test_malformed_events_name_the_field(mutate: Any, message: str) -> None:
    event = sample("ecr_image_scan.json")
    mutate(event)
    with pytest.raises(MalformedEvent, match=message.replace(".", r"\.")):
        parse_event(event)


def test_inspector_event_rejects_short_name_where_an_arn_is_expected() -> None:
    event = sample("inspector2_scan.json")
    event["detail"]["repository-name"] = "amazon/amazon-ecs-sample"
    with pytest.raises(MalformedEvent, match=r"detail\.repository-name"):
        parse_event(event)


# --- configuration -----------------------------------------------------------------------------------


def test_configuration_errors_name_the_variable() -> None:
    env = {
        "FINDINGS_BUCKET": BUCKET,
        "ALERT_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
        "MANAGED_REPOSITORIES": "kubeboard/api",
    }
    assert load_config(env).critical_threshold == 1
    with pytest.raises(ConfigurationError, match="FINDINGS_BUCKET: required"):
        load_config({**env, "FINDINGS_BUCKET": ""})
    with pytest.raises(ConfigurationError, match="HIGH_THRESHOLD: must be an integer"):
        load_config({**env, "HIGH_THRESHOLD": "many"})
    with pytest.raises(ConfigurationError, match="FINDINGS_PAGE_SIZE: must be between 1 and 1000"):
        load_config({**env, "FINDINGS_PAGE_SIZE": "5000"})
    with pytest.raises(ConfigurationError, match="MANAGED_REPOSITORIES: invalid repository names"):
        load_config({**env, "MANAGED_REPOSITORIES": "Kubeboard/API"})


# --- full handler against moto -------------------------------------------------------------------------


def test_basic_scan_writes_report_emits_metrics_and_alerts(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = aws.registry.push("kubeboard/api", "1.4.2")
    findings = [basic_finding(1, "CRITICAL"), basic_finding(2, "CRITICAL")]
    findings += [basic_finding(i, "HIGH") for i in range(3, 6)] + [basic_finding(6, "MEDIUM")]
    aws.registry.set_findings("kubeboard/api", digest, basic=findings)

    result = aws.invoke(basic_event("kubeboard/api", digest, ["1.4.2"]))

    key = f"scan-findings/kubeboard/api/{digest}.json"
    assert result["outcome"] == "processed"
    assert result["report_key"] == key
    stored = aws.report(key)
    assert stored["repository"] == "kubeboard/api"
    assert stored["imageDigest"] == digest
    assert stored["imageTags"] == ["1.4.2"]
    assert stored["scanType"] == "basic"
    assert stored["findingCount"] == 6
    assert {k: v for k, v in stored["severityCounts"].items() if v} == {"CRITICAL": 2, "HIGH": 3, "MEDIUM": 1}
    assert stored["findings"][0]["package"] == "libexample"

    records = emf_records(capsys.readouterr().out)
    metrics = finding_metrics(records)
    assert metrics[("kubeboard/api", "CRITICAL")] == 2
    assert metrics[("kubeboard/api", "HIGH")] == 3
    assert metrics[("kubeboard/api", "LOW")] == 0  # zeros are emitted so alarms can recover
    assert outcome_metrics(records) == ["processed"]

    (notification,) = aws.notifications()
    assert notification["Subject"] == "Image scan: 2 CRITICAL, 3 HIGH in kubeboard/api"
    assert digest in notification["Message"]
    assert "Image tags:  1.4.2" in notification["Message"]
    assert "[CRITICAL score 9.8] CVE-2026-00001 libexample 1.1" in notification["Message"]
    assert notification["MessageAttributes"]["critical"]["Value"] == "2"


def test_inspector_scan_reads_every_page_of_enhanced_findings(aws: Any) -> None:
    digest = aws.registry.push("kubeboard/web", "latest")
    enhanced = [enhanced_finding(i, "CRITICAL" if i % 500 == 0 else "MEDIUM") for i in range(2500)]
    aws.registry.set_findings("kubeboard/web", digest, enhanced=enhanced, status="ACTIVE")

    result = aws.invoke(enhanced_event("kubeboard/web", digest, ["latest"]))

    assert result["outcome"] == "processed"
    assert [request["start"] for request in aws.pages] == [0, 1000, 2000]
    assert result["pages"] == 3
    stored = aws.report(f"scan-findings/kubeboard/web/{digest}.json")
    assert stored["scanType"] == "enhanced"
    assert stored["findingCount"] == 2500
    assert len({f["id"] for f in stored["findings"]}) == 2500  # no page read twice or skipped
    assert stored["severityCounts"]["CRITICAL"] == 5
    assert stored["findings"][0]["fixedInVersion"] == "3.0.15"
    (notification,) = aws.notifications()
    assert "5 CRITICAL, 0 HIGH" in notification["Subject"]


def test_below_thresholds_reports_without_alerting(aws: Any) -> None:
    digest = aws.registry.push("kubeboard/api", "quiet")
    aws.registry.set_findings(
        "kubeboard/api", digest, basic=[basic_finding(1, "HIGH"), basic_finding(2, "LOW")]
    )

    result = aws.invoke(basic_event("kubeboard/api", digest, ["quiet"]))

    assert result["outcome"] == "processed"
    assert result["alerted"] is False
    assert aws.report_keys() == [f"scan-findings/kubeboard/api/{digest}.json"]
    assert aws.notifications() == []


def test_retried_event_overwrites_the_report_and_alerts_once(aws: Any) -> None:
    digest = aws.registry.push("kubeboard/api", "retry")
    aws.registry.set_findings("kubeboard/api", digest, basic=[basic_finding(1, "CRITICAL")])
    event = basic_event("kubeboard/api", digest, ["retry"])

    first, second = aws.invoke(event), aws.invoke(event)

    assert (first["alerted"], second["alerted"]) == (True, False)
    assert aws.report_keys() == [f"scan-findings/kubeboard/api/{digest}.json"]
    assert len(aws.notifications()) == 1


def test_failed_scan_event_is_a_counted_outcome(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    digest = aws.registry.push("kubeboard/api", "broken")
    result = aws.invoke(basic_event("kubeboard/api", digest, ["broken"], status="FAILED"))
    assert result["outcome"] == "scan_failed"
    assert outcome_metrics(emf_records(capsys.readouterr().out)) == ["scan_failed"]
    assert aws.report_keys() == []
    assert aws.notifications() == []


def test_failed_status_from_the_api_is_a_counted_outcome(aws: Any) -> None:
    digest = aws.registry.push("kubeboard/api", "unsupported")
    aws.registry.set_findings("kubeboard/api", digest, basic=[], status="UNSUPPORTED_IMAGE")
    result = aws.invoke(basic_event("kubeboard/api", digest, ["unsupported"]))
    assert result["outcome"] == "scan_failed"
    assert result["reason"].startswith("UNSUPPORTED_IMAGE")
    assert aws.report_keys() == []


def test_unmanaged_repository_is_not_read(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    digest = aws.registry.push("someone-else/app", "1")
    result = aws.invoke(basic_event("someone-else/app", digest, ["1"]))
    assert result["outcome"] == "unknown_repository"
    assert aws.pages == []  # the function never asked ECR about it
    assert outcome_metrics(emf_records(capsys.readouterr().out)) == ["unknown_repository"]


def test_managed_repository_missing_from_the_registry(aws: Any) -> None:
    digest = "sha256:" + "ab" * 32
    result = aws.invoke(basic_event("kubeboard/web", digest, []))
    assert result["outcome"] == "unknown_repository"
    assert result["reason"] == "RepositoryNotFoundException"


def test_image_missing_from_the_registry(aws: Any) -> None:
    aws.registry.push("kubeboard/web", "present")
    result = aws.invoke(basic_event("kubeboard/web", "sha256:" + "cd" * 32, []))
    assert result["outcome"] == "image_not_found"


def test_malformed_event_is_a_counted_outcome(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = aws.invoke({"source": "aws.ecr", "detail-type": "ECR Image Scan", "detail": []})
    assert result == {"outcome": "malformed_event", "reason": "detail: expected an object"}
    assert outcome_metrics(emf_records(capsys.readouterr().out)) == ["malformed_event"]


class ThrottledEcr:
    def get_paginator(self, name: str) -> Any:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, name)


def test_transient_aws_errors_are_raised_for_retry_and_dead_letter() -> None:
    config = load_config(
        {
            "FINDINGS_BUCKET": BUCKET,
            "ALERT_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
            "MANAGED_REPOSITORIES": "kubeboard/api",
        }
    )
    clients = handler.Clients(ecr=ThrottledEcr(), s3=None, sns=None)
    with pytest.raises(ClientError, match="ThrottlingException"):
        handler.process(basic_event("kubeboard/api", "sha256:" + "ef" * 32, []), config, clients)


# --- faults: exactly one alert mail per image and finding set ----------------------------------------


class FaultyS3:
    """The real (moto) client, except that chosen put_object calls fail as S3 would on a bad day."""

    def __init__(self, real: Any, fail_when: Any) -> None:
        self._real = real
        self._fail_when = fail_when

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def put_object(self, **kwargs: Any) -> Any:
        if self._fail_when(kwargs["Key"]):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "PutObject")
        return self._real.put_object(**kwargs)


def failing_once(predicate: Any) -> Any:
    failed: list[str] = []

    def fail_when(key: str) -> bool:
        if not failed and predicate(key):
            failed.append(key)
            return True
        return False

    return fail_when


@contextlib.contextmanager
def clients_replaced(**replace: Any) -> Iterator[None]:
    real = handler.aws_clients()
    clients = handler.Clients(
        ecr=replace.get("ecr", real.ecr), s3=replace.get("s3", real.s3), sns=replace.get("sns", real.sns)
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handler, "aws_clients", lambda: clients)
        yield


def critical_image(aws: Any, tag: str, count: int = 1) -> dict[str, Any]:
    digest = aws.registry.push("kubeboard/api", tag)
    aws.registry.set_findings(
        "kubeboard/api", digest, basic=[basic_finding(i, "CRITICAL") for i in range(1, count + 1)]
    )
    return basic_event("kubeboard/api", digest, [tag])


def test_a_retry_after_a_failed_report_write_mails_once(aws: Any) -> None:
    event = critical_image(aws, "report-write-fails")
    real_s3 = handler.aws_clients().s3
    is_report = failing_once(lambda key: key.endswith(".json") and ".alerts/" not in key)
    with clients_replaced(s3=FaultyS3(real_s3, is_report)):
        with pytest.raises(ClientError, match="InternalError"):
            aws.invoke(event)  # Lambda retries the asynchronous invocation
        retried = aws.invoke(event)

    assert retried["outcome"] == "processed"
    assert retried["alert"] == "already_sent"
    assert len(aws.notifications()) == 1
    assert len(aws.report_keys()) == 1


def test_two_concurrent_deliveries_of_one_event_mail_once(aws: Any) -> None:
    event = critical_image(aws, "delivered-twice")
    real_sns = handler.aws_clients().sns
    second: list[dict[str, Any]] = []

    class InterleavingSns:
        """While the first delivery publishes, the second one runs from start to end."""

        def publish(self, **kwargs: Any) -> Any:
            if not second:
                second.append({})
                second[0] = aws.invoke(event)
            return real_sns.publish(**kwargs)

    with clients_replaced(sns=InterleavingSns()):
        first = aws.invoke(event)

    assert (first["alert"], second[0]["alert"]) == ("sent", "in_progress")
    assert second[0]["outcome"] == "processed"
    assert len(aws.notifications()) == 1


def test_a_failed_publish_releases_the_claim_so_the_retry_mails(aws: Any) -> None:
    event = critical_image(aws, "publish-fails")
    real_sns = handler.aws_clients().sns
    calls: list[int] = []

    class FlakySns:
        def publish(self, **kwargs: Any) -> Any:
            calls.append(1)
            if len(calls) == 1:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "injected"}}, "Publish")
            return real_sns.publish(**kwargs)

    with clients_replaced(sns=FlakySns()):
        with pytest.raises(ClientError, match="Throttling"):
            aws.invoke(event)
        assert aws.invoke(event)["alert"] == "sent"
    assert len(aws.notifications()) == 1


@pytest.mark.parametrize(("expires_in", "mails"), [(-1, 1), (600, 0)])
def test_a_claim_is_taken_over_only_once_its_holder_cannot_be_running(
    aws: Any, expires_in: int, mails: int
) -> None:
    event = critical_image(aws, f"claimed-{mails}")
    aws.invoke(event)
    aws.notifications()  # drain the first mail
    (ledger,) = aws.ledger_keys()
    s3 = boto3.client("s3", region_name=REGION)
    state = {"state": "sending", "expiresAt": time.time() + expires_in}
    s3.put_object(Bucket=BUCKET, Key=ledger, Body=json.dumps(state).encode())

    result = aws.invoke(event)

    assert result["alert"] == ("sent" if mails else "in_progress")
    assert len(aws.notifications()) == mails


# --- input the parser used to refuse ------------------------------------------------------------------


def test_long_and_non_ascii_tags_do_not_cost_the_scan(aws: Any) -> None:
    event = critical_image(aws, "v1")
    long_tag = "release-" + "a" * 250  # ECR allows 300 characters
    event["detail"]["image-tags"] = ["v1", long_tag, "versión-2", 7]

    result = aws.invoke(event)

    assert result["outcome"] == "processed"
    assert result["alerted"] is True
    assert aws.report(result["report_key"])["imageTags"] == ["v1", long_tag]
    assert "versión" not in aws.notifications()[0]["Message"]


def test_a_failed_scan_with_a_short_digest_is_classified_as_failed(aws: Any) -> None:
    result = aws.invoke(basic_event("kubeboard/api", "sha256:abc123", [], status="FAILED"))
    assert result["outcome"] == "scan_failed"


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/kubeboard/api",  # same name, other region
        f"arn:aws:ecr:{REGION}:210987654321:repository/kubeboard/api",  # same name, other account
    ],
)
def test_a_repository_of_another_region_or_account_is_not_read_as_ours(aws: Any, arn: str) -> None:
    digest = aws.registry.push("kubeboard/api", "elsewhere")
    aws.registry.set_findings("kubeboard/api", digest, basic=[basic_finding(1, "CRITICAL")])
    event = enhanced_event("kubeboard/api", digest, ["elsewhere"])
    event["detail"]["repository-name"] = arn

    result = aws.invoke(event)

    assert result["outcome"] == "foreign_repository"
    assert aws.pages == []
    assert aws.report_keys() == []
    assert aws.notifications() == []


# --- fuzzing -------------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
DETAIL_KEYS = ["scan-status", "repository-name", "image-digest", "image-tags", "finding-severity-counts"]
TOP_KEYS = ["source", "detail-type", "account", "region", "detail"]
interesting_strings = st.sampled_from(
    [
        "",
        "COMPLETE",
        "FAILED",
        "INITIAL_SCAN_COMPLETE",
        "kubeboard/api",
        "Kubeboard/API",
        "../../etc/passwd",
        "arn:aws:ecr:us-east-1:123456789012:repository/kubeboard/api",
        "arn:aws:ecr:us-east-1:123456789012:repository/",
        "sha256:" + "0" * 64,
        "sha256:",
        "aws.ecr",
        "aws.inspector2",
        "ECR Image Scan",
        "Inspector2 Scan",
        "\x00",
        "é" * 300,
    ]
)


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    """Valid samples with fields deleted, retyped or replaced; sometimes anything at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    base = sample(draw(st.sampled_from(["ecr_image_scan.json", "inspector2_scan.json"])))
    for _ in range(draw(st.integers(1, 4))):
        in_detail = draw(st.booleans()) and isinstance(base.get("detail"), dict)
        target = base["detail"] if in_detail else base
        key = draw(st.sampled_from(DETAIL_KEYS if in_detail else TOP_KEYS))
        action = draw(st.sampled_from(["delete", "value", "string"]))
        if action == "delete":
            target.pop(key, None)
        elif action == "value":
            target[key] = draw(json_values)
        else:
            target[key] = draw(interesting_strings)
    return base


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_events())
def test_fuzz_event_parsing_raises_only_malformed_event(event: Any) -> None:
    try:
        parsed = parse_event(event)
    except MalformedEvent:
        return
    # Whatever got through is safe to use in an API call and an S3 key.
    assert ".." not in parsed.repository and not parsed.repository.startswith("/")
    assert parsed.image_digest.startswith("sha256:")
    assert all(isinstance(v, int) and v >= 0 for v in parsed.reported_counts.values())


class FakeEcr:
    """One page with one finding for any image: the fuzzed handler runs its whole path in-process."""

    class _Paginator:
        def paginate(self, **_: Any) -> list[dict[str, Any]]:
            return [
                {
                    "imageScanStatus": {"status": "COMPLETE"},
                    "imageScanFindings": {"findings": [basic_finding(1, "CRITICAL")]},
                }
            ]

    def get_paginator(self, _name: str) -> Any:
        return self._Paginator()


class FakeS3:
    """Conditional writes as S3 does them: If-None-Match: * and If-Match on the ETag."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def get_object(self, *, Key: str, **_: Any) -> dict[str, Any]:
        body = self.objects[Key]
        return {"Body": io.BytesIO(body), "ETag": str(hash(body))}

    def put_object(  # boto3's parameter names
        self, *, Key: str, Body: bytes, IfNoneMatch: str = "", IfMatch: str = "", **_: Any
    ) -> dict[str, str]:
        exists = Key in self.objects
        if (IfNoneMatch and exists) or (IfMatch and (not exists or str(hash(self.objects[Key])) != IfMatch)):
            raise ClientError(
                {"Error": {"Code": "PreconditionFailed", "Message": "At least one"}}, "PutObject"
            )
        self.objects[Key] = Body
        return {"ETag": str(hash(Body))}


class FakeSns:
    def publish(self, **_: Any) -> dict[str, str]:
        return {"MessageId": "fake"}


def test_fuzz_full_handler_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINDINGS_BUCKET", BUCKET)
    monkeypatch.setenv("ALERT_TOPIC_ARN", f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts")
    monkeypatch.setenv("MANAGED_REPOSITORIES", "kubeboard/api,my-repository-name,amazon/amazon-ecs-sample")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    clients = handler.Clients(ecr=FakeEcr(), s3=FakeS3(), sns=FakeSns())
    monkeypatch.setattr(handler, "aws_clients", lambda: clients)
    seen: set[str] = set()

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutated_events())
    def invoke(event: Any) -> None:
        result = handler.lambda_handler(event, LambdaContext())
        assert result["outcome"] in OUTCOMES
        seen.add(result["outcome"])

    invoke()
    # The fuzzer reached both the rejection path and the full processing path.
    assert {"malformed_event", "processed"} <= seen


# --------------------------------------------------------------------------- normalising findings


def _page(
    findings: list[Any] | None = None, enhanced: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if findings is not None:
        body["findings"] = findings
    if enhanced is not None:
        body["enhancedFindings"] = enhanced
    return {"imageScanFindings": body, **extra}


@pytest.mark.parametrize(
    ("raw", "severity"),
    [
        ("critical", "CRITICAL"),
        ("High", "HIGH"),
        ("mEdIuM", "MEDIUM"),
        ("SEVERE", "UNDEFINED"),
        (None, "UNDEFINED"),
        (3, "UNDEFINED"),
    ],
)
def test_severity_is_case_folded_and_unknown_ones_are_undefined(raw: Any, severity: str) -> None:
    from scan_findings.findings import collect

    result = collect([_page([{"name": "CVE-1", "severity": raw}], [{"severity": raw, "title": "t"}])])
    assert [f["severity"] for f in result.findings] == [severity, severity]
    assert result.counts[severity] == 2
    assert sum(result.counts.values()) == 2


@pytest.mark.parametrize(
    ("score", "kept"),
    [(0.0, 0.0), (10.0, 10.0), (-0.1, None), (10.1, None), ("7.5", 7.5), ("n/a", None), (None, None)],
)
def test_scores_outside_0_to_10_are_dropped(score: Any, kept: float | None) -> None:
    from scan_findings.findings import collect

    [finding] = collect([_page(enhanced=[{"severity": "HIGH", "score": score}])]).findings
    assert finding["score"] == kept


def test_basic_findings_read_cvss3_before_cvss2_and_cut_long_text() -> None:
    from scan_findings.findings import collect

    raw = {
        "name": "N" * 257,
        "severity": "LOW",
        "description": "d" * 1001,
        "uri": "",
        "attributes": [
            {"key": "CVSS2_SCORE", "value": "4.0"},
            {"key": "CVSS3_SCORE", "value": "6.5"},
            {"key": "package_name", "value": "openssl"},
            "not a mapping",
        ],
    }
    [finding] = collect([_page([raw, "not a mapping"])]).findings
    assert finding["title"] == "N" * 256 and finding["id"] == "N" * 256
    assert finding["description"] == "d" * 1000
    assert finding["uri"] is None  # an empty string is no link
    assert (finding["score"], finding["package"]) == (6.5, "openssl")
    [cvss2] = collect(
        [_page([{"name": "x", "attributes": [{"key": "CVSS2_SCORE", "value": "4.0"}]}])]
    ).findings
    assert cvss2["score"] == 4.0


def test_enhanced_findings_name_the_first_package_and_fall_back_to_the_arn() -> None:
    from scan_findings.findings import collect

    details = {
        "vulnerabilityId": "CVE-2026-1",
        "sourceUrl": "https://nvd.example/CVE-2026-1",
        "vulnerablePackages": [
            {"name": "zlib", "version": "1.2", "fixedInVersion": "1.3"},
            {"name": "other", "version": "9"},
        ],
    }
    with_id, without_id = collect(
        [
            _page(
                enhanced=[
                    {"severity": "HIGH", "title": "T" * 513, "packageVulnerabilityDetails": details},
                    {
                        "severity": "HIGH",
                        "findingArn": "arn:aws:inspector2:f/1",
                        "packageVulnerabilityDetails": [],
                    },
                ]
            )
        ]
    ).findings
    assert (with_id["id"], with_id["package"], with_id["packageVersion"], with_id["fixedInVersion"]) == (
        "CVE-2026-1",
        "zlib",
        "1.2",
        "1.3",
    )
    assert with_id["title"] == "T" * 512 and with_id["uri"] == "https://nvd.example/CVE-2026-1"
    assert without_id["id"] == "arn:aws:inspector2:f/1" and without_id["package"] is None


def test_status_comes_from_the_first_page_and_findings_from_every_page() -> None:
    import datetime

    from scan_findings.findings import collect

    done = datetime.datetime(2026, 11, 22, 3, 0, tzinfo=datetime.UTC)
    first = _page(
        [{"name": "a", "severity": "HIGH"}],
        imageScanStatus={"status": "COMPLETE", "description": "done"},
    )
    first["imageScanFindings"].update(imageScanCompletedAt=done, findingSeverityCounts={"HIGH": 2})
    second = _page([{"name": "b", "severity": "HIGH"}], imageScanStatus={"status": "FAILED"})
    result = collect([first, second])
    assert (result.status, result.status_description, result.completed_at) == (
        "COMPLETE",
        "done",
        "2026-11-22T03:00:00+00:00",
    )
    assert (result.pages, result.reported_counts, result.counts["HIGH"]) == (2, {"HIGH": 2}, 2)
    assert [f["id"] for f in result.findings] == ["a", "b"]
    empty = collect([])
    assert (empty.status, empty.status_description, empty.pages) == ("UNKNOWN", "no page returned", 0)
    bare = collect([{"imageScanFindings": None}])
    assert (bare.status, bare.status_description, bare.completed_at, bare.pages) == ("UNKNOWN", "", None, 1)


def test_top_findings_are_most_severe_then_highest_score_then_by_id() -> None:
    from scan_findings.findings import top_findings

    def f(id_: str | None, severity: str, score: float | None) -> dict[str, Any]:
        return {"id": id_, "severity": severity, "score": score}

    findings = [
        f("low", "LOW", 9.9),
        f("b", "HIGH", 7.0),
        f("unscored", "HIGH", None),
        f("a", "HIGH", 7.0),
        f("top", "CRITICAL", 1.0),
        f("c", "HIGH", 8.1),
        f(None, "HIGH", 7.0),
    ]
    ranked = [x["id"] for x in top_findings(findings, 10)]
    assert ranked == ["top", "c", None, "a", "b", "unscored", "low"]
    assert [x["id"] for x in top_findings(findings, 2)] == ["top", "c"]


# --------------------------------------------------------------------------- configuration bounds

CONFIG_ENV = {
    "FINDINGS_BUCKET": "kubeboard-scan-findings",
    "ALERT_TOPIC_ARN": "arn:aws:sns:ap-northeast-2:123456789012:image-scan",
    "MANAGED_REPOSITORIES": "kubeboard/api, kubeboard/web",
}


@pytest.mark.parametrize(
    ("name", "accepted", "rejected", "message"),
    [
        ("CRITICAL_THRESHOLD", "1", "0", "CRITICAL_THRESHOLD: must be between 1 and 1000000, got 0"),
        ("CRITICAL_THRESHOLD", "1000000", "1000001", "CRITICAL_THRESHOLD: must be between 1 and 1000000"),
        ("HIGH_THRESHOLD", "1", "0", "HIGH_THRESHOLD: must be between 1 and 1000000, got 0"),
        ("HIGH_THRESHOLD", "1000000", "1000001", "HIGH_THRESHOLD: must be between 1 and 1000000"),
        ("TOP_FINDINGS_IN_NOTIFICATION", "0", "-1", "TOP_FINDINGS_IN_NOTIFICATION: must be between 0 and 50"),
        (
            "TOP_FINDINGS_IN_NOTIFICATION",
            "50",
            "51",
            "TOP_FINDINGS_IN_NOTIFICATION: must be between 0 and 50",
        ),
        ("FINDINGS_PAGE_SIZE", "1", "0", "FINDINGS_PAGE_SIZE: must be between 1 and 1000"),
        ("FINDINGS_PAGE_SIZE", "1000", "1001", "FINDINGS_PAGE_SIZE: must be between 1 and 1000"),
        ("FINDINGS_BUCKET", "abc", "ab", "FINDINGS_BUCKET: 'ab' is not a valid S3 bucket name"),
        (
            "ALERT_TOPIC_ARN",
            "arn:aws-cn:sns:cn-north-1:123456789012:t",
            "arn:aws:sqs:us-east-1:123456789012:t",
            "is not an SNS topic ARN",
        ),
        ("MANAGED_REPOSITORIES", "kubeboard/api", " , ", "MANAGED_REPOSITORIES: lists no repository"),
    ],
)
def test_configuration_accepts_each_bound_and_rejects_just_past_it(
    name: str, accepted: str, rejected: str, message: str
) -> None:
    load_config({**CONFIG_ENV, name: accepted})
    with pytest.raises(ConfigurationError) as error:
        load_config({**CONFIG_ENV, name: rejected})
    assert message in str(error.value)


def test_configuration_defaults_and_prefix_normalisation() -> None:
    config = load_config(CONFIG_ENV)
    assert (config.critical_threshold, config.high_threshold, config.top_findings, config.page_size) == (
        1,
        1,
        10,
        1000,
    )
    assert config.findings_prefix == "scan-findings/"
    assert config.metrics_namespace == "Kubeboard/ImageScan"
    assert config.managed_repositories == frozenset({"kubeboard/api", "kubeboard/web"})
    assert load_config({**CONFIG_ENV, "FINDINGS_PREFIX": "/reports"}).findings_prefix == "reports/"
    assert load_config({**CONFIG_ENV, "FINDINGS_PREFIX": ""}).findings_prefix == ""
    assert (
        load_config({**CONFIG_ENV, "POWERTOOLS_METRICS_NAMESPACE": " "}).metrics_namespace
        == "Kubeboard/ImageScan"
    )


# --------------------------------------------------------------------------- thresholds, notification, event bounds


@pytest.mark.parametrize(
    ("counts", "alert"),
    [
        ({"CRITICAL": 2}, True),
        ({"CRITICAL": 1}, False),
        ({"HIGH": 3}, True),
        ({"HIGH": 2}, False),
        ({}, False),
    ],
)
def test_an_alert_needs_a_count_to_reach_its_threshold(counts: dict[str, int], alert: bool) -> None:
    from scan_findings.notify import should_alert

    assert should_alert(counts, critical_threshold=2, high_threshold=3) is alert


def test_the_notification_carries_counts_as_attributes_and_a_short_subject() -> None:
    from scan_findings.findings import ScanFindings
    from scan_findings.notify import publish, subject

    class Sns:
        def publish(self, **kwargs: Any) -> dict[str, str]:
            self.sent = kwargs
            return {"MessageId": "m-1"}

    event = parse_event(basic_event("kubeboard/api", "sha256:" + "a" * 64, ["v1"]))
    scan = ScanFindings("COMPLETE", "", None, {}, counts={"CRITICAL": 1})
    sns = Sns()
    assert publish(sns, "arn:aws:sns:us-east-1:123456789012:t", event, scan, "body") == "m-1"
    attributes = sns.sent["MessageAttributes"]
    assert (attributes["critical"]["StringValue"], attributes["high"]["StringValue"]) == ("1", "0")
    assert sns.sent["Subject"] == "Image scan: 1 CRITICAL, 0 HIGH in kubeboard/api"
    text = subject(parse_event(basic_event("k/" + "r" * 64, "sha256:" + "a" * 64, [])), {"HIGH": 1})
    assert text == "Image scan: 0 CRITICAL, 1 HIGH in k/" + "r" * 64  # 100 characters: kept whole
    cut = subject(parse_event(basic_event("k/" + "r" * 65, "sha256:" + "a" * 64, [])), {"HIGH": 1})
    assert len(cut) == 100 and cut.endswith("r...")


@pytest.mark.parametrize(
    ("arn", "home"),
    [
        ("arn:aws:lambda:ap-northeast-2:123456789012:function:scan", ("ap-northeast-2", "123456789012")),
        ("arn:aws:lambda:ap-northeast-2:123456789012:function", ("ap-northeast-2", "123456789012")),
        ("arn:aws:lambda:ap-northeast-2:123456789012", None),
        ("arn:aws:states:ap-northeast-2:123456789012:function:scan", None),
    ],
)
def test_the_home_account_and_region_come_from_the_function_arn(
    arn: str, home: tuple[str, str] | None
) -> None:
    found = handler.Home.of(LambdaContext(invoked_function_arn=arn))
    assert (None if found is None else (found.region, found.account)) == home


def test_event_fields_are_checked_for_length_and_shape() -> None:
    digest = "sha256:" + "a" * 64
    with pytest.raises(MalformedEvent, match=r"detail\.repository-name"):
        parse_event(basic_event("k/" + "r" * 255, digest, []))  # 257 characters of a valid name
    assert parse_event(basic_event("kubeboard/api", digest, [])).repository == "kubeboard/api"
    no_tags = basic_event("kubeboard/api", digest, [])
    no_tags["detail"]["image-tags"] = None
    assert (parse_event(no_tags).image_tags, parse_event(no_tags).ignored_tags) == ((), 0)
    a_string = basic_event("kubeboard/api", digest, [])
    a_string["detail"]["image-tags"] = "latest"
    assert (parse_event(a_string).image_tags, parse_event(a_string).ignored_tags) == ((), 1)
    counts = basic_event("kubeboard/api", digest, [])
    counts["detail"]["finding-severity-counts"] = {"critical": 2}
    assert parse_event(counts).reported_counts == {"CRITICAL": 2}
    counts["detail"]["finding-severity-counts"] = {"K" * 50: -1}
    with pytest.raises(MalformedEvent) as error:
        parse_event(counts)
    assert str(error.value) == f"detail.finding-severity-counts: {'K' * 40!r} is not a count"


def test_configuration_is_read_from_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CONFIG_ENV.items():
        monkeypatch.setenv(name, value)
    assert load_config().findings_bucket == "kubeboard-scan-findings"


def test_clients_retry_in_standard_mode_five_times(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    handler.aws_clients.cache_clear()
    try:
        clients = handler.aws_clients()
        # botocore counts the first attempt too: max_attempts 5 is six attempts in all.
        assert clients.ecr.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}
    finally:
        handler.aws_clients.cache_clear()


def test_long_status_and_links_are_cut_to_their_limits() -> None:
    from scan_findings.findings import collect

    page = _page(
        [{"name": "a", "uri": "u" * 2048}, {"name": "b", "uri": "u" * 2049}],
        imageScanStatus={"status": "S" * 65},
    )
    result = collect([page])
    assert result.status == "S" * 64
    assert [len(f["uri"]) for f in result.findings] == [2048, 2048]
