"""``check --report``: the Markdown and HTML reports, their PNG figures, and bad report paths."""
from __future__ import annotations

import base64
import io
import os
import re

import pytest

pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402

from verify.cli import check as check_cmd  # noqa: E402
from verify.cli.app import main  # noqa: E402
from verify.report.figures import FIGURES  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = ["--n", "2", "--d", "4", "--k", "1", "--dps", "30"]


def assert_valid_png(data: bytes) -> None:
    assert data[:8] == PNG_SIGNATURE
    img = imread(io.BytesIO(data), format="png")
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img.std() > 0.01  # not a blank canvas


def test_markdown_report_with_four_valid_pngs(tmp_path, capsys):
    out = tmp_path / "out.md"
    code = main(["check", "--preconditioner", "adam", *TINY, "--report", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    text = out.read_text()
    assert "| claim | lr | verdict |" in text and "lr_dependence" in text and "verified" in text
    for fig in FIGURES:
        png = tmp_path / "out_files" / f"adam-{fig}.png"
        assert png.is_file(), fig
        assert f"](out_files/adam-{fig}.png)" in text
        assert_valid_png(png.read_bytes())
    assert "evidence (JSON)" in text and '"residual_history"' in text


def test_html_report_is_self_contained(tmp_path, capsys):
    out = tmp_path / "r.html"
    code = main(["check", "--preconditioner", "gd", *TINY, "--report", str(out)])
    assert code == 0, capsys.readouterr().err
    text = out.read_text()
    uris = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert len(uris) == 4
    for u in uris:
        assert_valid_png(base64.b64decode(u))
    assert not re.search(r"src='(?!data:)", text)  # no external resources
    # each PNG has its data beside it as CSV (issue 16)
    assert sorted(os.listdir(tmp_path / "r_files")) == sorted(f"gd-{f}.{x}" for f in FIGURES for x in ("png", "csv"))
    assert "row_space_bias" in text


def test_check_result_keeps_histories():
    from fractions import Fraction

    from numeric.problem import random_problem
    from verify.check import check_by_name
    from verify.campaign.strategies import fast_settings
    res = check_by_name(random_problem(2, 4, 1), "adam", {}, fast_settings(Fraction(1, 2), dps=30))
    (label,) = [k for k in res.histories if not k.startswith("_")]
    h = res.histories[label]
    conv = next(c for c in res.record["claims"] if c["id"] == "convergence")
    assert len(h["residual"]) == conv["evidence"]["iterations"] + 1  # every iteration (short run)
    assert h["residual"][-1][1] <= float(conv["evidence"]["residual_floor"])
    assert len(h["step"]) == conv["evidence"]["iterations"] and h["drift"][0] == (0, 0.0)
    assert "histories" not in res.record  # the JSON record is unchanged


@pytest.mark.parametrize("path, why", [
    ("{tmp}/missing/dir/out.md", "does not exist"),
    ("{tmp}", "is a directory"),
    ("{tmp}/out.pdf", "unknown extension"),
])
def test_bad_report_path_exits_2_before_any_run(tmp_path, capsys, monkeypatch, path, why):
    def boom(job):
        raise AssertionError("a run started before the report path was checked")
    monkeypatch.setattr(check_cmd, "_check_worker", boom)
    before = sorted(os.listdir(tmp_path))
    code = main(["check", "--preconditioner", "adam", *TINY, "--report", path.format(tmp=tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and why in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == before  # nothing written


def test_report_figure_folder_that_is_a_file_exits_2(tmp_path, capsys):
    (tmp_path / "out_files").write_text("not a folder")
    code = main(["check", "--preconditioner", "gd", *TINY, "--report", str(tmp_path / "out.md")])
    assert code == 2 and "figure folder" in capsys.readouterr().err
    assert not (tmp_path / "out.md").exists()


# ----------------------------------------------------------------------------- issue 16: provenance, data, browser
def test_report_has_provenance_the_whole_record_and_csv_beside_each_png(tmp_path, capsys):
    import csv
    import json
    out = tmp_path / "p.md"
    assert main(["check", "--preconditioner", "adam", *TINY, "--report", str(out)]) == 0
    capsys.readouterr()
    text = out.read_text()
    assert "- tool: dspgd-verify " in text and "- command: dspgd-verify check --preconditioner adam" in text
    assert re.search(r"- date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    record = json.loads(text.split("```json", 1)[1].split("```", 1)[0])
    assert {"preconditioner", "problem", "settings", "claims"} <= set(record)  # the whole record, not the claims
    for fig in FIGURES:
        rows = list(csv.reader((tmp_path / "p_files" / f"adam-{fig}.csv").open()))
        assert len(rows) > 2 and all(len(r) == len(rows[0]) for r in rows), fig
        assert f"(p_files/adam-{fig}.csv)" in text
    limits = list(csv.DictReader((tmp_path / "p_files" / "adam-limits.csv").open()))
    assert len(limits) == 2 * 4 and {r["lr_fraction"] for r in limits} == {"0.45", "0.9"}


def test_lr_study_report_has_provenance_and_data(tmp_path, capsys):
    out = tmp_path / "lr.html"
    assert main(["lr-study", "--preconditioner", "adam", "--n", "1", "--d", "3", "--k", "1", "--dps", "20",
                 "--fractions", "0.2,0.4", "--report", str(out)]) == 0
    capsys.readouterr()
    text = out.read_text()
    assert "command: dspgd-verify lr-study" in text and "data:text/csv;base64," in text
    assert (tmp_path / "lr_files" / "adam-lr-study.csv").read_text().startswith("fraction,eta,distance")


def _chromium() -> str | None:
    import shutil
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_html_report_renders_in_headless_chromium_with_every_figure_decoded(tmp_path, capsys):
    """The browser loads the page and decodes every embedded PNG (naturalWidth > 0)."""
    import subprocess
    browser = _chromium()
    if browser is None:
        pytest.skip("no headless browser (chromium) on this machine: `apt-get install chromium` (.ci/run does)")
    out = tmp_path / "b.html"
    assert main(["check", "--preconditioner", "adam", *TINY, "--report", str(out)]) == 0
    capsys.readouterr()
    probe = ("<script>window.addEventListener('load', () => { const im = [...document.images];"
             " document.body.setAttribute('data-decoded', im.filter(i => i.complete && i.naturalWidth > 0).length"
             " + '/' + im.length); });</script></body>")
    page = tmp_path / "probe.html"
    page.write_text(out.read_text().replace("</body>", probe))
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--virtual-time-budget=10000", "--dump-dom", page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    m = re.search(r'data-decoded="(\d+)/(\d+)"', done.stdout)
    assert m, done.stdout[:500] + done.stderr[-1000:]
    assert m.group(1) == m.group(2) == "4"
    assert "<h1>dspgd-verify check report</h1>" in done.stdout and "every outcome as the papers predict" in done.stdout
