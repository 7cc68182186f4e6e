"""Secrets a stack needs: declared once on the settings, asked for by a real run, stood in for by the plan."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra.cli import EXIT_OK, main
from kubeboard_infra.plan import runner
from kubeboard_infra.plan.pulumi_project_secrets import secrets_provider_problems
from kubeboard_infra.plan.runner import ProgramConfigurationError, run_program
from kubeboard_infra.plan.stack_files import StackConfig, read_stack_config
from kubeboard_infra.settings import SettingsError, load_settings, section_models
from kubeboard_infra.settings.secrets import PLAN_PLACEHOLDER_PREFIX, secret_slots

from .conftest import PROJECT_DIR, plan_for, stack_file

CLIENT_SECRET = "kubeboard:sso.github.clientSecret"
GRAFANA = "kubeboard:sso.grafanaClientSecret"
FRONT_PAGE = "kubeboard:sso.frontPageClientSecret"
SSO = [CLIENT_SECRET, GRAFANA, FRONT_PAGE]
TOKEN = "kubeboard:gitops.repository.token"
WEBHOOK = "kubeboard:observability.alerting.slack.webhookUrl"


def _command(path: str) -> str:
    return f"pulumi config set --secret --path '{path}' <value>"


def _program_config(stack: str) -> dict[str, str]:
    return {key: v if isinstance(v, str) else json.dumps(v) for key, v in stack_file(stack)["config"].items()}


def test_declared_secrets_are_found_where_the_settings_hold_them() -> None:
    sections = {key.partition(":")[2]: value for key, value in stack_file("prod")["config"].items()}
    sections["observability"]["alerting"]["slack"] = {"channel": "#alerts"}
    slots = {slot.path: slot for slot in secret_slots(sections, section_models())}
    assert set(slots) == {*SSO, TOKEN, WEBHOOK, "kubeboard:observability.alerting.heartbeatUrl"}
    # Required: with sso, with private: true, with slack; the heartbeat URL is optional.
    assert [path for path, slot in sorted(slots.items()) if slot.required] == [
        TOKEN,
        WEBHOOK,
        FRONT_PAGE,
        CLIENT_SECRET,
        GRAFANA,
    ]


def test_a_real_run_without_the_secrets_stops_with_the_commands_that_set_them() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_program_config("prod"), source="Pulumi.prod.yaml", secret_keys=set())
    assert caught.value.problems == [
        f"{TOKEN}: secret not set; run: {_command(TOKEN)}",
        *(f"{path}: secret not set; run: {_command(path)}" for path in SSO),
    ]


def test_missing_secrets_do_not_hide_other_problems() -> None:
    config = _program_config("prod")
    network = json.loads(config["kubeboard:network"])
    network["natGateways"] = "double"
    config["kubeboard:network"] = json.dumps(network)
    with pytest.raises(SettingsError) as caught:
        load_settings(config, source="Pulumi.prod.yaml")
    assert len(caught.value.problems) == 5
    assert caught.value.problems[4].startswith("kubeboard:network.natGateways")


def _with_secrets(config: dict[str, str]) -> dict[str, str]:
    gitops = json.loads(config["kubeboard:gitops"])
    gitops["repository"]["token"] = "github_pat_read_only"
    sso = json.loads(config["kubeboard:sso"])
    sso["github"]["clientSecret"] = "0123456789abcdef0123456789abcdef01234567"
    sso["grafanaClientSecret"] = "g" * 64
    sso["frontPageClientSecret"] = "f" * 64
    return {**config, "kubeboard:gitops": json.dumps(gitops), "kubeboard:sso": json.dumps(sso)}


def test_a_secret_the_engine_did_not_pass_as_secret_is_refused() -> None:
    config = _with_secrets(_program_config("prod"))
    with pytest.raises(SettingsError) as caught:
        load_settings(config, source="Pulumi.prod.yaml", secret_keys={"aws:region"})
    assert [problem.split(":", 2)[1] for problem in caught.value.problems] == [
        "gitops.repository.token",
        "sso.github.clientSecret",
        "sso.grafanaClientSecret",
        "sso.frontPageClientSecret",
    ]
    assert all("a secret written in clear" in problem for problem in caught.value.problems)
    settings = load_settings(
        config, source="Pulumi.prod.yaml", secret_keys={"kubeboard:gitops", "kubeboard:sso"}
    )
    assert settings.sso is not None


def test_the_program_refuses_before_any_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through __main__.py: SettingsError -> pulumi.RunError, exit 2 in the plan, no traceback."""
    planned = read_stack_config(PROJECT_DIR, "prod")
    sso = json.loads(planned.values["kubeboard:sso"])
    del sso["github"]["clientSecret"]
    values = {**planned.values, "kubeboard:sso": json.dumps(sso)}
    unset = StackConfig(planned.project, planned.main, values, planned.secret_keys, planned.source)
    monkeypatch.setattr(runner, "read_stack_config", lambda *_: unset)
    with pytest.raises(ProgramConfigurationError) as caught:
        run_program(PROJECT_DIR, "prod")
    assert (
        str(caught.value)
        == f"Pulumi.prod.yaml: {CLIENT_SECRET}: secret not set; run: {_command(CLIENT_SECRET)}"
    )


