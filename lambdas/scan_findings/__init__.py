"""Lambda that turns ECR basic and Inspector enhanced image-scan results into metrics, reports and alerts."""
