"""Kubeboard's CrossGuard policy pack.

The policies are plain ``ResourceValidationPolicy`` / ``StackValidationPolicy`` objects in one module
per area. ``policy/__main__.py`` serves them to the Pulumi CLI; ``kubeboard_policy.offline`` runs the
very same objects over an offline plan, so a pull request is judged the same with or without a cloud.
"""

from kubeboard_policy.registry import PACK_NAME, all_policies, policy_by_name

__all__ = ["PACK_NAME", "all_policies", "policy_by_name"]
