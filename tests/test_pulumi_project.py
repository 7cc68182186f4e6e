"""The Pulumi CLI's own project and stack config rules, as the offline plan applies them.

Each case reproduces one of Pulumi's tests (pulumi/pulumi ``sdk/go/common/workspace/project_test.go``),
named in the docstring, with the CLI's message; then the repository's own files are held to them,
end to end through ``kubeboard plan``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeboard_infra.cli import EXIT_CONFIG, EXIT_OK, main
from kubeboard_infra.plan.pulumi_project import Project, ProjectProblems, load_project
from kubeboard_infra.plan.pulumi_project_config import merge_config, stack_config
from kubeboard_infra.plan.stack_files import read_stack_config

from .conftest import PROJECT_DIR


def _project(text: str) -> Project:
    return load_project(yaml.safe_load(text))


def _project_problems(text: str) -> list[str]:
    with pytest.raises(ProjectProblems) as caught:
        _project(text)
    return [f"{key}: {message}" for key, message in caught.value.problems]


def _merge(project_text: str, stack_text: str, stack: str = "dev") -> tuple[dict[str, Any], list[str]]:
    project = _project(project_text)
    values, problems = stack_config(project, yaml.safe_load(stack_text))
    merged, merge_problems = merge_config(project, stack, values)
    return merged, [problem.message for problem in [*problems, *merge_problems]]


# Project.Validate


def test_namespaced_project_config_should_not_be_explicitly_typed() -> None:
    """TestNamespacedProjectConfigShouldNotBeExplicitlyTyped"""
    problems = _project_problems(
        "name: test\nruntime: dotnet\nconfig:\n  aws:region:\n    type: string\n    value:\n      region: us-west-1"
    )
    assert problems == [
        "aws:region: Configuration key 'aws:region' is not namespaced by the project and should not define a type"
    ]


def test_project_config_cannot_have_both_value_and_default() -> None:
    """TestProjectConfigCannotHaveBothValueAndDefault"""
    problems = _project_problems(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n"
        "    type: string\n    default: t3.micro\n    value: t4.large"
    )
    assert problems == [
        "instanceSize: project config 'instanceSize' cannot have both a 'default' and 'value' attribute"
    ]


def test_project_config_cannot_be_typed_array_without_items() -> None:
    """TestProjectConfigCannotBeTypedArrayWithoutItems"""
    problems = _project_problems(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n    type: array\n    default: [t3.micro, t4.large]"
    )
    assert problems == [
        "instanceSize: The configuration key 'instanceSize' declares an array "
        "but does not specify the underlying type via the 'items' attribute"
    ]


def test_namespaced_project_config_should_not_provide_default() -> None:
    """TestNamespacedProjectConfigShouldNotBeProvideDefault"""
    [problem] = _project_problems(
        "name: test\nruntime: dotnet\nconfig:\n  aws:region:\n    default: us-west-1"
    )
    assert (
        "Configuration key 'aws:region' is not namespaced by the project and should not define a default"
        in problem
    )
    assert "Did you mean to use the 'value' attribute instead of 'default'?" in problem


def test_namespaced_project_config_must_provide_a_value() -> None:
    """Project.Validate: a key outside the project's namespace declared without a value."""
    problems = _project_problems(
        "name: test\nruntime: dotnet\nconfig:\n  aws:region:\n    description: the region"
    )
    assert problems == [
        "aws:region: Configuration key 'aws:region' is namespaced and must provide an attribute 'value'"
    ]


def test_project_validation_fails_for_incorrect_default_value_type() -> None:
    """TestProjectValidationFailsForIncorrectDefaultValueType"""
    assert _project_problems(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n    type: integer\n    default: hello"
    ) == [
        "instanceSize: The default value specified for configuration key 'instanceSize' "
        "is not of the expected type 'integer'"
    ]
    nested = (
        "name: test\nruntime: dotnet\nconfig:\n  values:\n    type: array\n"
        "    items:\n      type: array\n      items:\n        type: string\n"
    )
    assert _project_problems(nested + "    default: [hello]") == [
        "values: The default value specified for configuration key 'values' "
        "is not of the expected type 'array<array<string>>'"
    ]


