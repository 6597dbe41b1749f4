"""Role × URL: every route of the site, who may open it and who may post to it.

The test walks Django's URL resolver, so a new route fails ``test_every_route_is_in_the_matrix``
until it has an entry in ROUTES below: the kwargs that name one of the WORLD's objects (the
owner's client, its household, a proposal, a public link's token…) and, per role, the status a
GET and a POST must answer. Whoever may not use a page about a client gets 404, never 403 and
never the data; a refused POST changes nothing in the database; anonymous visitors are sent to
log in, except on the public (signed-link) pages, whose views are ``login_not_required``.

The roles: the owner RM of the client, a teammate in the owner's team who does not serve it, an
outsider RM of another team, the owner's team lead, the lead of another team, compliance, an
administrator, and an anonymous visitor.
"""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.views.static import serve as static_serve

from analytics.models import CostRecord, Opportunity
from communications import feedback_services
from communications import services as communications_services
from communications.models import Notification, Reminder
from crm import imports, services
from crm.models import User
from crm.public_links import public_link_issue
from portfolios.services import rebalance_proposal_create
from risk import selectors as risk_selectors
from risk import services as risk_services
from risk.models import Assessment
from tests.crm.test_client_forms import form_data
from tests.factories import (
    AdministratorFactory,
    ClientFactory,
    ComplianceFactory,
    ManagerFactory,
    TeamFactory,
    TeamLeadFactory,
    csv_bytes,
)
from tests.portfolios.factories import (
    AlertFactory,
    GoalFactory,
    HoldingFactory,
    InstrumentFactory,
)

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
STAFF = ("owner", "teammate", "outsider", "team_lead", "other_lead", "compliance", "administrator")
ROLES = (*STAFF, ANONYMOUS)

SEES = {"owner", "team_lead", "compliance", "administrator"}  # the owner's client
EDITS = {"owner", "team_lead", "administrator"}
CHANGERS = set(STAFF) - {"compliance"}  # register, import and change clients (their own)
LEADS = {"team_lead", "other_lead", "administrator"}  # workload, handover
IMPORT_READERS = {"owner", "compliance", "administrator"}  # the owner's import: uploader and supervisors
AUDITORS = {"compliance", "administrator"}  # every client's audit trail and the log of sensitive views

LOGIN = "login"  # a redirect to the login page


def only(allowed: set[str], status: int = 200) -> dict[str, int | str]:
    """``status`` for the allowed roles, 404 for the other staff, the login page for anonymous visitors."""
    return {**{role: status if role in allowed else 404 for role in STAFF}, ANONYMOUS: LOGIN}


def everyone(status: int) -> dict[str, int | str]:
    """``status`` for every member of staff, the login page for anonymous visitors."""
    return only(set(STAFF), status)


def public(status: int) -> dict[str, int | str]:
    """A signed-link page: the same answer whoever asks, signed in or not."""
    return dict.fromkeys(ROLES, status)


def api_only(allowed: set[str], status: int = 200, refused: int = 404) -> dict[str, int | str]:
    """The API: ``status`` for the allowed roles, ``refused`` for the other staff, 401 for anonymous callers."""
    return {**{role: status if role in allowed else refused for role in STAFF}, ANONYMOUS: 401}


def api_everyone(status: int) -> dict[str, int | str]:
    return api_only(set(STAFF), status)


# ---------------------------------------------------------------------------
# The world every test reads: built once for the module, rolled back after each test
# ---------------------------------------------------------------------------

@dataclass
class World:
    users: dict
    client: object  # served by the owner, in no household
    household: object  # another client of the owner's, with its household
    third: object  # a third client of the owner's, to add to the household
    saved_filter: object
    client_import: object
    holding: object
    proposal: object
    goal: object
    alert: object
    complaint: object
    assessment: object
    contact: object  # with a next step due
    reminder: object
    notification: object  # the owner's; every member of staff has one unread


