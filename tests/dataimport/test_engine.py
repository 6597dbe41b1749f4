"""The engine on a kind of its own (team names as auth groups): dry run, commit in one transaction,
all-or-nothing or partial, and uploads staged in the database between the steps."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from dataimport import engine
from dataimport.columns import Column
from dataimport.engine import ImportKind
from dataimport.models import ImportUpload
from dataimport.reading import ImportFileError, table_read
from tests.factories import ManagerFactory, csv_bytes

pytestmark = pytest.mark.django_db


class GroupsImport(ImportKind):
    """Team names, one per row; a name already taken is reported, a name too long refused."""

    key = "groups"
    columns = (Column("name", "name", ("name", "名称")), Column("note", "note", ("note",)))
    required = (("name",),)

    def prepare(self, rows, *, user):
        names = {row.text("name") for row in rows}
        return {"taken": set(Group.objects.filter(name__in=names).values_list("name", flat=True)), "seen": {}}

    def check_row(self, row, context):
        name = row.text("name")
        if not name:
            row.error("name", "A name is required.")
        elif len(name) > 150:
            row.error("name", "Too long.")
        elif name in context["seen"]:
            row.error("name", f"The same as row {context['seen'][name]}.")
        else:
            context["seen"][name] = row.number
            row.parsed = name

    def describe(self, rows, context, report):
        for row in rows:
            if row.parsed:
                action = "unchanged" if row.parsed in context["taken"] else "new"
                row.entry["change"] = {"action": action, "subject": row.parsed, "detail": ""}

    def write(self, rows, context, report, *, user, upload, options):
        created = 0
        for row in rows:
            if row.parsed and row.parsed not in context["taken"]:
                Group.objects.create(name=row.parsed)
                created += 1
            if options.get("fail_after") == created:
                Group.objects.create(name=row.parsed)  # the database refuses a second group of a name
        report.result = {"created": created, "updated": 0, "skipped": report.unchanged_count,
                         "errors": report.error_rows}


class PartialGroupsImport(GroupsImport):
    all_or_nothing = False


GROUPS, PARTIAL = GroupsImport(), PartialGroupsImport()


def teams() -> list[str]:
    """The groups the tests import (the role groups exist from the migrations)."""
    return sorted(Group.objects.filter(name__in=["East", "West"]).values_list("name", flat=True))


def table(rows, header=("Name", "Note")):
    return table_read(content=csv_bytes([list(header), *rows]), file_name="teams.csv")


@pytest.fixture
def user(db):
    return ManagerFactory()


def test_the_dry_run_checks_every_row_and_writes_nothing(user):
    Group.objects.create(name="East")

    report = engine.dry_run(GROUPS, table=table([["East"], ["West"], ["", "no name"], ["West"]]), user=user)

    assert [(c.row, c.action) for c in report.changes] == [(2, "unchanged"), (3, "new")]
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (4, "Name", "A name is required."), (5, "Name", "The same as row 3.")]
    assert report.summary == {"rows": 4, "errors": 2}
    assert not report.committed
    assert teams() == ["East"]


def test_an_error_names_the_files_header_or_the_columns_label_when_the_file_has_none(user):
    class NoteRequired(GroupsImport):
        def check_row(self, row, context):
            row.error("note", "A note is required.")

    report = engine.dry_run(NoteRequired(), table=table([["East"]], header=["名称"]), user=user)

    assert report.errors[0].column == "note"
    assert report.errors[0].field == "note"


def test_an_all_or_nothing_commit_writes_nothing_while_a_row_has_an_error(user):
    report = engine.commit(GROUPS, table=table([["East"], ["", "no name"]]), user=user)

    assert not report.committed
    assert report.error_rows == 1
    assert not teams()


def test_a_partial_commit_writes_the_good_rows_and_reports_the_others(user):
    report = engine.commit(PARTIAL, table=table([["East"], ["", "no name"], ["West"]]), user=user)

    assert report.committed
    assert report.result == {"created": 2, "updated": 0, "skipped": 0, "errors": 1}
    assert teams() == ["East", "West"]


def test_a_commit_the_database_refuses_half_way_writes_nothing(user):
    with pytest.raises(ValidationError) as error:
        engine.commit(GROUPS, table=table([["East"], ["West"]]), user=user, options={"fail_after": 2})

    assert error.value.code == "conflict"
    assert not teams()


def test_the_commit_checks_the_rows_again_against_the_database_as_it_is_now(user):
    rows = table([["East"]])
    assert engine.dry_run(GROUPS, table=rows, user=user).new_count == 1
    Group.objects.create(name="East")  # someone else, between the dry run and the commit

    report = engine.commit(GROUPS, table=rows, user=user)

    assert [c.action for c in report.changes] == ["unchanged"]
    assert teams() == ["East"]


@pytest.mark.parametrize("mapping,code,message", [
    ({"0": "note"}, "missing_columns", "Required columns are missing: name."),
    ({"0": "name", "1": "name"}, "column_twice", "Each field may come from one column only: name."),
    ({"0": "name", "1": "colour"}, "unknown_column", "Unknown field: colour."),
])
def test_it_refuses_a_mapping_without_a_required_column_or_with_a_column_twice(user, mapping, code, message):
    with pytest.raises(ImportFileError) as error:
        engine.dry_run(GROUPS, table=table([["East", "x"]]), user=user, mapping=mapping)

    assert (error.value.code, error.value.messages) == (code, [message])


def test_it_stages_an_upload_in_the_database_and_reuses_it_for_the_same_file(user):
    first = engine.upload_stage(GROUPS, user=user, file_name="teams.csv", content=csv_bytes([["名称"], ["East"]]))
    again = engine.upload_stage(GROUPS, user=user, file_name="teams (1).csv", content=csv_bytes([["名称"], ["East"]]))

    assert again.pk == first.pk
    upload = ImportUpload.objects.get()
    assert (upload.kind, upload.status, upload.file_name, upload.row_count) == ("groups", "dry_run", "teams (1).csv", 1)
    assert upload.column_mapping == {"0": "name"}
    assert upload.table == {"headers": ["名称"], "rows": [[2, ["East"]]], "encoding": "utf-8"}
    assert upload.report["rows"][0]["change"] == {"action": "new", "subject": "East", "detail": ""}
    assert engine.upload_open(GROUPS, user=user, checksum=upload.file_sha256) == upload
    assert engine.upload_open(GROUPS, user=ManagerFactory(), checksum=upload.file_sha256) is None
    assert not teams()


def test_a_file_whose_columns_are_incomplete_is_refused_or_staged_with_the_problem(user):
    content = csv_bytes([["Note"], ["x"]])
    with pytest.raises(ImportFileError):
        engine.upload_stage(GROUPS, user=user, file_name="t.csv", content=content)
    assert not ImportUpload.objects.exists()

    class MappedByTheUser(GroupsImport):
        mapping_editable = True

    upload = engine.upload_stage(MappedByTheUser(), user=user, file_name="t.csv", content=content)

    assert upload.report["mapping_errors"] == ["Required columns are missing: name."]
    assert upload.report["rows"] == []


def test_a_staged_upload_commits_once_as_its_uploader_with_its_counts(user):
    upload = engine.upload_stage(PARTIAL, user=user, file_name="t.csv", content=csv_bytes([["Name", "Note"], ["East"], ["", "no name"]]))
    with pytest.raises(PermissionDenied):
        engine.upload_commit(PARTIAL, upload=upload, user=ManagerFactory())

    upload = engine.upload_commit(PARTIAL, upload=upload, user=user)

    assert upload.status == ImportUpload.Status.COMMITTED and upload.committed_at is not None
    assert (upload.created_count, upload.skipped_count, upload.error_count) == (1, 0, 1)
    assert engine.upload_report(PARTIAL, upload).committed
    with pytest.raises(ValidationError) as error:
        engine.upload_commit(PARTIAL, upload=upload, user=user)
    assert error.value.messages == ["This import has been committed already."]
    assert teams() == ["East"]


def test_an_all_or_nothing_upload_with_errors_stays_staged(user):
    upload = engine.upload_stage(GROUPS, user=user, file_name="t.csv", content=csv_bytes([["Name"], ["East"]]))
    # Staged, then checked again at the commit: the rows as staged hold a second "East".
    upload.table = {"headers": ["Name"], "rows": [[2, ["East"]], [3, ["East"]]]}
    upload.save()

    upload = engine.upload_commit(GROUPS, upload=upload, user=user)

    assert upload.status == ImportUpload.Status.DRY_RUN
    assert upload.report["rows"][1]["errors"][0]["message"] == "The same as row 2."
    assert not teams()


def test_the_database_refuses_a_committed_upload_without_its_commit_time(user):
    from django.db import IntegrityError, transaction

    upload = engine.upload_stage(GROUPS, user=user, file_name="t.csv", content=csv_bytes([["Name"], ["East"]]))
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportUpload.objects.filter(pk=upload.pk).update(status=ImportUpload.Status.COMMITTED)


class CountedGroupsImport(PartialGroupsImport):
    """Groups, counting the rows it checks."""

    mapping_editable = True
    checked = 0

    def check_row(self, row, context):
        type(self).checked += 1
        super().check_row(row, context)


def test_the_check_runs_once_unless_the_mapping_changes(user):
    kind = CountedGroupsImport()
    content = csv_bytes([["Name", "Note"], ["East", "x"], ["West", "y"]])
    upload = engine.upload_stage(kind, user=user, file_name="t.csv", content=content)
    assert kind.checked == 2
    upload.decisions = {"chosen": True}
    upload.save()

    upload = engine.upload_dry_run(kind, upload=upload, user=user, mapping={"0": "name", "1": "note"})
    assert kind.checked == 2  # the mapping guessed on upload, confirmed: not checked again
    assert upload.decisions == {"chosen": True}

    upload = engine.upload_dry_run(kind, upload=upload, user=user, mapping={"0": "name", "1": ""})
    assert kind.checked == 4
    upload.refresh_from_db()
    assert upload.column_mapping == {"0": "name"}
    assert upload.decisions == {}  # a new check starts the decisions afresh

    engine.upload_stage(kind, user=user, file_name="t.csv", content=content)
    assert kind.checked == 6  # uploading the file again checks it again


def test_a_big5_file_is_checked_with_a_warning_that_says_how_it_was_read(user):
    upload = engine.upload_stage(GROUPS, user=user, file_name="t.csv",
                                 content=csv_bytes([["Name"], ["陳大文"], ["黃美玲"]], encoding="big5"))

    assert upload.report["rows"][0]["change"]["subject"] == "陳大文"
    assert upload.report["warnings"] == [
        "The file was read as Big5 (traditional Chinese characters). If the names below look wrong, "
        "save the file as “CSV UTF-8” and upload it again."]
