"""crm 0012: a database migrated before django-axes gets the Administrator group's axes permissions
without anyone running role_permissions_sync by hand."""

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from crm.models import User

pytestmark = pytest.mark.django_db

migration = import_module("crm.migrations.0012_role_permissions_resync").Migration


def test_it_runs_after_every_axes_migration():
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    axes_leaves = {node for node in graph.leaf_nodes() if node[0] == "axes"}
    assert axes_leaves <= set(migration.dependencies)


def test_it_gives_a_non_superuser_administrator_the_axes_permissions_again(client, administrator):
    # As on a database migrated before axes: its permissions exist nowhere, no group holds them.
    Permission.objects.filter(content_type__app_label="axes").delete()
    assert not User.objects.get(pk=administrator.pk).has_perm("axes.delete_accessattempt")
    assert not administrator.is_superuser

    migration.operations[0].code(apps, None)

    administrator = User.objects.get(pk=administrator.pk)
    assert administrator.has_perm("axes.view_accessattempt")
    assert administrator.has_perm("axes.delete_accessattempt")
    client.force_login(administrator)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200


def test_running_it_twice_changes_nothing(compliance):
    migration.operations[0].code(apps, None)
    before = set(compliance.groups.get().permissions.values_list("pk", flat=True))
    migration.operations[0].code(apps, None)
    assert set(compliance.groups.get().permissions.values_list("pk", flat=True)) == before
