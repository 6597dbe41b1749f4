"""Who reaches each client-scoped portfolio URL: the owner, their team lead and administrators do;
another RM's client does not exist (404); compliance reads and changes nothing (edit URLs are 404)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from portfolios.services import rebalance_proposal_create

from .factories import AlertFactory, GoalFactory, HoldingFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(client_record, owner):
    """One of everything a portfolio URL can name, all belonging to the owner's client."""
    client_record.risk_level = "C3"
    client_record.save(update_fields=["risk_level"])
    holding = HoldingFactory(account__client=client_record, instrument=InstrumentFactory(asset_class="equity"))
    HoldingFactory(account__client=client_record, instrument=InstrumentFactory(asset_class="cash"))
    proposal = rebalance_proposal_create(client=client_record, created_by=owner, minimum_trade=Decimal("0"))
    return {
        "client": client_record.pk, "holding": holding.pk, "proposal": proposal.pk,
        "goal": GoalFactory(client=client_record).pk, "alert": AlertFactory(client=client_record).pk,
    }


# (URL name, the object its pk names)
READ_URLS = [("client-portfolio", "client"), ("proposal-detail", "proposal")]
EDIT_URLS = [
    ("rebalance", "client"), ("goal-create", "client"), ("drawdown-edit", "client"), ("goal-edit", "goal"),
    ("holding-stop-loss", "holding"),
]
POST_ONLY_URLS = [("alert-acknowledge", "alert"), ("proposal-status", "proposal")]
ALL_URLS = READ_URLS + EDIT_URLS + POST_ONLY_URLS


def url(name, objects, kind):
    return reverse(f"portfolios:{name}", args=[objects[kind]])


@pytest.mark.parametrize("name, kind", READ_URLS + EDIT_URLS)
@pytest.mark.parametrize("user", ["owner", "team_lead", "administrator"])
def test_it_serves_the_pages_to_those_who_serve_the_client(client, request, objects, user, name, kind):
    client.force_login(request.getfixturevalue(user))

    assert client.get(url(name, objects, kind)).status_code == 200


@pytest.mark.parametrize("name, kind", POST_ONLY_URLS)
def test_it_accepts_the_owners_posts(client, owner, objects, name, kind):
    client.force_login(owner)

    assert client.post(url(name, objects, kind), {"status": "presented"}).status_code == 302


@pytest.mark.parametrize("name, kind", ALL_URLS)
@pytest.mark.parametrize("user", ["teammate", "outsider", "other_lead"])
def test_another_rms_client_does_not_exist(client, request, objects, user, name, kind):
    client.force_login(request.getfixturevalue(user))
    target = url(name, objects, kind)

    if (name, kind) not in POST_ONLY_URLS:
        assert client.get(target).status_code == 404
    if (name, kind) not in READ_URLS:
        assert client.post(target, {"status": "presented", "minimum_trade": "0", "max_drawdown_pct": "5"}
                           ).status_code == 404


@pytest.mark.parametrize("name, kind", READ_URLS)
def test_compliance_reads_the_pages(client, compliance, objects, name, kind):
    client.force_login(compliance)

    assert client.get(url(name, objects, kind)).status_code == 200


@pytest.mark.parametrize("name, kind", EDIT_URLS + POST_ONLY_URLS)
def test_compliance_changes_nothing(client, compliance, objects, name, kind):
    client.force_login(compliance)
    target = url(name, objects, kind)

    if (name, kind) not in POST_ONLY_URLS:
        assert client.get(target).status_code == 404
    assert client.post(target, {"status": "presented", "minimum_trade": "0", "max_drawdown_pct": "5"}
                       ).status_code == 404


@pytest.mark.parametrize("name, kind", READ_URLS)
def test_the_read_pages_take_no_posts(client, owner, objects, name, kind):
    client.force_login(owner)

    assert client.post(url(name, objects, kind)).status_code == 405


@pytest.mark.parametrize("name, kind", ALL_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, objects, name, kind):
    response = client.get(url(name, objects, kind))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
