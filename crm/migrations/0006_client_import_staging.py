"""Client imports move into the shared import engine's staging table (dataimport.ImportUpload,
kind "clients"); ClientImport stays as a proxy of it, and merges keep pointing at their import."""

from django.core.management.color import no_style
from django.db import migrations, models
import django.db.models.deletion

from crm.roles import role_permissions_sync

KIND = "clients"


def _after_copy(schema_editor, model) -> None:
    """Rows were written with their old ids: move the id sequence past them, and check the foreign
    keys now, so the schema changes that follow find no pending constraint checks (PostgreSQL)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def uploads_from_client_imports(apps, schema_editor):
    ClientImport = apps.get_model("crm", "ClientImport")
    ImportUpload = apps.get_model("dataimport", "ImportUpload")
    uploads = []
    for old in ClientImport.objects.order_by("pk").iterator():
        report = dict(old.report or {})
        table = report.pop("table", None) or {"headers": [], "rows": []}
        result = report.get("result")
        if result is not None:
            result = {"created": result.get("created", 0), "updated": result.get("merged", 0),
                      "skipped": result.get("skipped", 0), "errors": result.get("errors", 0)}
        committed = old.status == "committed"
        uploads.append(ImportUpload(
            pk=old.pk, kind=KIND, file_name=old.file_name, file_sha256=old.file_sha256,
            status="committed" if committed else "dry_run", table=table, column_mapping=old.column_mapping,
            report={
                "kind": KIND, "file_name": old.file_name, "checksum": old.file_sha256,
                "row_count": len(table["rows"]), "rows": report.get("rows", []),
                "mapping_errors": report.get("mapping_errors", []), "warnings": [],
                "summary": report.get("summary", {}), "result": result,
            },
            row_count=old.row_count, created_count=old.created_count, updated_count=old.updated_count,
            skipped_count=old.skipped_count, error_count=old.error_count, uploaded_by_id=old.uploaded_by_id,
            uploaded_at=old.uploaded_at, committed_at=(old.committed_at or old.uploaded_at) if committed else None,
        ))
    ImportUpload.objects.bulk_create(uploads, batch_size=100)
    _after_copy(schema_editor, ImportUpload)


def uploads_remove(apps, schema_editor):
    apps.get_model("dataimport", "ImportUpload").objects.filter(kind=KIND).delete()


def client_imports_from_uploads(apps, schema_editor):
    ClientImport = apps.get_model("crm", "ClientImport")
    ImportUpload = apps.get_model("dataimport", "ImportUpload")
    imports = []
    for upload in ImportUpload.objects.filter(kind=KIND).order_by("pk").iterator():
        report = {key: value for key, value in (upload.report or {}).items()
                  if key in ("rows", "summary", "mapping_errors")}
        result = (upload.report or {}).get("result")
        if result is not None:
            report["result"] = {"created": result.get("created", 0), "merged": result.get("updated", 0),
                                "skipped": result.get("skipped", 0), "errors": result.get("errors", 0)}
        imports.append(ClientImport(
            pk=upload.pk, file_name=upload.file_name, file_sha256=upload.file_sha256, status=upload.status,
            column_mapping=upload.column_mapping, report={**report, "table": upload.table},
            row_count=upload.row_count, created_count=upload.created_count, updated_count=upload.updated_count,
            skipped_count=upload.skipped_count, error_count=upload.error_count,
            uploaded_by_id=upload.uploaded_by_id, uploaded_at=upload.uploaded_at, committed_at=upload.committed_at,
        ))
    ClientImport.objects.bulk_create(imports, batch_size=100)
    _after_copy(schema_editor, ClientImport)


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0005_client_risk_basis"),
        ("dataimport", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(uploads_from_client_imports, uploads_remove),
        migrations.AlterField(
            model_name="clientmerge",
            name="source_import",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="merges", to="dataimport.importupload", verbose_name="import"),
        ),
        migrations.RunPython(migrations.RunPython.noop, client_imports_from_uploads),
        migrations.DeleteModel(
            name="ClientImport",
        ),
        migrations.CreateModel(
            name="ClientImport",
            fields=[],
            options={
                "verbose_name": "client import",
                "verbose_name_plural": "client imports",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("dataimport.importupload",),
        ),
        migrations.AlterField(
            model_name="clientmerge",
            name="source_import",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="merges", to="crm.clientimport", verbose_name="import"),
        ),
        # The staging table's permissions reach the roles (compliance reads every upload).
        migrations.RunPython(role_permissions_sync, migrations.RunPython.noop),
    ]
