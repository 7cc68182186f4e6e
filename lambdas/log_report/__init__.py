"""Turns one exported window of error lines (gzip JSON lines in S3) into a grouped error report."""