def _world_build() -> World:
    # Users without a usable password: force_login needs none, and hashing 7 passwords is slow.
    def user(factory, username):
        return factory(username=username, password=None)

    users = {
        "owner": user(ManagerFactory, "route-owner"),
        "teammate": user(ManagerFactory, "route-teammate"),
        "outsider": user(ManagerFactory, "route-outsider"),
        "team_lead": user(TeamLeadFactory, "route-lead"),
        "other_lead": user(TeamLeadFactory, "route-otherlead"),
        "compliance": user(ComplianceFactory, "route-compliance"),
        "administrator": user(AdministratorFactory, "route-admin"),
    }
    TeamFactory(name="Routes 1", lead=users["team_lead"], members=[users["owner"], users["teammate"]])
    TeamFactory(name="Routes 2", lead=users["other_lead"], members=[users["outsider"]])
    owner = users["owner"]
    client = ClientFactory(legal_name="Zhang Wei", manager=owner, risk_level="C3")
    ClientFactory(legal_name="Teammate's client", manager=users["teammate"])
    ClientFactory(legal_name="Outsider's client", manager=users["outsider"])
    spouse = ClientFactory(legal_name="Li Mei", manager=owner)
    household = services.household_create(name="Li family", first_member=spouse)
    third = ClientFactory(legal_name="Zhang Xiao", id_number="E77665544", manager=owner)
    # Rated R5, above what the client's level allows: an RM may record a suitability exception for it.
    holding = HoldingFactory(account__client=client, instrument=InstrumentFactory(asset_class="equity",
                                                                                  risk_rating="R5"))
    reminder = Reminder.objects.create(client=client, kind="review", due_on=timezone.localdate(), manager=owner)
    notifications = Notification.objects.bulk_create([Notification(reminder=reminder, recipient=staff)
                                                      for staff in users.values()])
    HoldingFactory(account__client=client, instrument=InstrumentFactory(asset_class="cash"))
    return World(
        users=users, client=client, household=household, third=third,
        saved_filter=services.saved_filter_save(owner=owner, name="Big ones", query_string="tier=hnw"),
        client_import=imports.client_import_upload(
            user=owner, file_name="clients.csv", data=csv_bytes([["Name", "Phone"], ["Li Na", "13900139000"]])),
        holding=holding,
        proposal=rebalance_proposal_create(client=client, created_by=owner, minimum_trade=Decimal("0")),
        goal=GoalFactory(client=client),
        alert=AlertFactory(client=client),
        complaint=feedback_services.complaint_raise(client=client, description="Slow transfer", raised_by=owner),
        assessment=risk_services.assessment_complete(
            client=client, version=risk_selectors.questionnaire_version_current(), channel=Assessment.Channel.WITH_RM,
            answers={int(name[1:]): int(option) for name, option in risk_answers(None).items()}, recorded_by=owner),
        contact=communications_services.contact_record(
            client=client, recorded_by=owner, summary="Call", next_step="Send the brochure",
            next_step_due_on=timezone.localdate() + timedelta(days=2)),
        reminder=reminder,
        notification=next(n for n in notifications if n.recipient == owner),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the module (as Django's setUpTestData): each test runs in a savepoint inside
    this transaction, so what one test's POST changes is gone before the next test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _world_build()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def _shared_browser():
    return Client()


@pytest.fixture
def browser(_shared_browser, world, db):
    """A Django test client kept for the module: a new one would build the middleware again, and
    WhiteNoise rescans the static files each time, doubling the run. Each test starts signed out."""
    _shared_browser.cookies.clear()
    return _shared_browser


def public_token(purpose: str) -> Callable[[World], dict]:
    """Kwargs for a signed-link page: a fresh link to the owner's client, made for ``purpose``."""
    def build(world: World) -> dict:
        _link, token = public_link_issue(client=world.client, purpose=purpose, issued_by=world.users["owner"],
                                         valid_for=timedelta(days=7))
        return {"token": token}
    return build


def risk_link_token(world: World) -> dict:
    _link, token = risk_services.assessment_link_issue(client=world.client, issued_by=world.users["owner"])
    return {"token": token}


def risk_answers(world) -> dict:
    """A complete answer form for the current risk questionnaire: each question's first option."""
    version = risk_selectors.questionnaire_version_current()
    return {f"q{question.pk}": str(question.options.all()[0].pk) for question in version.questions.all()}


# ---------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """What one route answers. ``kwargs`` names the world's objects in the URL (None: the URL takes
    none); ``data`` is what a POST sends: valid where that is easy, so a POST someone should not be
    able to make would change something if it got through."""

    get: dict
    post: dict
    kwargs: Callable[[World], dict] | None = None
    data: Callable[[World], dict] = field(default=lambda world: {})
    public: bool = False
    # The REST API (api/): answers anonymous callers itself (401 JSON, not the sign-in page), so its
    # views are login_not_required without being public; ``json``: the POST sends data as JSON.
    api: bool = False
    json: bool = False


def client_pk(world):
    return {"pk": world.client.pk}


def household_pk(world):
    return {"pk": world.household.pk}


GOAL = {"kind": "education", "name": "College", "target_amount": "200000", "currency": "CNY",
        "target_date": "2035-09-01", "funded_amount": "0", "expected_return_pct": "3"}

ROUTES: dict[str, Route] = {
    "home": Route(get=everyone(200), post=everyone(200)),  # Today for RMs and leads, the dashboard for others
    "dashboard": Route(get=everyone(200), post=everyone(200)),
    # --- crm: the client registry
    "crm:client-list": Route(get=everyone(200), post=everyone(200)),
    "crm:client-export": Route(get=everyone(200), post=everyone(200)),
    "crm:client-create": Route(get=only(CHANGERS), post=only(CHANGERS, 302),
                               data=lambda w: form_data(legal_name="Created here", id_number="E11223344")),
    "crm:client-detail": Route(kwargs=client_pk, get=only(SEES), post=only(SEES)),
    "crm:client-edit": Route(kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302),
                             data=lambda w: form_data(legal_name="Changed")),
    "crm:client-lifecycle": Route(kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302),
                                  data=lambda w: {"to_stage": "development", "reason": "First meeting"}),
    "crm:client-reassign": Route(
        kwargs=client_pk, get=only({"team_lead", "administrator"}), post=only({"team_lead", "administrator"}, 302),
        data=lambda w: {"manager": w.users["teammate"].pk, "role": "primary", "reason": "Rebalanced book"}),
    "crm:client-merge": Route(kwargs=client_pk, get=only(EDITS), post=only(EDITS)),
    "crm:saved-filter-save": Route(get=everyone(405), post=everyone(302),
                                   data=lambda w: {"name": "Mine", "query_string": "tier=hnw"}),
    # The column chooser saves the user's own preference; the recently viewed list answers everyone with
    # only the clients each may still see.
    "crm:client-list-columns": Route(get=everyone(405), post=everyone(302), data=lambda w: {"columns": ["rm"]}),
    "crm:client-recent": Route(get=everyone(200), post=everyone(405)),
    "crm:saved-filter-delete": Route(kwargs=lambda w: {"pk": w.saved_filter.pk}, get=everyone(405),
                                     post=only({"owner"}, 302)),
    # --- crm: households
    "crm:household-create": Route(kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302),
                                  data=lambda w: {"name": "Zhang family", "relationship": "head", "notes": ""}),
    "crm:household-detail": Route(kwargs=household_pk, get=only(SEES), post=only(SEES)),
    "crm:household-edit": Route(kwargs=household_pk, get=only(EDITS), post=only(EDITS, 302),
                                data=lambda w: {"name": "Renamed", "notes": ""}),
    "crm:household-member-add": Route(kwargs=household_pk, get=only(EDITS), post=only(EDITS, 302),
                                      data=lambda w: {"client": w.third.id_number, "relationship": "child"}),
    "crm:household-member-remove": Route(
        kwargs=lambda w: {"pk": w.household.pk, "member_pk": w.household.members.get().pk},
        get=everyone(405), post=only(EDITS, 302)),
    # --- crm: team lead pages
    "crm:workload": Route(get=only(LEADS), post=only(LEADS)),
    # The audit pages only read: a POST is refused (405) before anything else is asked.
    "crm:client-history": Route(kwargs=client_pk, get=only(SEES), post=everyone(405)),
    "crm:audit-changes": Route(get=only(AUDITORS), post=everyone(405)),
    "crm:audit-changes-export": Route(get=only(AUDITORS), post=everyone(405)),
    "crm:audit-views": Route(get=only(AUDITORS), post=everyone(405)),
    "crm:handover": Route(get=only(LEADS), post=only(LEADS)),
    "crm:handover-confirm": Route(get=everyone(405), post=only(LEADS)),
    # Answers everyone, with only the clients each may see (test_the_client_picker_offers_only_...).
    "crm:client-pick": Route(get=everyone(200), post=everyone(405)),
    # --- crm: client import (the owner's upload, waiting for its commit)
    "crm:import-list": Route(get=everyone(200), post=everyone(405)),
    "crm:import-upload": Route(get=only(CHANGERS), post=only(CHANGERS)),
    "crm:import-detail": Route(kwargs=lambda w: {"pk": w.client_import.pk}, get=only(IMPORT_READERS),
                               post=everyone(405)),
    "crm:import-mapping": Route(kwargs=lambda w: {"pk": w.client_import.pk}, get=only({"owner"}),
                                post=only({"owner"})),
    "crm:import-commit": Route(kwargs=lambda w: {"pk": w.client_import.pk}, get=everyone(405),
                               post=only({"owner"}, 302)),
    "crm:import-errors": Route(kwargs=lambda w: {"pk": w.client_import.pk}, get=only(IMPORT_READERS),
                               post=everyone(405)),
    "crm:import-rows": Route(kwargs=lambda w: {"pk": w.client_import.pk}, get=only(IMPORT_READERS),
                             post=everyone(405)),
    "crm:import-rows-csv": Route(kwargs=lambda w: {"pk": w.client_import.pk}, get=only(IMPORT_READERS),
                                 post=everyone(405)),
    "crm:import-rows-xlsx": Route(kwargs=lambda w: {"pk": w.client_import.pk}, get=only(IMPORT_READERS),
                                  post=everyone(405)),
    # --- portfolios
    "portfolios:client-portfolio": Route(kwargs=client_pk, get=only(SEES), post=everyone(405)),
    "portfolios:rebalance": Route(kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302),
                                  data=lambda w: {"minimum_trade": "0", "notes": "", "action": "save"}),
    "portfolios:goal-create": Route(kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302), data=lambda w: GOAL),
    "portfolios:cash-flow-create": Route(
        kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302),
        data=lambda w: {"kind": "contribution", "flow_date": timezone.localdate().isoformat(), "amount": "1000",
                        "currency": "CNY"}),
    "portfolios:drawdown-edit": Route(kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302),
                                      data=lambda w: {"max_drawdown_pct": "5"}),
    "portfolios:proposal-detail": Route(kwargs=lambda w: {"pk": w.proposal.pk}, get=only(SEES),
                                        post=everyone(405)),
    "portfolios:proposal-status": Route(kwargs=lambda w: {"pk": w.proposal.pk}, get=everyone(405),
                                        post=only(EDITS, 302), data=lambda w: {"status": "presented"}),
    "portfolios:goal-edit": Route(kwargs=lambda w: {"pk": w.goal.pk}, get=only(EDITS), post=only(EDITS, 302),
                                  data=lambda w: GOAL),
    "portfolios:holding-stop-loss": Route(kwargs=lambda w: {"pk": w.holding.pk}, get=only(EDITS),
                                          post=only(EDITS, 302), data=lambda w: {"stop_loss_pct": "10"}),
    "portfolios:holding-exception": Route(
        kwargs=lambda w: {"pk": w.holding.pk}, get=only(EDITS), post=only(EDITS, 302),
        data=lambda w: {"reason": "Inherited shares", "client_acknowledged": "on",
                        "client_acknowledged_on": timezone.localdate().isoformat()}),
    "portfolios:alert-list": Route(get=everyone(200), post=everyone(405)),
    "portfolios:alert-acknowledge": Route(kwargs=lambda w: {"pk": w.alert.pk}, get=everyone(405),
                                          post=only(EDITS, 302)),
    "portfolios:import-positions": Route(get=only(CHANGERS), post=only(CHANGERS)),
    "portfolios:import-prices": Route(get=only({"administrator"}), post=only({"administrator"})),  # market data
    # --- communications: feedback (public, by signed link) and complaints
    "communications:feedback-form": Route(
        kwargs=public_token(feedback_services.FEEDBACK_PURPOSE), public=True, get=public(200), post=public(302),
        data=lambda w: {"nps": "9", "csat": "5", "comments": "Helpful"}),
    "communications:feedback-thanks": Route(public=True, get=public(200), post=public(200)),
    "communications:feedback-link-create": Route(
        kwargs=lambda w: {"client_pk": w.client.pk}, get=everyone(405), post=only(EDITS, 302),
        data=lambda w: {"delivery": "copy"}),
    "communications:satisfaction": Route(get=everyone(200), post=everyone(200)),
    # --- reports: dashboards and reports of the visible clients; the team dashboard for leads and supervisors
    "reports:index": Route(get=everyone(200), post=everyone(405)),
    "reports:team": Route(get=only(LEADS | {"compliance"}), post=everyone(405)),
    "reports:book": Route(get=everyone(200), post=everyone(405)),
    "reports:aum": Route(get=everyone(200), post=everyone(405)),
    "reports:review-compliance": Route(get=everyone(200), post=everyone(405)),
    "reports:satisfaction-export": Route(get=everyone(200), post=everyone(405)),
    # The client review report (page and PDF) only reads: whoever sees the client, nobody else.
    "reports:client-review": Route(kwargs=client_pk, get=only(SEES), post=everyone(405)),
    "reports:client-review-pdf": Route(kwargs=client_pk, get=only(SEES), post=everyone(405)),
    "communications:complaint-list": Route(get=everyone(200), post=everyone(200)),
    "communications:complaint-create": Route(kwargs=lambda w: {"client_pk": w.client.pk}, get=only(EDITS),
                                             post=only(EDITS, 302), data=lambda w: {"description": "Rude call"}),
    "communications:complaint-detail": Route(kwargs=lambda w: {"pk": w.complaint.pk}, get=only(SEES),
                                             post=only(SEES)),
    "communications:complaint-transition": Route(
        kwargs=lambda w: {"pk": w.complaint.pk}, get=everyone(405), post=only(EDITS, 302),
        data=lambda w: {"to_status": "in_progress", "note": ""}),
    "communications:complaint-assign": Route(
        kwargs=lambda w: {"pk": w.complaint.pk}, get=everyone(405), post=only({"team_lead", "administrator"}, 302),
        data=lambda w: {"assignee": w.users["team_lead"].pk, "note": ""}),
    # --- communications: contacts, reviews, reminders, notifications
    "communications:today": Route(get=everyone(200), post=everyone(200)),
    "communications:contact-create": Route(
        kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302),
        data=lambda w: {"channel": "phone", "summary": "Called about the bond ladder",
                        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT00:00")}),
    "communications:client-timeline": Route(kwargs=client_pk, get=only(SEES), post=only(SEES)),
    "communications:review-complete": Route(
        kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302),
        data=lambda w: {"completed_on": timezone.localdate().isoformat(), "portfolio_reviewed": "on", "notes": ""}),
    "communications:follow-up-done": Route(kwargs=lambda w: {"pk": w.contact.pk}, get=everyone(405),
                                           post=only(EDITS, 302)),
    "communications:reminder-list": Route(get=everyone(200), post=everyone(200)),
    "communications:reminder-done": Route(kwargs=lambda w: {"pk": w.reminder.pk}, get=everyone(405),
                                          post=only(EDITS, 302)),
    "communications:notification-list": Route(get=everyone(200), post=everyone(200)),
    "communications:notification-read": Route(kwargs=lambda w: {"pk": w.notification.pk}, get=everyone(405),
                                              post=only({"owner"}, 302)),
    "communications:notifications-read-all": Route(get=everyone(405), post=everyone(302)),
    # --- risk: assessments with the RM, and by the client through a signed link
    "risk:overview": Route(get=everyone(200), post=everyone(405)),
    "risk:client": Route(kwargs=client_pk, get=only(SEES), post=everyone(405)),
    "risk:assess": Route(kwargs=client_pk, get=only(EDITS), post=only(EDITS, 302), data=risk_answers),
    "risk:link-issue": Route(kwargs=client_pk, get=everyone(405), post=only(EDITS)),
    "risk:assessment-detail": Route(kwargs=lambda w: {"pk": w.assessment.pk}, get=only(SEES), post=everyone(405)),
    "risk:questionnaire": Route(kwargs=risk_link_token, public=True, get=public(200), post=public(200),
                                data=risk_answers),
    # --- analytics: client value (its working is read by who sees the client; its records written by who edits it)
    "analytics:client-value": Route(kwargs=client_pk, get=only(SEES), post=everyone(405)),
    "analytics:cost-create": Route(kwargs=client_pk, get=everyone(405), post=only(EDITS, 302),
                                   data=lambda w: {"year": "2025", "kind": "servicing", "amount": "1200",
                                                   "currency": "CNY", "description": ""}),
    "analytics:revenue-create": Route(kwargs=client_pk, get=everyone(405), post=only(EDITS, 302),
                                      data=lambda w: {"year": "2025", "amount": "800", "currency": "CNY",
                                                      "description": "Insurance commission"}),
    "analytics:referral-create": Route(kwargs=client_pk, get=everyone(405), post=only(EDITS, 302),
                                       data=lambda w: {"referred": w.third.pk, "referred_on": "2025-05-01",
                                                       "value": "5000", "currency": "CNY", "note": ""}),
    "analytics:prospect-set": Route(kwargs=client_pk, get=everyone(405), post=only(EDITS, 302),
                                    data=lambda w: {"purchase_amount": "100000", "currency": "CNY",
                                                    "wallet_share_pct": "20", "margin_pct": "2",
                                                    "transactions_per_year": "4"}),
    "analytics:record-delete": Route(
        kwargs=lambda w: {"kind": "cost", "pk": CostRecord.objects.create(
            client=w.client, year=2025, kind="servicing", amount=Decimal("10")).pk},
        get=everyone(405), post=only(EDITS, 302)),
    "analytics:opportunity-create": Route(kwargs=client_pk, get=everyone(405), post=only(EDITS, 302),
                                          data=lambda w: {"product": "Balanced fund", "amount": "500000",
                                                          "currency": "CNY", "stage": "identified",
                                                          "expected_close_on": str(timezone.localdate() + timedelta(days=30)),
                                                          "notes": ""}),
    "analytics:opportunity-stage": Route(
        kwargs=lambda w: {"pk": Opportunity.objects.create(
            client=w.client, product="Term deposit", amount=Decimal("1000"), expected_close_on=timezone.localdate()).pk},
        get=everyone(405), post=only(EDITS, 302), data=lambda w: {"stage": "proposed"}),
    "analytics:pipeline": Route(get=everyone(200), post=everyone(405)),
    "analytics:segment-value": Route(get=everyone(200), post=everyone(405)),
    "analytics:lifecycle": Route(get=everyone(200), post=everyone(405)),
    # --- api: the REST API (token or session; another RM's client is 404, a role that may not write 403)
    "api:client-list": Route(api=True, get=api_everyone(200),
                             post={**api_only(CHANGERS, 201), "compliance": 403},
                             data=lambda w: {"legal_name": "Registered by API", "id_type": "passport",
                                             "id_number": "E55667788"}),
    "api:client-detail": Route(api=True, kwargs=client_pk, get=api_only(SEES), post=api_everyone(405)),
    "api:client-valuations": Route(api=True, kwargs=client_pk, get=api_only(SEES), post=api_everyone(405)),
    "api:client-contacts": Route(api=True, kwargs=client_pk, get=api_only(SEES), post=api_only(EDITS, 201),
                                 data=lambda w: {"channel": "phone", "summary": "Called about the bond ladder"}),
    # Another client's account is as unknown as a missing one (400); compliance changes nothing (403).
    "api:holding-upsert": Route(
        api=True, json=True, get=api_everyone(405),
        post={**api_only(EDITS, 200, refused=400), "compliance": 403},
        data=lambda w: {"holdings": [{
            "account": w.holding.account_id, "instrument": w.holding.instrument.code, "quantity": "5",
            "market_value": "5", "currency": "CNY", "valuation_date": timezone.localdate().isoformat()}]}),
    "api:reminder-list": Route(api=True, get=api_everyone(200), post=api_everyone(405)),
    "api:reminder-done": Route(api=True, kwargs=lambda w: {"pk": w.reminder.pk}, get=api_everyone(405),
                               post=api_only(EDITS)),
    "api:schema": Route(api=True, get=api_everyone(200), post=api_everyone(405)),
    "api:not-found": Route(api=True, get=api_everyone(404), post=api_everyone(404)),
    "api:docs": Route(get=everyone(200), post=everyone(405)),  # a page for signed-in staff
}

HOW_TO_ADD = (
    "Add an entry for it to ROUTES in tests/test_access_routes.py: kwargs naming one of the World's "
    "objects (add the object to _world_build if it has none yet; public signed-link pages use "
    "public_token(purpose) and public=True), and the status each role gets on GET and on POST "
    "(only(EDITS, 302), everyone(405), public(200), …)."
)


# ---------------------------------------------------------------------------
# Walking the resolver
# ---------------------------------------------------------------------------

# Django's own pages, not the project's: the admin has its own permission checks (see
# test_admin_is_for_administrators_and_compliance), and the authentication views and the
# language switch serve everyone by design. Uploaded files are served (in development) by
# django.views.static.serve, skipped below.
SKIPPED_PREFIXES = ("admin/", "accounts/", "i18n/")


@dataclass(frozen=True)
class Found:
    route: str
    params: tuple[str, ...]
    public: bool  # the view is login_not_required


def _params(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters is not None:
        return tuple(converters)
    return tuple(pattern.regex.groupindex)


def routes_found() -> dict[str | None, list[Found]]:
    """Every route under the project's URLconf by name (None collects unnamed ones), recursively."""
    found: dict[str | None, list[Found]] = {}

    def walk(patterns, prefix: str, namespace: str, params: tuple[str, ...]) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(entry, URLResolver):
                inner = ":".join(filter(None, [namespace, entry.namespace]))
                walk(entry.url_patterns, route, inner, params + _params(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.callback is not static_serve:
                name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
                public = getattr(entry.callback, "login_required", True) is False
                found.setdefault(name, []).append(Found(route, params + _params(entry.pattern), public))

    walk(get_resolver().url_patterns, "", "", ())
    return found


def test_every_route_is_in_the_matrix():
    found = routes_found()
    assert None not in found, (
        f"Unnamed routes {[f.route for f in found[None]]}: name them, so the access matrix can list them.")
    missing = sorted(set(found) - set(ROUTES))
    assert not missing, "\n".join(
        [f"Route {name!r} ({found[name][0].route}, takes {found[name][0].params or 'no id'}) "
         "is not in the access matrix." for name in missing] + [HOW_TO_ADD])


def test_the_matrix_lists_no_route_that_is_gone():
    stale = sorted(set(ROUTES) - set(routes_found()))
    assert not stale, f"ROUTES lists {stale}, which no longer resolve: remove or rename their entries."


def test_every_route_taking_an_id_names_an_object_of_the_world():
    """An entry for a route with an id must say which object it names, or the check tests nothing."""
    for name, found in routes_found().items():
        if name not in ROUTES:
            continue  # test_every_route_is_in_the_matrix says so
        takes_id = any(f.params for f in found)
        assert (ROUTES[name].kwargs is not None) == takes_id, (
            f"{name!r} takes {found[0].params or 'no id'}, but its entry's kwargs are {ROUTES[name].kwargs}.")


def test_exactly_the_public_routes_serve_anonymous_visitors():
    """A view marked login_not_required is a public page and must be declared one (and the other way round)."""
    for name, found in routes_found().items():
        if name not in ROUTES:
            continue
        assert all(f.public for f in found) == (ROUTES[name].public or ROUTES[name].api), (
            f"{name!r}: the view is {'' if found[0].public else 'not '}login_not_required, "
            f"the matrix says public={ROUTES[name].public}.")


# ---------------------------------------------------------------------------
# Each route × role × method
# ---------------------------------------------------------------------------

@functools.cache
def _project_tables() -> tuple[str, ...]:
    """Our apps' tables (historical records included), not Django's or third parties'; only those
    that exist (an app being built may have models before its migration)."""
    existing = set(connection.introspection.table_names())
    return tuple(sorted({model._meta.db_table for config in apps.get_app_configs() if "site-packages" not in config.path
                         for model in config.get_models(include_auto_created=True)} & existing))


# The log of who opened sensitive data: the one table a GET writes (tests/test_audit_pages.py checks
# a refused page writes nothing there).
VIEW_LOG_TABLE = "crm_sensitiveview"


def db_state() -> dict:
    """Every row of our apps' tables: a refused request must leave it all as it was."""
    with connection.cursor() as cursor:
        state = {}
        for table in _project_tables():
            if table == VIEW_LOG_TABLE:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            state[table] = cursor.fetchall()
        return state


def _cases():
    for name, route in ROUTES.items():
        for method in ("get", "post"):
            for role in ROLES:
                yield pytest.param(name, method, role, id=f"{name}-{method}-{role}")


def _api_token(user) -> dict:
    """Headers of a request made with a fresh API token of ``user`` (stamped as just used, so the
    request itself writes no usage stamp)."""
    from api.models import ApiToken
    from api.services import api_token_issue

    token, key = api_token_issue(user=user, name="Access matrix")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def _request(django_client, world, name: str, method: str, role: str, *, token: bool = False):
    route = ROUTES[name]
    headers = {}
    if role != ANONYMOUS and token:
        headers = _api_token(world.users[role])
    elif role != ANONYMOUS:
        django_client.force_login(world.users[role])
    url = reverse(name, kwargs=route.kwargs(world) if route.kwargs else None)
    before = db_state()
    if method == "get":
        response = django_client.get(url, **headers)
    else:
        data = route.data(world)
        response = (django_client.post(url, json.dumps(data), content_type="application/json", **headers)
                    if route.json else django_client.post(url, data, **headers))
    return url, response, before


@pytest.mark.parametrize("name,method,role", list(_cases()))
def test_each_role_gets_what_the_matrix_says(browser, world, name, method, role):
    expected = getattr(ROUTES[name], method)[role]
    url, response, before = _request(browser, world, name, method, role)

    if expected == LOGIN:
        assert response.status_code == 302, f"{method.upper()} {url} as {role}"
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected, f"{method.upper()} {url} as {role}"
    if expected in (LOGIN, 400, 401, 403, 404, 405) or method == "get":
        # Refused requests change nothing; and no GET changes anything, whoever makes it.
        assert db_state() == before, f"{method.upper()} {url} as {role} changed the database"
    elif expected in (302, 201):
        # An accepted POST did change something: the data is valid, so the refusals above mean it.
        assert db_state() != before, f"POST {url} as {role} answered {expected} but changed nothing"
    if expected in (LOGIN, 404) and role not in SEES:
        assert world.client.legal_name not in response.content.decode()


# ---------------------------------------------------------------------------
# The REST API: a system's token gets what its user's session gets; a bad token gets nothing
# ---------------------------------------------------------------------------

API_CASES = [case for case in _cases() if ROUTES[case.values[0]].api and case.values[2] != ANONYMOUS]


@pytest.mark.parametrize("name,method,role", API_CASES)
def test_an_api_token_gets_what_the_matrix_says(browser, world, name, method, role):
    expected = getattr(ROUTES[name], method)[role]
    url, response, before = _request(browser, world, name, method, role, token=True)

    assert response.status_code == expected, f"{method.upper()} {url} with {role}'s token"
    if expected in (400, 403, 404, 405) or method == "get":
        assert db_state() == before, f"{method.upper()} {url} with {role}'s token changed the database"
    elif expected == 201:
        assert db_state() != before


@pytest.mark.parametrize("name", [name for name, route in ROUTES.items() if route.api])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_api_route_answers_a_bad_token_401(browser, world, name, method):
    url = reverse(name, kwargs=ROUTES[name].kwargs(world) if ROUTES[name].kwargs else None)
    before = db_state()

    response = getattr(browser, method)(url, HTTP_AUTHORIZATION="Token not-a-key-anyone-was-given")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"
    assert world.client.legal_name not in response.content.decode()
    assert db_state() == before


# ---------------------------------------------------------------------------
# Public signed-link pages: a token that is not a valid one shows nothing of the client
# ---------------------------------------------------------------------------

PUBLIC_ROUTES = [name for name, route in ROUTES.items() if route.public and route.kwargs]


@pytest.mark.parametrize("name", PUBLIC_ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_token_opens_nothing(browser, world, name, method):
    kwargs = ROUTES[name].kwargs(world)
    kwargs["token"] = kwargs["token"][:-2] + ("AA" if not kwargs["token"].endswith("AA") else "BB")
    url = reverse(name, kwargs=kwargs)
    before = db_state()

    response = getattr(browser, method)(url, ROUTES[name].data(world) if method == "post" else None)

    assert world.client.legal_name not in response.content.decode()
    assert db_state() == before


# ---------------------------------------------------------------------------
# Outside the walk: Django admin, the sign-in pages, the navigation
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("role,may_use", [
    ("owner", False), ("team_lead", False), ("compliance", True), ("administrator", True),
])
def test_admin_is_for_administrators_and_compliance(browser, world, role, may_use):
    """Admin lists are not narrowed to the clients one serves, so the staff flag is not enough:
    an RM or team lead marked staff by mistake still finds the admin closed."""
    user = User.objects.get(pk=world.users[role].pk)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    browser.force_login(user)

    response = browser.get(reverse("admin:crm_client_changelist"))

    assert response.status_code == (200 if may_use else 302)
    if not may_use:
        assert response.url.startswith(reverse("admin:login"))
    assert (world.client.legal_name in response.content.decode()) == may_use
    assert (reverse("admin:index") in browser.get(reverse("home")).content.decode()) == may_use


@pytest.mark.parametrize("role,may_read", [
    ("owner", False), ("team_lead", False), ("compliance", True), ("administrator", True),
])
def test_the_admin_log_and_the_log_of_sensitive_views_are_for_administrators_and_compliance(
        browser, world, role, may_read):
    user = User.objects.get(pk=world.users[role].pk)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    browser.force_login(user)

    for name in ("admin:admin_logentry_changelist", "admin:crm_sensitiveview_changelist"):
        response = browser.get(reverse(name))
        assert response.status_code == (200 if may_read else 302), name


@pytest.mark.parametrize("role", ROLES)
def test_the_password_change_page_needs_a_sign_in(browser, world, role):
    if role != ANONYMOUS:
        browser.force_login(world.users[role])
    response = browser.get(reverse("password_change"))
    if role == ANONYMOUS:
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", STAFF)
def test_the_navigation_offers_the_pages_the_role_may_open(browser, world, role):
    """The links come from crm.access, as the pages' own checks do: none leads to a 404."""
    browser.force_login(world.users[role])
    page = browser.get(reverse("home")).content.decode()
    for name in ("crm:import-list", "crm:import-upload", "crm:workload", "crm:handover"):
        offered = f'href="{reverse(name)}"' in page
        if offered:
            assert ROUTES[name].get[role] == 200, f"{role} is offered {name}, which answers them 404"
    assert (f'href="{reverse("crm:workload")}"' in page) == (role in LEADS)
    assert f'href="{reverse("crm:import-list")}"' in page  # compliance reads the import history too


@pytest.mark.parametrize("role", STAFF)
def test_the_client_picker_offers_only_the_clients_the_role_may_see_or_edit(browser, world, role):
    browser.force_login(world.users[role])
    url = reverse("crm:client-pick")

    def offered(**params) -> bool:
        response = browser.get(url, {"q": world.client.legal_name, **params})
        assert response.status_code == 200
        return world.client.pk in [row["id"] for row in response.json()["results"]]

    assert offered() == (role in SEES)
    assert offered(scope="editable") == (role in EDITS)


@pytest.mark.parametrize("role", STAFF)
def test_the_alerts_page_lists_the_alerts_of_the_clients_the_role_may_see(browser, world, role):
    browser.force_login(world.users[role])
    response = browser.get(reverse("portfolios:alert-list"))
    alerts = [alert.pk for group in response.context["groups"] for alert in group.alerts]
    assert (world.alert.pk in alerts) == (role in SEES)
