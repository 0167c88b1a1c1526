"""The self-test: planted claims whose truth is known from the mathematics (``planted``), run
through the real check; false ones must be refuted, true controls verified."""
