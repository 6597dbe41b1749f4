"""The access rule written so that an index can serve it (``crm.access._InSubquery``): the same
clients for every role as the rule says, in one query, and on PostgreSQL as
``= ANY(ARRAY(SELECT ...))`` (an InitPlan and index scans) instead of ``OR EXISTS`` (a scan of
every client)."""

import pytest
from django.db import connection
from django.utils import timezone

from crm import access
from crm.models import Assignment, Client
from tests.factories import AssignmentFactory, ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(owner, teammate, outsider, team_lead, other_lead):
    """One client of each kind the rule distinguishes."""
    clients = {
        "own": ClientFactory(manager=owner),
        "teammate's": ClientFactory(manager=teammate),
        "outsider's": ClientFactory(manager=outsider),
        "backup": ClientFactory(manager=outsider),
        "ended backup": ClientFactory(manager=outsider),
        "unassigned": ClientFactory(),
        "lead's own": ClientFactory(manager=team_lead),
    }
    AssignmentFactory(client=clients["backup"], manager=owner)
    now = timezone.now()
    AssignmentFactory(client=clients["ended backup"], manager=owner, started_at=now - timezone.timedelta(days=9),
                      ended_at=now)
    return clients


def names(book, queryset):
    by_pk = {client.pk: name for name, client in book.items()}
    return sorted(by_pk[pk] for pk in queryset.values_list("pk", flat=True))


def test_each_role_sees_what_the_rule_says(book, owner, teammate, team_lead, other_lead, compliance, administrator):
    assert names(book, access.client_list_visible(user=owner)) == ["backup", "own"]
    assert names(book, access.client_list_served(user=owner)) == ["backup", "own"]
    assert names(book, access.client_list_visible(user=teammate)) == ["teammate's"]
    assert names(book, access.client_list_visible(user=team_lead)) == sorted(
        ["own", "teammate's", "unassigned", "lead's own"])
    assert names(book, access.client_list_served(user=team_lead)) == ["lead's own", "unassigned"]
    assert names(book, access.client_list_visible(user=other_lead)) == sorted(
        ["outsider's", "backup", "ended backup", "unassigned"])
    assert len(names(book, access.client_list_visible(user=compliance))) == len(book)
    assert len(names(book, access.client_list_visible(user=administrator))) == len(book)


def test_a_lead_who_is_also_a_backup_rm_sees_that_client(book, team_lead):
    AssignmentFactory(client=book["outsider's"], manager=team_lead)
    assert "outsider's" in names(book, access.client_list_visible(user=team_lead))
    assert "outsider's" in names(book, access.client_list_served(user=team_lead))


def test_the_visible_clients_are_one_query_in_the_index_friendly_shape(book, owner, team_lead,
                                                                        django_assert_num_queries):
    for user in (owner, team_lead):
        visible = access.client_list_visible(user=user)  # the role lookup (cached on the user) runs here
        with django_assert_num_queries(1):
            list(visible)
        sql = str(visible.query)
        assert "EXISTS" not in sql
        if connection.vendor == "postgresql":
            assert "= ANY(ARRAY(SELECT" in sql
        else:
            assert " IN (SELECT" in sql


def test_among_clients_filters_another_model_by_the_visible_clients(book, owner):
    rows = Assignment.objects.filter(access.among_clients(access.client_list_visible(user=owner)),
                                     role=Assignment.Role.PRIMARY)
    assert sorted(Client.objects.get(pk=row.client_id).pk for row in rows) == sorted(
        [book["own"].pk, book["backup"].pk])


def test_whether_a_visible_client_may_be_edited_is_answered_without_a_query_as_the_rule_says(
        book, owner, teammate, team_lead, other_lead, compliance, administrator, django_assert_num_queries):
    """The client and portfolio pages ask ``client_visible_may_edit`` instead of ``client_may_edit``:
    for every role and every client the role sees, the same answer."""
    for user in (owner, teammate, team_lead, other_lead, compliance, administrator):
        user = type(user).objects.get(pk=user.pk)  # roles not yet read
        visible = list(access.client_list_visible(user=user).values_list("pk", flat=True))
        access.client_visible_may_edit(user=user)  # reads the user's roles (once per request)
        with django_assert_num_queries(0):
            answer = access.client_visible_may_edit(user=user)
        assert all(answer == access.client_may_edit(user=user, client_id=pk) for pk in visible), user
    assert not access.client_visible_may_edit(user=compliance)
    assert access.client_visible_may_edit(user=owner) and access.client_visible_may_edit(user=administrator)
