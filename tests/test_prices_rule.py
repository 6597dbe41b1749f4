"""Market data is the data desk's and administrators': a price revalues every holder of the
instrument in every team, so RMs and team leads may not import prices (nor edit FX rates), and
every price change is kept with who made it."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm import access
from crm.roles import Role
from dataimport import engine
from portfolios import imports
from portfolios.models import InstrumentPrice
from tests.factories import UserFactory
from tests.portfolios.factories import TODAY, FxRateFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db

URL = "portfolios:import-prices"


@pytest.fixture
def data_desk(db):
    user = UserFactory(username="desk", role=Role.DATA_DESK)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def other_teams_holding(outsider):
    """Another team's client holding the instrument an RM might try to price."""
    FxRateFactory(currency="USD")
    return HoldingFactory(account__client__manager=outsider, instrument=InstrumentFactory(code="600036"),
                          quantity=Decimal("1000"), market_value=Decimal("12970"), valuation_date=TODAY)


def prices_file(price: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("prices.csv", f"instrument code,price date,price,currency\n600036,{TODAY},{price},CNY\n"
                              .encode())


@pytest.mark.parametrize("who", ["owner", "team_lead", "compliance"])
def test_an_rm_a_lead_and_compliance_get_404_and_change_no_price(client, request, who, other_teams_holding):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse(URL)).status_code == 404
    assert client.post(reverse(URL), {"file": prices_file("4.51")}).status_code == 404
    assert not InstrumentPrice.objects.exists()
    other_teams_holding.refresh_from_db()
    assert other_teams_holding.market_value == Decimal("12970.00")


def test_the_import_kind_refuses_an_rm_whatever_the_path(owner, other_teams_holding):
    with pytest.raises(PermissionDenied):
        engine.upload_stage(imports.PRICES, user=owner, file_name="prices.csv", content=prices_file("4.51").read())
    assert not InstrumentPrice.objects.exists()


def test_the_data_desk_imports_prices_and_each_change_is_kept_with_who(client, data_desk, other_teams_holding):
    client.force_login(data_desk)
    for price in ("12.97", "12.50"):
        response = client.post(reverse(URL), {"file": prices_file(price)})
        assert response.status_code == 200 and response.context["report"].ok
        response = client.post(reverse(URL), {"checksum": response.context["commit_form"].initial["checksum"]})
        assert response.status_code == 200 and response.context["report"].committed
    price = InstrumentPrice.objects.get()
    assert price.price == Decimal("12.5")
    history = list(price.history.order_by("history_date").values_list("price", "history_type", "history_user"))
    assert history == [(Decimal("12.970000"), "+", data_desk.pk), (Decimal("12.500000"), "~", data_desk.pk)]


def test_only_market_data_roles_see_the_prices_link(client, owner, data_desk, client_record):
    HoldingFactory(account__client=client_record)
    client.force_login(owner)
    page = client.get(reverse("portfolios:client-portfolio", args=[client_record.pk])).content.decode()
    assert reverse(URL) not in page
    client.force_login(data_desk)
    assert reverse(URL) in client.get(reverse(URL)).content.decode()  # the navbar link


def test_the_roles_carry_the_market_data_permissions(administrator, data_desk, owner, team_lead):
    market = {"add_instrumentprice", "change_instrumentprice", "add_fxrate", "change_fxrate"}

    def codenames(role):
        return set(Permission.objects.filter(group__name=role.value, content_type__app_label="portfolios")
                   .values_list("codename", flat=True))

    assert market <= codenames(Role.DATA_DESK)
    assert not market & codenames(Role.RELATIONSHIP_MANAGER)
    assert not market & codenames(Role.TEAM_LEAD)
    assert market <= codenames(Role.ADMINISTRATOR)
    assert not {c for c in codenames(Role.DATA_DESK) if "client" in c or "holding" in c}
    assert Group.objects.filter(name="Data Desk").exists()
    assert [access.may_edit_market_data(u) for u in (administrator, data_desk, owner, team_lead)] == [
        True, True, False, False]


def test_the_data_desk_edits_fx_rates_in_admin_but_sees_no_client(client, data_desk, client_record):
    client.force_login(data_desk)
    assert client.get(reverse("admin:portfolios_fxrate_add")).status_code == 200
    assert client.get(reverse("admin:crm_client_changelist")).status_code == 403
