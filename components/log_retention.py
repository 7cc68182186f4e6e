"""CloudWatch Logs retention: the only values a log group accepts, and the one check of them."""

# The only values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def retention_problem(days: object) -> str | None:
    """Why ``days`` is not a log group retention, or None when it is one."""
    if isinstance(days, bool) or days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        return f"{days} is not a CloudWatch Logs retention; use one of {allowed}"
    return None
