"""In-cluster add-ons: one declaration (`AddOnDefinition`), one spec (`AddOnSpec`), one installer
(`HelmAddOn`), the catalog of the platform's own, and the EKS managed ones (`managed`)."""

from . import argo_rollouts, aws_load_balancer_controller, cluster_autoscaler, external_dns, metrics_server
from .contract import AddOnDependencyError, AddOnSpec, AddOnSwitch, IrsaSpec, check_dependencies, deep_merge
from .definition import AddOnContext, AddOnDefinition, ManagedAddOnDefinition, NodeGroupAccess
from .release import IRSA_ANNOTATION, HelmAddOn, HelmAddOnArgs, IrsaArgs, helm_addon_args, install_addons

__all__ = [
    "IRSA_ANNOTATION",
    "AddOnContext",
    "AddOnDefinition",
    "AddOnDependencyError",
    "AddOnSpec",
    "AddOnSwitch",
    "HelmAddOn",
    "HelmAddOnArgs",
    "IrsaArgs",
    "IrsaSpec",
    "ManagedAddOnDefinition",
    "NodeGroupAccess",
    "argo_rollouts",
    "aws_load_balancer_controller",
    "check_dependencies",
    "cluster_autoscaler",
    "deep_merge",
    "external_dns",
    "helm_addon_args",
    "install_addons",
    "metrics_server",
]
