"""K as mathematics: the safe parser, structured and general K, convexity/Lipschitz/grad K(0)
facts, update maps, the compiler to mpmath/float64/interval callables, the Bregman tools
(``bregman``) and the identity prover (``identities``).  Imports nothing from the other packages.
"""
