"""The documentation site builds strictly, and every section citation in the repository resolves.

* ``mkdocs build --strict`` on the repository's ``mkdocs.yml``: a broken link, a missing anchor or
  a page left out of the nav is a warning there (``validation:``), and strict mode turns every
  warning into a failure.  A negative control builds a page with a broken anchor under the same
  ``validation:`` settings and must fail, so the strict build can be seen to be able to fail.
* Citations ``docs/<page>.md §N`` (also ``§N.M``, lists such as ``§1, §4.2`` and ranges
  ``§3-§4``) in every ``*.py`` and ``*.md`` file of the repository must name an existing page
  with a numbered heading ``N`` (``## 3.2 ...``).  Inside ``docs/`` a bare ``§N`` cites the page
  itself, and ``theory.md §N`` another page.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="mkdocs is not installed: pip install -e '.[docs]'")
pytest.importorskip("material", reason="mkdocs-material is not installed: pip install -e '.[docs]'")
pytest.importorskip("mkdocstrings", reason="mkdocstrings is not installed: pip install -e '.[docs]'")
yaml = pytest.importorskip("yaml", reason="PyYAML (a dependency of mkdocs) is not installed")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SKIP_DIRS = {".git", ".venv", "venv", "site", "build", "dist", "node_modules", "__pycache__", ".pytest_cache",
             ".hypothesis"}

SECTION = r"§\d+(?:\.\d+)*"
# one or more section numbers after a page name: "§3.2", "§1, §4.2", "§3-§4", "§6.1 and §6.2"
SECTIONS = rf"{SECTION}(?:\s*(?:,|-|–|/|and|or|to)\s*{SECTION})*"
QUALIFIED = re.compile(rf"docs/([A-Za-z][\w-]*)\.md\s+({SECTIONS})")
IN_DOCS = re.compile(rf"(?<![\w/-])(?:docs/)?([A-Za-z][\w-]*)\.md\s+({SECTIONS})")
BARE = re.compile(SECTION)
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.M)


def _env() -> dict:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config),
                           "-d", str(site)], cwd=config.parent, env=_env(), capture_output=True, text=True,
                          timeout=120)


def test_site_builds_strictly(tmp_path):
    r = _build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert r.returncode == 0, f"mkdocs build --strict failed:\n{r.stdout}\n{r.stderr}"
    for page in ("theory", "derivations", "verdicts", "cli", "json", "python-api", "api"):
        assert (tmp_path / "site" / page / "index.html").is_file(), page
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "build_custom" in api and "parse_expression" in api, "mkdocstrings rendered no API members"


def test_strict_build_fails_on_a_missing_anchor(tmp_path):
    """Negative control: the repository's ``validation:`` settings make a broken anchor fatal."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [a section](other.md#no-such-anchor).\n", encoding="utf-8")
    (docs / "other.md").write_text("# Other\n\n## 1. Real {#1-real}\n", encoding="utf-8")
    small = {"site_name": "negative control", "docs_dir": "docs", "validation": config["validation"],
             "markdown_extensions": ["attr_list", "toc"]}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(small), encoding="utf-8")
    r = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert r.returncode != 0 and "no-such-anchor" in r.stdout + r.stderr


def _sources():
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            if name.endswith((".py", ".md")):
                yield Path(dirpath) / name


def _numbers(page: str, cache: dict) -> set[str] | None:
    if page not in cache:
        path = DOCS / f"{page}.md"
        cache[page] = set(HEADING.findall(path.read_text(encoding="utf-8"))) if path.is_file() else None
    return cache[page]


def citations(path: Path, text: str) -> list[tuple[str, str]]:
    """``(page, number)`` for every section citation in ``text``."""
    found: list[tuple[str, str]] = []
    in_docs = path.parent == DOCS
    pattern = IN_DOCS if in_docs else QUALIFIED
    for m in pattern.finditer(text):
        found += [(m.group(1), n[1:]) for n in BARE.findall(m.group(2))]
    if in_docs:  # what is left: bare "§N", a section of this page
        rest = pattern.sub("", text)
        found += [(path.stem, n[1:]) for n in BARE.findall(rest)]
    return found


def test_every_section_citation_resolves():
    cache: dict = {}
    broken, count = [], 0
    for path in _sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        for page, number in citations(path, text):
            count += 1
            numbers = _numbers(page, cache)
            if numbers is None:
                broken.append(f"{path.relative_to(ROOT)}: docs/{page}.md does not exist (§{number})")
            elif number not in numbers:
                broken.append(f"{path.relative_to(ROOT)}: docs/{page}.md has no section §{number}")
    assert not broken, "unresolved citations:\n" + "\n".join(sorted(set(broken)))
    assert count > 0


def test_citation_parser_sees_lists_ranges_and_bad_numbers(tmp_path):
    """The scanner itself: lists and ranges are split, and a missing section is reported."""
    text = "see docs/theory.md §1, §4.2 and docs/derivations.md §3-§4; docs/theory.md §6.4 (d)"
    assert citations(ROOT / "x.py", text) == [("theory", "1"), ("theory", "4.2"), ("derivations", "3"),
                                              ("derivations", "4"), ("theory", "6.4")]
    assert "99" not in _numbers("theory", {})
