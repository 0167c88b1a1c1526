"""Opt-in campaigns (``python -m pytest -m campaign``): the property tests of
test_properties.py over many more random problems and preconditioners."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_properties import FAST, small_problems, verdicts
from verify.check import check_by_name

pytestmark = pytest.mark.campaign


@settings(max_examples=300, deadline=None)
@given(problem=small_problems(), name=st.sampled_from(["gd", "ngd", "clip", "adam", "sign", "clipv", "muon"]))
def test_campaign_convergence(problem, name):
    rec = check_by_name(problem, name, {}, FAST).record
    assert verdicts(rec, "convergence") == ["verified"]


@settings(max_examples=300, deadline=None)
@given(problem=small_problems(), name=st.sampled_from(["gd", "ngd", "clip", "muon"]))
def test_campaign_left_invariant_give_w_gd(problem, name):
    rec = check_by_name(problem, name, {}, FAST).record
    assert verdicts(rec, "row_space_bias") == ["verified"]
