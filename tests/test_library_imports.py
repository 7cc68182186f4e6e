"""The environment components load without the stack-file schema: a program that imports one of
them gets neither ``kubeboard_infra.settings`` nor pydantic."""

import subprocess
import sys

import pytest

MODULES = [
    "kubeboard_infra.network",
    "kubeboard_infra.cluster",
    "kubeboard_infra.node_groups",
    "kubeboard_infra.shared_storage",
    "kubeboard_infra.edge",
    "kubeboard_infra.fleet",
    "kubeboard_infra.environment",
    "kubeboard_infra.contracts",
]
PROBE = """
import sys, importlib
importlib.import_module(sys.argv[1])
print(sorted(n for n in sys.modules if n == "pydantic" or n.startswith("kubeboard_infra.settings")))
"""


@pytest.mark.parametrize("module", MODULES)
def test_the_module_loads_without_the_settings(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_probe_sees_the_settings_when_they_are_loaded() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "kubeboard_infra.settings"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "kubeboard_infra.settings" in result.stdout
