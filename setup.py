"""Package list: ``compat/`` sits at the repository's top level but installs as ``ptjax.compat``
(never as a generic top-level module named ``compat``)."""

from setuptools import find_packages, setup

compat = ["ptjax." + p for p in find_packages(include=["compat", "compat.*"])]
setup(
    packages=find_packages(include=["ptjax", "ptjax.*"]) + compat,
    package_dir={"ptjax.compat": "compat"},
)
