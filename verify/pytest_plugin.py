"""Moved to :mod:`verify.campaign.pytest_plugin`; kept for compatibility (``-p verify.pytest_plugin``).

The installed pytest11 entry point names the new module; load only one of the two.
"""
from verify.campaign.pytest_plugin import *  # noqa: F401,F403
from verify.campaign.pytest_plugin import pytest_addoption, pytest_configure, pytest_report_header  # noqa: F401
