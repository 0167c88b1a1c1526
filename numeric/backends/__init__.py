"""The DSPGD loop in three arithmetics: ``mpmath_loop`` (the reference, P digits in a private
mpmath context), ``flint_loop`` (python-flint balls, fast) and ``float64_loop`` (numpy, campaigns)."""
