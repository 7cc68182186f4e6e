"""The stateful API stub behaves as much like an empty cluster as Helm's install needs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.chart.kube_api_stub import ApiStub, running_stub

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{"name": "v1", "served": True, "storage": True}],
    },
}


def _call(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_created_crd_is_established_and_its_kind_is_served() -> None:
    with running_stub(ApiStub(stateful=True)) as stub:
        assert _call(f"{stub.url}/apis/example.com/v1")[0] == 404
        assert (
            _call(f"{stub.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "POST", CRD)[0] == 201
        )
        status, body = _call(
            f"{stub.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"
        )
        conditions = {c["type"]: c["status"] for c in json.loads(body)["status"]["conditions"]}
        assert status == 200 and conditions["Established"] == "True"
        served = json.loads(_call(f"{stub.url}/apis/example.com/v1")[1])
        assert [(r["name"], r["kind"], r["namespaced"]) for r in served["resources"]] == [
            ("widgets", "Widget", True)
        ]
        groups = json.loads(_call(f"{stub.url}/apis")[1])["groups"]
        assert "example.com" in {g["name"] for g in groups}


def test_hook_jobs_complete_and_watches_stream_them_with_a_closing_bookmark() -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "hook", "labels": {"a": "b"}}}
    with running_stub(ApiStub(stateful=True)) as stub:
        jobs = f"{stub.url}/apis/batch/v1/namespaces/ns/jobs"
        assert _call(jobs, "POST", job)[0] == 201
        assert _call(jobs, "POST", job)[0] == 409  # a second object of the same name conflicts
        status = json.loads(_call(f"{jobs}/hook")[1])["status"]
        assert {c["type"] for c in status["conditions"] if c["status"] == "True"} >= {"Complete"}
        assert json.loads(_call(f"{jobs}?labelSelector=a%3Dc")[1])["items"] == []
        _, stream = _call(f"{jobs}?watch=true&sendInitialEvents=true&fieldSelector=metadata.name%3Dhook")
        events = [json.loads(line) for line in stream.splitlines()]
        assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
        assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
        assert _call(f"{jobs}/hook", "DELETE")[0] == 200
        assert _call(f"{jobs}/hook")[0] == 404


def test_the_reported_version_follows_the_cluster() -> None:
    with running_stub(ApiStub().with_version("34")) as stub:
        version = json.loads(_call(f"{stub.url}/version")[1])
    assert (version["major"], version["minor"]) == ("1", "34")
