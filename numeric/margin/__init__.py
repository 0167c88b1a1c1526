"""Paper 2 (implicit bias of Adam/Muon, margins), the numeric half: separable data (``data``),
homogeneous networks (``models``: two-layer, diagonal), norms and their LMOs (``norms``), the
log-scale optimizers (``optimizers``), a researcher's own update (``user_update``) and the run (``run``)."""
