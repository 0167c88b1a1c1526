"""Matplotlib figures of a ``check`` run (PNG bytes), drawn with the object API.

Nothing here touches process-wide matplotlib state: no ``pyplot``, no ``matplotlib.use``, no
rcParams.  A :class:`matplotlib.figure.Figure` is created directly and rendered by the Agg
canvas (``FigureCanvasAgg``), so the package imports without a display and other users of
matplotlib in the same process are unaffected.

The four figures of one preconditioner (``histories`` from :class:`verify.check.CheckResult`):

* ``residual``: ``||R_t||_F = ||X W_t - Y||_F`` versus iteration t, log y, one line per
  learning rate, with the precision floor;
* ``step``: the step norm ``eta ||grad K(G_t)||_F`` versus t, log y;
* ``drift``: the null-space drift ``||P_perp(W_t - W_0)||_F`` at t = 1, 2, 4, ... and at the
  end, log-log (zero for a left-invariant K, docs/theory.md §4.2 I11; exact zeros are drawn at the floor of
  the axis and said so);
* ``limits``: ``||W_inf(eta) - W_GD||_F / ||W_GD - W_0||_F`` versus eta, the coordinates of
  ``W_inf(eta) - W_GD`` as a stem plot (no line joins unrelated coordinates) and, with two or
  more learning rates, the coordinates of ``W_inf(eta) - W_inf(eta_min)``; for a left-invariant
  K every limit is W_GD (docs/theory.md §3.2) and the panel says so.

Every figure is drawn at the size it is shown at in a report (at most 10 in = 1100 px wide), so
its labels keep their 8-10 pt; :func:`figure_data` gives the numbers behind each as CSV.
"""
from __future__ import annotations

import io
import math

FIGURES = ("residual", "step", "drift", "limits")
_DPI = 110


