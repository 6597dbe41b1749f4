"""The Content-Security-Policy and security headers, and pages that keep to the policy: no inline
script, no on*= handler, no style attribute or <style> element (the policy would block them).

To cover a new page, add a line to PAGES: its URL from the ``world`` of objects, and who views it.
"""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse

from tests.factories import ClientFactory, csv_bytes

pytestmark = pytest.mark.django_db

# A <script> with one of these types is data, never run (json_script writes application/json).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class _InlineCodeFinder(HTMLParser):
    """Collects what a strict policy (script-src 'self'; style-src 'self') would block."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: an inline event handler")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>: an inline style attribute")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>: a javascript: URL")
        if tag == "style":
            self.problems.append("<style>: an inline style sheet")
        if tag == "script" and "src" not in attributes:
            if (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
                self.problems.append(f"<script {attributes}>: an inline script")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def inline_code(html: str) -> list[str]:
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_finder_spots_each_kind_of_inline_code():
    # A check that cannot fail is no check: every pattern the pages must avoid is caught here.
    html = """<script>alert(1)</script><script type="module">x()</script>
    <select onchange="go()"></select><div style="color:red"></div><style>p{}</style>
    <a href="javascript:void(0)">x</a><img src="x.png" onerror="y()"/>"""
    assert len(inline_code(html)) == 7
    assert inline_code('<script src="/static/js/app.js"></script>'
                       '<script id="d" type="application/json">{"a": 1}</script>') == []


def test_no_template_holds_inline_code():
    # Also covers the pages PAGES below does not render (yet): every template file, as written.
    root = settings.BASE_DIR
    templates = [*root.glob("templates/**/*.html"), *root.glob("*/templates/**/*.html")]
    assert len(templates) > 20
    problems = {str(path.relative_to(root)): found for path in templates if (found := inline_code(path.read_text()))}
    assert problems == {}


@pytest.fixture
def world(owner, client_record, administrator, team_lead):
    """The objects the pages below are about."""
    from tests.portfolios.factories import AccountFactory, HoldingFactory

    HoldingFactory(account=AccountFactory(client=client_record))
    ClientFactory(legal_name="Chen Jie", manager=owner)
    return {"owner": owner, "client": client_record, "administrator": administrator, "team_lead": team_lead}


def _url(name, *args):
    return lambda world, browser: reverse(name, args=[a(world) if callable(a) else a for a in args])


def _client_pk(world):
    return world["client"].pk


def _risk_questionnaire(world, browser):
    """The link an RM sends for the client's own risk questionnaire, through the risk app's service."""
    from risk.services import assessment_link_issue

    _link, token = assessment_link_issue(client=world["client"], issued_by=world["owner"])
    return reverse("risk:questionnaire", args=[token])


def _feedback_form(world, browser):
    """The link an RM sends for client feedback, through the communications app's service."""
    from communications.feedback_services import feedback_link_issue

    return feedback_link_issue(client=world["client"], issued_by=world["owner"]).url


def _import_detail(world, browser):
    """Upload a small file through the page, as a user would, and land on its report."""
    upload = reverse("crm:import-upload")
    data = csv_bytes([["Legal name", "Phone"], ["Li Lei", "13800138000"], ["", "bad"]])
    response = browser.post(upload, {"file": SimpleUploadedFile("clients.csv", data, content_type="text/csv")})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


# (id, URL from the world and the signed-in test client, viewer or None for anonymous)
PAGES = [
    ("login", _url("login"), None),
    ("today", _url("home"), "owner"),
    ("dashboard", _url("dashboard"), "owner"),
    ("client-list", _url("crm:client-list"), "owner"),
    ("client-360", _url("crm:client-detail", _client_pk), "owner"),
    ("client-edit", _url("crm:client-edit", _client_pk), "owner"),
    ("client-new", _url("crm:client-create"), "owner"),
    ("portfolio", _url("portfolios:client-portfolio", _client_pk), "owner"),
    ("rebalance", _url("portfolios:rebalance", _client_pk), "owner"),
    ("import-list", _url("crm:import-list"), "owner"),
    ("import-upload", _url("crm:import-upload"), "owner"),
    ("import-detail", _import_detail, "owner"),
    ("positions-import", _url("portfolios:import-positions"), "owner"),
    ("workload", _url("crm:workload"), "team_lead"),
    ("handover", _url("crm:handover"), "team_lead"),
    ("password-change", _url("password_change"), "owner"),
    ("goal-new", _url("portfolios:goal-create", _client_pk), "owner"),
    ("drawdown", _url("portfolios:drawdown-edit", _client_pk), "owner"),
    ("admin", _url("admin:index"), "administrator"),
    # risk/
    ("risk-overview", _url("risk:overview"), "team_lead"),
    ("client-risk", _url("risk:client", _client_pk), "owner"),
    ("risk-assess", _url("risk:assess", _client_pk), "owner"),
    ("risk-questionnaire", _risk_questionnaire, None),
    # communications/
    ("reminders", _url("communications:reminder-list"), "owner"),
    ("notifications", _url("communications:notification-list"), "owner"),
    ("contact-new", _url("communications:contact-create", _client_pk), "owner"),
    ("timeline", _url("communications:client-timeline", _client_pk), "owner"),
    ("review", _url("communications:review-complete", _client_pk), "owner"),
    ("complaint-new", _url("communications:complaint-create", _client_pk), "owner"),
    ("complaints", _url("communications:complaint-list"), "team_lead"),
    ("satisfaction", _url("communications:satisfaction"), "team_lead"),
    ("feedback-form", _feedback_form, None),
    ("feedback-thanks", _url("communications:feedback-thanks"), None),
]


@pytest.mark.parametrize("page_id, url_of, viewer", PAGES, ids=[p[0] for p in PAGES])
def test_it_serves_the_page_with_the_policy_and_no_inline_code(client, world, page_id, url_of, viewer):
    if viewer:
        client.force_login(world[viewer])
    try:
        url = url_of(world, client)
    except NoReverseMatch:
        pytest.fail(f"{page_id}: its URL name changed; update PAGES")

    response = client.get(url)

    assert response.status_code == 200, f"{page_id}: {url} answered {response.status_code}"
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )
    assert inline_code(response.content.decode()) == [], f"{page_id}: {url}"


def test_it_sends_the_security_headers(client, owner):
    client.force_login(owner)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_policy_allows_no_inline_script_or_style_and_no_other_origin():
    policy = settings.SECURE_CSP
    sources = {source for values in policy.values() for source in values}
    assert not sources & {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"}
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_a_response_with_its_own_policy_keeps_it(rf):
    from django.http import HttpResponse

    from crm.security import ContentSecurityPolicyMiddleware

    def view(request):
        response = HttpResponse("embedded")
        response["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))

    assert response["Content-Security-Policy"] == "frame-ancestors 'self'"
