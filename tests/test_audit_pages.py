"""The client's History tab, compliance's search over every change with its export, and the log of
who looked at sensitive data."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Client, SensitiveView
from tests.factories import ClientFactory
from tests.portfolios.factories import AccountFactory, HoldingFactory

pytestmark = pytest.mark.django_db


def history_url(client_record):
    return reverse("crm:client-history", args=[client_record.pk])


def edit(http, user, client_record, **fields):
    """Change the client as ``user`` through a request, so the history row has a user and a request."""
    from tests.crm.test_client_forms import form_data

    http.force_login(user)
    response = http.post(reverse("crm:client-edit", args=[client_record.pk]),
                         form_data(legal_name=client_record.legal_name, **fields))
    assert response.status_code == 302


# --- History tab -------------------------------------------------------------------------


def test_the_owner_sees_old_and_new_values_on_the_history_tab(client, owner, client_record):
    edit(client, owner, client_record, occupation="Engineer")
    edit(client, owner, client_record, occupation="Surgeon")
    response = client.get(history_url(client_record))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Engineer</span> → <span class=\"text-break\">Surgeon" in page
    assert str(owner) in page
    assert "127.0.0.1" in page


def test_the_history_tab_shows_the_clients_holdings_from_the_portfolios_app(client, owner, client_record):
    holding = HoldingFactory(account=AccountFactory(client=client_record))
    client.force_login(owner)
    client.post(reverse("portfolios:holding-stop-loss", args=[holding.pk]), {"stop_loss_pct": "12"})
    page = client.get(history_url(client_record)).content.decode()
    assert "holding" in page.lower() and "12.00" in page


def test_an_outsider_gets_404_and_compliance_reads_the_history_tab(client, outsider, compliance, owner,
                                                                   client_record):
    edit(client, owner, client_record, occupation="Surgeon")
    client.force_login(outsider)
    assert client.get(history_url(client_record)).status_code == 404
    client.force_login(compliance)
    response = client.get(history_url(client_record))
    assert response.status_code == 200
    assert "Surgeon" in response.content.decode()


def test_the_history_tab_does_not_show_other_clients_changes(client, owner, client_record):
    other = ClientFactory(primary_manager=owner, legal_name="Other Person")
    services.client_update(client=other, occupation="Astronaut")
    client.force_login(owner)
    page = client.get(history_url(client_record)).content.decode()
    assert "Astronaut" not in page


def test_the_history_tab_costs_the_same_queries_however_long_the_history(client, owner, client_record):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(history_url(client_record)).status_code == 200
        return len(captured)

    edit(client, owner, client_record, occupation="A")
    few = queries()
    for number in range(30):
        edit(client, owner, client_record, occupation=f"Job {number}")
    # Session, user and roles, the client, the UNION page, each table's rows with their previous
    # versions, the staff named and the clients' names: the same whatever the number of changes.
    assert queries() == few


# --- Compliance's search and export ---------------------------------------------------------


def test_compliance_filters_changes_by_user_client_record_and_date(client, owner, teammate, compliance,
                                                                   client_record):
    other = ClientFactory(primary_manager=teammate, legal_name="Wang Fang")
    edit(client, owner, client_record, occupation="Surgeon")
    edit(client, teammate, other, occupation="Baker", id_number="E 8765 4321")
    client.force_login(compliance)
    url = reverse("crm:audit-changes")

    by_user = client.get(url, {"user": teammate.pk}).content.decode()
    assert "Baker" in by_user and "Surgeon" not in by_user
    by_client = client.get(url, {"client": "Zhang"}).content.decode()
    assert "Surgeon" in by_client and "Baker" not in by_client
    by_number = client.get(url, {"client": str(other.pk)}).content.decode()
    assert "Baker" in by_number and "Surgeon" not in by_number
    by_model = client.get(url, {"model": "crm.assignment"}).content.decode()
    assert "Surgeon" not in by_model and "RM assignment" in by_model
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "No recorded changes." in client.get(url, {"date_from": tomorrow}).content.decode()
    today = timezone.localdate().isoformat()
    assert "Surgeon" in client.get(url, {"date_from": today, "date_to": today}).content.decode()


def test_the_export_has_one_row_per_changed_field_and_no_live_formula(client, owner, compliance, client_record):
    edit(client, owner, client_record, occupation="=HYPERLINK(\"http://evil\")")
    client.force_login(compliance)
    response = client.get(reverse("crm:audit-changes-export"), {"client": str(client_record.pk), "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    occupation = [row for row in rows if row[7] == "occupation"]
    assert occupation and occupation[0][9] == "'=HYPERLINK(\"http://evil\")"
    assert occupation[0][1] == str(owner) and occupation[0][11] == "127.0.0.1"
    view = SensitiveView.objects.get(what=SensitiveView.What.AUDIT_EXPORT)
    assert view.user == compliance and f"client={client_record.pk}" in view.detail


def test_the_export_is_an_xlsx_when_asked(client, compliance, client_record):
    client.force_login(compliance)
    response = client.get(reverse("crm:audit-changes-export"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_rms_and_team_leads_cannot_search_or_export_the_audit_trail(client, owner, team_lead):
    for user in (owner, team_lead):
        client.force_login(user)
        for name in ("crm:audit-changes", "crm:audit-changes-export", "crm:audit-views"):
            assert client.get(reverse(name)).status_code == 404


# --- Views of sensitive data ----------------------------------------------------------------


def test_opening_a_client_page_logs_one_view(client, owner, client_record):
    client.force_login(owner)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("crm:client-detail", args=[client_record.pk])).status_code == 200
    inserts = [q for q in captured.captured_queries if "crm_sensitiveview" in q["sql"]]
    assert len(inserts) == 1 and inserts[0]["sql"].startswith("INSERT")
    view = SensitiveView.objects.get()
    assert (view.user, view.client, view.what) == (owner, client_record, SensitiveView.What.CLIENT_PAGE)
    assert view.ip_address == "127.0.0.1" and len(view.request_id) == 32


def test_a_refused_client_page_logs_nothing(client, outsider, client_record):
    client.force_login(outsider)
    assert client.get(reverse("crm:client-detail", args=[client_record.pk])).status_code == 404
    assert not SensitiveView.objects.exists()


def test_opening_a_portfolio_and_exporting_clients_are_logged_with_the_filter(client, owner, client_record):
    client.force_login(owner)
    assert client.get(reverse("portfolios:client-portfolio", args=[client_record.pk])).status_code == 200
    assert client.get(reverse("crm:client-export"), {"q": "Zhang", "format": "xlsx"}).status_code == 200
    portfolio, export = SensitiveView.objects.order_by("id")
    assert (portfolio.what, portfolio.client) == (SensitiveView.What.PORTFOLIO_PAGE, client_record)
    assert export.what == SensitiveView.What.CLIENT_EXPORT and export.client is None
    assert export.detail == "xlsx: q=Zhang"


def test_compliance_reviews_the_views_by_user_and_client(client, owner, teammate, compliance, client_record):
    other = ClientFactory(primary_manager=teammate, legal_name="Wang Fang")
    client.force_login(owner)
    client.get(reverse("crm:client-detail", args=[client_record.pk]))
    client.force_login(teammate)
    client.get(reverse("crm:client-detail", args=[other.pk]))
    client.force_login(compliance)
    url = reverse("crm:audit-views")
    page = client.get(url, {"user": owner.pk}).content.decode()
    assert "Zhang Wei" in page and "Wang Fang" not in page
    page = client.get(url, {"client": "Wang"}).content.decode()
    assert "Wang Fang" in page and "Zhang Wei" not in page
    assert Client.objects.count() == 2


def test_compliance_finds_a_price_change_which_no_clients_history_tab_shows(client, owner, compliance,
                                                                           client_record, administrator):
    from decimal import Decimal

    from portfolios.models import InstrumentPrice
    from tests.portfolios.factories import InstrumentFactory

    instrument = InstrumentFactory(code="600519")
    price = InstrumentPrice(instrument=instrument, price_date=timezone.localdate(), price=Decimal("1500"),
                            currency="CNY")
    price._history_user = administrator
    price.save()
    client.force_login(compliance)
    page = client.get(reverse("crm:audit-changes"), {"model": "portfolios.instrumentprice"}).content.decode()
    assert "1500" in page and str(administrator) in page
    everything = client.get(reverse("crm:audit-changes")).content.decode()
    assert "1500" in everything and "Zhang Wei" in everything  # prices and client changes in one list
    assert "1500" not in client.get(history_url(client_record)).content.decode()
    assert "1500" not in client.get(reverse("crm:audit-changes"), {"client": "Zhang"}).content.decode()


def test_a_team_lead_reads_id_and_phone_numbers_masked_on_the_history_tab(client, owner, team_lead, compliance,
                                                                          client_record):
    edit(client, owner, client_record, phone="139 1234 5678")
    client.force_login(team_lead)
    page = client.get(history_url(client_record)).content.decode()
    assert "+8613912345678" not in page and "+86139****5678" in page
    assert "E12345678" not in page
    client.force_login(compliance)
    assert "+8613912345678" in client.get(history_url(client_record)).content.decode()
