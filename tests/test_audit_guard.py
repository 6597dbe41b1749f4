"""The database itself refuses to change or delete audit rows (crm.audit_guard): every simple-history
table, the append-only records, the view log and Django's admin log, on SQLite and PostgreSQL. A new
audited model whose table lacks the triggers fails here."""

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from simple_history.models import HistoricalChanges

from communications import feedback_services
from communications.models import ComplaintEvent
from crm import audit_guard, services
from crm.history import history_note
from crm.models import Client, ClientMerge, LifecycleTransition, SensitiveView
from tests.factories import ClientFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def refused(action) -> bool:
    try:
        with transaction.atomic():
            action()
    except IntegrityError as error:
        assert audit_guard.MESSAGE in str(error)
        return True
    return False


def test_every_audit_bearing_table_has_its_triggers():
    assert audit_guard.audit_tables_unguarded() == []


def test_every_historical_model_and_record_counts_as_audit_bearing():
    tables = {model._meta.db_table for model in audit_guard.audit_models()}
    historical = {model._meta.db_table for model in apps.get_models() if issubclass(model, HistoricalChanges)}
    assert historical and historical <= tables
    assert Client.history.model._meta.db_table in tables
    assert Client.history.model.tags.model._meta.db_table in tables  # the tags each history row kept
    for model in (LifecycleTransition, ClientMerge, ComplaintEvent, SensitiveView, LogEntry):
        assert model._meta.db_table in tables


def test_a_table_without_triggers_is_reported_and_installing_them_again_fixes_it():
    table = Client.history.model._meta.db_table
    audit_guard.audit_triggers_remove()
    assert table in audit_guard.audit_tables_unguarded()
    assert table in audit_guard.audit_triggers_install()
    assert audit_guard.audit_tables_unguarded() == []


def test_history_rows_cannot_be_changed_or_deleted_by_any_query(owner, client_record):
    client_record.tags.add(TagFactory(name="vip"))
    rows = client_record.history.all()
    assert refused(lambda: rows.update(history_change_reason="edited"))
    assert refused(lambda: rows.delete())
    assert refused(lambda: client_record.history.model.tags.model.objects.all().delete())
    with connection.cursor() as cursor:
        assert refused(lambda: cursor.execute(f"DELETE FROM {rows.model._meta.db_table}"))
    assert client_record.history.filter(history_change_reason="edited").count() == 0
    # Writing history goes on.
    services.client_update(client=client_record, occupation="Pilot")
    assert client_record.history.first().occupation == "Pilot"


def test_records_the_view_log_and_the_admin_log_are_append_only(owner, administrator, client_record):
    services.lifecycle_transition(client=client_record, to_stage=Client.LifecycleStage.DEVELOPMENT,
                                  reason="Met", changed_by=owner)
    complaint = feedback_services.complaint_raise(client=client_record, description="Late", raised_by=owner)
    SensitiveView.objects.create(user=owner, what=SensitiveView.What.CLIENT_PAGE, client=client_record)
    LogEntry.objects.create(user=administrator, content_type=ContentType.objects.get_for_model(Client),
                            object_id=str(client_record.pk), object_repr="x", action_flag=ADDITION)
    for rows in (LifecycleTransition.objects.all(), ComplaintEvent.objects.filter(complaint=complaint),
                 SensitiveView.objects.all(), LogEntry.objects.all()):
        assert rows.exists()
        assert refused(lambda rows=rows: rows.delete())
    assert refused(lambda: LifecycleTransition.objects.update(reason="rewritten"))
    assert refused(lambda: SensitiveView.objects.update(detail="rewritten"))


def test_a_client_with_a_trail_cannot_be_deleted_nor_a_staff_member_who_changed_something(owner, client_record):
    record = services.client_create(created_by=owner, legal_name="Liu Yang", phone="+8613912345678")
    assert refused(lambda: Client.objects.filter(pk=record.pk).delete())
    editor = UserFactory(username="editor")
    history_note(client_record, user=editor)
    services.client_update(client=client_record, occupation="Pilot")
    assert refused(lambda: editor.delete())  # their history rows would lose their author (SET_NULL)
    assert Client.objects.filter(pk=record.pk).exists()


def test_the_guard_can_be_lifted_on_purpose_and_is_back_afterwards(client_record):
    with audit_guard.audit_rows_unlocked():
        client_record.history.update(history_change_reason="purged by policy")
    assert refused(lambda: client_record.history.update(history_change_reason="again"))


# serialized_rollback: the roles the data migration made come back after this test's own flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flush_empties_a_database_with_audit_rows_and_the_guard_holds_after(owner):
    ClientFactory(legal_name="Flushed", manager=owner)
    call_command("flush", interactive=False, verbosity=0)
    assert not Client.history.exists()
    assert audit_guard.audit_tables_unguarded() == []
    record = ClientFactory(legal_name="After")
    assert refused(lambda: record.history.all().delete())
