"""The one report: per-row errors and changes, counted, and the same after a JSON round trip."""

import json

from dataimport.report import Report, RowChange, RowError


def report() -> Report:
    return Report(kind="prices", file_name="p.csv", checksum="abc", row_count=3, rows=[
        {"row": 2, "errors": [], "warnings": [], "change": {"action": "new", "subject": "A", "detail": "1"}},
        {"row": 3, "errors": [{"field": "price", "column": "Price", "message": "Cannot be negative."},
                              {"field": "currency", "column": "currency", "message": "Unknown currency."}],
         "warnings": []},
        {"row": 4, "errors": [], "warnings": ["note"], "change": {"action": "unchanged", "subject": "B", "detail": ""}},
    ])


def test_it_lists_errors_and_changes_row_by_row():
    r = report()

    assert r.errors == [RowError(3, "Price", "Cannot be negative.", "price"),
                        RowError(3, "currency", "Unknown currency.", "currency")]
    assert r.changes == [RowChange(2, "new", "A", "1"), RowChange(4, "unchanged", "B", "")]
    assert (r.error_rows, r.new_count, r.update_count, r.unchanged_count) == (1, 1, 0, 1)
    assert not r.ok and not r.committed


def test_it_is_ok_only_without_row_errors_and_column_problems():
    assert Report(kind="k", rows=[{"row": 2, "errors": [], "warnings": []}]).ok
    assert not Report(kind="k", mapping_errors=["Required columns are missing: price."]).ok


def test_it_is_committed_once_it_has_a_result():
    assert Report(kind="k", result={}).committed


def test_it_survives_a_json_round_trip():
    r = report()
    r.result = {"created": 1, "updated": 0, "skipped": 1, "errors": 1}

    again = Report.from_json(json.loads(json.dumps(r.to_json())))

    assert again == r
    assert again.errors == r.errors
