"""Policy evaluation time: the prod plan and a synthetic graph of 10,000 resources.

    .venv/bin/python benchmarks/policy_bench.py [--resources 10000] [--repeat 3] [--no-plan-run]

Prints, for the prod plan (out/prod/plan.json when present, else a fresh `kubeboard plan prod`),
the pack's evaluation time beside the wall time of the whole `kubeboard plan prod` (target: under
20%), and for a generated graph of N resources the evaluation time (target: under 5 s for 10,000),
beside the same pack run without the type index (every resource offered to every policy).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kubeboard_policy import offline  # noqa: E402
from kubeboard_policy.config import load_stack_config  # noqa: E402
from kubeboard_policy.registry import all_policies  # noqa: E402


def _timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _run_plan(stack: str, out: Path) -> float:
    kubeboard = ROOT / ".venv" / "bin" / "kubeboard"
    start = time.perf_counter()
    subprocess.run(
        [str(kubeboard), "plan", stack, "--cwd", str(ROOT), "--out", str(out), "--quiet"],
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - start


def _resource(
    kind: str, name: str, inputs: dict[str, Any], deps: tuple[str, ...] = (), protect: bool = False
) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:prod::kubeboard::{kind}::{name}",
        "id": f"{name}-id",
        "type": kind,
        "name": name,
        "parent": None,
        "provider": None,
        "protect": protect,
        "dependencies": list(deps),
        "inputs": inputs,
    }


def synthetic_graph(size: int) -> list[dict[str, Any]]:
    """A platform-shaped graph: blocks of 20 resources of the types the pack reads, and some it ignores."""
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": "arn:aws:s3:::b/*",
                },
                {"Effect": "Allow", "Action": ["ec2:DescribeInstances"], "Resource": "*"},
            ],
        }
    )
    resources: list[dict[str, Any]] = []
    block = 0
    while len(resources) < size:
        b = f"b{block}"
        vpc = _resource("aws:ec2/vpc:Vpc", f"{b}-vpc", {"cidrBlock": "10.0.0.0/16"})
        subnet = _resource(
            "aws:ec2/subnet:Subnet",
            f"{b}-subnet",
            {"vpcId": vpc["id"], "availabilityZone": "ap-northeast-2a"},
            (vpc["urn"],),
        )
        bucket = _resource(
            "aws:s3/bucket:Bucket",
            f"{b}-bucket",
            {"bucket": f"kb-{b}", "tags": {"Team": "platform"}},
            protect=True,
        )
        ref = {"bucket": bucket["id"]}
        resources += [
            vpc,
            subnet,
            _resource(
                "aws:ec2/flowLog:FlowLog",
                f"{b}-flow",
                {"vpcId": vpc["id"], "trafficType": "ALL"},
                (vpc["urn"],),
            ),
            _resource(
                "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                f"{b}-dsg",
                {"vpcId": vpc["id"]},
                (vpc["urn"],),
            ),
            _resource(
                "aws:ec2/securityGroup:SecurityGroup",
                f"{b}-sg",
                {
                    "vpcId": vpc["id"],
                    "ingress": [
                        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}
                    ],
                },
            ),
            bucket,
            _resource(
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                f"{b}-pab",
                {
                    **ref,
                    "blockPublicAcls": True,
                    "blockPublicPolicy": True,
                    "ignorePublicAcls": True,
                    "restrictPublicBuckets": True,
                },
                (bucket["urn"],),
            ),
            _resource(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                f"{b}-sse",
                {**ref, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
                (bucket["urn"],),
            ),
            _resource(
                "aws:s3/bucketVersioning:BucketVersioning",
                f"{b}-ver",
                {**ref, "versioningConfiguration": {"status": "Enabled"}},
                (bucket["urn"],),
            ),
            _resource(
                "aws:s3/bucketPolicy:BucketPolicy",
                f"{b}-pol",
                {
                    **ref,
                    "policy": json.dumps(
                        {
                            "Statement": [
                                {
                                    "Effect": "Deny",
                                    "Principal": "*",
                                    "Action": "s3:*",
                                    "Resource": "*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            ]
                        }
                    ),
                },
                (bucket["urn"],),
            ),
            _resource(
                "aws:iam/role:Role",
                f"{b}-role",
                {
                    "assumeRolePolicy": json.dumps(
                        {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "lambda.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                }
                            ]
                        }
                    )
                },
            ),
            _resource("aws:iam/policy:Policy", f"{b}-policy", {"policy": document}),
            _resource(
                "aws:cloudwatch/logGroup:LogGroup",
                f"{b}-lg",
                {"name": f"/aws/lambda/{b}-fn", "retentionInDays": 365},
            ),
            _resource(
                "aws:lambda/function:Function",
                f"{b}-fn",
                {
                    "name": f"{b}-fn",
                    "reservedConcurrentExecutions": 2,
                    "deadLetterConfig": {"targetArn": "arn:sqs"},
                },
            ),
            _resource("aws:kms/key:Key", f"{b}-key", {"enableKeyRotation": True}, protect=True),
            _resource(
                "aws:ecr/repository:Repository",
                f"{b}-repo",
                {
                    "imageTagMutability": "IMMUTABLE",
                    "imageScanningConfiguration": {"scanOnPush": True},
                    "encryptionConfigurations": [{"encryptionType": "KMS"}],
                },
                protect=True,
            ),
            _resource(
                "kubernetes:networking.k8s.io/v1:Ingress",
                f"{b}-ing",
                {
                    "metadata": {"annotations": {"alb.ingress.kubernetes.io/wafv2-acl-arn": "arn:acl"}},
                    "spec": {"ingressClassName": "alb"},
                },
            ),
            _resource(
                "kubernetes:helm.sh/v3:Release",
                f"{b}-rel",
                {
                    "chart": "x",
                    "version": "1.2.3",
                    "repositoryOpts": {"repo": "https://charts.example.com"},
                    "values": {"ingress": {"enabled": False}},
                },
            ),
            _resource("aws:ec2/routeTable:RouteTable", f"{b}-rt", {"vpcId": vpc["id"]}, (vpc["urn"],)),
            _resource("kubernetes:core/v1:ConfigMap", f"{b}-cm", {"data": {"k": "v"}}),
        ]
        block += 1
    return resources[:size]


def _without_index(resources: list[dict[str, Any]], stack: str) -> None:
    """The same evaluation with every resource offered to every resource policy (no type index)."""
    original = offline._type_index

    def unindexed(policies: Any) -> Any:
        everything = list(policies)
        return {r["type"]: everything for r in resources}

    offline._type_index = unindexed
    try:
        offline.evaluate(resources, stack)
    finally:
        offline._type_index = original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-plan-run", action="store_true", help="do not time a fresh `kubeboard plan prod`"
    )
    args = parser.parse_args()

    print(f"policy pack: {len(all_policies())} policies; config {load_stack_config('prod').source}")
    # A fresh `kubeboard plan prod` is both the timing baseline and the plan judged; with
    # --no-plan-run the last plan in out/prod/ is judged instead.
    plan_path = ROOT / "out" / "prod" / "plan.json"
    plan_seconds = None
    with tempfile.TemporaryDirectory() as scratch:
        if not args.no_plan_run or not plan_path.exists():
            plan_seconds = _run_plan("prod", Path(scratch))
            plan_path = Path(scratch) / "plan.json"
        if not plan_path.exists():
            print("error: no prod plan (kubeboard plan prod failed)", file=sys.stderr)
            return 1
        plan = json.loads(plan_path.read_text())
        source = "fresh plan" if plan_seconds is not None else str(plan_path.relative_to(ROOT))
    prod = plan["resources"]
    seconds, section = _timed(lambda: offline.evaluate(prod, "prod"), args.repeat)
    print(
        f"prod plan ({source}): "
        f"{len(prod)} resources, {len(section['results'])} results, "
        f"{section['mandatoryViolations']} mandatory"
    )
    print(f"  policy evaluation: {seconds * 1000:.1f} ms (median of {args.repeat})")
    if plan_seconds is not None:
        print(
            f"  kubeboard plan prod wall time: {plan_seconds:.2f} s -> policies are "
            f"{100 * seconds / plan_seconds:.2f}% of plan time (target < 20%)"
        )

    graph = synthetic_graph(args.resources)
    seconds, section = _timed(lambda: offline.evaluate(graph, "prod"), args.repeat)
    per_resource = seconds / len(graph) * 1e6
    print(f"synthetic graph: {len(graph)} resources, {len(section['results'])} results")
    print(
        f"  policy evaluation: {seconds:.2f} s ({per_resource:.0f} us/resource, "
        f"median of {args.repeat}; target < 5 s)"
    )
    unindexed, _ = _timed(lambda: _without_index(graph, "prod"), 1)
    print(f"  same without the type index: {unindexed:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
