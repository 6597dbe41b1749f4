"""The shape of an administrator's settings row: one row (pk 1, which each model's check
constraint enforces), created by a data migration, read through ``current()``."""

from django.db import models


class SettingsRow(models.Model):
    class Meta:
        abstract = True

    @classmethod
    def current(cls):
        """The settings row; the defaults if the row is missing (it is created by a migration)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)
