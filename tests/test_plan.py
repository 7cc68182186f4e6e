"""The offline plan's contract: plan.json fields, exit codes, secrets masked everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kubeboard_infra.cli import main

from .conftest import PROJECT_DIR

RESOURCE_KEYS = {"urn", "id", "type", "name", "parent", "provider", "protect", "dependencies", "inputs"}


def test_plan_json_keeps_the_contract(stack_plan: dict[str, Any]) -> None:
    assert stack_plan["project"] == "kubeboard"
    assert stack_plan["stack"] in {"dev", "prod"}
    assert set(stack_plan["policies"]) >= {"evaluated", "results", "mandatoryViolations"}
    urns = {resource["urn"] for resource in stack_plan["resources"]}
    assert stack_plan["resources"]
    for resource in stack_plan["resources"]:
        assert set(resource) >= RESOURCE_KEYS
        assert resource["urn"].startswith(f"urn:pulumi:{stack_plan['stack']}::kubeboard::")
        assert resource["parent"] is None or resource["parent"] in urns
        assert all(dependency in urns for dependency in resource["dependencies"])


def test_aws_resources_use_the_platform_provider_with_region_and_tags(dev_plan: dict[str, Any]) -> None:
    # "cluster-creator" creates the EKS cluster alone (tests/test_deploy_access.py).
    [provider] = [
        r for r in dev_plan["resources"] if r["type"] == "pulumi:providers:aws" and r["name"] == "aws"
    ]
    assert provider["inputs"]["region"] == "ap-northeast-2"
    assert (
        json.loads(provider["inputs"]["defaultTags"])["tags"]["Environment"] == "dev"
        if isinstance(provider["inputs"]["defaultTags"], str)
        else provider["inputs"]["defaultTags"]["tags"]["Environment"] == "dev"
    )
    assert dev_plan["resources"]
    for resource in dev_plan["resources"]:
        if resource["type"].startswith("aws:"):
            assert resource["provider"] == provider["urn"], resource["urn"]


def test_urns_carry_the_whole_parent_chain(dev_plan: dict[str, Any]) -> None:
    [vpc] = [r for r in dev_plan["resources"] if r["type"] == "aws:ec2/vpc:Vpc"]
    assert "::kubeboard:index:Platform$kubeboard:index:Network$aws:ec2/vpc:Vpc::" in vpc["urn"]


def test_dependencies_are_recorded(dev_plan: dict[str, Any]) -> None:
    [flow_log] = [r for r in dev_plan["resources"] if r["type"] == "aws:ec2/flowLog:FlowLog"]
    types = {urn.split("::")[2].split("$")[-1] for urn in flow_log["dependencies"]}
    assert {"aws:ec2/vpc:Vpc", "aws:cloudwatch/logGroup:LogGroup", "aws:iam/role:Role"} <= types


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cli_writes_plan_and_report_and_exits_zero(stack: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeboard_infra.cli",
            "plan",
            stack,
            "--cwd",
            str(PROJECT_DIR),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    report = (tmp_path / "report.md").read_text()
    assert plan["stack"] == stack
    assert f"resources in stack {stack}" in result.stdout
    assert "```mermaid\nflowchart LR" in report
    assert "network" in report


SECRET_PROGRAM = """
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
aws.ssm.Parameter("token", type="SecureString", value=config.require_secret("token"))
{leak}
pulumi.export("token", config.require_secret("token"))
"""


def _secret_project(tmp_path: Path, leak: str = "") -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: secretcheck\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(SECRET_PROGRAM.format(leak=leak)))
    (tmp_path / "Pulumi.test.yaml").write_text(
        # A passphrase-encrypted stack: the salt and an AES-GCM ciphertext in the CLI's own format.
        "encryptionsalt: v1:mqV6FtfGp3k=:jZcmsWWRJTcK3roI9/swTYmX/1jUgA==\n"
        "config:\n  aws:region: ap-northeast-2\n  secretcheck:token:\n"
        "    secure: v1:iayixyW5+kv0tYQC:1LqNysMIT0L9lA78wxU4faSZPq57npoGg2buAA==\n"
    )
    return tmp_path


def test_secrets_are_masked_in_plan_and_report(tmp_path: Path) -> None:
    project = _secret_project(tmp_path)

    code = main(["plan", "test", "--cwd", str(project), "--quiet"])

    plan_text = (project / "out" / "test" / "plan.json").read_text()
    plan = json.loads(plan_text)
    [parameter] = [r for r in plan["resources"] if r["type"] == "aws:ssm/parameter:Parameter"]
    assert code == 0
    assert parameter["inputs"]["value"] == "[secret]"
    assert plan["outputs"]["token"] == "[secret]"
    assert "placeholder" not in plan_text + (project / "out" / "test" / "report.md").read_text()


def test_a_secret_registered_in_clear_fails_the_plan(tmp_path: Path) -> None:
    leak = 'aws.s3.Bucket("leaked", tags={"token": config.get("token")})'
    project = _secret_project(tmp_path, leak=leak)

    code = main(["plan", "test", "--cwd", str(project), "--quiet"])

    plan = json.loads((project / "out" / "test" / "plan.json").read_text())
    [violation] = [r for r in plan["policies"]["results"] if r["policy"] == "secrets-never-in-clear"]
    assert code == 1
    assert violation["policy"] == "secrets-never-in-clear"
    assert violation["urn"].endswith("::leaked")


@pytest.mark.timeout(120)
def test_outputs_left_pending_by_earlier_code_do_not_stall_a_plan(tmp_path: Path) -> None:
    """A component built outside any run (as unit tests do) leaves outputs on a loop that never
    runs again; the next plan, failing or not, must not wait for them."""
    import asyncio

    import pulumi

    abandoned_loop = asyncio.new_event_loop()
    asyncio.set_event_loop(abandoned_loop)
    pulumi.Output.from_input(abandoned_loop.create_future())
    (tmp_path / "Pulumi.yaml").write_text("name: stall\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\nraise pulumi.RunError('stall: refused on purpose')\n"
    )
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: ap-northeast-2\n")

    code = main(["plan", "test", "--cwd", str(tmp_path), "--quiet"])

    assert code == 2


# --- The recorder: what reaches plan.json from the wire, secrets masked ----------------------------


def _wire(fields: dict[str, Any]) -> Any:
    from google.protobuf import struct_pb2

    struct = struct_pb2.Struct()
    struct.update(fields)
    return struct_pb2.Value(struct_value=struct)


def test_recorder_masks_secrets_and_marks_unknowns() -> None:
    from google.protobuf import struct_pb2
    from pulumi.runtime import rpc

    from kubeboard_infra.plan.recorder import SECRET, UNKNOWN, plain

    sig = rpc._special_sig_key
    output = rpc._special_output_value_sig
    assert plain(_wire({sig: rpc._special_secret_sig, "value": "hunter2"})) == SECRET
    assert plain(_wire({sig: output, "secret": True, "value": "hunter2"})) == SECRET
    assert plain(_wire({sig: output, "secret": False, "value": "shown"})) == "shown"
    assert plain(_wire({sig: output, "value": "shown"})) == "shown"
    assert plain(_wire({sig: output})) == UNKNOWN
    assert plain(_wire({"a": {sig: output, "secret": True, "value": "x"}, "b": [rpc.UNKNOWN]})) == {
        "a": SECRET,
        "b": [UNKNOWN],
    }
    assert plain(_wire({sig: rpc._special_resource_sig, "urn": "urn:pulumi:s::p::t::n", "id": "i"})) == (
        "urn:pulumi:s::p::t::n"
    )
    assert plain(_wire({sig: "some-future-signature", "k": 1})) == {"k": 1}
    assert plain(struct_pb2.Value(bool_value=True)) is True
    assert plain(struct_pb2.Value(bool_value=False)) is False
    assert plain(struct_pb2.Value(null_value=struct_pb2.NULL_VALUE)) is None
    assert plain(struct_pb2.Value(number_value=3.0)) == 3 and isinstance(
        plain(struct_pb2.Value(number_value=3.0)), int
    )
    assert plain(struct_pb2.Value(number_value=2.5)) == 2.5


def test_recorder_names_assets_and_archives_without_their_content() -> None:
    from pulumi.runtime import rpc

    from kubeboard_infra.plan.recorder import plain

    sig = rpc._special_sig_key
    asset, archive = rpc._special_asset_sig, rpc._special_archive_sig
    assert plain(_wire({sig: asset, "path": "app.zip"})) == {"asset": "app.zip"}
    assert plain(_wire({sig: asset, "text": "hello"})) == {"asset": "<text, 5 characters>"}
    # An empty path is no name: the next one is used.
    assert plain(_wire({sig: archive, "path": "", "uri": "s3://b/k.zip"})) == {"archive": "s3://b/k.zip"}
    assert plain(_wire({sig: archive, "assets": {"b.py": {}, "a.py": {}}})) == {"archive": ["a.py", "b.py"]}
    assert plain(_wire({sig: archive})) == {"archive": None}


def test_recorder_provider_reference_and_inherited_waits() -> None:
    from kubeboard_infra.plan.recorder import RecordedResource, Recording, provider_urn

    assert provider_urn("urn:pulumi:s::p::pulumi:providers:aws::aws::0123-id") == (
        "urn:pulumi:s::p::pulumi:providers:aws::aws"
    )
    assert provider_urn("") is None
    assert provider_urn("no-id") == "no-id"

    def node(urn: str, parent: str | None, dependencies: list[str]) -> RecordedResource:
        return RecordedResource(urn, "t", urn, True, parent, None, False, dependencies, {})

    # Listed leaf first: the walk goes up the whole chain, whatever order the list is in.
    recording = Recording(
        [node("leaf", "mid", ["own"]), node("mid", "root", ["vpc"]), node("root", None, ["db"])]
    )
    recording.add_inherited_dependencies()
    leaf = recording.resources[0]
    assert leaf.dependencies == ["db", "own", "vpc"]
    assert leaf.inherited_dependencies == ["db", "vpc"]
    assert "providers" not in leaf.to_json()
    leaf.providers = {"aws": "urn:p"}
    assert leaf.to_json()["providers"] == {"aws": "urn:p"}


RECORDER_PROGRAM = """
import pulumi
import pulumi_aws as aws