def test_project_validation_succeeds_for_correct_default_value_type() -> None:
    """TestProjectValidationSucceedsForCorrectDefaultValueType"""
    project = _project(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n    type: integer\n    default: 1\n"
        "  values:\n    type: array\n    items:\n      type: array\n      items:\n        type: string\n"
        "    default: [[hello]]"
    )
    assert project.config["values"].default == [["hello"]]


def test_project_loads_config_schemas() -> None:
    """TestProjectLoadsConfigSchemas: shorthand values become defaults of untyped declarations."""
    project = _project(
        "name: test\nruntime: dotnet\nconfig:\n  integerSchemaFull:\n    type: integer\n"
        "    description: a very important value\n    default: 1\n  integerSchemaSimple: 20\n"
        "  booleanSchemaSimple: false\n  secretString:\n    type: string\n    secret: true\n"
    )
    assert project.config["integerSchemaFull"].description == "a very important value"
    assert not project.config["integerSchemaSimple"].explicitly_typed
    assert project.config["integerSchemaSimple"].default == 20
    assert project.config["booleanSchemaSimple"].default is False
    assert project.config["secretString"].secret


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"hello"', "expected project to be an object, was 'str'"),
        ("{}", "project is missing a 'name' attribute"),
        ("name:", "project is missing a non-empty string 'name' attribute"),
        ("name: project", "project is missing a 'runtime' attribute"),
        ("Name: project\nruntime: test", "project is missing a 'name' attribute; found 'Name' instead"),
        ("name: project\nrutnime: test", "project is missing a 'runtime' attribute; found 'rutnime' instead"),
        ("name: project\nruntime: 4", "runtime section must be a string or an object with name and options"),
        ("name: project\nruntime: test\nmain: {}", "main: expected string or null"),
    ],
)
def test_project_load_yaml(text: str, expected: str) -> None:
    """TestProjectLoadYAML, TestProjectLoadJSON and TestProjectLoadJSONInformativeErrors"""
    assert any(expected in problem for problem in _project_problems(text))


def test_null_optionals_are_accepted() -> None:
    """TestProjectLoadYAML: null optionals should work."""
    assert _project("name: project\nruntime: test\ndescription:\nmain: null\n").main is None


def test_config_path_is_rewritten_to_stack_config_dir() -> None:
    """TestLoadingConfigIsRewrittenToStackConfigDir"""
    project = _project("name: test\nruntime: dotnet\nconfig: ./some/path")
    assert project.stack_config_dir == "./some/path" and project.config == {}


def test_defining_both_config_and_stack_config_dir_errors_out() -> None:
    """TestDefningBothConfigAndStackConfigDirErrorsOut"""
    [problem] = _project_problems("name: test\nruntime: dotnet\nconfig: ./some/path\nstackConfigDir: ./other")
    assert "Should not use both config and stackConfigDir" in problem


def test_config_object_and_stack_config_dir_load() -> None:
    """TestConfigObjectAndStackConfigDirSuccessfullyLoadProject"""
    project = _project(
        "name: test\nruntime: dotnet\nstackConfigDir: ./some/other/path\nconfig:\n  value: hello\n"
    )
    assert project.stack_config_dir == "./some/other/path" and len(project.config) == 1


def test_every_violation_is_reported_not_only_the_first() -> None:
    problems = _project_problems(
        "name: test\nruntime: dotnet\nconfig:\n  aws:region:\n    type: string\n  gcp:zone:\n    default: a\n"
        "  size:\n    type: number\n"
    )
    assert [problem.split(":")[0] for problem in problems] == ["aws", "gcp", "size"]


# mergeConfig / validateStackConfigValues


def test_stack_config_is_inherited_from_project_config() -> None:
    """TestStackConfigIsInheritedFromProjectConfig"""
    merged, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize: t3.micro\n  instanceCount: 20\n  protect: true",
        "config:\n  test:instanceSize: t4.large",
    )
    assert problems == []
    assert merged == {"test:instanceSize": "t4.large", "test:instanceCount": 20, "test:protect": True}


