"""Moved to the top-level module :mod:`dspgd_verify_pytest` (the ``pytest11`` entry point), whose
unique name no other distribution's ``verify`` package can shadow; kept for ``-p
verify.campaign.pytest_plugin``.  Load only one of the two."""
from dspgd_verify_pytest import (CAMPAIGN_PROFILE, campaign_markexpr, pytest_addoption,  # noqa: F401
                                 pytest_configure, pytest_report_header)
