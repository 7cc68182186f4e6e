"""Reusable test helpers (chart values checks, rule-file checks)."""
