"""Where the stub of a released answer cell sends the learner.

nbgrader writes one stub (``settings.CODE_STUB``) into every answer cell; it ends with
"then run the test cell below". Some answer cells have no test cell right after them
(the capstone's repair steps are all checked by one test after the last step): there the
stub says to run the cell itself and that its test comes further down.
"""

TEST_BELOW = "then run the test cell below."
TEST_FURTHER_DOWN = "then run this cell (its test cell comes further down, after the later steps)."


def _is_answer(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("solution"))


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("grade"))


def point_stubs_at_their_tests(nb):
    """Rewrite the stub of every answer cell whose next code cell is not a test cell (in place)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell, following in zip(code, code[1:] + [None]):
        if _is_answer(cell) and TEST_BELOW in cell.source and not (following is not None
                                                                   and _is_test(following)):
            cell.source = cell.source.replace(TEST_BELOW, TEST_FURTHER_DOWN)
    return nb
