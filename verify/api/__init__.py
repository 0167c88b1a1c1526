"""The public Python API's implementation (the names users import live in :mod:`verify`).

``calls`` turns keyword arguments into the command line's validated settings and runs the same
code as ``dspgd-verify``; ``results`` holds :class:`Result` and :class:`ProofResult`;
``sympy_input`` passes a SymPy expression through the text parser's whitelist.  Like the
command line it sits on top of every layer (it may call :mod:`proofs`).
"""
