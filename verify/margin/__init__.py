"""Paper 2 (implicit bias of Adam/Muon, margins), the verification half: exact norm bounds
(``exact``), the certified max-margin gamma* (``reference``), KKT alignment (``kkt``), the margin
claims and their verdicts (``claims``) and one margin check (``check``).  The numbers come from
:mod:`numeric.margin`; the command is :mod:`verify.cli.margin`."""
