"""Fixtures of the API tests: a token per member of the usual cast, and a client that sends it."""

import pytest
from rest_framework.test import APIClient

from api.services import api_token_issue


def token_client(user, *, name: str = "Core banking") -> APIClient:
    """An API client authenticated with a fresh token of ``user`` (``.token`` is the ApiToken)."""
    token, key = api_token_issue(user=user, name=name)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    api.token = token
    return api


@pytest.fixture
def api_as():
    """``api_as(user)``: an API client with a token of that user."""
    return token_client


@pytest.fixture
def anonymous_api():
    return APIClient()


def error_fields(response) -> dict[str | None, str]:
    """The error shape as {field: code}, after checking it is the one shape every error has."""
    body = response.json()
    assert set(body) == {"errors"} and body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"field", "code", "message"}, error
        assert error["code"] and error["message"], error
    return {error["field"]: error["code"] for error in body["errors"]}
