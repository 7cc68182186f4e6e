"""Each account-side component, called directly with one bad arg: one ArgsError naming the component
and the arg, raised before any resource of it is registered."""

from collections.abc import Callable
from typing import Any, cast

import pytest

from kubeboard_infra import (
    Account,
    ArgsError,
    DeployRoles,
    DeployRunner,
    ErrorLogAlarms,
    GitHubDelivery,
    GuardDuty,
    HumanRoles,
    ImageScanAlerts,
    LogReports,
    Registry,
    ReportReader,
)
from kubeboard_infra.contracts import ClusterAccess
from kubeboard_infra.log_alarms import function_log_group

from .helpers.direct_call import RecordingMocks, install_mocks, run

REGION = "ap-northeast-2"
ACCOUNT = "111122223333"
WORKFLOW = "acme/kubeboard-infra/.github/workflows/build-push-deploy.yml@refs/heads/main"
CONNECTION = f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/ABC"
# Never reached: the args are refused before the component touches the cluster.
CLUSTER: ClusterAccess = {
    "cluster_name": "acme",
    "provider": cast(Any, None),
    "oidc_provider_arn": OIDC,
    "oidc_issuer": "oidc.eks.example/id/ABC",
    "node_security_group_id": "sg-0123456789abcdef0",
}


@pytest.fixture
def mocks() -> RecordingMocks:
    return install_mocks("shared", components=True)


# (component, its args with exactly one bad arg, the whole error text)
CASES: list[tuple[str, Callable[[], object], str]] = [
    (
        "Account",
        lambda: Account("kubeboard", {"name": "acme", "region": REGION, "registry": {"repositories": []}}),
        "Account args: registry.repositories: list at least one repository",
    ),
    (
        "Registry",
        lambda: Registry(
            "registry",
            {"name": "acme", "repositories": [{"name": "shop/api"}], "scan_type": "FULL"},  # type: ignore[typeddict-item]
        ),
        "Registry args: scan_type: 'FULL' must be BASIC or ENHANCED",
    ),
    (
        "ImageScanAlerts",
        lambda: ImageScanAlerts(
            "scan",
            {
                "name": "acme",
                "repository_arns": {},
                "alarm_emails": ["ops@example.com"],
                "reserved_concurrency": 500,
            },
        ),
        "ImageScanAlerts args: reserved_concurrency: must be 1..100, got 500",
    ),
    (
        "GitHubDelivery",
        lambda: GitHubDelivery(
            "delivery",
            {
                "name": "acme",
                "repositories": [
                    {"repository": "acme/shop", "ecr_repository_arns": ["arn"], "environments": ["dev"]}
                ],
                "workflow_ref": WORKFLOW,
                "max_session_hours": 13,
            },
        ),
        "GitHubDelivery args: max_session_hours: must be 1..12, got 13",
    ),
    (
        "DeployRoles",
        lambda: DeployRoles(
            "deploy",
            {
                "name": "acme",
                "repository": "acme/*",
                "oidc_provider_arn": "arn",
                "environments": [{"stack": "dev", "cluster_name": "acme-dev"}],
            },
        ),
        "DeployRoles args: repository: 'acme/*' has a wildcard; name exactly one repository as owner/name",
    ),
    (
        "DeployRunner",
        lambda: DeployRunner(
            "runner",
            {
                "name": "acme",
                "repository": "acme/infra",
                "connection_arn": CONNECTION,
                "vpc_id": "vpc-1",
                "subnet_ids": ["subnet-1"],
                "cluster_security_group_id": "sg-1",
                "timeout_minutes": 1,
            },
        ),
        "DeployRunner args: timeout_minutes: must be 5..480, got 1",
    ),
    (
        "GuardDuty",
        lambda: GuardDuty("guardduty", {"name": "acme", "alert_emails": ["ops-at-example.com"]}),
        "GuardDuty args: alert_emails[0]: 'ops-at-example.com' is not an e-mail address",
    ),
    (
        "HumanRoles",
        lambda: HumanRoles(
            "people",
            {
                "name": "acme",
                "cluster_name": "acme",
                "saml": {"provider_arn": f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"},
                "max_session_hours": 0,
            },
        ),
        "HumanRoles args: max_session_hours: must be 1..12, got 0",
    ),
    (
        "ErrorLogAlarms",
        lambda: ErrorLogAlarms(
            "alarms",
            {
                "name": "acme",
                "log_groups": [function_log_group("scan-findings", "/aws/lambda/x", 1)],
                "alert_topic_arn": TOPIC,
                "period_seconds": 90,
            },
        ),
        "ErrorLogAlarms args: period_seconds: must be a multiple of 60 in 60..86400, got 90",
    ),
    (
        "LogReports",
        lambda: LogReports(
            "reports",
            {
                "name": "acme",
                "namespaces": ["shop"],
                "alert_topic_arn": TOPIC,
                "cluster": CLUSTER,
                "exporter": {
                    "image": "exporter:1.0.0",
                    "loki_url": "http://loki.monitoring:3100",
                    "loki_namespace": "monitoring",
                    "resources": {"requests": {"cpu": "lots", "memory": "96Mi"}},
                },
            },
        ),
        "LogReports args: exporter.resources.requests.cpu: 'lots' is not a CPU quantity such as 100m or 0.5",
    ),
    (
        "ReportReader",
        lambda: ReportReader(
            "reader",
            {
                "name": "acme",
                "region": REGION,
                "cluster": CLUSTER,
                "reports": {"bucket_name": "b", "prefix": "reports", "key_arn": None},
            },
        ),
        "ReportReader args: reports.prefix: 'reports' must end in '/'",
    ),
]


def test_every_account_side_component_has_a_case() -> None:
    assert len({component for component, _, _ in CASES}) == 11


@pytest.mark.parametrize(("component", "build", "message"), CASES, ids=[c for c, _, _ in CASES])
def test_one_bad_arg_is_named_before_anything_is_registered(
    mocks: RecordingMocks, component: str, build: Callable[[], object], message: str
) -> None:
    raised: list[ArgsError] = []

    def program() -> None:
        try:
            build()
        except ArgsError as error:
            raised.append(error)

    # The whole program runs, so every registration it started has reached the mocks.
    run(program)

    [error] = raised
    assert str(error) == message
    assert error.component == component
    assert [r.typ for r in mocks.created if r.typ != f"kubeboard:index:{component}"] == []
