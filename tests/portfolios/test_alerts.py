"""Open alerts: only on clients the user may see, newest first; acknowledging keeps them open."""

import datetime

import pytest

from portfolios import services
from portfolios.selectors import alert_list_open
from tests.factories import ClientFactory

from .factories import AlertFactory

pytestmark = pytest.mark.django_db


def at(hour: int) -> datetime.datetime:
    return datetime.datetime(2026, 11, 20, hour, tzinfo=datetime.UTC)


@pytest.fixture
def alerts(client_record, teammate):
    older = AlertFactory(client=client_record, raised_at=at(8))
    newer = AlertFactory(client=client_record, raised_at=at(9))
    AlertFactory(client=client_record, raised_at=at(10), resolved_at=at(11))  # resolved
    AlertFactory(client=ClientFactory(manager=teammate), raised_at=at(12))  # someone else's client
    return newer, older


def test_it_lists_the_open_alerts_of_the_users_clients_newest_first(owner, alerts):
    assert list(alert_list_open(user=owner)) == list(alerts)


def test_it_shows_an_outsider_nothing(outsider, alerts):
    assert list(alert_list_open(user=outsider)) == []


def test_it_shows_compliance_every_open_alert(compliance, alerts):
    assert alert_list_open(user=compliance).count() == 3


def test_it_keeps_an_acknowledged_alert_open_and_acknowledges_once(owner, teammate, alerts):
    newer, older = alerts

    services.alert_acknowledge(alert=newer, user=owner)
    services.alert_acknowledge(alert=newer, user=teammate)

    newer.refresh_from_db()
    assert (newer.acknowledged_by, newer.resolved_at) == (owner, None)
    assert list(alert_list_open(user=owner)) == [newer, older]
    assert list(alert_list_open(user=owner, include_acknowledged=False)) == [older]


def test_it_shows_each_reader_the_alert_in_their_language(client, owner, client_record):
    from django.urls import reverse

    from portfolios.models import Alert

    details = Alert.message_details(
        "%(code)s is at %(price)s, at or below its stop-loss price of %(stop)s.",
        {"code": "AAPL", "price": "150", "stop": "160"},
    )
    AlertFactory(client=client_record, kind=Alert.Kind.STOP_LOSS, details=details,
                 message=Alert.message_stored(details))
    client.force_login(owner)
    english = client.get(reverse("dashboard")).content.decode()
    assert "AAPL is at 150, at or below its stop-loss price of 160." in english
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    chinese = client.get(reverse("dashboard")).content.decode()
    assert "AAPL is at 150" not in chinese
    assert "AAPL" in chinese and "160" in chinese