def test_the_plan_says_which_secrets_a_real_run_asks_for() -> None:
    plan = plan_for("prod")
    assert plan["secretsRequired"] == [
        {"key": TOKEN, "command": _command(TOKEN)},
        *({"key": path, "command": _command(path)} for path in SSO),
    ]
    # dev signs in through dex too: only the repository is public there.
    assert plan_for("dev")["secretsRequired"] == [{"key": path, "command": _command(path)} for path in SSO]
    assert PLAN_PLACEHOLDER_PREFIX not in json.dumps(plan)


def test_configuring_slack_adds_its_webhook_to_the_secrets_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The dev stack reads the account stack: it comes along.
    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.shared.yaml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    config: dict[str, Any] = stack_file("dev")["config"]
    config["kubeboard:observability"]["alerting"]["slack"] = {"channel": "#kubeboard-alerts"}
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")

    code = main(["plan", "dev", "--cwd", str(tmp_path), "--out", str(tmp_path / "out"), "--quiet"])

    out = capsys.readouterr().out
    plan = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert code == EXIT_OK
    assert plan["secretsRequired"] == [{"key": path, "command": _command(path)} for path in [WEBHOOK, *SSO]]
    assert _command(WEBHOOK) in out
    assert _command(WEBHOOK) in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


# Whether the CLI could decrypt the stack file's secure values


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _problems(document: dict[str, Any]) -> list[str]:
    config = document.get("config", {})
    return [f"{problem.key}: {problem.message}" for problem in secrets_provider_problems(document, config)]


def test_ciphertexts_in_each_providers_format_pass() -> None:
    passphrase = {
        "encryptionsalt": f"v1:{_b64(os.urandom(8))}:{_b64(os.urandom(22))}",
        "config": {
            "kubeboard:gitops": {"token": {"secure": f"v1:{_b64(os.urandom(12))}:{_b64(os.urandom(40))}"}}
        },
    }
    kms = {
        "secretsprovider": "awskms://alias/kubeboard?region=ap-northeast-2",
        "encryptedkey": _b64(os.urandom(64)),
        "config": passphrase["config"],
    }
    service = {"config": {"kubeboard:gitops": {"token": {"secure": _b64(os.urandom(48))}}}}
    assert _problems(passphrase) == _problems(kms) == _problems(service) == []


def test_the_fake_ciphertexts_once_in_pulumi_prod_yaml_are_refused() -> None:
    document = {
        "config": {
            "kubeboard:gitops": {
                "repository": {"token": {"secure": "v1:" + _b64(b"Ciphertext placeholder: replace me")}},
            },
            "kubeboard:sso": {
                "github": {"clientSecret": {"secure": _b64(b"Replace with the GitHub OAuth app secret")}}
            },
        }
    }
    problems = _problems(document)
    assert problems[0].startswith(
        f"{TOKEN}: secure value was written by a passphrase or KMS secrets provider"
    )
    assert problems[1].startswith(
        f"{CLIENT_SECRET}: secure value is base64 of readable text, not a ciphertext"
    )
    assert all(problem.endswith("<value>") for problem in problems)


def test_passphrase_ciphertext_must_carry_a_nonce_and_a_sealed_value() -> None:
    document = {
        "encryptionsalt": f"v1:{_b64(os.urandom(8))}:{_b64(os.urandom(22))}",
        "config": {"kubeboard:x": {"secure": f"v1:{_b64(os.urandom(8))}:{_b64(os.urandom(40))}"}},
    }
    assert _problems(document) == [
        "kubeboard:x: secure value is not a ciphertext of this stack's secrets provider (bad nonce or "
        "ciphertext); set it again with pulumi config set --secret --path 'kubeboard:x' <value>"
    ]
