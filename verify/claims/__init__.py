"""Paper 1's claims (the DSPGD paper): ``judge`` decides each claim from the runs and the
characterizations; ``parse`` reads the ``--claim`` syntax (``limit=gd``, ``limit=minnorm:NORM``,
``bound:c=V``).  Paper 2's margin claims live in :mod:`verify.margin`."""
