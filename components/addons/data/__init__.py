"""Upstream data files the add-ons use verbatim (e.g. IAM policies at a pinned version)."""
