from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportUpload(models.Model):
    """One uploaded file of one kind, staged from the dry run to the commit.

    Holds the file's rows as read (``table``), the column mapping and the last report, so
    the commit reads exactly the rows the dry run checked, whichever process serves it.
    After the commit it stays as the record of the import, with its counts.
    """

    class Status(models.TextChoices):
        DRY_RUN = "dry_run", _("Checked (dry run)")
        COMMITTED = "committed", _("Committed")

    kind = models.CharField(_("kind"), max_length=40)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file checksum"), max_length=64, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRY_RUN)
    table = models.JSONField(_("rows as read"), default=dict, blank=True)
    column_mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    # What the user chose between the dry run and the commit, as the kind words it (for client
    # files: what to do with each kind of duplicate and with single rows); emptied by a new check.
    decisions = models.JSONField(_("decisions"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_uploads",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["kind", "uploaded_by", "status"], name="import_upload_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="dry_run", committed_at__isnull=True)
                | models.Q(status="committed", committed_at__isnull=False),
                name="import_upload_committed_at_with_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
