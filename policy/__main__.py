"""Entry point the Pulumi CLI runs for ``--policy-pack policy``: serve the pack over the analyzer protocol."""

from pulumi_policy import EnforcementLevel, PolicyPack

from kubeboard_policy import PACK_NAME, all_policies

PolicyPack(
    name=PACK_NAME,
    policies=list(all_policies()),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Kubeboard guardrails: S3, EKS, nodes, ECR, EFS, WAF, ingress, Lambda, IAM, VPC, KMS, Helm.",
)
