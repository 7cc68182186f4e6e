"""The provider as the engine runs it: a process serving the package schema over gRPC.

Pulumi's Python language host runs a plugin directory as ``python <directory> <engine address>``; the
process prints the port it serves on, and the engine asks it for the schema (``pulumi package add``
generates the program's SDK from it) and for the components a program declares. GetSchema and
GetPluginInfo never call back into the engine (only Construct does), so no engine runs here; Construct
itself is run in-process under Pulumi's mocks (its inputs and outputs mapped as for the engine).
"""

import copy
import json
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypedDict

import grpc
import pulumi
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.errors import InputPropertyError
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from kubeboard_infra import provider
from kubeboard_infra.plan.mocks import ACCOUNT_ID

from .conftest import PROJECT_DIR
from .helpers.direct_call import RecordingMocks, install_mocks, run
from .test_component_schema import COMPONENTS, PENDING

PLUGIN_DIR = PROJECT_DIR / "provider"
# Never dialled: the address only reaches Construct.
ENGINE = "127.0.0.1:1"
STARTUP_SECONDS = 30


class ProviderExited(Exception):
    """The provider stopped before serving (as it does while a component has no schema)."""


@contextmanager
def serving(
    command: list[str | Path], tmp_path: Path, env: dict[str, str] | None = None
) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """Start the provider, read its port from the first line of stdout and connect to it."""
    stderr = tmp_path / "stderr"
    with stderr.open("w") as errors:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=errors, text=True
        )
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        line = process.stdout.readline() if ready and process.stdout else ""
        if not line.strip().isdigit():
            process.wait(timeout=STARTUP_SECONDS)
            raise ProviderExited(f"exit {process.returncode}: {stderr.read_text()}")
        with grpc.insecure_channel(f"127.0.0.1:{line.strip()}") as channel:
            grpc.channel_ready_future(channel).result(timeout=STARTUP_SECONDS)
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_SECONDS)


def served_schema(stub: provider_pb2_grpc.ResourceProviderStub) -> dict[str, Any]:
    return json.loads(
        stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=STARTUP_SECONDS).schema
    )


def assert_publishes(schema: dict[str, Any], names: set[str]) -> None:
    assert names
    assert set(schema["resources"]) == {f"kubeboard:index:{name}" for name in names}
    for name in names:
        resource = schema["resources"][f"kubeboard:index:{name}"]
        assert resource["isComponent"] is True
        assert resource["inputProperties"], name
        assert resource["properties"], name
        assert all(prop.get("description") for prop in resource["inputProperties"].values()), name


