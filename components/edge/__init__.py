"""Edge: the ACM certificate, the WAFv2 WebACL and its logs, the ALB access-log bucket, and the
ingress contract every platform UI uses to sit behind them."""

from .component import Edge, EdgeArgs, EdgeConfig
from .ingress import REQUIRED_ANNOTATIONS, IngressContract, IngressValuesShape

__all__ = ["REQUIRED_ANNOTATIONS", "Edge", "EdgeArgs", "EdgeConfig", "IngressContract", "IngressValuesShape"]
