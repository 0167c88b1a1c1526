"""A researcher's own preconditioner (``--K EXPR --structure S`` or ``--update EXPR``).

The text is parsed by the safe parser into a structured symbolic K (or an update map whose
integrability is decided first); its facts are proved before anything runs.  A K that is
not convex, or a map that is not a gradient, stops here: the ``assumptions`` claim is
refuted with the counterexample and no iteration is run.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from numeric.errors import InputError
from numeric.preconditioners.base import Preconditioner
from numeric.preconditioners.from_symbolic import from_general, from_profile
from symbolic.compile import CompileError
from symbolic.errors import ExpressionError
from symbolic.facts import Fact
from symbolic.facts_cache import facts_of
from symbolic.general import GeneralK
from symbolic.timebox import SymbolicTimeout, time_limit
from symbolic.user import user_K, user_update



COMPILE_SECONDS = 60.0  # SymPy's share of compiling grad K (derivatives, limits, L)


@dataclass
class CustomK:
    """The symbolic object, its facts, and (when it may run) the numeric preconditioner."""

    symbolic: object
    facts: dict
    pre: Preconditioner | None
    source: str
    reconstruction: str = ""


def build_custom(K: str | None, update: str | None, structure: str | None,
                 params: dict[str, Fraction], shape: tuple[int, int]) -> CustomK:
    """Parse, classify and prove; compile to numeric only when the assumptions are not refuted."""
    try:
        if K is not None:
            if structure is None:
                raise InputError("--K needs --structure (entrywise, isotropic, spectral or general)")
            sym = user_K(K, structure, params, shape)
            facts = facts_of(sym)  # proved once per K (symbolic.facts_cache)
            reconstruction = ""
            source = K
        else:
            analysis = user_update(update, structure or "entrywise", params, shape)
            source = update
            reconstruction = analysis.reconstruction
            if analysis.integrable.status == "refuted" or analysis.K is None:
                return CustomK(None, {"integrable": analysis.integrable}, None, source, reconstruction)
            sym = analysis.K
            facts = {"integrable": analysis.integrable, **facts_of(sym)}
    except ExpressionError as exc:
        raise InputError(str(exc)) from None
    if facts["convex"].status == "refuted" or facts.get("grad_zero", Fact("", "", "unknown", "")).status == "refuted":
        return CustomK(sym, facts, None, source, reconstruction)
    try:
        with time_limit(COMPILE_SECONDS):
            pre = from_general(sym) if isinstance(sym, GeneralK) else from_profile(sym)
    except CompileError as exc:
        raise InputError(f"cannot evaluate this K numerically: {exc}") from None
    except SymbolicTimeout:
        raise InputError(f"cannot prepare this K numerically: SymPy did not finish within {COMPILE_SECONDS:g} s") from None
    except (TypeError, ValueError, NotImplementedError, ZeroDivisionError) as exc:
        raise InputError(f"cannot evaluate this K numerically: SymPy failed ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:150]})") from None
    return CustomK(sym, facts, pre, source, reconstruction)
