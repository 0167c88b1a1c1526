"""Preconditioners K and their gradient maps: the interface (``base``), the catalogue with its
hand-written closed forms (``catalog``), preconditioners compiled from a symbolic K
(``from_symbolic``), torch's Adam step (``from_torch``) and libraries' update maps written out
next to the catalogue (``optimizer_maps``)."""
