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
    assert sorted(os.listdir(tmp_path / "r_files")) == sorted(f"gd-{f}.png" for f in FIGURES)
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
