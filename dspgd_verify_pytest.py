"""pytest plugin of dspgd-verify (entry point ``pytest11``): ``--campaign`` runs the long property campaigns.

It costs nothing and changes nothing unless ``--campaign`` is given: it only registers that
option (no import of the toolkit, of hypothesis or of anything else).  Its module name is
unique, so another distribution that provides a package ``verify``, ``symbolic`` or ``proofs``
cannot break pytest by shadowing the toolkit.

With ``--campaign``:

* the marker ``campaign`` is registered and the selection becomes ``campaign`` combined with
  your own ``-m``: ``pytest --campaign -m slow`` runs the tests marked both ``campaign`` and
  ``slow`` (the project default ``-m 'not campaign'`` is dropped, not combined);
* the hypothesis profile ``campaign`` is loaded (registered here with ``max_examples=2000``, no
  deadline, random seeds, unless a conftest already registered one of that name).

Your own suite gets ``--campaign`` too: mark long ``@given`` tests ``@pytest.mark.campaign``
and add ``addopts = "-m 'not campaign'"`` to your pytest configuration.
"""
from __future__ import annotations

CAMPAIGN_PROFILE = "campaign"
_DEFAULT_EXCLUSION = "not campaign"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("dspgd-verify")
    group.addoption("--campaign", action="store_true", default=False,
                    help="run only the long campaigns (tests marked 'campaign', combined with -m) with the "
                         "hypothesis profile 'campaign'")


def campaign_markexpr(user: str | None) -> str:
    """``campaign``, or ``campaign and (user)`` for a user's ``-m`` other than the default exclusion."""
    expr = (user or "").strip()
    if not expr or expr == _DEFAULT_EXCLUSION:
        return "campaign"
    return f"campaign and ({expr})"


def pytest_configure(config) -> None:
    if not config.getoption("campaign", default=False):
        return
    config.addinivalue_line("markers", "campaign: long property-based campaigns (opt-in: pytest --campaign)")
    config.option.markexpr = campaign_markexpr(getattr(config.option, "markexpr", ""))
    from hypothesis import HealthCheck, settings
    try:
        settings.get_profile(CAMPAIGN_PROFILE)
    except Exception:  # InvalidArgument: not registered by a conftest
        settings.register_profile(CAMPAIGN_PROFILE, deadline=None, derandomize=False, max_examples=2000,
                                  suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(CAMPAIGN_PROFILE)


def pytest_report_header(config) -> list[str]:
    if config.getoption("campaign", default=False):
        return [f"dspgd-verify: --campaign (-m {config.option.markexpr!r}, hypothesis profile 'campaign')"]
    return []
