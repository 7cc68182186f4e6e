"""Edge: the certificate, the WebACL and its logs, the ALB access-log bucket and the ingress
contract (K7, K8, D3, D7) — as both stacks' offline plans show them, and under Pulumi mocks."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from kubeboard_infra.edge import Edge, IngressContract, IngressValuesShape
from kubeboard_infra.edge.access_logs import access_log_bucket_policy, legacy_elb_accounts
from kubeboard_infra.edge.exposure import exposures, problems
from kubeboard_infra.edge.ingress import ingress_annotations, ingress_helm_values, ingress_hostname
from kubeboard_infra.edge.waf import (
    DEX_BACK_CHANNEL,
    DEX_BACK_CHANNEL_LABEL,
    IpSetRefs,
    WafPolicy,
    log_delivery_policy,
    web_acl_rules,
)
from kubeboard_infra.plan.mocks import ACCOUNT_ID

from .conftest import plan_for, resources_of, stack_file
from .helpers.direct_call import RecordingMocks, assert_refused, install_mocks, refusal

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
MANAGED_GROUPS = {
    "amazon-ip-reputation": "AWSManagedRulesAmazonIpReputationList",
    "anonymous-ip": "AWSManagedRulesAnonymousIpList",
    "common-rule-set": "AWSManagedRulesCommonRuleSet",
    "known-bad-inputs": "AWSManagedRulesKnownBadInputsRuleSet",
    "sqli": "AWSManagedRulesSQLiRuleSet",
}


def _edge_settings(stack: str) -> dict[str, Any]:
    return stack_file(stack)["config"]["kubeboard:edge"]


def _one(plan: dict[str, Any], token: str) -> dict[str, Any]:
    [resource] = resources_of(plan, token)
    return resource


# --- The WebACL ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_web_acl_is_regional_with_every_rule_from_the_settings(stack: str) -> None:
    waf = _edge_settings(stack)["waf"]
    acl = _one(plan_for(stack), WEB_ACL)["inputs"]
    rules = {rule["name"]: rule for rule in acl["rules"]}

    assert acl["scope"] == "REGIONAL"
    assert acl["defaultAction"] == {"allow": {}}
    for name, group in MANAGED_GROUPS.items():
        statement = rules[name]["statement"]["managedRuleGroupStatement"]
        assert (statement["vendorName"], statement["name"]) == ("AWS", group)
        assert rules[name]["overrideAction"] == {"none": {}}  # the group's own actions apply
    rate = rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]
    assert rate["limit"] == waf["rateLimit"]
    assert rate["aggregateKeyType"] == "IP"
    assert rules["rate-limit-per-ip"]["action"] == {"block": {}}
    geo = rules["geo-allow-list"]
    assert geo["action"] == {"block": {}}
    outside, not_dex = geo["statement"]["andStatement"]["statements"]
    assert outside["notStatement"]["statement"]["geoMatchStatement"]["countryCodes"] == ["KR"]
    assert not_dex == {
        "notStatement": {"statement": {"labelMatchStatement": {"scope": "LABEL", "key": DEX_LABEL}}}
    }
    priorities = [rule["priority"] for rule in acl["rules"]]
    assert len(set(priorities)) == len(priorities)
    # reputation and geo are decided before any request body is inspected
    assert rules["amazon-ip-reputation"]["priority"] < rules["common-rule-set"]["priority"]
    assert rules["geo-allow-list"]["priority"] < rules["sqli"]["priority"]


def test_every_rule_and_the_acl_publish_metrics_and_sampled_requests(stack_plan: dict[str, Any]) -> None:
    acl = _one(stack_plan, WEB_ACL)["inputs"]
    configs = [acl["visibilityConfig"], *(rule["visibilityConfig"] for rule in acl["rules"])]
    for config in configs:
        assert config["cloudwatchMetricsEnabled"] is True
        assert config["sampledRequestsEnabled"] is True
    names = [config["metricName"] for config in configs]
    assert len(set(names)) == len(names)


def test_common_rule_set_only_counts_large_bodies() -> None:
    rules = web_acl_rules(_policy(), IpSetRefs(), metric_prefix="t")
    [common] = [rule for rule in rules if rule["name"] == "common-rule-set"]
    overrides = common["statement"]["managed_rule_group_statement"]["rule_action_overrides"]  # type: ignore[typeddict-item]
    assert overrides == [{"name": "SizeRestrictions_BODY", "action_to_use": {"count": {}}}]


def _policy(**changes: Any) -> WafPolicy:
    values: dict[str, Any] = {
        "rate_limit": 500,
        "rate_limit_window_seconds": 120,
        "allowed_countries": ["KR", "JP"],
        "block_anonymous_ips": True,
    }
    return WafPolicy(**(values | changes))


def _by_name(rules: list[Any]) -> dict[str, Any]:
    return {rule["name"]: rule for rule in rules}


def test_anonymous_ip_list_is_switchable_and_an_empty_allow_list_means_no_geo_rule() -> None:
    full = _by_name(web_acl_rules(_policy(), IpSetRefs(), metric_prefix="t"))
    bare = _by_name(
        web_acl_rules(
            _policy(block_anonymous_ips=False, allowed_countries=[]), IpSetRefs(), metric_prefix="t"
        )
    )

    assert {"anonymous-ip", "geo-allow-list"} <= set(full)
    assert "anonymous-ip" not in bare
    assert "geo-allow-list" not in bare
    assert {
        "rate-limit-per-ip",
        "common-rule-set",
        "known-bad-inputs",
        "sqli",
        "amazon-ip-reputation",
    } <= set(bare)
    # priorities are fixed: switching a rule off never renumbers the others
    assert all(bare[name]["priority"] == full[name]["priority"] for name in bare)


def test_deny_set_blocks_first_and_allow_set_bypasses_only_geo_and_rate() -> None:
    ip_sets = IpSetRefs(allow=["arn:allow-v4", "arn:allow-v6"], deny=["arn:deny-v4"])
    rules = web_acl_rules(_policy(), ip_sets, metric_prefix="t")
    named = _by_name(rules)

    # The first rule only labels dex's back channel; the first that blocks is the deny list.
    assert [rules[0]["name"], rules[0]["action"]] == ["dex-back-channel", {"count": {}}]  # type: ignore[typeddict-item]
    assert rules[1]["name"] == "deny-listed-ips"
    assert named["deny-listed-ips"]["action"] == {"block": {}}
    assert named["deny-listed-ips"]["statement"] == {"ip_set_reference_statement": {"arn": "arn:deny-v4"}}
    trusted = {
        "or_statement": {
            "statements": [
                {"ip_set_reference_statement": {"arn": "arn:allow-v4"}},
                {"ip_set_reference_statement": {"arn": "arn:allow-v6"}},
            ]
        }
    }
    not_dex = {
        "not_statement": {"statement": {"label_match_statement": {"scope": "LABEL", "key": DEX_LABEL}}}
    }
    outside, skip_dex = named["geo-allow-list"]["statement"]["and_statement"]["statements"]
    geo = outside["not_statement"]["statement"]["or_statement"]["statements"]
    assert geo == [{"geo_match_statement": {"country_codes": ["KR", "JP"]}}, trusted]
    assert skip_dex == not_dex
    rate = named["rate-limit-per-ip"]["statement"]["rate_based_statement"]
    assert rate["scope_down_statement"] == {
        "and_statement": {"statements": [{"not_statement": {"statement": trusted}}, not_dex]}
    }
    assert rate["evaluation_window_sec"] == 120
    # trusted sources still go through the managed rule groups: nothing there refers to the allow set
    for name in MANAGED_GROUPS:
        assert "arn:allow" not in json.dumps(named[name])


DEX_LABEL = DEX_BACK_CHANNEL_LABEL


@pytest.mark.parametrize(
    ("path", "exempt"),
    [
        ("/api/dex/token", True),
        ("/api/dex/userinfo", True),
        ("/api/dex/keys", True),
        ("/api/dex/auth", False),  # the browser's leg: people pass geo, rate and anonymity checks
        ("/api/dex/callback", False),
        ("/api/dex/token/extra", False),
        ("/x/api/dex/token", False),
        ("/cluster-info/snapshot.json", False),
    ],
)
def test_only_dex_back_channel_calls_are_labelled(path: str, exempt: bool) -> None:
    assert (re.fullmatch(DEX_BACK_CHANNEL.strip("^$"), path) is not None) is exempt


def test_dex_back_channel_skips_only_anonymous_geo_and_rate_rules() -> None:
    rules = web_acl_rules(_policy(), IpSetRefs(), metric_prefix="t")
    named = _by_name(rules)
    label = named["dex-back-channel"]
    assert label["action"] == {"count": {}}  # labels, never allows: later rules still judge the call
    assert label["rule_labels"] == [{"name": DEX_LABEL}]  # type: ignore[typeddict-item]
    regex = label["statement"]["regex_match_statement"]
    assert (regex["regex_string"], regex["field_to_match"]) == (DEX_BACK_CHANNEL, {"uri_path": {}})
    skipping = {name for name, rule in named.items() if DEX_LABEL in json.dumps(rule["statement"])}
    assert skipping == {"anonymous-ip", "geo-allow-list", "rate-limit-per-ip"}
    assert min(rule["priority"] for rule in rules) == label["priority"]


# --- WAF logging --------------------------------------------------------------------------------


def test_waf_logs_go_to_an_aws_waf_logs_group_with_credentials_redacted(stack_plan: dict[str, Any]) -> None:
    waf = _edge_settings(stack_plan["stack"])["waf"]
    logging = _one(stack_plan, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")["inputs"]
    groups = {g["inputs"]["name"]: g for g in resources_of(stack_plan, "aws:cloudwatch/logGroup:LogGroup")}
    [destination] = logging["logDestinationConfigs"]
    group_name = destination.split(":log-group:")[1]

    assert logging["resourceArn"] == stack_plan["outputs"]["webAclArn"]
    assert group_name.startswith("aws-waf-logs-")
    assert groups[group_name]["inputs"]["retentionInDays"] == waf["logRetentionDays"]
    redacted = sorted(field["singleHeader"]["name"] for field in logging["redactedFields"])
    assert redacted == ["authorization", "cookie"]


def test_waf_log_delivery_policy_admits_only_this_account_to_the_waf_group(
    stack_plan: dict[str, Any],
) -> None:
    resource = _one(stack_plan, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    logging = _one(stack_plan, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    [statement] = json.loads(resource["inputs"]["policyDocument"])["Statement"]

    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert statement["Resource"] == f"{logging['inputs']['logDestinationConfigs'][0]}:*"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    # the logging configuration is created only once the policy exists
    assert resource["urn"] in logging["dependencies"]


def test_log_delivery_policy_reads_account_and_region_from_the_group_arn() -> None:
    arn = "arn:aws-cn:logs:cn-north-1:210987654321:log-group:aws-waf-logs-x:*"
    [statement] = log_delivery_policy(arn)["Statement"]
    assert statement["Resource"] == "arn:aws-cn:logs:cn-north-1:210987654321:log-group:aws-waf-logs-x:*"
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws-cn:logs:cn-north-1:210987654321:*"}


# --- Certificate and DNS validation ---------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_certificate_covers_the_domain_and_its_wildcard_validated_in_the_zone(stack: str) -> None:
    plan = plan_for(stack)
    edge = _edge_settings(stack)
    domain = edge["domain"]
    certificate = _one(plan, "aws:acm/certificate:Certificate")["inputs"]
    [record] = [
        r["inputs"] for r in resources_of(plan, "aws:route53/record:Record") if "certificate" in r["name"]
    ]
    validation = _one(plan, "aws:acm/certificateValidation:CertificateValidation")["inputs"]

    assert certificate["domainName"] == domain
    assert certificate["subjectAlternativeNames"] == [f"*.{domain}"]
    assert certificate["validationMethod"] == "DNS"
    # one CNAME validates both names; it is written into the configured zone
    assert record["zoneId"] == edge["hostedZone"]["id"]
    assert record["type"] == "CNAME"
    assert record["name"].startswith("_") and record["name"].endswith(f".{domain}.")
    assert record["records"][0].endswith(".acm-validations.aws.")
    assert validation["validationRecordFqdns"] == [record["name"].rstrip(".")]
    # what the UIs get is the ARN that exists only after validation
    assert validation["certificateArn"] == plan["outputs"]["certificateArn"]


# --- ALB access logs ----------------------------------------------------------------------------


def _bucket_part(plan: dict[str, Any], token: str) -> dict[str, Any]:
    [resource] = [r for r in resources_of(plan, token) if r["name"].startswith("edge-alb-access-logs")]
    assert resource["inputs"]["bucket"] == plan["outputs"]["albAccessLogBucket"]
    return resource["inputs"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_access_log_bucket_is_private_sse_s3_versioned_and_expires(stack: str) -> None:
    plan = plan_for(stack)
    access_logs = _edge_settings(stack)["accessLogs"]
    public = _bucket_part(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    encryption = _bucket_part(
        plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    ownership = _bucket_part(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    versioning = _bucket_part(plan, "aws:s3/bucketVersioning:BucketVersioning")
    [lifecycle] = _bucket_part(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[
        "rules"
    ]

    assert all(
        public[key] is True
        for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    # ALB log delivery supports SSE-S3 only; SSE-KMS would silently stop the logs
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    assert lifecycle["status"] == "Enabled"
    assert lifecycle["expiration"]["days"] == access_logs["expirationDays"]
    [bucket] = [b for b in resources_of(plan, "aws:s3/bucket:Bucket") if b["name"] == "edge-alb-access-logs"]
    assert bucket["inputs"]["forceDestroy"] is access_logs["forceDestroy"]
    # the ALB's audit trail survives a mistaken destroy in prod
    assert bucket["protect"] is (stack == "prod")
    assert bucket["inputs"]["tags"]["kubeboard.io/data-class"] == "logs"


def test_access_log_bucket_policy_admits_seoul_elb_delivery_and_requires_tls(
    stack_plan: dict[str, Any],
) -> None:
    policy = _bucket_part(stack_plan, "aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    bucket = stack_plan["outputs"]["albAccessLogBucket"]
    log_objects = f"arn:aws:s3:::{bucket}/alb/AWSLogs/{ACCOUNT_ID}/*"

    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # ap-northeast-2 opened before August 2022: its ELB account; the service principal for newer Regions
    assert statements["AllowElbLogDeliveryAccount"]["Principal"] == {"AWS": "arn:aws:iam::600734575887:root"}
    assert statements["AllowElbLogDeliveryService"]["Principal"] == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"
    }
    allows = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert len(allows) == 2
    assert all(s["Action"] == "s3:PutObject" and s["Resource"] == log_objects for s in allows)


def test_regions_opened_after_august_2022_get_only_the_service_principal() -> None:
    assert "ap-southeast-4" not in legacy_elb_accounts()  # Melbourne, opened 2023
    policy = access_log_bucket_policy(
        bucket_arn="arn:aws:s3:::logs", account_id="123456789012", region="ap-southeast-4", prefix="alb"
    )
    principals = [s["Principal"] for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert principals == [{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}]


def test_china_regions_use_their_partition_for_the_elb_account() -> None:
    policy = access_log_bucket_policy(
        bucket_arn="arn:aws-cn:s3:::logs", account_id="123456789012", region="cn-north-1", prefix="alb"
    )
    [legacy] = [s for s in policy["Statement"] if s["Sid"] == "AllowElbLogDeliveryAccount"]
    assert legacy["Principal"] == {"AWS": "arn:aws-cn:iam::638102146993:root"}
    assert legacy["Resource"] == "arn:aws-cn:s3:::logs/alb/AWSLogs/123456789012/*"


# --- The component under mocks --------------------------------------------------------------------


@pytest.fixture
def mocks() -> RecordingMocks:
    return install_mocks("test", components=True)


# What every Edge here is given; each test adds or changes what it is about.
_EDGE_ARGS: dict[str, Any] = {
    "name": "kb-test",
    "region": "ap-northeast-2",
    "domain": "kb.example.com",
    "hosted_zone_id": "Z0TEST",
    "rate_limit": 1000,
    "allowed_countries": ["KR"],
}


def _edge(**changes: Any) -> Edge:
    args = _EDGE_ARGS | {
        "ingress_group": "platform",
        "waf_log_retention_days": 30,
        "access_log_expiration_days": 60,
    }
    return Edge("edge", args | changes)  # type: ignore[arg-type]


@pulumi.runtime.test
def test_ip_sets_are_made_per_ip_version_and_wired_into_the_acl(mocks: RecordingMocks) -> Any:
    edge = _edge(allow_cidrs=["203.0.113.0/24", "2001:db8::/32"], deny_cidrs=["198.51.100.7/32"])

    def check(_: str) -> None:
        ip_sets = {a.name: a.inputs for a in mocks.created if a.typ == "aws:wafv2/ipSet:IpSet"}
        assert set(ip_sets) == {"edge-allow-ipv4", "edge-allow-ipv6", "edge-deny-ipv4"}
        assert ip_sets["edge-allow-ipv6"]["addresses"] == ["2001:db8::/32"]
        assert ip_sets["edge-allow-ipv6"]["ipAddressVersion"] == "IPV6"
        assert all(inputs["scope"] == "REGIONAL" for inputs in ip_sets.values())
        [acl] = [a.inputs for a in mocks.created if a.typ == WEB_ACL]
        deny = _by_name(acl["rules"])["deny-listed-ips"]["statement"]["ipSetReferenceStatement"]["arn"]
        assert ":regional/ipset/kb-test-deny-ipv4/" in deny

    return edge.web_acl_arn.apply(check)


# --- The ingress contract -------------------------------------------------------------------------


CERTIFICATE_ARN = "arn:aws:acm:ap-northeast-2:111122223333:certificate/c"
WEB_ACL_ARN = "arn:aws:wafv2:ap-northeast-2:111122223333:regional/webacl/w/1"


def _contract() -> IngressContract:
    return {
        "domain": "kb.example.com",
        "group_name": "platform",
        "certificate_arn": pulumi.Output.from_input(CERTIFICATE_ARN),
        "web_acl_arn": pulumi.Output.from_input(WEB_ACL_ARN),
        "access_log_bucket": pulumi.Output.from_input("kb-alb-logs-abc"),
        "access_log_prefix": "alb",
        "ingress_class_name": "alb",
        "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    }


@pulumi.runtime.test
def test_contract_annotations_put_a_ui_behind_the_waf_with_tls(mocks: RecordingMocks) -> Any:
    del mocks  # only the mock runtime is needed

    def check(annotations: dict[str, str]) -> None:
        assert annotations == {
            "alb.ingress.kubernetes.io/group.name": "platform",
            "alb.ingress.kubernetes.io/group.order": "10",
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP":80},{"HTTPS":443}]',
            "alb.ingress.kubernetes.io/ssl-redirect": "443",
            "alb.ingress.kubernetes.io/certificate-arn": CERTIFICATE_ARN,
            "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "alb.ingress.kubernetes.io/wafv2-acl-arn": WEB_ACL_ARN,
            "alb.ingress.kubernetes.io/load-balancer-attributes": (
                "access_logs.s3.enabled=true,access_logs.s3.bucket=kb-alb-logs-abc,access_logs.s3.prefix=alb,"
                "routing.http.drop_invalid_header_fields.enabled=true"
            ),
            "alb.ingress.kubernetes.io/healthcheck-path": "/api/health",
            "external-dns.alpha.kubernetes.io/hostname": "grafana.kb.example.com",
            "alb.ingress.kubernetes.io/backend-protocol": "HTTP",
        }
        assert json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"]) == [
            {"HTTP": 80},
            {"HTTPS": 443},
        ]

    contract = _contract()
    return ingress_annotations(
        contract,
        ingress_hostname(contract, "grafana"),
        order=10,
        healthcheck_path="/api/health",
        extra={"alb.ingress.kubernetes.io/backend-protocol": "HTTP"},
    ).apply(check)


def test_contract_refuses_to_be_overridden_or_used_outside_the_domain() -> None:
    contract = _contract()
    with pytest.raises(ValueError, match="may not override"):
        ingress_annotations(
            contract, "a.kb.example.com", extra={"alb.ingress.kubernetes.io/wafv2-acl-arn": ""}
        )
    with pytest.raises(ValueError, match="not covered by the certificate"):
        ingress_annotations(contract, "grafana.other.com")
    with pytest.raises(ValueError, match="not covered by the certificate"):
        ingress_annotations(contract, "a.b.kb.example.com")  # the wildcard covers one label only
    with pytest.raises(ValueError, match="1 to 1000"):
        ingress_annotations(contract, "a.kb.example.com", order=0)


@pulumi.runtime.test
def test_helm_ingress_values_fit_each_chart_layout(mocks: RecordingMocks) -> Any:
    del mocks
    contract = _contract()
    host = "argocd.kb.example.com"
    shapes = [ingress_helm_values(contract, host, shape=shape) for shape in IngressValuesShape]

    def check(values: list[dict[str, Any]]) -> None:
        hosts, hostname, host_paths = values
        for block in values:
            assert block["enabled"] is True
            assert block["ingressClassName"] == "alb"
            assert block["annotations"]["alb.ingress.kubernetes.io/wafv2-acl-arn"].startswith(
                "arn:aws:wafv2:"
            )
        assert (hosts["hosts"], hosts["path"], hosts["pathType"]) == ([host], "/", "Prefix")
        assert hostname["hostname"] == host
        assert host_paths["hosts"] == [{"host": host, "paths": [{"path": "/", "pathType": "Prefix"}]}]

    return pulumi.Output.all(*shapes).apply(check)


# --- No UI around the WAF: every exposure in the plan ---------------------------------------------


def test_every_ui_in_the_plan_is_behind_the_waf_the_certificate_and_one_alb(
    stack_plan: dict[str, Any],
) -> None:
    found = exposures(stack_plan["resources"])
    issues = {
        f"{exposure.urn} {exposure.where}": problems(
            exposure,
            web_acl_arn=stack_plan["outputs"]["webAclArn"],
            certificate_arn=stack_plan["outputs"]["certificateArn"],
        )
        for exposure in found
    }
    assert {where: found for where, found in issues.items() if found} == {}
    groups = {exposure.annotations.get("alb.ingress.kubernetes.io/group.name") for exposure in found}
    assert len(groups) <= 1, f"UIs spread over several ALBs: {groups}"


def _resource(urn: str, type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"urn": urn, "type": type_, "inputs": inputs}


def test_exposure_scan_catches_uis_that_bypass_the_contract() -> None:
    good = {
        "alb.ingress.kubernetes.io/group.name": "platform",
        "alb.ingress.kubernetes.io/certificate-arn": "arn:cert",
        "alb.ingress.kubernetes.io/wafv2-acl-arn": "arn:waf",
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
    }
    ingress = "kubernetes:networking.k8s.io/v1:Ingress"
    release = "kubernetes:helm.sh/v3:Release"
    without_waf = {key: value for key, value in good.items() if "waf" not in key}
    other_waf = good | {"alb.ingress.kubernetes.io/wafv2-acl-arn": "arn:other"}
    argo_values = "server:\n  ingress:\n    enabled: true\n    ingressClassName: alb\n"
    # charts/kubeboard's layout: contract fields its template turns into annotations
    platform_chart = {
        "enabled": True,
        "className": "alb",
        "host": "kb.example.com",
        "groupName": "platform",
        "certificateArn": "arn:cert",
        "wafAclArn": "arn:waf",
        "extraAnnotations": {"external-dns.alpha.kubernetes.io/hostname": "kb.example.com"},
    }
    resources = [
        _resource(
            "urn:ok", ingress, {"metadata": {"annotations": good}, "spec": {"ingressClassName": "alb"}}
        ),
        _resource(
            "urn:no-waf",
            ingress,
            {"metadata": {"annotations": without_waf}, "spec": {"ingressClassName": "alb"}},
        ),
        _resource(
            "urn:helm",
            release,
            {
                "values": {
                    "grafana": {"ingress": {"enabled": True, "ingressClassName": "nginx", "hosts": ["g"]}},
                    "loki": {"ingress": {"enabled": False}},
                }
            },
        ),
        _resource(
            "urn:yaml",
            "kubernetes:apiextensions.k8s.io/v1:CustomResource",
            {"spec": {"source": {"helm": {"values": argo_values}}}},
        ),
        _resource(
            "urn:other-waf",
            release,
            {"values": {"ingress": {"enabled": True, "ingressClassName": "alb", "annotations": other_waf}}},
        ),
        _resource(
            "urn:platform-chart",
            "kubernetes:argoproj.io/v1alpha1:Application",
            {"spec": {"source": {"helm": {"valuesObject": {"ingress": platform_chart}}}}},
        ),
        _resource(
            "urn:platform-chart-no-waf",
            "kubernetes:argoproj.io/v1alpha1:Application",
            {"spec": {"source": {"helm": {"valuesObject": {"ingress": platform_chart | {"wafAclArn": ""}}}}}},
        ),
        _resource("urn:lb", "kubernetes:core/v1:Service", {"spec": {"type": "LoadBalancer"}}),
        _resource("urn:lb-values", release, {"values": {"service": {"type": "LoadBalancer"}}}),
    ]
    found = {
        e.urn + " " + e.where: problems(e, web_acl_arn="arn:waf", certificate_arn="arn:cert")
        for e in exposures(resources)
    }

    assert found["urn:ok Ingress"] == []
    assert found["urn:no-waf Ingress"] == ["missing alb.ingress.kubernetes.io/wafv2-acl-arn"]
    assert "ingressClassName is 'nginx', not 'alb'" in found["urn:helm values.grafana.ingress"]
    assert "urn:helm values.loki.ingress" not in found  # disabled: nothing published
    assert len(found["urn:yaml spec.source.helm.values.server.ingress"]) == 3  # none of the three annotations
    assert found["urn:other-waf values.ingress"] == [
        "alb.ingress.kubernetes.io/wafv2-acl-arn is 'arn:other', not the platform's 'arn:waf'"
    ]
    assert found["urn:lb Service"] and found["urn:lb-values values.service"]
    assert found["urn:platform-chart spec.source.helm.valuesObject.ingress"] == []
    assert found["urn:platform-chart-no-waf spec.source.helm.valuesObject.ingress"] == [
        "missing alb.ingress.kubernetes.io/wafv2-acl-arn"
    ]


def test_a_direct_call_with_a_window_waf_does_not_offer_names_the_arg_and_builds_nothing() -> None:
    recording = install_mocks()
    args: Any = _EDGE_ARGS | {"rate_limit_window_seconds": 90}

    assert_refused(
        lambda: Edge("edge", args),
        "Edge args: rate_limit_window_seconds: must be one of 60, 120, 300 or 600, got 90",
        recording,
    )


def test_a_direct_call_with_a_domain_that_is_no_dns_name_names_it() -> None:
    install_mocks()
    args: Any = _EDGE_ARGS | {"domain": "Kube_Board.example.com"}

    error = refusal(lambda: Edge("edge", args))

    assert error.problems == [
        "domain: 'Kube_Board.example.com' is not a lower-case DNS name such as kubeboard.example.com"
    ]
