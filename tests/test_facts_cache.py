"""The facts cache (issue 15): each K proved once, in memory and on disk, keyed by its canonical
expression; concurrent writers leave complete files; time-outs are not cached."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from symbolic import facts_cache as fc
from symbolic.facts import Fact
from symbolic.user import user_K

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DSPGD_VERIFY_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("DSPGD_VERIFY_CACHE", raising=False)
    fc.clear_memory()
    yield tmp_path
    fc.clear_memory()


def test_user_K_proved_once_then_read_from_memory_and_disk(cache):
    sym = user_K("log(cosh(g))", "entrywise", {}, (4, 1))
    calls = []

    def prove():
        calls.append(1)
        return sym.facts()
    key = fc.profile_key(sym)
    first = fc.cached_facts(key, prove)
    assert fc.cached_facts(key, prove) == first and len(calls) == 1  # memory
    fc.clear_memory()
    again = fc.cached_facts(key, prove)  # disk
    assert len(calls) == 1 and again == first
    assert all(isinstance(f, Fact) for f in again.values()) and again["convex"].status == "proved"
    files = list(cache.rglob("*.json"))
    assert len(files) == 1 and fc._tool_version() in str(files[0])


def test_key_separates_expressions_parameters_and_structures(cache):
    a = fc.profile_key(user_K("abs(g) - eps*log(1 + abs(g)/eps)", "entrywise", {"eps": Fraction(1, 10)}, (4, 1)))
    b = fc.profile_key(user_K("abs(g) - eps*log(1 + abs(g)/eps)", "entrywise", {"eps": Fraction(1, 20)}, (4, 1)))
    c = fc.profile_key(user_K("r - eps*log(1 + r/eps)", "isotropic", {"eps": Fraction(1, 10)}, (4, 1)))
    d = fc.profile_key(user_K("abs(g) - eps*log(1 + abs(g)/eps)", "entrywise", {"eps": Fraction(1, 10)}, (4, 1)))
    assert len({a, b, c}) == 3 and a == d


def test_refuted_facts_keep_their_counterexample(cache):
    sym = user_K("-g**2", "entrywise", {}, (4, 1))
    key = fc.profile_key(sym)
    first = fc.cached_facts(key, sym.facts)
    fc.clear_memory()
    again = fc.cached_facts(key, lambda: pytest.fail("proved twice"))
    assert again["convex"].status == "refuted" and again["convex"].counterexample == first["convex"].counterexample


def test_timeouts_are_not_cached(cache):
    timed_out = {"convex": Fact("convex", "K is convex", "unknown", "symbolic",
                                "SymPy did not decide this within 20 s (time limit of one symbolic decision)")}
    calls = []
    fc.cached_facts("k1", lambda: calls.append(1) or timed_out)
    fc.cached_facts("k1", lambda: calls.append(1) or timed_out)
    assert len(calls) == 2 and not list(cache.rglob("*.json"))


def test_corrupt_file_is_ignored_and_disk_can_be_disabled(cache, monkeypatch):
    d = fc.cache_dir()
    d.mkdir(parents=True)
    (d / "k2.json").write_text("{not json")
    facts = {"convex": Fact("convex", "s", "proved", "symbolic")}
    assert fc.cached_facts("k2", lambda: facts) == facts
    assert json.loads((d / "k2.json").read_text())["facts"]["convex"]["status"] == "proved"
    monkeypatch.setenv("DSPGD_VERIFY_CACHE", "off")
    fc.clear_memory()
    assert fc.cache_dir() is None
    assert fc.cached_facts("k3", lambda: facts) == facts and not (d / "k3.json").exists()


def test_concurrent_processes_write_one_complete_file(cache):
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from symbolic import facts_cache as fc\nfrom symbolic.user import user_K\n"
            "s = user_K('sqrt(1 + r**2) - 1', 'isotropic', {}, (4, 1))\n"
            "f = fc.cached_facts(fc.profile_key(s), s.facts)\nprint(f['convex'].status)\n") % str(ROOT)
    env = {**os.environ, "DSPGD_VERIFY_CACHE_DIR": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(3)]
    outs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert outs == ["proved"] * 3
    files = list(cache.rglob("*.json"))
    assert len(files) == 1 and not list(cache.rglob("*.tmp"))
    assert json.loads(files[0].read_text())["facts"]["convex"]["status"] == "proved"
