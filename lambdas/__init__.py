"""Lambda functions and jobs deployed by the platform, one package per function."""