class Box(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("test:index:Box", name, None)
        aws.s3.Bucket("inner", opts=pulumi.ResourceOptions(parent=self))


Box("box")
aws.s3.Bucket("outer")
aws.ec2.Vpc.get("existing", "vpc-0123456789abcdef0")
"""


def test_recorder_keeps_parents_ids_and_one_root_stack(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: recorder\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(RECORDER_PROGRAM)
    (tmp_path / "Pulumi.test.yaml").write_text("config:\n  aws:region: ap-northeast-2\n")

    main(
        ["plan", "test", "--cwd", str(tmp_path), "--quiet"]
    )  # the pack's verdict on bare buckets is not the point

    plan = json.loads((tmp_path / "out" / "test" / "plan.json").read_text())
    by_name = {r["name"]: r for r in plan["resources"]}
    assert [r["type"] for r in plan["resources"]].count("pulumi:pulumi:Stack") == 1
    stack = by_name["recorder-test"]
    assert by_name["box"]["urn"] == "urn:pulumi:test::recorder::test:index:Box::box"
    assert by_name["box"]["parent"] == stack["urn"]
    assert stack["id"] is None  # the engine gives the root stack no id
    assert by_name["inner"]["urn"] == "urn:pulumi:test::recorder::test:index:Box$aws:s3/bucket:Bucket::inner"
    assert by_name["inner"]["parent"] == by_name["box"]["urn"]
    assert by_name["outer"]["urn"] == "urn:pulumi:test::recorder::aws:s3/bucket:Bucket::outer"
    assert by_name["outer"]["id"]
    assert stack["parent"] is None
    assert by_name["existing"]["id"] == "vpc-0123456789abcdef0"
    assert by_name["existing"]["protect"] is False


def test_out_dir_is_the_stack_directory_for_one_stack_and_its_parent_for_several(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    project = _secret_project(tmp_path / "project")
    (project / "Pulumi.other.yaml").write_text((project / "Pulumi.test.yaml").read_text())

    assert main(["plan", "test", "--cwd", str(project), "--quiet", "--out", str(tmp_path / "one")]) == 0
    assert (
        main(["plan", "test", "other", "--cwd", str(project), "--quiet", "--out", str(tmp_path / "two")]) == 0
    )

    assert (tmp_path / "one" / "plan.json").is_file()
    assert (tmp_path / "two" / "test" / "plan.json").is_file()
    assert (tmp_path / "two" / "other" / "plan.json").is_file()


def test_secret_check_runs_without_the_policy_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubeboard_infra.plan import policies
    from kubeboard_infra.settings.secrets import PLAN_PLACEHOLDER_PREFIX

    monkeypatch.setitem(sys.modules, "kubeboard_policy.offline", None)  # import fails: no pack
    clean = policies.evaluate([], {"token": "[secret]"}, "dev")
    leaked = policies.evaluate([], {"token": f"{PLAN_PLACEHOLDER_PREFIX}token"}, "dev")

    assert clean == {"evaluated": ["secrets-never-in-clear"], "results": [], "mandatoryViolations": 0}
    assert leaked["mandatoryViolations"] == 1
    assert (
        leaked["results"][0]["message"]
        == "stack output 'token' exposes a secret from the stack file in clear"
    )


def test_exit_code_2_without_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([])
    assert stopped.value.code == 2
    assert "required: command" in capsys.readouterr().err


def test_exit_code_of_a_plan_against_a_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _secret_project(tmp_path)
    (project / "Pulumi.other.yaml").write_text((project / "Pulumi.test.yaml").read_text())
    assert main(["plan", "test", "--cwd", str(project), "--quiet"]) == 0
    base = project / "out" / "test" / "plan.json"
    first = base.read_text()
    # The document's own order, the project first: a reviewer reads it top down.
    assert first.startswith('{\n  "project": "secretcheck",\n  "stack": "test",')
    (tmp_path / "base.json").write_text(first)
    not_a_plan = tmp_path / "not-a-plan.json"
    not_a_plan.write_text("[]")
    capsys.readouterr()

    # Written again into the same directory, against the first plan: no change, shown unless --quiet.
    assert main(["plan", "test", "--cwd", str(project), "--against", str(tmp_path / "base.json")]) == 0
    shown = capsys.readouterr().out
    assert "No resource changes." in shown and "2 resources in stack test" in shown
    assert main(["plan", "test", "--cwd", str(project), "--quiet"]) == 0
    quiet = capsys.readouterr().out
    assert "resources in stack" not in quiet and "\n\n" not in quiet

    assert main(["plan", "test", "other", "--cwd", str(project), "--against", str(base)]) == 2
    assert "--against compares one stack with its base plan" in capsys.readouterr().err
    assert main(["plan", "test", "--cwd", str(project), "--against", str(not_a_plan)]) == 2
    assert "not a plan.json (no `resources`)" in capsys.readouterr().err
    assert main(["plan", "test", "other", "--cwd", str(project), "--quiet"]) == 0
    assert "no physical name or singleton is created by two of: test, other" in capsys.readouterr().out
    assert main(["plan", "test", "--cwd", str(project), "--quiet"]) == 0
    assert "no physical name or singleton" not in capsys.readouterr().out


def test_exit_code_2_for_a_bad_stack_file_base_or_refused_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _secret_project(tmp_path)
    assert main(["plan", "test", "--cwd", str(project), "--against", str(tmp_path / "missing.json")]) == 2
    assert "cannot read a plan.json" in capsys.readouterr().err

    (project / "Pulumi.broken.yaml").write_text("config: [unclosed\n")
    assert main(["plan", "broken", "--cwd", str(project), "--quiet"]) == 2
    assert "Pulumi.broken.yaml" in capsys.readouterr().err

    (project / "__main__.py").write_text("import pulumi\nraise pulumi.RunError('refused: no region')\n")
    assert main(["plan", "test", "--cwd", str(project), "--quiet"]) == 2
    assert "refused: no region" in capsys.readouterr().err
