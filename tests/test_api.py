"""The public Python API (``import verify``): the calls, the results, bad input, the names."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import verify

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(n=2, d=4, k=1, dps=30)


@pytest.fixture(scope="module")
def sympy_result():
    """The notebook's three lines: a SymPy K, a check, a table."""
    r = sp.Symbol("r")
    res = verify.check(sp.sqrt(1 + r**2) - 1, structure="isotropic", **SMALL)
    return res, res.to_dataframe()


def test_sympy_k_in_three_lines_gives_a_table(sympy_result):
    res, df = sympy_result
    assert list(df["claim"])[:4] == ["convergence", "isotropic_bias", "row_space_bias", "general_bound"]
    for col in ("lr", "lr_fraction", "error_bound"):
        assert df[col].dtype == np.float64, col
    assert set(df["verdict"]) <= {"verified", "not_applicable"}
    assert res.exit_status == 0 and res.summary.startswith("every outcome as the papers predict")
    assert res.verdict("isotropic_bias", lr=0.45) == "verified"
    assert res.verdict("isotropic_bias", lr=Fraction(9, 10)) == "verified"
    assert res.verdict("assumptions") == "verified"
    with pytest.raises(ValueError, match="2 claims match"):
        res.verdict("convergence")


def test_result_json_html_and_plot(sympy_result):
    res, _ = sympy_result
    out = res.to_json()
    assert out["command"] == "check" and out["exit_status"] == 0 and out["preconditioner"]["K"]
    json.dumps(out)
    page = res._repr_html_()
    assert page.startswith("<p><b>dspgd-verify check</b>") and "<table>" in page and "isotropic_bias" in page
    pytest.importorskip("matplotlib")
    figs = res.plot()
    assert set(figs["custom"]) == {"residual", "step", "drift", "limits"}


def test_the_sympy_tree_and_its_text_agree(sympy_result):
    res, _ = sympy_result
    text = verify.check("sqrt(1 + r**2) - 1", structure="isotropic", **SMALL)
    a = [(c["id"], c["verdict"]) for c in res.claims]
    assert a == [(c["id"], c["verdict"]) for c in text.claims]


def test_a_sympy_node_outside_the_whitelist_is_refused():
    r = sp.Symbol("r")
    for bad in (sp.Integral(r, r), sp.Function("f")(r), sp.Derivative(r**3, r, evaluate=False)):
        with pytest.raises(verify.InputError, match="not allowed"):
            verify.check(bad, structure="isotropic", **SMALL)
    with pytest.raises(verify.InputError, match="text or a SymPy expression"):
        verify.check(3.5, structure="isotropic")


def test_a_nonconvex_k_gives_a_result_that_says_so():
    res = verify.check("-log(1 + r**2)", structure="isotropic", **SMALL)
    assert res.verdict("assumptions") == "refuted" and res.exit_status == 1
    assert "no paper predicts it" in res.summary


def test_float_parameters_are_exact_and_arrays_make_a_problem():
    rng = np.random.default_rng(1)
    p = verify.problem(rng.normal(size=(2, 4)), [1.0, -2.0])  # W0 defaults to zero, Y a vector
    assert p.W0.shape == (4, 1) and not p.W0.any()
    res = verify.check(preconditioner="adam", params={"eps": 0.1}, problem=p, dps=30, lr_frac=[0.45, 0.9])
    eps = res.records[0]["preconditioner"]["params"]["eps"]
    assert Fraction(eps) == Fraction(0.1) != Fraction(1, 10)  # the binary value of 0.1, not 1/10
    assert res.verdict("lr_dependence") == "verified"


def test_bad_input_raises_the_one_documented_exception():
    with pytest.raises(verify.InputError, match="unknown keyword"):
        verify.check(preconditioner="gd", nn=3)
    with pytest.raises(verify.InputError, match="unknown preconditioner"):
        verify.check(preconditioner="nope", **SMALL)
    with pytest.raises(verify.InputError):
        verify.problem(np.ones((2, 3)), np.ones((3, 1)))
    with pytest.raises(verify.InputError):
        verify.random_problem(0, 3, 1)
    with pytest.raises(verify.InputError, match="--dps"):
        verify.check(preconditioner="gd", dps=3)


def test_random_problem_matches_the_cli_default():
    p = verify.random_problem()
    assert (p.n, p.d, p.k, p.seed) == (6, 24, 2, 0)


def test_prove_and_lr_study_and_margin():
    pr = verify.prove("I1")
    assert pr.verdict("I1") in ("proved", "verified") and pr.exit_status == 0
    assert pr.to_json()["command"] == "proofs" and "<table>" in pr._repr_html_()
    st = verify.lr_study("adam", n=1, d=3, k=1, dps=20, fractions=[0.2, 0.4])
    df = st.to_dataframe()
    assert len(df) == 2 and df["distance"].dtype == np.float64 and st.exit_status == 0
    m = verify.margin("ngd", steps=300)
    assert m.to_json()["command"] == "margin"
    assert m.verdict("margin:hybrid") == "not_applicable"


def test_names_version_and_typing():
    assert set(verify.__all__) >= {"check", "margin", "lr_study", "prove", "random_problem", "Result", "__version__"}
    import verify.check as vc  # the submodule import keeps verify.check callable as the API function
    import verify.margin.kkt as kkt
    assert callable(verify.check) and callable(verify.margin) and callable(verify.lr_study)
    assert vc.Settings().dps == 50 and callable(kkt.kkt_profile)
    from verify.check import Settings  # the submodule stays importable
    assert Settings is vc.Settings
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert verify.__version__ == meta["project"]["version"]
    assert (ROOT / "verify" / "py.typed").exists()
    assert "py.typed" in meta["tool"]["setuptools"]["package-data"]["verify"]


def test_python_m_verify_and_version():
    out = subprocess.run([sys.executable, "-m", "verify", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == f"dspgd-verify {verify.__version__}"
    out = subprocess.run([sys.executable, "-m", "verify", "check", "--dps", "1"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
