"""Session fixtures: one API stub, the chart rendered with its defaults and each stack's values, and
every Helm release of each stack's plan rendered from its vendored chart package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chart.chart_render import RELEASE_NAMESPACE, STACKS, Rendered, Renderer, stack_values
from tests.chart.cluster_render import RenderedRelease, render_plan
from tests.chart.kube_api_stub import running_stub
from tests.conftest import plan_for


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


@pytest.fixture(scope="session")
def plan_renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[RenderedRelease]]:
    """Every Helm release of each stack's plan, installed in order into an empty stub cluster."""
    workdir = tmp_path_factory.mktemp("plan-renders")
    return {stack: render_plan(plan_for(stack), workdir) for stack in STACKS}
