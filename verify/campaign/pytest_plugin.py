"""pytest plugin (entry point ``pytest11``): ``--campaign`` runs the long property campaigns.

* registers the marker ``campaign`` (long property-based campaigns, opt-in);
* ``pytest --campaign`` selects exactly the tests marked ``campaign`` (it replaces any ``-m``
  expression, including the project's default ``-m 'not campaign'``) and loads the hypothesis
  profile ``campaign`` (registered here with ``max_examples=2000``, no deadline, random seeds,
  unless a conftest already registered one of that name);
* without ``--campaign`` nothing changes: the quick suite stays quick.

Installed with the package, so your own test suite gets ``--campaign`` too: mark your long
``@given`` tests ``@pytest.mark.campaign`` and add ``addopts = "-m 'not campaign'"`` to
your pytest configuration.
"""
from __future__ import annotations

CAMPAIGN_PROFILE = "campaign"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("dspgd-verify")
    group.addoption("--campaign", action="store_true", default=False,
                    help="run only the long campaigns (tests marked 'campaign') with the hypothesis "
                         "profile 'campaign'")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "campaign: long property-based campaigns (opt-in: pytest --campaign)")
    if not config.getoption("campaign", default=False):
        return
    config.option.markexpr = "campaign"
    from hypothesis import HealthCheck, settings
    try:
        settings.get_profile(CAMPAIGN_PROFILE)
    except Exception:  # InvalidArgument: not registered by a conftest
        settings.register_profile(CAMPAIGN_PROFILE, deadline=None, derandomize=False, max_examples=2000,
                                  suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(CAMPAIGN_PROFILE)


def pytest_report_header(config) -> list[str]:
    if config.getoption("campaign", default=False):
        return ["dspgd-verify: --campaign (tests marked 'campaign', hypothesis profile 'campaign')"]
    return []
