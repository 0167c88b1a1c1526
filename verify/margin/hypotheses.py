"""The hypotheses of paper 2's theorems for one run, each ``holds | violated | assumed``
(docs/theory.md §6.1).

=========================================  =====================================================
hypothesis                                  checked as
=========================================  =====================================================
(M1) smoothness                             the model is ``C^1`` in ``theta`` (plain ReLU is not)
(M2) homogeneity                            degree ``L`` of the model (holds by construction)
(LR) learning-rate schedule                 ``eta_t = eta_0 (t+1)^-alpha``: ``sum eta_t = inf``
                                            (``alpha <= 1``) and ``eta_t = o(t^(1/L - 1))``
                                            (``alpha > 1 - 1/L``); a constant rate violates it
Adam: eps = 0                               the run's ``eps``
Adam: beta1 <= beta2                        ``c1 >= c2`` (refused with exit 2 otherwise)
Adam: (A1) nonzero initial gradient         every coordinate Adam updates has ``g_0[j] != 0``
Muon: exact orthogonalization               the polar factor, not Newton-Schulz
(T2) directional convergence                assumed (never provable from a finite run); the
                                            cosine between ``theta_{T/2}`` and ``theta_T`` is
                                            shown as evidence
=========================================  =====================================================

A claim of a run with a violated hypothesis is *outside the theorem*: its verdict describes the
run, never refutes the paper.
"""
from __future__ import annotations

import numpy as np

ADAM_FAMILY = ("adam", "muon-adam")


def _h(name: str, status: str, detail: str) -> dict:
    return {"name": name, "status": status, "detail": detail}


def schedule_condition(alpha: float, L: int) -> tuple[str, str]:
    """``(status, detail)`` of the schedule condition for ``eta_t ~ t^-alpha`` and degree ``L``."""
    bound = 1 - 1 / L
    detail = (f"eta_t ~ t^-{alpha:g} against the condition eta_t = o(t^(1/L - 1)) = o(t^-{bound:.4g}) "
              f"with sum eta_t = inf, i.e. {bound:.4g} < alpha <= 1 for L = {L}")
    if alpha > 1:
        return "violated", detail + ": the rates are summable"
    if alpha <= bound:
        what = "a constant rate" if alpha == 0 else f"alpha = {alpha:g}"
        return "violated", detail + f": {what} does not decay fast enough"
    return "holds", detail


def run_hypotheses(prob, opt, schedule, init_gradient: np.ndarray | None, cosine_half: float | None) -> list[dict]:
    """The hypotheses list of one run (see the module table)."""
    L = prob.degree
    out = [
        _h("smoothness (M1)", "holds" if prob.smooth else "violated",
           "the model is C^1 in its parameters" if prob.smooth
           else "plain ReLU is not C^1: paper 2's (M1) excludes it (the weak version needs an extra assumption)"),
        _h("homogeneity (M2)", "holds", f"f(x; c theta) = c^{L} f(x; theta): degree L = {L}"),
    ]
    if opt.name == "gd":
        status, detail = schedule_condition(schedule.alpha, L)
        if L == 1 and schedule.alpha == 0:
            status, detail = "assumed", ("unnormalized GD at a constant rate on a linear model: Soudry et al. "
                                         "(2018) need a rate below 2 / smoothness, which is not checked")
        out.append(_h("learning-rate schedule (LR)", status, detail))
    else:
        out.append(_h("learning-rate schedule (LR)", *schedule_condition(schedule.alpha, L)))
    if opt.name in ADAM_FAMILY:
        eps = float(opt.params.get("eps", 0.0))
        out.append(_h("Adam: eps = 0", "holds" if eps == 0 else "violated",
                      f"eps = {eps:g}" + ("" if eps == 0 else ": once sqrt(v) < eps Adam turns into GD")))
        b1, b2 = float(opt.params.get("beta1", 0)), float(opt.params.get("beta2", 0))
        out.append(_h("Adam: beta1 <= beta2", "holds" if b1 <= b2 else "violated", f"beta1 = {b1:g}, beta2 = {b2:g}"))
        if init_gradient is None:
            out.append(_h("Adam: nonzero initial gradient coordinates (A1)", "assumed", "no initial gradient"))
        else:
            g = init_gradient[prob.W_size:] if opt.name == "muon-adam" else init_gradient
            zero = np.flatnonzero(g == 0)
            off = prob.W_size if opt.name == "muon-adam" else 0
            out.append(_h("Adam: nonzero initial gradient coordinates (A1)", "violated" if zero.size else "holds",
                          f"coordinates {', '.join(str(int(j) + off) for j in zero[:8])}"
                          f"{' ...' if zero.size > 8 else ''} of theta have g_0 = 0 (an all-zero feature column?)"
                          if zero.size else f"all {g.size} coordinates Adam updates have g_0 != 0"))
    if opt.name == "update":
        out.append(_h("steepest descent in a norm", "assumed",
                      f"the update {opt.params.get('update')!r} is the researcher's: whether it is (approximate) "
                      f"steepest descent for some norm is not checked"))
    if opt.name == "muon-ns":
        out.append(_h("Muon: exact orthogonalization", "violated",
                      "Newton-Schulz-5 is not the polar factor paper 2 analyses"))
    cos = "" if cosine_half is None else f"; cosine(theta_T/2, theta_T) = {cosine_half:.6f}"
    out.append(_h("directional convergence (T2)", "assumed",
                  "theta_t / ||theta_t|| converges: assumed by paper 2, not provable from a finite run" + cos))
    return out


def violated(hyps: list[dict]) -> list[str]:
    return [h["name"] for h in hyps if h["status"] == "violated"]


def outside_note(hyps: list[dict]) -> str | None:
    """The sentence a claim of a run outside the theorem carries (``None`` inside it)."""
    v = violated(hyps)
    if not v:
        return None
    return (f"outside the theorem (violated: {'; '.join(v)}): this verdict is about this run, "
            f"not a statement about paper 2")
