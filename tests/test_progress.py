"""Progress on stderr (verify/progress.py): -v lines, -q silence, quiet off a terminal, a bar on one."""
from __future__ import annotations

import io

from verify.cli import main
from verify.progress import Bar, current_level, level_for, progress

SMALL = ["--n", "2", "--d", "4", "--k", "1", "--dps", "30"]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_verbose_prints_one_line_per_run_and_quiet_prints_nothing(capsys):
    assert main(["check", "--preconditioner", "adam", *SMALL, "-v"]) == 0
    err = capsys.readouterr().err
    assert "check [1/1] adam done" in err
    assert err.count("iterations, stopped by floor") == 2  # one line per learning rate
    assert main(["check", "--preconditioner", "adam", *SMALL, "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["check", "--preconditioner", "adam", *SMALL]) == 0  # stderr is not a terminal here
    assert capsys.readouterr().err == ""


def test_every_long_command_reports_progress(capsys):
    for argv, needle in ((["proofs", "--only", "I1", "-v"], "proofs [1/1] I1 done"),
                         (["lr-study", "--preconditioner", "adam", "--n", "1", "--d", "3", "--k", "1", "--dps", "20",
                           "--fractions", "0.2,0.4", "-v"], "lr-study [2/2] fraction 0.4 done"),
                         (["margin", "--optimizer", "ngd", "--steps", "200", "-v"], "margin [1/1] ngd done"),
                         (["selftest", "--only", "adam-limit-is-gd", "-v"], "selftest [1/1] adam-limit-is-gd done")):
        main(argv)
        assert needle in capsys.readouterr().err, argv


def test_a_bar_on_a_terminal_and_the_level_is_restored():
    stream = Tty()
    assert current_level(stream) == 1
    with level_for(verbose=True):
        assert current_level() == 2
        with progress("work", 2, stream=stream) as bar:
            bar.done("a", ["detail a"])
            bar.done("b")
    assert current_level(io.StringIO()) == 0  # back to the default: nothing process-wide changed
    text = stream.getvalue()
    assert "work [1/2] a done" in text and "detail a" in text and "2/2" in text  # tqdm's counter


def test_quiet_bar_writes_nothing():
    stream = Tty()
    bar = Bar("work", 3, 0, stream)
    bar.done("x", ["y"])
    bar.close()
    assert stream.getvalue() == ""


def test_sweep_counter_is_silenced_by_q(capsys, tmp_path):
    argv = ["sweep", "--preconditioners", "gd", "--sizes", "2x4x1", "--seeds", "0", "--jobs", "1",
            "--out", str(tmp_path / "s.csv")]
    assert main(argv) == 0
    assert "1/1 instances" in capsys.readouterr().err
    assert main([*argv, "-q"]) == 0
    assert capsys.readouterr().err == ""
