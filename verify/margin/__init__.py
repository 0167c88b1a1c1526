"""Paper 2 (implicit bias of Adam/Muon, margins), the verification half: exact norm bounds
(``exact``), the certified max-margin gamma* (``reference``; ``diagonal`` for the diagonal
network's predictor-space reduction), certified KKT alignment (``kkt``), the margin and KKT claims
and their verdicts (``claims``, ``kkt_claims``), reasons read off the data (``trend``), paper 2's
hypotheses for a run (``hypotheses``), the l_p norm-family fit (``family``) and one margin check
(``check``).  The numbers come from :mod:`numeric.margin`; the command is :mod:`verify.cli.margin`."""