def test_namespaced_config_values_are_inherited_correctly() -> None:
    """TestNamespacedConfigValuesAreInheritedCorrectly"""
    merged, problems = _merge(
        'name: test\nruntime: dotnet\nconfig:\n  aws:region: us-west-1\n  pulumi:disable-default-providers: ["*"]\n'
        "  instanceSize: t3.micro",
        "config:\n  test:instanceSize: t4.large",
    )
    assert problems == []
    assert merged["aws:region"] == "us-west-1" and merged["pulumi:disable-default-providers"] == ["*"]


def test_loading_stack_config_without_namespacing_the_project() -> None:
    """TestLoadingStackConfigWithoutNamespacingTheProject"""
    merged, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  aws:region: us-west-1\n  instanceSize: t3.micro",
        "config:\n  instanceSize: t4.large",
    )
    assert problems == [] and merged == {"test:instanceSize": "t4.large", "aws:region": "us-west-1"}


def test_untyped_project_config_values_are_not_validated() -> None:
    """TestUntypedProjectConfigValuesAreNotValidated"""
    merged, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize: t3.micro\n  aws:region: us-west-1",
        "config:\n  instanceSize: 9999\n  aws:region: 42",
    )
    assert problems == [] and merged == {"test:instanceSize": 9999, "aws:region": 42}


def test_untyped_project_config_values_with_only_default_or_only_value() -> None:
    """TestUntypedProjectConfigValuesWithOnlyDefaultOrOnlyValue"""
    merged, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n    default: t3.micro\n  region:\n    value: us-west-1",
        "config:\n  aws:answer: 42",
    )
    assert problems == []
    assert merged == {"aws:answer": 42, "test:instanceSize": "t3.micro", "test:region": "us-west-1"}


def test_untyped_stack_config_values_do_not_need_project_declaration() -> None:
    """TestUntypedStackConfigValuesDoNeedProjectDeclaration (the stack may set undeclared keys)"""
    merged, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  createVpc: true", "config:\n  instanceSize: 42"
    )
    assert problems == [] and merged == {"test:instanceSize": 42, "test:createVpc": True}


def test_untyped_project_config_object_values_passed_down_to_stack() -> None:
    """TestUntypedProjectConfigObjectValuesPassedDownToStack"""
    merged, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  instanceSize:\n    value:\n      hello: world\n"
        "  aws:config:\n    value:\n      region: us-west-1",
        "config:\n  aws:whatever: 42",
    )
    assert problems == []
    assert merged["test:instanceSize"] == {"hello": "world"} and merged["aws:config"] == {
        "region": "us-west-1"
    }


def test_stack_config_errors_when_stack_value_is_not_correctly_typed() -> None:
    """TestStackConfigErrorsWhenStackValueIsNotCorrectlyTyped"""
    _, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  values:\n    type: array\n    items:\n      type: string\n"
        "    default: [value]",
        "config:\n  test:values: someValue\n",
    )
    assert problems == ["Stack 'dev' with configuration key 'values' must be of type 'array<string>'"]


def test_stack_config_integer_type_is_correctly_validated() -> None:
    """TestStackConfigIntegerTypeIsCorrectlyValidated"""
    project = "name: test\nruntime: dotnet\nconfig:\n  importantNumber:\n    type: integer\n"
    assert _merge(project, "config:\n  test:importantNumber: 20\n")[1] == []
    assert _merge(project, "config:\n  test:importantNumber: hello\n")[1] == [
        "Stack 'dev' with configuration key 'importantNumber' must be of type 'integer'"
    ]


def test_stack_config_errors_when_missing_stack_value_for_config_type_with_no_default() -> None:
    """TestStackConfigErrorsWhenMissingStackValueForConfigTypeWithNoDefault"""
    _, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  values:\n    type: array\n    items:\n      type: string", ""
    )
    assert problems == ["Stack 'dev' is missing configuration value 'values'"]


