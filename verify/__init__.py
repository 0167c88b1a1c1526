"""Verdicts on the papers' claims, from the numbers of :mod:`numeric`; and the public Python API.

Public API (``import verify``; documented in docs/python-api.md)::

    import verify, sympy as sp
    r = sp.Symbol("r")
    res = verify.check(sp.sqrt(1 + r**2) - 1, structure="isotropic")   # K as text or SymPy
    res.to_dataframe()                                                    # one row per claim

* :func:`check` runs DSPGD ``W <- W - eta grad K(grad L(W))`` and judges paper 1's claims
  (docs/theory.md §3.4); :func:`margin` runs an optimizer of paper 2 and judges
  ``gamma_N(theta_T) = gamma*_N`` per norm (docs/theory.md §6); :func:`lr_study` measures
  ``||W_inf(eta) - W_flow||`` against eta (docs/theory.md §3.3); :func:`prove` checks the papers'
  identities and theorems; :func:`random_problem` and :func:`problem` build problems.
* Results (:class:`Result`, :class:`ProofResult`): ``.verdict(id, lr=None)``,
  ``.exit_status`` (0 every outcome as the papers predict), ``.to_json()`` (the CLI's JSON),
  ``.to_dataframe()``, ``.plot()`` and an HTML rendering in notebooks.
* Bad input raises :class:`InputError` (one line naming what is wrong).

At the top: paper 1's check (``check``, ``runs``, ``characterization``, ``norms``, ``custom``,
``library_check``, ``lr_study``) and the verdict rules (``verdict``, ``solver_status``,
``predictions``, ``envelope``, ``progress``).  Wings: ``claims/`` (paper 1's claims and their
syntax), ``margin/`` (paper 2), ``report/`` (tables, report files, figures), ``campaign/``
(sweeps, parallel jobs, hypothesis strategies, the pytest plugin), ``selftest/`` (planted
claims), ``api/`` (the public API's implementation) and ``cli/`` (one module per command).
"""
from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from ._version import __version__

__all__ = ["__version__", "check", "margin", "lr_study", "prove", "random_problem", "problem",
           "Result", "ProofResult", "InputError"]

if TYPE_CHECKING:  # pragma: no cover
    from numeric.errors import InputError
    from numeric.problem import Problem

    from .api.results import ProofResult, Result


def check(K: Any = None, **kwargs: Any) -> "Result":
    """Run DSPGD and judge every claim of paper 1 (docs/theory.md §3.4) for one K, or the catalogue.

    ``W_{t+1} = W_t - eta grad K(X^T grad l(X W_t - Y))`` runs at ``dps`` digits for each
    learning rate, is rerun at ``dps + 20`` digits, and each claim gets a verdict with an
    error bound: ``convergence`` (``X W_inf = Y``), ``isotropic_bias`` / ``row_space_bias``
    (``W_inf = W_GD``), ``general_bound`` (``||W_inf - W0|| <= c ||W_GD - W0||``),
    ``lr_dependence`` and ``assumptions``.

    Args:
        K: your K as text (``"sqrt(1 + r**2) - 1"``) or a SymPy expression in the variable of
            ``structure`` (``g`` entrywise, ``r`` isotropic, ``s`` spectral, ``G_i_j`` general);
            SymPy trees pass the same whitelist as the text parser.  None: ``preconditioner``.
        preconditioner: a catalogue name (``gd ngd clip adam sign muon clipv quadratic``) or
            ``torch-adam``; None with no K: the whole catalogue (the headline run).
        structure, update, params (``{name: int | float | str | Fraction}``; floats are
            converted exactly), problem (a :class:`numeric.problem.Problem`, e.g. from
            :func:`problem`), H (quadratic K), n, d, k, seed, w0, loss, loss_delta, lr / lr_frac (a number or a
            list), dps, backend (default ``"auto"``: flint when installed, as the CLI), claims
            (``["limit=gd", ...]``), tol, max_iter, timeout, solver, jobs, strict: as the CLI's
            ``dspgd-verify check`` flags.

    Returns:
        :class:`Result`.  A K that is not convex gives a result whose ``assumptions`` claim is
        refuted (no iteration runs).  Raises :class:`InputError` on bad input.
    """
    from .api.calls import check as _check
    return _check(K, **kwargs)


