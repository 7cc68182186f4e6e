"""The pack as the Pulumi CLI runs it: `policy/__main__.py` serves the analyzer protocol over gRPC."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from kubeboard_policy import all_policies

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # The engine sets these for the analyzer; the pack uses them to know the stack (prod-only policies).
    env = {**os.environ, "PULUMI_PROJECT": "kubeboard", "PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "true"}
    server = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "policy")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().decode().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_pack_describes_every_policy(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "kubeboard"
    assert sorted(p.name for p in info.policies) == sorted(p.name for p in all_policies())
    assert all(p.description and p.severity for p in info.policies)
    assert all("exceptions" in p.configSchema.properties for p in info.policies)


def test_pack_rejects_a_mutable_repository(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    properties = struct_pb2.Struct()
    properties.update({"imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": True}})
    request = proto.AnalyzeRequest(
        type="aws:ecr/repository:Repository",
        properties=properties,
        urn="urn:pulumi:prod::kubeboard::aws:ecr/repository:Repository::app",
        name="app",
    )
    names = {d.policyName for d in analyzer.Analyze(request).diagnostics}
    assert "aws-ecr-repository-disallow-mutable-image" in names
    assert "aws-ecr-repository-enable-image-scan" not in names


def test_pack_knows_the_stack_is_production(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    urn = "urn:pulumi:prod::kubeboard::aws:efs/fileSystem:FileSystem::shared"
    properties = struct_pb2.Struct()
    properties.update({"encrypted": True})
    resource = proto.AnalyzerResource(
        type="aws:efs/fileSystem:FileSystem", properties=properties, urn=urn, name="shared"
    )
    diagnostics = analyzer.AnalyzeStack(proto.AnalyzeStackRequest(resources=[resource])).diagnostics
    assert ("kubeboard-stateful-resources-protected-in-prod", urn) in {
        (d.policyName, d.urn) for d in diagnostics
    }
