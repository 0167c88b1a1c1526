"""The gradient-flow integrator and ``dspgd-verify lr-study``."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from numeric.preconditioners.catalog import make_preconditioner
from numeric.exact_problem import ExactProblem
from numeric.gradient_flow import gradient_flow_limit
from numeric.matrices import fro_norm, sub
from numeric.precision import working_precision
from numeric.problem import random_problem
from verify.cli.app import main
from verify.lr_study import fit_slope
from verify.cli.lr_study import parse_fractions
from verify.runs import LearningRate, run_at


def test_flow_of_gd_is_w_gd():
    """K = ||G||^2/2: the flow is linear and its limit is the min-norm interpolator W_GD (docs/theory.md §3.2)."""
    p = random_problem(2, 5, 2, seed=3, w0="random")
    with working_precision(24) as ctx:
        xp = ExactProblem.build(ctx, p)
        fr = gradient_flow_limit(xp, make_preconditioner("gd"))
        assert fr.stop_reason == "floor"
        assert fro_norm(ctx, sub(fr.W, xp.w_gd())) < ctx.mpf(10) ** -17


def test_flow_of_quadratic_k_equals_its_dspgd_limit():
    """Quadratic K: the limit is the H^-1-weighted min-norm interpolator for every eta (docs/theory.md §3.3),
    so the flow limit must equal a DSPGD limit at any eta."""
    p = random_problem(2, 4, 1, seed=5)
    pre = make_preconditioner("quadratic", {}, shape=(p.d, p.k), seed=1)
    with working_precision(24) as ctx, working_precision(44) as hctx:
        xp, xph = ExactProblem.build(ctx, p), ExactProblem.build(hctx, p)
        fr = gradient_flow_limit(xp, pre)
        run = run_at(LearningRate("frac", Fraction(1, 2)), pre, xp, xph, 100_000)
        gap = fro_norm(hctx, sub([[hctx.mpf(v) for v in c] for c in fr.W], run.W))
        assert gap < hctx.mpf(10) ** -17 and gap <= 10 * (fr.error_estimate + run.error_abs)


def test_flow_of_adam_differs_from_w_gd():
    """adam is not left-invariant: its flow limit is a different interpolator."""
    p = random_problem(2, 4, 1, seed=0)
    with working_precision(20) as ctx:
        xp = ExactProblem.build(ctx, p)
        fr = gradient_flow_limit(xp, make_preconditioner("adam", {"eps": Fraction(1, 10)}))
        assert fr.stop_reason == "floor"
        assert fro_norm(ctx, xp.residual(fr.W)) < ctx.mpf(10) ** -14
        assert fro_norm(ctx, sub(fr.W, xp.w_gd())) > ctx.mpf(10) ** -3


def test_fit_slope_recovers_a_power_law():
    etas = [0.01, 0.02, 0.05, 0.1]
    fit = fit_slope(etas, [3 * e ** 1.5 for e in etas])
    assert fit.slope == pytest.approx(1.5) and max(abs(r) for r in fit.residuals) < 1e-12
    assert fit.local_slopes == pytest.approx([1.5] * 3)


def test_parse_fractions():
    assert parse_fractions("0.01,0.02,...,0.05") == [Fraction(k, 100) for k in range(1, 6)]
    assert parse_fractions("0.5, 0.1") == [Fraction(1, 10), Fraction(1, 2)]


@pytest.mark.parametrize("argv, why", [
    (["--preconditioner", "adam", "--fractions", "0.1,1.5"], "not in (0, 1)"),
    (["--preconditioner", "adam", "--fractions", "0.1,0.2,...,0.35"], "not a multiple"),
    (["--preconditioner", "adam", "--fractions", "0.001,0.002,...,0.9"], "more than"),
    (["--preconditioner", "nope"], "unknown preconditioner"),
    (["--fractions", "0.1"], "needs --preconditioner"),
    (["--preconditioner", "adam", "--report", "/nonexistent-dir/x.md"], "does not exist"),
    (["--K", "__import__('os')", "--structure", "entrywise"], "__import__"),
])
def test_bad_input_exits_2(capsys, argv, why):
    code = main(["lr-study", *argv])
    err = capsys.readouterr().err
    assert code == 2 and why in err and len(err.strip().splitlines()) == 1


def test_lr_study_single_sample_closed_form_and_slope(capsys, tmp_path):
    """n = k = 1: the integrated flow matches the closed-form quadrature, and the fitted slope is
    close to docs/theory.md §3.3's 1 (small learning rates)."""
    code = main(["lr-study", "--preconditioner", "adam", "--param", "eps=0.1", "--n", "1", "--d", "3", "--k", "1",
                 "--fractions", "0.02,0.04,0.08", "--dps", "20", "--json", "--report", str(tmp_path / "lr.md")])
    out = capsys.readouterr().out
    assert code == 0
    rec = json.loads(out)
    cf = rec["closed_form_n1_k1"]
    assert cf["agree"] is True and float(cf["distance_to_integrated_flow"]) < 1e-12
    assert all(p["resolved"] for p in rec["points"])
    assert abs(rec["fit"]["slope"] - 1) < 0.1
    assert (tmp_path / "lr_files" / "adam-lr-study.png").read_bytes()[:4] == b"\x89PNG"


def test_lr_study_left_invariant_fits_no_slope(capsys):
    code = main(["lr-study", "--preconditioner", "ngd", "--n", "2", "--d", "4", "--k", "1",
                 "--fractions", "0.3,0.6", "--dps", "30", "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert code == 0 and rec["fit"] is None and rec["reference"] == "W_GD"
    assert any("slope is undefined" in n for n in rec["notes"])
    assert float(rec["max_distance_to_W_GD"]) < 1e-20


def test_unfinished_flow_fits_no_slope(capsys):
    """A flow stopped by the time budget is not a reference: no point is resolved, no slope, exit 3."""
    code = main(["lr-study", "--preconditioner", "adam", "--n", "2", "--d", "4", "--k", "1", "--fractions", "0.2,0.4",
                 "--dps", "20", "--timeout", "0.05", "--json"])
    rec = json.loads(capsys.readouterr().out)
    assert code == 3 and rec["fit"] is None and rec["flow"]["stop_reason"] == "timeout"
    assert not any(p["resolved"] for p in rec["points"])


def test_checked_flow_estimate_covers_the_kinks_of_adam():
    """adam's grad K is only C^1 where an entry of G crosses 0, and GBS's own local estimates then
    undershoot; the two-tolerance check must cover the true error (against a 26-digit run)."""
    from numeric.gradient_flow import checked_flow_limit
    p = random_problem(2, 4, 1, seed=0)
    pre = make_preconditioner("adam", {"eps": Fraction(1, 20)})
    with working_precision(26) as h:  # its own error is about 1e-15 (measured against 32 digits)
        ref = gradient_flow_limit(ExactProblem.build(h, p), pre).W
        with working_precision(20) as ctx:
            fr, diff = checked_flow_limit(ExactProblem.build(ctx, p), pre)
        true = fro_norm(h, sub([[h.mpf(v) for v in c] for c in fr.W], ref))
        assert diff is not None and true > h.mpf(10) ** -12  # the kinks do cost accuracy at 20 digits
        assert true <= fr.error_estimate
