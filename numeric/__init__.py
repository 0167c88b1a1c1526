"""The numbers: problems and losses (``problem``, ``exact_problem``, ``losses``), exact rank and
matrices, parameters and precision, tail bounds and the gradient-flow integrator.  Wings:
``preconditioners/`` (K, the catalogue), ``backends/`` (the DSPGD loop in mpmath, flint, float64)
and ``margin/`` (paper 2's data, norms, optimizers and run).  Imports only :mod:`symbolic`.
"""
