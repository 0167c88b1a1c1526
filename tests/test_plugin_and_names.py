"""The pytest plugin costs nothing without ``--campaign`` and combines it with ``-m``; the
console script detects packages of another distribution named ``verify``/``symbolic``/``proofs``."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dspgd_verify_pytest import campaign_markexpr

ROOT = Path(__file__).resolve().parents[1]


def test_campaign_combines_with_the_users_m():
    assert campaign_markexpr("not campaign") == "campaign"  # the project default is dropped
    assert campaign_markexpr("") == "campaign"
    assert campaign_markexpr("slow or fast") == "campaign and (slow or fast)"


def test_plugin_imports_nothing_of_the_toolkit():
    code = ("import sys, dspgd_verify_pytest; "
            "bad = [m for m in ('verify', 'symbolic', 'numeric', 'proofs', 'hypothesis') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout + out.stderr


def _fake_distribution(tmp: Path, package: str) -> Path:
    """A distribution ``fake-<package>`` that installs a package ``<package>`` that crashes on import."""
    site = tmp / "site"
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("raise RuntimeError('this is the other distribution')\n")
    info = site / f"fake_{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fake-{package}\nVersion: 1.0\n")
    (info / "top_level.txt").write_text(f"{package}\n")
    (info / "RECORD").write_text(f"{package}/__init__.py,,\n")
    return site


@pytest.mark.parametrize("package", ["verify", "symbolic", "proofs"])
def test_console_script_names_the_shadowing_distribution(tmp_path, package):
    site = _fake_distribution(tmp_path, package)
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    out = subprocess.run([sys.executable, "-c", "import dspgd_verify_launcher as L; L.entry_point()", "check"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and f"fake-{package}" in out.stderr
    assert "Traceback" not in out.stderr


def test_pytest_survives_a_shadowing_verify(tmp_path):
    """With another ``verify`` first on the path, pytest loads the plugin module and runs."""
    site = _fake_distribution(tmp_path, "verify")
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_x.py").write_text(textwrap.dedent("""
        import pytest
        def test_plain():
            pass
        @pytest.mark.campaign
        @pytest.mark.slow
        def test_long():
            pass
        @pytest.mark.campaign
        def test_long_fast():
            pass
    """))
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    base = [sys.executable, "-m", "pytest", "-p", "dspgd_verify_pytest", "-q", "-p", "no:cacheprovider",
            "-W", "ignore::pytest.PytestUnknownMarkWarning", str(tmp_path / "t")]
    out = subprocess.run(base, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0 and "3 passed" in out.stdout, out.stdout + out.stderr
    out = subprocess.run(base + ["--campaign", "-m", "slow"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0 and "1 passed, 2 deselected" in out.stdout, out.stdout + out.stderr
