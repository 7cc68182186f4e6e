"""Namespaces the platform makes itself, labelled for Pod Security Admission before any pod runs there."""

import pulumi
import pulumi_kubernetes as k8s


def pod_security_labels(enforce: str, warn: str | None = None) -> dict[str, str]:
    """Enforce one Pod Security level; warn and audit at `warn` (default: the same level)."""
    reported = warn or enforce
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": reported,
        "pod-security.kubernetes.io/audit": reported,
    }


def labelled_namespace(
    resource_name: str, namespace: str, *, enforce: str, warn: str | None = None, opts: pulumi.ResourceOptions
) -> k8s.core.v1.Namespace:
    """The namespace, made before Helm or Argo CD could create it unlabelled."""
    return k8s.core.v1.Namespace(
        resource_name,
        metadata={"name": namespace, "labels": pod_security_labels(enforce, warn)},
        opts=opts,
    )