def _figure(width: float = 6.4, height: float = 4.0):
    """A fresh Figure on an Agg canvas (no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def _runs(histories: dict) -> list[tuple[str, dict]]:
    return [(k, v) for k, v in histories.items() if not k.startswith("_")]


def _lr_name(label: str, h: dict) -> str:
    frac = h.get("fraction")
    return f"eta = {float(label):.4g}" + (f" ({frac:g} eta_max)" if frac is not None else "")


def _positive(values: list) -> list:
    return [v if v > 0 and math.isfinite(v) else float("nan") for v in values]


def residual_figure(name: str, histories: dict, floor: float | None = None, as_figure: bool = False):
    fig = _figure()
    ax = fig.add_subplot()
    for label, h in _runs(histories):
        t, v = zip(*h["residual"])
        ax.plot(t, _positive(list(v)), label=_lr_name(label, h), lw=1.2)
    if floor:
        ax.axhline(floor, color="grey", ls=":", lw=1, label=f"precision floor {floor:.1e}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"residual $\|X W_t - Y\|_F$")
    ax.set_title(f"{name}: residual versus iteration")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return fig if as_figure else _png(fig)


def step_figure(name: str, histories: dict, as_figure: bool = False):
    fig = _figure()
    ax = fig.add_subplot()
    for label, h in _runs(histories):
        if h["step"]:
            t, v = zip(*h["step"])
            ax.plot(t, _positive(list(v)), label=_lr_name(label, h), lw=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"step norm $\eta\,\|\nabla K(G_t)\|_F$")
    ax.set_title(f"{name}: step norm versus iteration")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return fig if as_figure else _png(fig)


def drift_figure(name: str, histories: dict, left_invariant: bool, as_figure: bool = False):
    fig = _figure()
    ax = fig.add_subplot()
    positive = [v for _, h in _runs(histories) for t, v in h["drift"] if t > 0 and v > 0]
    bottom = min(positive) / 10 if positive else 1e-30
    zeros = False
    for label, h in _runs(histories):
        pts = [(t, v) for t, v in h["drift"] if t > 0]
        if not pts:
            continue
        t, v = zip(*pts)
        zeros = zeros or any(x == 0 for x in v)
        ax.plot(t, [x if x > 0 else bottom for x in v], marker="o", ms=3, label=_lr_name(label, h), lw=1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration t (checkpoints 1, 2, 4, ...)")
    ax.set_ylabel(r"null-space drift $\|P_\perp(W_t - W_0)\|_F$")
    note = " (left-invariant K: 0 in exact arithmetic)" if left_invariant else ""
    ax.set_title(f"{name}: null-space drift{note}", fontsize=10)
    if zeros:
        ax.text(0.02, 0.02, f"exact zeros drawn at {bottom:.0e}", transform=ax.transAxes, fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return fig if as_figure else _png(fig)


def limits_figure(name: str, histories: dict, left_invariant: bool, as_figure: bool = False):
    """Top left: ``||W_inf(eta) - W_GD|| / ||W_GD - W_0||`` versus eta.  Top right: the coordinates
    of ``W_inf(eta) - W_GD`` as a stem plot (entry (i, j) at index ``i + d j``; the learning rates
    side by side, no lines joining unrelated coordinates).  Bottom (two or more learning rates):
    the coordinates of ``W_inf(eta) - W_inf(eta_min)``, where the learning-rate dependence shows
    (it is far smaller than the distance to W_GD).  Drawn at the width it is shown at (10 in)."""
    runs = _runs(histories)
    several = len(runs) > 1
    fig = _figure(10.0, 7.5 if several else 4.0)
    layout = [["dist", "coords"], ["lrdep", "lrdep"]] if several else [["dist", "coords"]]
    axes = fig.subplot_mosaic(layout)
    ax, bx = axes["dist"], axes["coords"]
    prob = histories["_problem"]
    wgd = prob["W_GD"]
    scale = prob["minnorm_distance"] or 1.0
    etas, dists = [], []
    width = 0.8 / max(1, len(runs))
    for idx, (label, h) in enumerate(runs):
        c = _coords(h["W_inf"], wgd, scale)
        etas.append(h["eta"])
        dists.append(math.sqrt(sum(x * x for x in c)))
        _stems(bx, c, idx * width - 0.4 + width / 2, f"C{idx}", "os^vD<>"[idx % 7], _lr_name(label, h))
    ax.plot(etas, [x if x > 0 else float("nan") for x in dists], marker="o")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"$\|W_\infty(\eta) - W_{GD}\|_F / \|W_{GD} - W_0\|_F$")
    pos = [x for x in dists if x > 0]
    if pos and max(pos) > 10 * min(pos):  # log scales only where the data span a decade
        ax.set_yscale("log")
    else:
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3), useOffset=False)
    if len(etas) > 1 and min(etas) > 0 and max(etas) > 10 * min(etas):
        ax.set_xscale("log")
    else:
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 3), useOffset=False)
    ax.grid(True, which="both", alpha=0.3)
    title = "distance of the limit to W_GD"
    if left_invariant:
        title += "\n(left-invariant K: W_inf = W_GD for every eta; what remains is rounding)"
    ax.set_title(f"{name}: {title}", fontsize=10)
    bx.axhline(0, color="grey", lw=0.8)
    bx.set_xlabel("coordinate i + d*j of entry (i, j)")
    bx.set_ylabel(r"$(W_\infty(\eta) - W_{GD})_{ij} / \|W_{GD} - W_0\|_F$")
    bx.set_title("coordinates of the limits relative to W_GD", fontsize=10)
    bx.grid(True, axis="y", alpha=0.3)
    bx.legend(fontsize=8)
    if several:
        cx = axes["lrdep"]
        base_label, base = min(runs, key=lambda r: r[1]["eta"])
        others = [(label, h) for label, h in runs if label != base_label]
        w2 = 0.8 / max(1, len(others))
        for idx, (label, h) in enumerate(others):
            c = _coords(h["W_inf"], base["W_inf"], scale)
            _stems(cx, c, idx * w2 - 0.4 + w2 / 2, f"C{idx + 1}", "s^vD<>o"[idx % 7], _lr_name(label, h))
        cx.axhline(0, color="grey", lw=0.8)
        cx.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3), useOffset=False)
        cx.set_xlabel("coordinate i + d*j of entry (i, j)")
        cx.set_ylabel(r"$(W_\infty(\eta) - W_\infty(\eta_{min}))_{ij} / \|W_{GD} - W_0\|_F$")
        cx.set_title(f"learning-rate dependence: W_inf(eta) - W_inf(eta_min), eta_min = {base['eta']:.4g}",
                     fontsize=10)
        cx.grid(True, axis="y", alpha=0.3)
        cx.legend(fontsize=8)
    return fig if as_figure else _png(fig)


def _coords(W, ref, scale: float) -> list[float]:
    """``(W - ref)_{ij} / scale`` in the order ``i + d j``."""
    d, k = len(ref), (len(ref[0]) if ref else 0)
    return [(W[i][j] - ref[i][j]) / scale for j in range(k) for i in range(d)]


def _stems(ax, values: list[float], offset: float, colour: str, marker: str, label: str) -> None:
    """A stem plot of ``values`` at ``index + offset``: a vertical line from 0 and a marker each."""
    xs = [i + offset for i in range(len(values))]
    ax.vlines(xs, 0, values, colors=colour, lw=1.0, alpha=0.8)
    ax.plot(xs, values, ls="none", marker=marker, ms=4, color=colour, label=label)


def figure_data(record: dict, histories: dict) -> dict[str, str]:
    """The numbers behind each figure of :func:`check_figures`, as CSV text by figure name."""
    import csv
    import io as _io
    if not histories or not _runs(histories):
        return {}

    def table(header: list[str], rows: list) -> str:
        buf = _io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue()
    runs = _runs(histories)
    prob = histories["_problem"]
    wgd, scale = prob["W_GD"], prob["minnorm_distance"] or 1.0
    d = len(wgd)
    base = min(runs, key=lambda r: r[1]["eta"])[1]
    out = {"residual": table(["eta", "lr_fraction", "t", "residual"],
                             [(h["eta"], h["fraction"], t, v) for _, h in runs for t, v in h["residual"]]),
           "step": table(["eta", "lr_fraction", "t", "step_norm"],
                         [(h["eta"], h["fraction"], t, v) for _, h in runs for t, v in h["step"]]),
           "drift": table(["eta", "lr_fraction", "t", "null_space_drift"],
                          [(h["eta"], h["fraction"], t, v) for _, h in runs for t, v in h["drift"]])}
    rows = []
    for _, h in runs:
        c_gd = _coords(h["W_inf"], wgd, scale)
        c_base = _coords(h["W_inf"], base["W_inf"], scale)
        for idx, (a, b) in enumerate(zip(c_gd, c_base)):
            rows.append((h["eta"], h["fraction"], idx % d, idx // d, a, b))
    out["limits"] = table(["eta", "lr_fraction", "i", "j", "W_inf_minus_W_GD_relative",
                           "W_inf_minus_W_inf_eta_min_relative"], rows)
    return out


def check_figures(record: dict, histories: dict, as_figures: bool = False) -> dict:
    """The four PNGs of one ``check`` record, by figure name (empty for a stopped record);
    ``as_figures``: matplotlib Figures instead (for notebooks)."""
    if not histories or not _runs(histories):
        return {}
    name = record["preconditioner"]["name"]
    left_inv = bool(record["preconditioner"].get("row_space_preserving"))
    floors = [float(c["evidence"]["residual_floor"]) for c in record["claims"]
              if c["id"] == "convergence" and c["evidence"].get("residual_floor") not in (None, "nan")]
    f = as_figures
    return {"residual": residual_figure(name, histories, min(floors) if floors else None, as_figure=f),
            "step": step_figure(name, histories, as_figure=f),
            "drift": drift_figure(name, histories, left_inv, as_figure=f),
            "limits": limits_figure(name, histories, left_inv, as_figure=f)}
