"""Checks on the shipped scaling tables (``results/scaling/``, ``results/scaling-full/``): no width of a class
is below the exact n* of the same class, on every row, and the tables label their classes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [d for d in (ROOT / "results" / "scaling", ROOT / "results" / "scaling-full") if (d / "min_width.csv").exists()]

#: columns whose networks lie in the exact class (integer weights in [-K, K], K >= 1, free integer biases)
SAME_CLASS = ("trained_int_n", "hanni_uand_n", "sparse_code_n", "dedicated_n")


@pytest.mark.parametrize("folder", SHIPPED, ids=[d.name for d in SHIPPED])
def test_no_width_of_the_exact_class_is_below_the_proven_minimum(folder):
    cfg = json.loads((folder / "results.json").read_text())["config"]
    assert cfg["activation"] == "relu" and not cfg["nonnegative"] and cfg["weight_bound"] >= 1
    mw = pd.read_csv(folder / "min_width.csv")
    proven = mw[mw["proven"].fillna(False).astype(bool)] if "proven" in mw.columns else mw.iloc[0:0]
    checked = 0
    for _, row in proven.iterrows():
        for col in SAME_CLASS:
            if col in row and pd.notna(row[col]):
                assert row[col] >= row["n_star"], (folder.name, col, row.to_dict())
                checked += 1
    assert checked > 0 or not len(proven)


@pytest.mark.parametrize("folder", SHIPPED, ids=[d.name for d in SHIPPED])
def test_shipped_tables_label_every_width_column_with_its_class(folder):
    table = (folder / "table.md").read_text()
    if "trained_int_n" in pd.read_csv(folder / "min_width.csv").columns:
        for label in ("exact n*", "trained → int", "trained real", "Hänni U-AND", "sparse code",
                      "counting LB (superposed)"):
            assert f"**{label}**" in table


@pytest.mark.parametrize("folder", SHIPPED, ids=[d.name for d in SHIPPED])
def test_real_weight_step_minimum_is_never_above_the_integer_one(folder):
    # integers in [-1, 1] are real weights: a proven real-weight n* above a proven integer n* is a bug
    mw = pd.read_csv(folder / "min_width.csv")
    if "n_star_step_real" not in mw.columns or "n_star_step_int" not in mw.columns:
        pytest.skip("no exact step columns in this table")
    both = mw[mw.n_star_step_real_proven.fillna(False).astype(bool) & mw.n_star_step_int_proven.fillna(False).astype(bool)]
    assert len(both) > 0
    assert (both.n_star_step_real <= both.n_star_step_int).all(), both[both.n_star_step_real > both.n_star_step_int]
    # an unproven real-weight row still has a proven lower bound that must not exceed a proven integer n*
    ints = mw[mw.n_star_step_int_proven.fillna(False).astype(bool)]
    assert (ints.n_star_step_real_lower.fillna(0) <= ints.n_star_step_int).all()
