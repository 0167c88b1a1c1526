"""The ``dspgd-verify`` console script's entry point, safe against name shadowing.

The toolkit's top-level packages are called ``verify``, ``symbolic`` and ``proofs``; unrelated
distributions on the package registry use the same names.  With one of them installed, ``import
verify`` may load the other distribution's code.  :func:`shadowing` looks, before anything of
the toolkit is imported, at where each of the three names resolves and which installed
distributions claim it; :func:`entry_point` then exits with status 2 and one line naming the
other distribution instead of crashing with a traceback inside it.
"""
from __future__ import annotations

import importlib.util
import os
import sys

PACKAGES = ("verify", "symbolic", "proofs")
OWN = "dspgd-verify"
HERE = os.path.dirname(os.path.abspath(__file__))


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def _owners(package: str) -> list[str]:
    """Installed distributions other than this one that provide top-level ``package``."""
    from importlib.metadata import packages_distributions
    try:
        dists = packages_distributions().get(package, [])
    except Exception:  # broken metadata of some distribution: no verdict from it
        return []
    return sorted({d for d in dists if _norm(d) != OWN})


def shadowing() -> str | None:
    """One line naming the clash, or None.  A name is shadowed when it resolves outside this
    toolkit's own tree, or when another distribution also installs files under that name."""
    for package in PACKAGES:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        origin = getattr(spec, "origin", None) if spec is not None else None
        ours = origin is not None and os.path.dirname(os.path.dirname(os.path.abspath(origin))) == HERE
        others = _owners(package)
        if not ours or others:
            where = f" (it resolves to {origin})" if origin and not ours else ""
            who = ", ".join(others) if others else "another distribution or module"
            return (f"the package name {package!r} is also provided by {who}{where}, which shadows "
                    f"dspgd-verify's own; uninstall it (pip uninstall {others[0] if others else '...'}) or use a "
                    f"separate virtual environment (see the install section of the README)")
    return None


def entry_point() -> None:
    """``dspgd-verify``: exit 2 with one line on a name clash, else run the command line."""
    clash = shadowing()
    if clash is not None:
        print(f"dspgd-verify: error: {clash}", file=sys.stderr)
        sys.exit(2)
    from verify.cli.app import main
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
