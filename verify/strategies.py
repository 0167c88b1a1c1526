"""Moved to :mod:`verify.campaign.strategies`; kept for compatibility (``from verify.strategies import ...``)."""
from verify.campaign.strategies import *  # noqa: F401,F403
from verify.campaign.strategies import (  # noqa: F401
    __all__, catalog_preconditioners, convex_k_expressions, convex_preconditioners, fast_settings, lr_fractions,
    problems,
)
