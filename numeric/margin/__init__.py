"""Paper 2 (implicit bias of Adam/Muon, margins), the numeric half: separable data (``data``),
norms and their LMOs (``norms``), the log-scale optimizers (``optimizers``) and the run (``run``)."""