def test_the_plugin_directory_is_a_python_plugin_running_the_entry_point() -> None:
    assert yaml.safe_load((PLUGIN_DIR / "PulumiPlugin.yaml").read_text()) == {"runtime": "python"}
    assert "from kubeboard_infra.provider import main" in (PLUGIN_DIR / "__main__.py").read_text()
    # pip runs in the plugin directory: `..` installs the distribution of the same checkout.
    lines = [
        line.strip()
        for line in (PLUGIN_DIR / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == [".."]
    assert (PLUGIN_DIR / ".." / "pyproject.toml").is_file()


@pytest.mark.slow
def test_the_provider_serves_the_schema_of_the_clean_components_over_grpc(tmp_path: Path) -> None:
    clean = sorted(set(COMPONENTS) - PENDING)
    serve_clean = (
        "from kubeboard_infra import provider\n"
        f"provider.serve([c for c in provider.components() if c.__name__ in {clean!r}])\n"
    )
    with serving([sys.executable, "-c", serve_clean, ENGINE], tmp_path) as stub:
        schema = served_schema(stub)
        info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=STARTUP_SECONDS)
    assert_publishes(schema, set(clean))
    assert schema["name"] == "kubeboard"
    assert schema["version"] == info.version == version("kubeboard-infra")
    # The nested Args a component takes are published as types of the package.
    assert "kubeboard:index:DeployEnvironmentArgs" in schema["types"]


# The three ways to start it: the plugin directory as the language host runs it, the module, and the
# console script installed next to this interpreter.
ENTRY_POINTS = {
    "plugin directory": [sys.executable, str(PLUGIN_DIR)],
    "module": [sys.executable, "-m", "kubeboard_infra.provider"],
    "console script": [str(Path(sys.executable).with_name("pulumi-resource-kubeboard"))],
}


@pytest.mark.slow
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.xfail(bool(PENDING), raises=ProviderExited, strict=True, reason="components in PENDING")
def test_every_entry_point_serves_every_exported_component(entry: str, tmp_path: Path) -> None:
    with serving([*ENTRY_POINTS[entry], ENGINE], tmp_path) as stub:
        schema = served_schema(stub)
    assert_publishes(schema, set(COMPONENTS))


class UnpublishableArgs(TypedDict):
    size: int | str
    """A union other than ``X | None``: no schema type for it."""


class Unpublishable(pulumi.ComponentResource):
    """A component Pulumi infers no schema for."""

    def __init__(
        self, name: str, args: UnpublishableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("kubeboard:index:Unpublishable", name, dict(args), opts)


def test_a_component_without_a_schema_stops_the_provider_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[object] = []
    monkeypatch.setattr(provider, "components", lambda: [COMPONENTS["DeployRoles"], Unpublishable])
    monkeypatch.setattr(provider, "serve", served.append)
    with pytest.raises(SystemExit) as stopped:
        provider.main()
    message = str(stopped.value.code)
    assert message == (
        "kubeboard provider: no schema can be inferred for\n"
        "  Unpublishable: Union types are not supported: found type 'int | str' for 'UnpublishableArgs.size'"
    )
    assert "DeployRoles" not in message
    assert served == []


# Construct as the provider runs it for the engine, under Pulumi's mocks instead of the engine's
# resource monitor: a program of another language passes camelCase inputs, nested ones as plain maps.
@pytest.fixture
def mocks() -> RecordingMocks:
    return install_mocks("shared", components=True)


DEPLOY_ROLES_INPUTS = {
    "name": "kubeboard",
    "repository": "kubeboard/kubeboard-infra",
    "oidcProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com",
    "environments": [{"stack": "dev", "clusterName": "kubeboard-dev"}],
    "maxSessionHours": 1,
}


def construct(inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs a program of another language reads, by their schema names."""
    host = ComponentProvider([COMPONENTS["DeployRoles"]], provider.NAME, provider.NAMESPACE, "0.0.0")
    resolved: dict[str, Any] = {}

    def program() -> None:
        result = host.construct("deploy-roles", "kubeboard:index:DeployRoles", inputs)
        outputs = {key: pulumi.Output.from_input(value) for key, value in result.state.items()}
        pulumi.Output.all(**outputs).apply(resolved.update)

    run(program)
    return resolved


def test_construct_maps_schema_inputs_to_the_components_args_and_its_outputs_back(
    mocks: RecordingMocks,
) -> None:
    outputs = construct(DEPLOY_ROLES_INPUTS)
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/kubeboard"
    assert outputs["deployRoleArns"] == {"dev": f"{role}-dev-deploy"}
    assert outputs["clusterCreatorRoleArns"] == {"dev": f"{role}-dev-cluster-creator"}
    roles = {args.inputs["name"]: args.inputs for args in mocks.created if args.typ == "aws:iam/role:Role"}
    # maxSessionHours reached max_session_hours; the nested clusterName scoped the creator's policy.
    assert {name: inputs["maxSessionDuration"] for name, inputs in roles.items()} == {
        "kubeboard-dev-deploy": 3600,
        "kubeboard-dev-cluster-creator": 3600,
        "kubeboard-preview": 3600,
    }
    [creator_policy] = [
        args.inputs["policy"] for args in mocks.created if args.name == "deploy-roles-dev-cluster-creator"
        and args.typ == "aws:iam/rolePolicy:RolePolicy"
    ]  # fmt: skip
    assert "kubeboard-dev" in creator_policy
    assert {args.typ for args in mocks.created if args.name == "deploy-roles"} == {
        "kubeboard:index:DeployRoles"
    }


@pytest.mark.parametrize(
    ("drop", "path"),
    [(("repository",), "repository"), (("environments", 0, "clusterName"), "environments[0].clusterName")],
)
def test_construct_refuses_a_missing_required_input_naming_its_path(
    mocks: RecordingMocks, drop: tuple[str | int, ...], path: str
) -> None:
    inputs = copy.deepcopy(DEPLOY_ROLES_INPUTS)
    parent: Any = inputs
    for key in drop[:-1]:
        parent = parent[key]
    del parent[drop[-1]]
    with pytest.raises(InputPropertyError) as refused:
        construct(inputs)
    assert (refused.value.property_path, refused.value.reason) == (
        path,
        f"Missing required input '{path}' on 'DeployRoles'",
    )
    assert mocks.created == []
