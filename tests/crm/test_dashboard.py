"""The home dashboard: the user's clients and AUM by tier, and the portfolio alerts panel."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_it_counts_the_users_clients_and_aum_by_tier(client, owner, outsider):
    ClientFactory(manager=owner, aum_tier="hnw", aum_total=Decimal("7000000"))
    ClientFactory(manager=owner, aum_tier="hnw", aum_total=Decimal("6000000"))
    ClientFactory(manager=owner, aum_tier="mass", aum_total=Decimal("100"))
    ClientFactory(manager=owner, aum_tier="mass", aum_total=Decimal("5"), status="merged")  # not counted
    ClientFactory(manager=outsider, aum_tier="hnw", aum_total=Decimal("9000000"))  # not theirs
    client.force_login(owner)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["client_count"] == 3
    tiers = {row["tier"]: (row["client_count"], row["aum_sum"]) for row in response.context["tiers"]}
    assert tiers == {"hnw": (2, Decimal("13000000")), "affluent": (0, Decimal("0")), "mass": (1, Decimal("100"))}
    page = response.content.decode()
    assert 'data-testid="dashboard-alerts"' in page
    assert "13,000,000" in page


def test_it_shows_aum_totals_to_the_cent(client, owner):
    ClientFactory(manager=owner, aum_tier="hnw", aum_total=Decimal("7000000.10"))
    ClientFactory(manager=owner, aum_tier="hnw", aum_total=Decimal("6000000.53"))
    client.force_login(owner)
    page = client.get(reverse("dashboard")).content.decode()
    assert "13,000,000.63 CNY" in page
    assert "13,000,000.630" not in page  # the database's sum carries more places; shown once, rounded
