"""A small hand-built book for the reports' tests: the owner's two clients with valuation history,
the teammate's client, the outsider's client (another team) and a merged-away record."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from crm.models import Client
from portfolios.models import ValuationSnapshot
from tests.factories import ClientFactory

TODAY = date(2026, 6, 15)


@dataclass
class Book:
    big: Client  # the owner's, HNW
    small: Client  # the owner's, mass
    teammates: Client
    outsiders: Client
    merged: Client


@pytest.fixture
def book(owner, teammate, outsider, team_lead, other_lead):
    big = ClientFactory(legal_name="Big Client", manager=owner, aum_total=Decimal("1000000.00"),
                        aum_tier=Client.AumTier.HNW, risk_level="C4")
    small = ClientFactory(legal_name="Small Client", manager=owner, aum_total=Decimal("250000.50"),
                          aum_tier=Client.AumTier.MASS)
    teammates = ClientFactory(legal_name="Teammate Client", manager=teammate, aum_total=Decimal("600000.00"),
                              aum_tier=Client.AumTier.AFFLUENT)
    outsiders = ClientFactory(legal_name="Outsider Client", manager=outsider, aum_total=Decimal("7000000.00"),
                              aum_tier=Client.AumTier.HNW)
    merged = ClientFactory(legal_name="Merged Away", manager=owner, aum_total=Decimal("5000000.00"),
                           aum_tier=Client.AumTier.HNW, status=Client.Status.MERGED)
    ValuationSnapshot.objects.bulk_create([
        ValuationSnapshot(client=big, valuation_date=date(2025, 12, 31), aum=Decimal("800000.00"), currency="CNY"),
        ValuationSnapshot(client=big, valuation_date=date(2026, 5, 10), aum=Decimal("900000.00"), currency="CNY"),
        ValuationSnapshot(client=big, valuation_date=date(2026, 5, 20), aum=Decimal("950000.00"), currency="CNY"),
        ValuationSnapshot(client=small, valuation_date=date(2026, 1, 15), aum=Decimal("200000.25"), currency="CNY"),
        ValuationSnapshot(client=merged, valuation_date=date(2025, 12, 31), aum=Decimal("4000000.00"),
                          currency="CNY"),
        ValuationSnapshot(client=outsiders, valuation_date=date(2025, 12, 31), aum=Decimal("6000000.00"),
                          currency="CNY"),
    ])
    return Book(big=big, small=small, teammates=teammates, outsiders=outsiders, merged=merged)
