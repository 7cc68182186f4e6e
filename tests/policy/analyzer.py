"""Drive the pack through pulumi-policy's own analyzer servicer, as ``pulumi preview`` does over gRPC."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from kubeboard_policy import PACK_NAME, all_policies


def servicer(config: dict[str, Any] | None = None) -> _PolicyAnalyzerServicer:
    analyzer = _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", list(all_policies()), EnforcementLevel.MANDATORY)
    if config:
        request = proto.ConfigureAnalyzerRequest()
        for name, settings in config.items():
            properties = struct_pb2.Struct()
            properties.update(settings)
            request.policyConfig[name].CopyFrom(proto.PolicyConfig(properties=properties))
        analyzer.Configure(request, None)
    return analyzer


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _options(resource: dict[str, Any]) -> Any:
    return proto.AnalyzerResourceOptions(protect=resource["protect"], parent=resource["parent"] or "")


def violations(resources: list[dict[str, Any]], config: dict[str, Any] | None = None) -> set[tuple[str, str]]:
    """(policy, urn) of every diagnostic the CLI would print for these resources."""
    analyzer = servicer(config)
    found: set[tuple[str, str]] = set()
    for resource in resources:
        request = proto.AnalyzeRequest(
            type=resource["type"],
            properties=_struct(resource["inputs"]),
            urn=resource["urn"],
            name=resource["name"],
            options=_options(resource),
        )
        for diagnostic in analyzer.Analyze(request, None).diagnostics:
            # For resource policies the engine attaches the analysed resource's URN itself.
            found.add((diagnostic.policyName, diagnostic.urn or resource["urn"]))
    stack_request = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=r["type"],
                properties=_struct({**r["inputs"], "id": r["id"]}),
                urn=r["urn"],
                name=r["name"],
                options=_options(r),
                parent=r["parent"] or "",
                dependencies=r["dependencies"],
            )
            for r in resources
        ]
    )
    for diagnostic in analyzer.AnalyzeStack(stack_request, None).diagnostics:
        found.add((diagnostic.policyName, diagnostic.urn))
    return found
