from django.contrib import admin

from .models import ImportUpload


@admin.register(ImportUpload)
class ImportUploadAdmin(admin.ModelAdmin):
    """Every staged and committed upload of every kind, to read; the import pages change them."""

    list_display = ("file_name", "kind", "status", "row_count", "created_count", "updated_count", "skipped_count",
                    "error_count", "uploaded_by", "uploaded_at", "committed_at")
    list_filter = ("kind", "status")
    search_fields = ("file_name", "file_sha256")
    exclude = ("table",)  # the file's rows: large, and the report says what matters

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an import is part of the audit trail: the rows it wrote point to it
