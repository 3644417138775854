"""Packaging beside pyproject.toml: the top-level ``resources/`` and ``migrations/`` folders go
into the wheel as ``hall_app/_resources`` and ``hall_app/_migrations`` (found at run time by
hall_app/resources.py). pyproject.toml alone cannot add mapped packages to a package search."""

from setuptools import find_packages, setup

DATA_PACKAGES = {"hall_app._resources": "resources", "hall_app._migrations": "migrations"}

setup(
    packages=[*find_packages(include=["hall_app*", "ui*"]), *DATA_PACKAGES],
    package_dir=DATA_PACKAGES,
    package_data={name: ["**/*"] for name in DATA_PACKAGES},
    exclude_package_data={name: ["**/__pycache__/*", "**/*.pyc"] for name in DATA_PACKAGES},
)
