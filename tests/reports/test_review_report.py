"""The client review report's content: the printable page and the PDF, in English and Chinese."""

from io import BytesIO

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from crm import panels
from portfolios import performance
from tests.factories import ClientFactory
from tests.panels import panel_html
from tests.portfolios.factories import HoldingFactory, InstrumentFactory

from .review_world import review_world_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(owner):
    client = ClientFactory(legal_name="Zhang Wei", id_number="E12345678", phone="+8613800138000",
                           email="zhang.wei@mail.example", manager=owner)
    review_world_build(client, recorded_by=owner)
    client.refresh_from_db()
    return client


def _performance(client):
    return performance.client_performance(client=client)


def page(browser, client, language: str = "en") -> str:
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = browser.get(reverse("reports:client-review", args=[client.pk]))
    assert response.status_code == 200
    return response.content.decode()


def pdf_text(browser, client, language: str = "en") -> str:
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = browser.get(reverse("reports:client-review-pdf", args=[client.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())  # wrapped lines joined


def test_it_shows_profile_aum_risk_allocation_goals_and_suitability(client, owner, reviewed):
    client.force_login(owner)
    html = page(client, reviewed)

    assert "Client review: Zhang Wei" in html
    assert "Olivia Owner" in html  # the RM
    assert "Assets under management 400,006.00 CNY" in html  # 100000 + 100001 + 100002 + 100003
    assert reviewed.get_risk_level_display() in html
    assert "Questionnaire assessment" in html
    for asset_class in ("Equity", "Cash and deposits", "Fund", "Fixed income"):
        assert f"<td>{asset_class}</td>" in html
    assert "Target %" in html
    assert "Daughter&#x27;s university" in html
    assert "REV0000 Product 0" in html and "Exception acknowledged by the client on" in html
    assert "REV0001 Product 1" in html and "Above the client's level, no exception recorded" in html
    assert "Inherited shares" in html
    performance = _performance(reviewed)
    assert f"{performance.twelve_months.twr_pct}%" in html
    assert "90,000.00" in html  # the contribution, apart from market movement
    assert "Unrealised profit and loss by asset class" in html
    assert "past performance does not guarantee future results" in html


def test_it_prints_the_id_number_last_four_only_and_the_phone_in_full_for_the_clients_own_rm(client, owner, reviewed):
    client.force_login(owner)
    html = page(client, reviewed)
    text = pdf_text(client, reviewed)

    for shown in (html, text):
        assert "*****5678" in shown
        assert "E12345678" not in shown
        assert "+8613800138000" in shown


def test_a_team_lead_reads_the_phone_masked(client, team_lead, reviewed):
    client.force_login(team_lead)
    html = page(client, reviewed)

    assert "+8613800138000" not in html
    assert "+86138****8000" in html


def test_it_shows_the_page_in_chinese(client, owner, reviewed):
    client.force_login(owner)
    html = page(client, reviewed, "zh-hans")

    assert 'lang="zh-hans"' in html
    assert "客户检视报告：Zhang Wei" in html
    assert "400,006.00" in html
    assert "股票" in html  # equity
    assert "目标" in html


def test_the_pdf_holds_the_name_aum_risk_level_and_allocation_rows_in_english(client, owner, reviewed):
    client.force_login(owner)
    text = pdf_text(client, reviewed)

    assert "Zhang Wei" in text
    assert "400,006.00" in text
    assert reviewed.get_risk_level_display() in text
    assert "Olivia Owner" in text
    for asset_class in ("Equity", "Cash and deposits", "Fund", "Fixed income"):
        assert asset_class in text
    assert "Daughter's university" in text
    assert "Inherited shares" in text
    assert f"{_performance(reviewed).twelve_months.twr_pct}%" in text and "90,000.00" in text
    assert "past performance" in text


def test_the_pdf_is_in_chinese_for_a_user_who_chose_it(client, owner, reviewed):
    reviewed.legal_name = "张伟"
    reviewed.save(update_fields=["legal_name"])
    client.force_login(owner)
    text = pdf_text(client, reviewed, "zh-hans")

    assert "张伟" in text
    assert "400,006.00" in text
    assert "股票" in text and "现金" in text
    assert "风险" in text


def test_the_client_page_links_to_the_report(owner, reviewed):
    html = panel_html(panels.CLIENT_SIDE, "review-report", user=owner, client=reviewed)

    assert reverse("reports:client-review", args=[reviewed.pk]) in html
    assert reverse("reports:client-review-pdf", args=[reviewed.pk]) in html


def test_the_portfolio_page_links_to_the_report_for_every_reader(client, compliance, reviewed):
    client.force_login(compliance)  # reads, edits nothing: the link is there all the same
    html = client.get(reverse("portfolios:client-portfolio", args=[reviewed.pk])).content.decode()

    assert f'href="{reverse("reports:client-review", args=[reviewed.pk])}"' in html


def test_a_client_without_holdings_or_level_gets_a_report_that_says_so(client, owner):
    bare = ClientFactory(legal_name="Li Na", manager=owner)
    client.force_login(owner)
    html = page(client, bare)
    text = pdf_text(client, bare)

    assert "Not assessed" in html
    assert "The client has no risk level, so there is no target allocation." in html
    assert "No goals recorded." in html and "No valuation history yet" in html
    assert "Li Na" in text and "not assessed" in text


def test_a_currency_without_an_exchange_rate_is_named_instead_of_wrong_totals(client, owner):
    unpriced = ClientFactory(legal_name="Wang Fang", manager=owner)
    HoldingFactory(account__client=unpriced, instrument=InstrumentFactory(code="AAPL", currency="USD"))
    client.force_login(owner)
    html = page(client, unpriced)
    text = pdf_text(client, unpriced)

    assert 'data-testid="review-fx-error"' in html and "USD" in html
    assert "Wang Fang" in text and "USD" in text
