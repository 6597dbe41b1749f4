"""The book's suitability counts (dashboard, risk overview, team report) read each client's holdings
by product rating, kept by the services; they must always equal the count over the holdings
themselves (``holding_list_unsuitable``), and cost the same number of queries whatever the book's size."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Client
from crm.scales import RiskBasis
from crm.services import client_risk_level_set
from portfolios import selectors, services, suitability_selectors
from portfolios.models import ClientRatedHoldings
from portfolios.services import ExceptionTerms
from tests.crm.test_admin_readonly import admin_form_data
from tests.factories import ClientFactory

from .factories import AccountFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


def level_set(client, level, *, valid_days=300):
    today = timezone.localdate()
    client_risk_level_set(client=client, level=level, basis=RiskBasis.ASSESSMENT,
                          assessed_on=today - timedelta(days=30), valid_until=today + timedelta(days=valid_days))


def live(clients) -> dict:
    """The same figures counted over the holdings themselves."""
    return selectors.holding_list_unsuitable(clients=clients).aggregate(
        holdings=Count("pk"), clients=Count("account__client", distinct=True))


def stored(clients) -> dict:
    return suitability_selectors.unsuitable_totals(clients=clients)


@pytest.fixture
def ratings(db):
    return {rating: InstrumentFactory(code=f"P{rating}", risk_rating=rating) for rating in ("R1", "R2", "R3", "R4", "R5")}


def test_it_counts_what_the_holdings_count_for_each_level_and_an_expired_assessment(owner, ratings):
    c2, c4, expired, unassessed = (ClientFactory(manager=owner) for _ in range(4))
    level_set(c2, "C2")
    level_set(c4, "C4")
    level_set(expired, "C5", valid_days=-1)  # only R1 suits once the assessment has expired
    for client in (c2, c4, expired, unassessed):
        for rating in ("R1", "R3", "R5"):
            HoldingFactory(account__client=client, instrument=ratings[rating])
    HoldingFactory(account__client=c2, instrument=InstrumentFactory(code="UNRATED", risk_rating=""))
    clients = Client.objects.all()

    assert stored(clients) == live(clients) == {"holdings": 2 + 1 + 2 + 2, "clients": 4}


def test_a_new_holding_through_holding_upsert_is_counted(owner, ratings):
    client = ClientFactory(manager=owner)
    account = AccountFactory(client=client)
    services.holding_upsert(account=account, instrument=ratings["R4"], quantity=Decimal("10"), cost=Decimal("10"),
                            market_value=Decimal("10"), currency="CNY", valuation_date=timezone.localdate())

    assert ClientRatedHoldings.objects.get(client=client).rated_r4 == 1
    assert stored(Client.objects.all()) == {"holdings": 1, "clients": 1}


def test_an_exception_takes_its_holding_out_of_the_count(owner, ratings):
    client = ClientFactory(manager=owner)
    holding = HoldingFactory(account__client=client, instrument=ratings["R3"])
    HoldingFactory(account__client=client, instrument=ratings["R2"])
    services.holding_suitability_exception_record(holding=holding, recorded_by=owner, terms=ExceptionTerms(
        reason="Inherited position", client_acknowledged=True, client_acknowledged_on=timezone.localdate()))

    assert stored(Client.objects.all()) == live(Client.objects.all()) == {"holdings": 1, "clients": 1}


def test_the_admins_account_switch_and_instrument_rating_change_recount(client, administrator, owner, ratings):
    customer = ClientFactory(manager=owner)
    holding = HoldingFactory(account__client=customer, instrument=ratings["R2"])
    client.force_login(administrator)

    url = reverse("admin:portfolios_instrument_change", args=[ratings["R2"].pk])
    response = client.post(url, admin_form_data(client.get(url), risk_rating="R1"))
    assert response.status_code == 302
    assert stored(Client.objects.all()) == live(Client.objects.all()) == {"holdings": 0, "clients": 0}

    ratings["R2"].refresh_from_db()
    response = client.post(url, admin_form_data(client.get(url), risk_rating="R5"))
    assert response.status_code == 302
    assert stored(Client.objects.all()) == {"holdings": 1, "clients": 1}

    url = reverse("admin:portfolios_account_change", args=[holding.account_id])
    data = admin_form_data(client.get(url))
    data.pop("is_active", None)  # unticked: the account is closed, its holdings no longer count
    assert client.post(url, data).status_code == 302
    assert stored(Client.objects.all()) == live(Client.objects.all()) == {"holdings": 0, "clients": 0}


def test_the_refresh_of_every_client_rebuilds_the_counts(owner, ratings):
    for _ in range(3):
        HoldingFactory(account__client=ClientFactory(manager=owner), instrument=ratings["R5"])
    ClientRatedHoldings.objects.all().delete()

    assert services.client_rated_holdings_refresh() == 3
    assert stored(Client.objects.all()) == live(Client.objects.all()) == {"holdings": 3, "clients": 3}


def test_the_book_totals_cost_one_query_whatever_the_book_size(owner, ratings, django_assert_num_queries):
    # One aggregate over the clients joined to their counts: no holding is read.
    for size in (1, 6):
        for _ in range(size):
            HoldingFactory(account__client=ClientFactory(manager=owner), instrument=ratings["R3"])
        with django_assert_num_queries(1):
            stored(Client.objects.filter(primary_manager=owner))


def test_the_team_report_per_rm_matches_the_holdings(owner, teammate, team_lead, ratings):
    from reports.selectors import team_dashboard

    for manager, count in ((owner, 2), (teammate, 1)):
        for _ in range(count):
            HoldingFactory(account__client=ClientFactory(manager=manager), instrument=ratings["R2"])
    rows = {row.manager.pk: row.unsuitable_clients for row in team_dashboard(user=team_lead)["rows"]}

    assert (rows[owner.pk], rows[teammate.pk]) == (2, 1)


def test_it_survives_a_second_refresh_at_once(owner, ratings):
    customer = ClientFactory(manager=owner)
    HoldingFactory(account__client=customer, instrument=ratings["R4"])
    services.client_rated_holdings_refresh(client_ids=[customer.pk])
    services.client_rated_holdings_refresh(client_ids=[customer.pk])

    assert ClientRatedHoldings.objects.filter(client=customer).count() == 1


def test_the_queries_capture_no_holding_table(owner, ratings):
    HoldingFactory(account__client=ClientFactory(manager=owner), instrument=ratings["R3"])
    with CaptureQueriesContext(connection) as queries:
        stored(Client.objects.all())
    assert "portfolios_holding" not in queries[0]["sql"]


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent transactions need PostgreSQL (SQLite has one writer at a time)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_recounts_of_one_client_at_once_leave_the_count_of_both_holdings(owner, ratings):
    """Two holdings of one client saved at once, each transaction recounting the client: the second
    recount waits for the first to commit (a lock on the client), so it counts both; without it, the
    last write would be a count that missed the other transaction's holding."""
    import threading
    import time

    from django.db import transaction

    client = ClientFactory(manager=owner)
    account = AccountFactory(client=client)
    first_counted = threading.Event()

    def first():
        try:
            with transaction.atomic():
                HoldingFactory.build(account=account, instrument=ratings["R5"]).save()  # build: no recount yet
                services.client_rated_holdings_refresh(client_ids=[client.pk])
                first_counted.set()
                time.sleep(1)  # the second transaction reaches its recount meanwhile
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_counted.wait(10)
    with transaction.atomic():
        HoldingFactory.build(account=account, instrument=ratings["R3"]).save()
        services.client_rated_holdings_refresh(client_ids=[client.pk])
    thread.join(10)
    row = ClientRatedHoldings.objects.get(client=client)
    assert (row.rated_r3, row.rated_r5) == (1, 1)
