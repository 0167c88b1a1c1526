"""User-written K and update maps through the CLI (issue 3's required behaviour), each
verdict cross-checked against an independent float64 or SymPy computation."""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import reference as ref
from numeric.problem import random_problem
from verify.cli.app import main

SMALL = ["--n", "3", "--d", "6", "--k", "2", "--dps", "30"]


def run(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, json.loads(out.out) if "--json" in argv and out.out else out.out, out.err


def claims(rec, cid):
    return [c for c in rec["claims"] if c["id"] == cid]


def float_dspgd(grad, frac, L=1.0):
    p = random_problem(3, 6, 2, seed=0)
    X, Y, W0 = np.asarray(p.X), np.asarray(p.Y), np.asarray(p.W0)
    eta = ref.eta_from_fraction(X, L, frac)
    W = W0.copy()
    for _ in range(100_000):
        R = X @ W - Y
        if np.linalg.norm(R) < 1e-13:
            break
        W = W - eta * grad(X.T @ R)
    return W, ref.w_gd(X, Y, W0), W0


def test_isotropic_sqrt_verifies_isotropic_bias(capsys):
    code, rec, err = run(capsys, ["check", "--K", "sqrt(1 + r**2) - 1", "--structure", "isotropic", *SMALL, "--json"])
    assert err == ""
    assert [c["verdict"] for c in claims(rec, "isotropic_bias")] == ["verified", "verified"]
    assert claims(rec, "assumptions")[0]["verdict"] == "verified"
    assert rec["preconditioner"]["L"].startswith("1")
    W, wgd, W0 = float_dspgd(lambda G: G / np.sqrt(1 + np.sum(G**2)), 0.9)
    assert np.linalg.norm(W - wgd) < 1e-9 * np.linalg.norm(wgd - W0)


def test_entrywise_logcosh_verifies_lr_dependence(capsys):
    code, rec, _ = run(capsys, ["check", "--K", "log(cosh(g))", "--structure", "entrywise", *SMALL, "--json"])
    lr = claims(rec, "lr_dependence")[0]
    assert lr["verdict"] == "verified"
    W1, wgd, W0 = float_dspgd(np.tanh, 0.45)
    W2, _, _ = float_dspgd(np.tanh, 0.9)
    d = np.linalg.norm(W1 - W2) / np.linalg.norm(wgd - W0)
    assert float(lr["evidence"]["max_pairwise_distance"]) == pytest.approx(d, rel=1e-6)


def test_spectral_sqrt_verifies_row_space_bias(capsys):
    code, rec, _ = run(capsys, ["check", "--K", "sqrt(1 + s**2) - 1", "--structure", "spectral", *SMALL, "--json"])
    assert [c["verdict"] for c in claims(rec, "row_space_bias")] == ["verified", "verified"]
    assert [c["verdict"] for c in claims(rec, "isotropic_bias")] == ["not_applicable"] * 2

    def grad(G):
        U, s, Vt = np.linalg.svd(G, full_matrices=False)
        return (U * (s / np.sqrt(1 + s**2))) @ Vt
    W, wgd, W0 = float_dspgd(grad, 0.9)
    assert np.linalg.norm(W - wgd) < 1e-9 * np.linalg.norm(wgd - W0)


def test_entrywise_update_map_is_integrated_and_runs(capsys):
    code, rec, _ = run(capsys, ["check", "--update", "G + G**3", "--structure", "entrywise", "--n", "2", "--d", "4",
                                "--k", "1", "--dps", "30", "--lr-frac", "0.9", "--json"])
    g = sp.Symbol("g", real=True)
    recon = rec["preconditioner"]["reconstruction"]
    from symbolic.parser import parse_expression
    k = parse_expression(recon.split("=")[-1].strip(), {"g": g})
    assert sp.simplify(k - (g**2 / 2 + g**4 / 4)) == 0
    conv = claims(rec, "convergence")
    assert conv and all(c["verdict"] == "verified" for c in conv)
    a = claims(rec, "assumptions")[0]
    assert a["verdict"] == "verified"
    assert a["evidence"]["lipschitz"]["method"] == "interval"  # L only on the visited ball: g + g^3 is not globally Lipschitz
    assert a["evidence"]["lipschitz"]["status"] == "proved"


def test_non_gradient_general_update_is_stopped_with_exit_1(capsys):
    code, rec, _ = run(capsys, ["check", "--update", "[[G_1_1 + 2*G_2_1], [G_2_1]]", "--structure", "general",
                                "--d", "2", "--k", "1", "--n", "1", "--json"])
    assert code == 1
    assert "stopped" in rec
    a = claims(rec, "assumptions")[0]
    assert a["verdict"] == "refuted"
    ce = a["evidence"]["integrable"]["counterexample"]
    # independent: dU_1/dG_2_1 = 2 but dU_2/dG_1_1 = 0
    assert {ce["value"], ce["transposed_value"]} == {"2", "0"}
    assert [c["id"] for c in rec["claims"]] == ["assumptions"]  # nothing ran


def test_nonconvex_isotropic_k_refuted_with_a_point(capsys):
    code, rec, _ = run(capsys, ["check", "--K", "-log(1 + r**2)", "--structure", "isotropic", *SMALL, "--json"])
    assert code == 1
    a = claims(rec, "assumptions")[0]
    assert a["verdict"] == "refuted"
    ce = a["evidence"]["convex"]["counterexample"]
    r = sp.Rational(ce["x"])
    h2 = sp.diff(-sp.log(1 + sp.Symbol("r") ** 2), sp.Symbol("r"), 2).subs(sp.Symbol("r"), r)
    assert h2 < 0  # the reported point really has negative curvature
    code, out, _ = run(capsys, ["check", "--K", "-log(1 + r**2)", "--structure", "isotropic", *SMALL])
    assert "STOPPED" in out and "counterexample" in out


@pytest.mark.parametrize("argv, needle", [
    (["--K", "__import__('os')", "--structure", "isotropic"], "__import__"),
    (["--K", "9**9**9**9", "--structure", "isotropic"], "exponent"),
    (["--K", "r**2", "--structure", "bogus"], "structure"),
    (["--K", "r**2"], "--structure"),
    (["--K", "g**2", "--structure", "isotropic"], "g"),
    (["--update", "[[G_1_1]]", "--structure", "general"], "matrix"),
    (["--K", "r**2", "--preconditioner", "gd", "--structure", "isotropic"], "exclude"),
    (["--structure", "isotropic"], "--structure needs"),
])
def test_bad_custom_input_exits_2(capsys, argv, needle):
    code = main(["check", *argv, *SMALL, "--max-iter", "5"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err, err


def test_hostile_k_is_never_executed(capsys, tmp_path):
    canary = tmp_path / "canary"
    payloads = [f"__import__('pathlib').Path('{canary}').touch()", f"open('{canary}', 'w')",
                f"exec(\"open('{canary}','w')\")", "().__class__.__bases__[0].__subclasses__()"]
    for text in payloads:
        for flag in (["--K", text, "--structure", "entrywise"], ["--update", text]):
            code = main(["check", *flag, *SMALL, "--max-iter", "5"])
            err = capsys.readouterr().err
            assert code == 2 and "Traceback" not in err
    assert not canary.exists()


def test_general_k_hessian_and_invariance(capsys):
    """A right-preconditioning K = tr(G M G^T)/2 is left-invariant (row_space_bias applies);
    a left-preconditioning one is not."""
    code, rec, _ = run(capsys, ["check", "--K", "(G_1_1**2 + G_2_1**2 + G_3_1**2)/2 + 2*(G_1_2**2 + G_2_2**2 + G_3_2**2)",
                                "--structure", "general", "--n", "2", "--d", "3", "--k", "2", "--dps", "30", "--json"])
    assert rec["preconditioner"]["facts"]["left_invariant"] == "proved"
    assert [c["verdict"] for c in claims(rec, "row_space_bias")] == ["verified", "verified"]
    code, rec, _ = run(capsys, ["check", "--K", "(G_1_1**2 + G_1_2**2)/2 + 2*(G_2_1**2 + G_2_2**2) + (G_3_1**2 + G_3_2**2)/2",
                                "--structure", "general", "--n", "2", "--d", "3", "--k", "2", "--dps", "30", "--json"])
    assert rec["preconditioner"]["facts"]["left_invariant"] == "refuted"
    assert claims(rec, "lr_dependence")[0]["verdict"] in ("refuted", "inconclusive")  # quadratic K: eta-independent
