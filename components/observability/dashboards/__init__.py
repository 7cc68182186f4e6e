"""Data files of the observability component (packaged so installs carry them)."""
