"""Discover the subpackages of components/, lambdas/ and policy/ under their import names.

pyproject.toml maps `kubeboard_infra` to components/, `kubeboard_infra.lambdas` to lambdas/ and
`kubeboard_policy` to policy/; setuptools' own discovery would name them by folder, so the list is
computed here.
"""

from setuptools import find_packages, setup

ROOTS = {"kubeboard_infra": "components", "kubeboard_infra.lambdas": "lambdas", "kubeboard_policy": "policy"}

packages = []
for name, folder in ROOTS.items():
    packages.append(name)
    packages.extend(f"{name}.{sub}" for sub in find_packages(folder))

setup(packages=packages)
