"""Verdicts on the papers' claims, from the numbers of :mod:`numeric`.

At the top: paper 1's check (``check``, ``runs``, ``characterization``, ``norms``, ``custom``,
``library_check``, ``lr_study``) and the verdict rules (``verdict``, ``solver_status``).
Wings: ``claims/`` (paper 1's claims and their syntax), ``margin/`` (paper 2), ``report/``
(tables, report files, figures), ``campaign/`` (sweeps, parallel jobs, hypothesis strategies,
the pytest plugin), ``selftest/`` (planted claims) and ``cli/`` (one module per command).
"""
