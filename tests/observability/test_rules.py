"""Alert rules as code: promtool checks and unit-tests every Prometheus rule group we ship;
the Loki ruler's LogQL rules, which promtool cannot read, get a structural check."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra.observability import rule_files
from tests.helpers.logql import SEVERITIES, expression_problems, rule_file_problems

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "components" / "observability" / "rules"
RULE_TESTS_DIR = Path(__file__).parent / "rule_tests"
RULE_FILES = sorted(RULES_DIR.glob("*.yaml"))
RULE_TEST_FILES = sorted(RULE_TESTS_DIR.glob("*.test.yaml"))
WORKLOAD_NAMESPACES = {"dev", "prod", "common"}


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is required: install the Debian package `prometheus` (apt-get install prometheus)"
        )
    return path


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=cwd, timeout=120)


def _alerts(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def test_every_rule_group_area_is_shipped() -> None:
    assert {path.stem for path in RULE_FILES} >= {"node", "pod", "pvc", "control-plane", "platform"}
    assert set(rule_files.prometheus_rule_files()) == {path.stem for path in RULE_FILES}


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_promtool_check_rules_accepts_the_file_and_sees_every_rule(promtool: str, path: Path) -> None:
    result = _run(promtool, "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"SUCCESS: (\d+) rules found", result.stdout)
    assert found, result.stdout
    document = yaml.safe_load(path.read_text())
    assert int(found.group(1)) == sum(len(group["rules"]) for group in document["groups"])


@pytest.mark.parametrize("path", RULE_TEST_FILES, ids=lambda path: path.name)
def test_promtool_unit_tests_pass(promtool: str, path: Path) -> None:
    result = _run(promtool, "test", "rules", path.name, cwd=path.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_catch_a_wrong_expectation(promtool: str, tmp_path: Path) -> None:
    # The harness must be able to fail: expect the prod crash loop as a mere warning.
    original = (RULE_TESTS_DIR / "platform.test.yaml").read_text()
    broken = original.replace("severity: critical", "severity: warning", 1)
    broken = broken.replace("../../../components", str(ROOT / "components"))
    assert broken != original
    (tmp_path / "broken.test.yaml").write_text(broken)
    result = _run(promtool, "test", "rules", "broken.test.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert "WorkloadPodCrashLooping" in result.stdout + result.stderr


def test_every_rule_file_has_unit_tests() -> None:
    tested = set()
    for path in RULE_TEST_FILES:
        for rule_file in yaml.safe_load(path.read_text())["rule_files"]:
            tested.add((path.parent / rule_file).resolve())
    assert {path.resolve() for path in RULE_FILES} <= tested


def test_each_platform_alert_is_tested_firing_and_not_firing() -> None:
    platform_alerts = {rule["alert"] for rule in _alerts(rule_files.prometheus_rule_files()["platform"])}
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in yaml.safe_load((RULE_TESTS_DIR / "platform.test.yaml").read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert platform_alerts <= fired, f"never shown firing: {sorted(platform_alerts - fired)}"
    assert platform_alerts <= quiet, f"never shown quiet: {sorted(platform_alerts - quiet)}"


def test_crash_loop_alerts_cover_exactly_the_workload_namespaces() -> None:
    namespaces: set[str] = set()
    for rule in _alerts(rule_files.prometheus_rule_files()["platform"]):
        if rule["alert"] != "WorkloadPodCrashLooping":
            continue
        matcher = re.search(r'namespace(=~|=)"([^"]+)"', rule["expr"])
        assert matcher, rule["expr"]
        namespaces |= set(matcher.group(2).split("|"))
    assert namespaces == WORKLOAD_NAMESPACES


@pytest.mark.parametrize("name", sorted(rule_files.prometheus_rule_files()))
def test_every_alert_is_routable_and_explained(name: str) -> None:
    assert _alerts(rule_files.prometheus_rule_files()[name])
    for rule in _alerts(rule_files.prometheus_rule_files()[name]):
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["annotations"].get("summary") and rule["annotations"].get("description"), rule["alert"]


def test_rule_groups_have_unique_names_across_files() -> None:
    names = [
        group["name"]
        for document in [*rule_files.prometheus_rule_files().values(), *rule_files.loki_rule_files().values()]
        for group in document["groups"]
    ]
    assert len(names) == len(set(names))


# --- Loki ruler (LogQL) ------------------------------------------------------------------------


def test_loki_rule_files_are_well_formed() -> None:
    documents = rule_files.loki_rule_files()
    assert documents, "no Loki ruler rules shipped"
    for name, document in documents.items():
        assert rule_file_problems(document) == [], name


def test_loki_error_rate_rule_alerts_per_namespace_on_error_lines() -> None:
    (rule,) = _alerts(rule_files.loki_rule_files()["error-logs"])
    expr = rule["expr"]
    assert re.match(r"^\s*sum by \(namespace\)", expr)
    assert re.search(r"\brate\(\{namespace=~\"\.\+\"\}", expr)
    line_filter = re.search(r'\|~ "((?:[^"\\]|\\.)*)"', expr)
    assert line_filter
    pattern = re.compile(re.sub(r"\\(.)", r"\1", line_filter.group(1)))
    assert pattern.search("2026-11-02T10:00:00Z ERROR payment failed")
    assert pattern.search("panic: runtime error: index out of range")
    assert not pattern.search('level=info msg="no errors so far"')
    assert not pattern.search("GET /healthz 200")


def test_loki_rules_are_not_promql(promtool: str, tmp_path: Path) -> None:
    # Guards against the LogQL file being moved among the Prometheus rules by mistake.
    target = tmp_path / "error-logs.yaml"
    target.write_text(rule_files.loki_rule_texts()["error-logs.yaml"])
    assert _run(promtool, "check", "rules", str(target)).returncode != 0


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ('sum by (namespace) (rate({namespace=~".*"} |~ "error" [5m])) > 1', "cannot match the empty"),
        ('sum by (namespace) (rate({namespace="prod"} |~ "error")) > 1', "log range aggregation"),
        ('sum by (namespace) (rate({namespace="prod"} |~ "(error" [5m])) > 1', "not a valid regular"),
        ('sum by (pod) (rate({namespace="prod"} |= "error" [5m])) > 1', "never constrains"),
        ('sum by (namespace) (rate({namespace="prod"} |= "error" [5m]))', "threshold"),
        ('sum by (namespace) (rate({namespace="prod"} |= "error" [5m]) > 1', "unbalanced"),
        ('rate({namespace="prod"} |= "error" [5m]) > 1', "must start with an aggregation"),
    ],
)
def test_logql_shape_check_rejects_broken_expressions(expr: str, problem: str) -> None:
    problems = expression_problems(expr)
    assert any(problem in text for text in problems), problems
