"""One module per result of the papers (identities I*, S*, inequalities J*, the theorems and the C5
probe), each defining ``RESULT``; :mod:`proofs.registry` lists them in order."""
