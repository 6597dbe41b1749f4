"""Saved filters: an RM names the current client-list filter and picks it again later."""

import pytest
from django.urls import reverse

from crm.models import SavedFilter

pytestmark = pytest.mark.django_db


def test_it_saves_the_current_filter_without_the_page(client, owner):
    client.force_login(owner)
    response = client.post(reverse("crm:saved-filter-save"),
                           {"name": " HNW growth ", "query_string": "tier=hnw&lifecycle=growth&page=3"})
    assert response.status_code == 302
    saved = SavedFilter.objects.get()
    assert (saved.owner, saved.name, saved.query_string) == (owner, "HNW growth", "tier=hnw&lifecycle=growth")
    assert response.url == reverse("crm:client-list") + "?tier=hnw&lifecycle=growth"


def test_saving_under_the_same_name_replaces_the_filter(client, owner):
    client.force_login(owner)
    client.post(reverse("crm:saved-filter-save"), {"name": "Mine", "query_string": "tier=hnw"})
    client.post(reverse("crm:saved-filter-save"), {"name": "Mine", "query_string": "tier=mass"})
    assert list(SavedFilter.objects.values_list("query_string", flat=True)) == ["tier=mass"]


def test_it_needs_a_name(client, owner):
    client.force_login(owner)
    response = client.post(reverse("crm:saved-filter-save"), {"name": "", "query_string": "tier=hnw"})
    assert response.status_code == 302
    assert not SavedFilter.objects.exists()


def test_it_lists_only_the_users_own_filters(client, owner, teammate):
    SavedFilter.objects.create(owner=owner, name="Owner's HNW", query_string="tier=hnw")
    SavedFilter.objects.create(owner=teammate, name="Teammate's", query_string="tier=mass")
    client.force_login(owner)
    response = client.get(reverse("crm:client-list"))
    page = response.content.decode()
    assert "Owner&#x27;s HNW" in page and "?tier=hnw" in page
    assert "Teammate" not in page


def test_it_offers_to_save_only_a_filtered_list(client, owner):
    client.force_login(owner)
    assert "Save this filter" not in client.get(reverse("crm:client-list")).content.decode()
    page = client.get(reverse("crm:client-list"), {"tier": "hnw"}).content.decode()
    assert "Save this filter" in page
    assert 'value="tier=hnw"' in page


def test_it_deletes_only_the_users_own_filter(client, owner, teammate):
    mine = SavedFilter.objects.create(owner=owner, name="Mine", query_string="tier=hnw")
    theirs = SavedFilter.objects.create(owner=teammate, name="Theirs", query_string="tier=mass")
    client.force_login(owner)
    assert client.post(reverse("crm:saved-filter-delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("crm:saved-filter-delete", args=[mine.pk])).status_code == 302
    assert list(SavedFilter.objects.values_list("name", flat=True)) == ["Theirs"]