def test_stack_config_errors_when_missing_several_stack_values() -> None:
    """TestStackConfigErrorsWhenMissingTwoStackValueForConfigTypeWithNoDefault and ...Multiple...:
    the CLI joins them in one sentence; here each missing key is its own line."""
    _, problems = _merge(
        "name: test\nruntime: dotnet\nconfig:\n  hello:\n    type: integer\n"
        "  values:\n    type: array\n    items:\n      type: string\n  world:\n    type: string",
        "",
    )
    assert problems == [
        "Stack 'dev' is missing configuration value 'hello'",
        "Stack 'dev' is missing configuration value 'values'",
        "Stack 'dev' is missing configuration value 'world'",
    ]


def test_stack_config_does_not_error_when_project_has_not_defined_config() -> None:
    """TestStackConfigDoesNotErrorWhenProjectHasNotDefinedConfig"""
    assert _merge("name: test\nruntime: dotnet", "config:\n  hello: 21\n  world: 42\n  another: 42")[1] == []


def test_stack_config_secret_is_correctly_validated() -> None:
    """TestStackConfigSecretIsCorrectlyValidated"""
    project = (
        "name: test\nruntime: dotnet\nconfig:\n  importantNumber:\n    type: integer\n    secret: true\n"
    )
    assert _merge(project, "config:\n  test:importantNumber:\n    secure: MjA=\n")[1] == []
    assert _merge(project, "config:\n  test:importantNumber: 20\n")[1] == [
        "Stack 'dev' with configuration key 'importantNumber' must be encrypted as it's secret"
    ]


def test_unparseable_stack_config_key_is_refused() -> None:
    """config.ParseKey: <namespace>:<name>, or the old <namespace>:config:<name>."""
    merged, problems = _merge("name: test\nruntime: dotnet", "config:\n  aws:config:region: x\n  a:b:c: y")
    assert merged == {"aws:region": "x"}
    assert problems == [
        "could not parse a:b:c as a configuration key "
        "(configuration keys should be of the form `<namespace>:<name>`)"
    ]


# The repository's own files


STACK_FILES = sorted(PROJECT_DIR.glob("Pulumi.*.yaml"))


def test_the_project_file_passes() -> None:
    project = load_project(yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text(encoding="utf-8")))
    # The account stack and the environment stacks share no section, so none may be required of all.
    assert project.config == {}


@pytest.mark.parametrize("path", STACK_FILES, ids=[path.name for path in STACK_FILES])
def test_every_stack_file_passes_the_cli_rules(path: Path) -> None:
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    config = read_stack_config(PROJECT_DIR, stack)
    assert config.values["aws:region"] == "ap-northeast-2"
    section = "kubeboard:account" if stack == "shared" else "kubeboard:platform"
    assert section in config.values


def _copy(tmp_path: Path) -> Path:
    for path in [PROJECT_DIR / "__main__.py", PROJECT_DIR / "Pulumi.yaml", *STACK_FILES]:
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_typed_aws_region_in_the_project_file_stops_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _copy(tmp_path)
    document = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8"))
    document.setdefault("config", {})["aws:region"] = {
        "type": "string",
        "description": "AWS region of the stack",
    }
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    code = main(["plan", "dev", "--cwd", str(project), "--out", str(project / "out")])

    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert (
        "Pulumi.yaml: aws:region: Configuration key 'aws:region' is not namespaced by the project "
        "and should not define a type"
    ) in err
    assert not (project / "out" / "plan.json").exists()


def test_a_new_required_key_must_be_set_in_every_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _copy(tmp_path)
    document = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8"))
    document.setdefault("config", {})["owner"] = {
        "type": "string",
        "description": "who answers for the stack",
    }
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    code = main(["plan", "dev", "--cwd", str(project), "--out", str(project / "out")])

    assert code == EXIT_CONFIG
    assert "Pulumi.dev.yaml: kubeboard:owner: Stack 'dev' is missing configuration value 'owner'" in (
        capsys.readouterr().err
    )


def test_the_plan_of_an_unchanged_copy_passes(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    assert main(["plan", "dev", "--cwd", str(project), "--out", str(project / "out"), "--quiet"]) == EXIT_OK