def margin(optimizer: str | None = None, **kwargs: Any) -> "Result":
    """Paper 2: does ``optimizer`` maximize the margin ``gamma_N(w) = min_i y_i <w, x_i> / N(w)`` of
    its own norm N (docs/theory.md §6)?  Keyword arguments mirror ``dspgd-verify margin``
    (model, n, d, k, seed, problem (a .npz path), steps, lr, alpha, beta1, beta2, tol, claims,
    ratio, solver, timeout, jobs, strict).  None: the headline (six optimizers)."""
    from .api.calls import margin as _margin
    return _margin(optimizer, **kwargs)


def lr_study(preconditioner: str | None = None, **kwargs: Any) -> "Result":
    """``||W_inf(eta) - W_flow|| / ||W_GD - W0||`` at many learning rates, with the fitted log-log
    slope (docs/theory.md §3.3 predicts 1).  Keyword arguments mirror ``dspgd-verify lr-study``
    (K, structure, params, fractions, problem, n, d, k, seed, w0, loss, dps, backend, max_iter,
    timeout)."""
    from .api.calls import lr_study as _lr_study
    return _lr_study(preconditioner, **kwargs)


def prove(only: str | list[str] | None = None, **kwargs: Any) -> "ProofResult":
    """Check the papers' identities, lemmas and theorems (``dspgd-verify proofs``): ``only`` result
    ids (default all), ``preconditioner`` / ``K`` + ``structure`` / ``params`` for the
    per-preconditioner steps, ``examples``, ``seed``, ``out``."""
    from .api.calls import prove as _prove
    return _prove(only, **kwargs)


def random_problem(n: int = 6, d: int = 24, k: int = 2, seed: int = 0, *, w0: str = "zero",
                   loss: str = "square") -> "Problem":
    """The CLI's random problem: ``X`` (n x d) and ``Y`` (n x k) standard normal from ``seed``,
    ``W0 = 0`` (or random), the loss summed over entries."""
    from .api.calls import random_problem as _rp
    return _rp(n, d, k, seed, w0=w0, loss=loss)


def problem(X: Any, Y: Any, W0: Any = None, *, loss: str = "square") -> "Problem":
    """A problem from arrays: ``X`` (n x d), ``Y`` (n x k, or a vector for k = 1), ``W0`` (d x k,
    default zero); pass ``H`` (dk x dk SPD) of the ``quadratic`` K to :func:`check`.  Raises
    :class:`InputError`."""
    from .api.calls import problem as _problem
    return _problem(X, Y, W0, loss=loss)


class _CallableModule(types.ModuleType):
    """The submodules ``verify.check``, ``verify.margin`` and ``verify.lr_study``, callable as the API's
    functions of the same names (``verify.check(K, ...)``), so both ``verify.check(...)`` and
    ``import verify.check as vc; vc.Settings`` / ``import verify.margin.kkt`` keep working."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _API[self.__name__.rpartition(".")[2]](*args, **kwargs)


class _Package(types.ModuleType):
    """When the import system binds a submodule named like an API function onto the package, the
    submodule becomes callable as that function (:class:`_CallableModule`)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _API and isinstance(value, types.ModuleType) and not isinstance(value, _CallableModule):
            value.__class__ = _CallableModule
            value.__doc__ = f"{value.__doc__ or ''}\n\nCalling this module calls the public API:\n\n{_API[name].__doc__}"
        super().__setattr__(name, value)


_API = {"check": check, "margin": margin, "lr_study": lr_study}
sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in ("Result", "ProofResult"):
        from .api import results
        return getattr(results, name)
    if name == "InputError":
        from numeric.errors import InputError
        return InputError
    raise AttributeError(f"module 'verify' has no attribute {name!r}")
