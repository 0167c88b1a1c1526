"""Moved to :mod:`dspgd_verify_pytest`; kept for compatibility (``-p verify.pytest_plugin``).

The installed pytest11 entry point names the new module; load only one of the two.
"""
from dspgd_verify_pytest import (CAMPAIGN_PROFILE, campaign_markexpr, pytest_addoption,  # noqa: F401
                                 pytest_configure, pytest_report_header)
