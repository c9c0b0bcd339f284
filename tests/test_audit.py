"""The audit (tests/audit/*.json, docs/audit.md): every stated requirement has a visible check.

For every notebook: each answer cell has an entry; each requirement's phrases occur in the
visible part of the listed test cells; requirements the text states in words (float32,
not modified / in place, ValueError, rng / seed, extreme inputs, accumulation: see
tests.audit_lib.DERIVED) are listed. docs/audit.md is generated from the files.
"""
import pytest

from tests import audit_lib
from tests.audit_table import OUT


@pytest.mark.parametrize("assignment", audit_lib.ASSIGNMENTS)
def test_every_stated_requirement_has_a_visible_check(assignment):
    problems = audit_lib.problems(assignment)
    assert not problems, f"{assignment}:\n  " + "\n  ".join(problems)


def test_derived_requirements_are_found_in_the_text():
    """The keyword table finds what notebook 02's text states (a check of the checker)."""
    answers = audit_lib.answer_cells("02_activation_functions")
    assert {"in_place", "dtype"} <= audit_lib.derived_ids(answers["relu"])
    assert "rng" in audit_lib.derived_ids(answers["RReLU"])
    assert "extremes" in audit_lib.derived_ids(answers["sigmoid"])
    assert "raises" in audit_lib.derived_ids(audit_lib.answer_cells("03_weight_initialization")["initializer_for"])


def test_a_missing_visible_check_is_reported(tmp_path, monkeypatch):
    audit = audit_lib.load("03_weight_initialization")
    audit["initializer_for"]["requirements"] = [r for r in audit["initializer_for"]["requirements"]
                                                if r["id"] != "raises"]
    audit["fans"]["requirements"][0]["visible"] = ["a phrase that is in no test cell"]
    (tmp_path / "03_weight_initialization.json").write_text(__import__("json").dumps(audit))
    monkeypatch.setattr(audit_lib, "AUDIT_DIR", tmp_path)
    problems = "\n".join(audit_lib.problems("03_weight_initialization"))
    assert "initializer_for: the text states a 'raises' requirement" in problems
    assert "'a phrase that is in no test cell' is not in the visible part" in problems


def test_docs_table_is_up_to_date():
    assert OUT.read_text(encoding="utf-8") == audit_lib.table() + "\n", (
        "docs/audit.md is out of date: run  python -m tests.audit_table")
