"""Possible duplicates on the merge page: suggested on the same ID number, phone or e-mail, or the
same name and date of birth — never on a name alone — each with the reason."""

import datetime

import pytest
from django.urls import reverse

from crm.selectors import client_duplicate_suggestions
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def suggested(user, client) -> list[tuple[int, list[str]]]:
    return [(candidate.pk, reasons) for candidate, reasons in client_duplicate_suggestions(user=user, client=client)]


def test_it_does_not_suggest_a_namesake_born_another_year_with_another_id(owner):
    older = ClientFactory(legal_name="何洋", birth_date=datetime.date(1950, 1, 1), id_number="110101195001011234",
                          manager=owner)
    ClientFactory(legal_name="何洋", birth_date=datetime.date(1973, 1, 1), id_number="110101197301011236",
                  manager=owner)

    assert suggested(owner, older) == []


def test_it_suggests_on_name_and_birth_date_and_says_so(owner):
    mine = ClientFactory(legal_name="何洋", birth_date=datetime.date(1950, 1, 1), manager=owner)
    twin = ClientFactory(legal_name="何洋", birth_date=datetime.date(1950, 1, 1), manager=owner)

    assert suggested(owner, mine) == [(twin.pk, ["same name and date of birth"])]


def test_it_suggests_on_id_phone_or_email_with_every_reason_that_applies(owner):
    mine = ClientFactory(legal_name="Li Na", id_number="110101199003071234", phone="+8613900139000",
                         email="li.na@example.com", manager=owner)
    by_id = ClientFactory(legal_name="Li N.", id_type="other", id_number="110101199003071234", manager=owner)
    by_phone_and_email = ClientFactory(legal_name="Na Li", phone="+8613900139000", email="LI.NA@example.com",
                                       manager=owner)

    assert dict(suggested(owner, mine)) == {
        by_id.pk: ["same ID number"], by_phone_and_email.pk: ["same phone", "same e-mail"]}


def test_it_suggests_only_records_the_user_may_edit(owner, outsider):
    mine = ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=owner)
    ClientFactory(legal_name="Li Na", phone="+8613900139000", manager=outsider)

    assert suggested(owner, mine) == []


def test_the_merge_page_shows_why_a_record_is_suggested(client, owner):
    mine = ClientFactory(legal_name="Wu Lei", phone="+8613900139000", manager=owner)
    ClientFactory(legal_name="Wu Lei", phone="+8613900139000", manager=owner)
    client.force_login(owner)

    html = client.get(reverse("crm:client-merge", args=[mine.pk])).content.decode()

    assert 'data-testid="duplicate-suggestion"' in html and "same phone" in html
