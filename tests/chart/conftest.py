"""Session fixtures: one API stub, and the chart rendered with its defaults and each stack's values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chart.chart_render import RELEASE_NAMESPACE, STACKS, Rendered, Renderer, stack_values
from tests.chart.kube_api_stub import running_stub


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Renderer]:
    with running_stub() as stub:
        kubeconfig = stub.kubeconfig(tmp_path_factory.mktemp("kube") / "config", RELEASE_NAMESPACE)
        yield Renderer(stub, kubeconfig)


@pytest.fixture(scope="session")
def rendered_default(render: Renderer) -> Rendered:
    return render()


@pytest.fixture(scope="session")
def rendered_stacks(render: Renderer) -> dict[str, Rendered]:
    return {stack: render(stack_values(stack)) for stack in STACKS}


@pytest.fixture(scope="session")
def all_renders(rendered_default: Rendered, rendered_stacks: dict[str, Rendered]) -> dict[str, Rendered]:
    return {"default": rendered_default, **rendered_stacks}
