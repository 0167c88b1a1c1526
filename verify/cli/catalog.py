"""``dspgd-verify catalog``: list the preconditioner catalogue (K, grad K, L, mu(0))."""
from __future__ import annotations

import json

from numeric.preconditioners.catalog import CATALOG, make_preconditioner

from ..envelope import envelope
from ..report.tables import catalog_table


def add_parser(sub) -> None:
    """The ``catalog`` subcommand."""
    k = sub.add_parser("catalog", help="list the preconditioner catalogue")
    k.add_argument("--json", action="store_true")


def cmd_catalog(args) -> int:
    import mpmath
    entries = []
    ctx = mpmath.MPContext()
    ctx.dps = 30
    for name in CATALOG:
        pre = make_preconditioner(name, {}, shape=(2, 1))
        e = pre.describe()
        e["L"] = ctx.nstr(pre.L(ctx), 15) if name != "quadratic" else "lambda_max(H)"
        e["mu0"] = ctx.nstr(pre.mu(ctx, ctx.zero), 15) if name != "quadratic" else "lambda_min(H)"
        if name == "quadratic":
            e["params"] = {"kappa": "4 (random SPD H with eigenvalues in [1, kappa]; or H from --problem)"}
        entries.append(e)
    if args.json:
        print(json.dumps(envelope("catalog", {"catalog": entries}, 0, getattr(args, "argv", None)), indent=2))
    else:
        print(catalog_table(entries))
    return 0
