"""The report of a dry run or commit: one entry per data row, JSON in and out.

Each row entry is ``{"row": n, "errors": [{"field", "column", "message"}], "warnings": [...]}``
plus what the kind adds (a client row its cleaned ``values`` and ``duplicate``; a position
its ``change``). The report is stored on the staged upload, so the pages of every step read
the same report the engine wrote.
"""

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str  # the file's header of the column, or the column's label when the file has none
    message: str
    field: str = ""  # the column's key


@dataclass(frozen=True)
class RowChange:
    row: int
    action: str  # "new", "update" or "unchanged"
    subject: str
    detail: str = ""


@dataclass
class Report:
    kind: str
    file_name: str = ""
    checksum: str = ""
    row_count: int = 0
    rows: list[dict] = field(default_factory=list)
    mapping_errors: list[str] = field(default_factory=list)  # what keeps the columns from being read
    warnings: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)  # the dry run's counts, as the kind words them
    result: dict | None = None  # the commit's counts (created, updated, skipped, errors, ...); None before

    @property
    def committed(self) -> bool:
        return self.result is not None

    @property
    def errors(self) -> list[RowError]:
        return [RowError(row["row"], e["column"], e["message"], e["field"]) for row in self.rows for e in row["errors"]]

    @property
    def ok(self) -> bool:
        return not self.mapping_errors and not any(row["errors"] for row in self.rows)

    @property
    def error_rows(self) -> int:
        return sum(1 for row in self.rows if row["errors"])

    @property
    def changes(self) -> list[RowChange]:
        return [RowChange(row["row"], **row["change"]) for row in self.rows if "change" in row]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.get("change", {}).get("action") == action)

    @property
    def new_count(self) -> int:
        return self.count("new")

    @property
    def update_count(self) -> int:
        return self.count("update")

    @property
    def unchanged_count(self) -> int:
        return self.count("unchanged")

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict) -> "Report":
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})
