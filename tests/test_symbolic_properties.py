"""Property-based tests over random convex profiles built from a small grammar: conic
combinations of convex, even atoms with f'(0) = 0.  Derived gradients match central
finite differences of K at 50 digits, and the classification matches the construction."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.precision import working_precision
from numeric.preconditioners.from_symbolic import from_profile
from symbolic.user import VARIABLE, user_K

ATOMS = ["{v}**2/2", "sqrt(1 + {v}**2) - 1", "log(cosh({v}))", "abs({v}) - log(1 + abs({v}))", "{v}**4/4"]


@st.composite
def convex_profiles(draw):
    structure = draw(st.sampled_from(["entrywise", "isotropic", "spectral"]))
    chosen = draw(st.lists(st.sampled_from(range(len(ATOMS))), min_size=1, max_size=3, unique=True))
    weights = [draw(st.sampled_from(["1", "1/2", "3", "0.25"])) for _ in chosen]
    v = VARIABLE[structure]
    text = " + ".join(f"{w}*({ATOMS[i].format(v=v)})" for w, i in zip(weights, chosen))
    return structure, text, chosen


def _fd_gradient(ctx, value, G, h):
    out = []
    for j, col in enumerate(G):
        gcol = []
        for i in range(len(col)):
            plus = [list(c) for c in G]
            minus = [list(c) for c in G]
            plus[j][i] += h
            minus[j][i] -= h
            gcol.append((value(ctx, plus) - value(ctx, minus)) / (2 * h))
        out.append(gcol)
    return out


@settings(max_examples=15)
@given(convex_profiles(), st.integers(0, 10_000))
def test_gradient_matches_finite_differences(prof, seed):
    structure, text, _ = prof
    sym = user_K(text, structure, shape=(3, 2))
    pre = from_profile(sym)
    rng = random.Random(seed)
    with working_precision(90) as ctx:
        G = [[ctx.mpf(rng.uniform(-2, 2)) for _ in range(3)] for _ in range(2)]
        fd = _fd_gradient(ctx, pre.value, G, ctx.mpf(10) ** -30)
        an = pre.grad(ctx, G)
        err = max(abs(a - b) for ca, cb in zip(an, fd) for a, b in zip(ca, cb))
        assert err < ctx.mpf(10) ** -50, (text, structure, err)


@settings(max_examples=15)
@given(convex_profiles())
def test_classification_matches_construction(prof):
    structure, text, chosen = prof
    facts = user_K(text, structure, shape=(3, 2)).facts()
    assert facts["convex"].status in ("proved", "unknown")  # never refuted: every atom is convex
    assert facts["grad_zero"].status == "proved"
    purely_quadratic = chosen == [0]
    if structure == "isotropic":
        assert facts["isotropic"].status == "proved"
        assert facts["left_invariant"].status == "proved"
    elif structure == "spectral":
        assert facts["left_invariant"].status == "proved"
        assert facts["isotropic"].status == ("unknown" if purely_quadratic else "refuted")
    else:
        assert facts["left_invariant"].status == ("unknown" if purely_quadratic else "refuted")
