"""The proofs framework: status aggregation, user-registered identities, the CLI."""
from __future__ import annotations

import json

import pytest
import sympy as sp

from proofs.context import ProofContext
from proofs.core import Evidence, Result, Step, combine, run_result
from proofs.registry import Registry
from proofs.user import register_identity


def test_status_aggregation():
    assert combine(["proved", "proved"]) == "proved"
    assert combine(["proved", "verified"]) == "verified"
    assert combine(["verified", "unknown"]) == "unknown"
    assert combine(["proved", "failed", "unknown"]) == "failed"
    assert combine([]) == "unknown"


def test_a_crashing_step_is_unknown_not_proved():
    def boom(context):
        raise RuntimeError("no")
    r = Result("X", "x", "x", "x", (), (Step("explodes", "numeric", boom),))
    out = run_result(r, ProofContext())
    assert out.status == "unknown" and "RuntimeError" in out.detail


def test_user_identity_true_is_proved_and_false_is_refuted_with_a_point():
    reg = Registry()
    a, b = sp.symbols("a b", real=True)
    ok = register_identity("square", (a + b) ** 2, a**2 + 2 * a * b + b**2, "a, b real", registry=reg)
    bad = register_identity("wrong", (a + b) ** 2, a**2 + b**2, "a, b real", registry=reg)
    assert run_result(ok, ProofContext()).status == "proved"
    out = run_result(bad, ProofContext())
    assert out.status == "failed"
    ce = out.steps[0][1].counterexample
    assert ce  # the point where (a + b)^2 != a^2 + b^2
    with pytest.raises(ValueError):
        register_identity("square", a, a, registry=reg)


def test_user_divergence_identity_with_generic_K():
    """A paper's own divergence: the symmetrized Bregman divergence equals <grad K(A) - grad K(B), A - B>."""
    from symbolic import bregman as br
    reg = Registry()
    K = br.undefined_K((2, 1))
    A, B = br.symbol_matrix("a", (2, 1)), br.symbol_matrix("b", (2, 1))
    r = register_identity("sym_bregman", br.bregman(K, A, B) + br.bregman(K, B, A),
                          br.inner(br.grad(K, A) - br.grad(K, B), A - B), "K differentiable", registry=reg)
    assert run_result(r, ProofContext()).status == "proved"


def test_cli_proofs_only_json(capsys):
    from verify.cli.app import main
    code = main(["proofs", "--only", "I3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [r["id"] for r in out["results"]] == ["I3"] and out["results"][0]["status"] == "proved"
    assert {"id", "status", "method", "detail"} <= set(out["results"][0])


@pytest.mark.parametrize("argv, needle", [
    (["proofs", "--only", "NOPE"], "unknown result"),
    (["proofs", "--preconditioner", "bogus"], "unknown preconditioner"),
    (["proofs", "--preconditioner", "adam", "--param", "eps=0"], "eps"),
    (["proofs", "--K", "-log(1 + r**2)", "--structure", "isotropic"], "convex"),
    (["proofs", "--K", "r**2"], "--structure"),
    (["proofs", "--out", "/nonexistent/dir"], "--out"),
])
def test_cli_proofs_bad_input(capsys, argv, needle):
    from verify.cli.app import main
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_registry_is_complete_and_ids_unique():
    from proofs.registry import RESULT_MODULES, builtin_results
    results = builtin_results()
    assert len(results) == len(RESULT_MODULES)
    for r in results.values():
        assert r.latex and r.text and r.steps, r.id
        assert all(s.method in ("symbolic", "numeric", "certificate") for s in r.steps)


@pytest.mark.parametrize("name, expected", [("adam", "verified"), ("ngd", "verified"), ("clip", "verified")])
def test_i1_fenchel_young(name, expected):
    from fractions import Fraction
    from proofs.results import i1
    params = {"c": Fraction(1)} if name == "clip" else {"eps": Fraction(1, 10)}
    out = run_result(i1.RESULT, ProofContext(name=name, params=params).ensure())
    assert out.status == expected, out.detail
