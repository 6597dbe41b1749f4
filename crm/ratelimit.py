"""A fixed-window rate limit over Django's cache (Redis when REDIS_URL is set, so every web
process shares the counts), for the public forms and anything else anonymous callers reach."""

import ipaddress

from django.conf import settings
from django.core.cache import cache


def rate_limit_exceeded(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key`` in ``scope``; True once more than ``limit`` fell in the window."""
    cache_key = f"ratelimit:{scope}:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return False
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # expired between add and incr: this attempt opens a new window
        cache.add(cache_key, 1, timeout=window_seconds)
        return False


def client_address(request) -> str | None:
    """The caller's address: ``REMOTE_ADDR`` as the web server saw it, or, when that is a proxy in
    ``settings.TRUSTED_PROXIES``, the address the proxies name in ``X-Forwarded-For``: read from
    the nearest hop back, the first one that is not a trusted proxy (what lies further left the
    caller may have written itself). None when there is none (a sign-in made by code), which
    django-axes stores as an empty address and the rate limits count as one caller.

    django-axes counts failed sign-ins by this too (``AXES_CLIENT_IP_CALLABLE``)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXIES
    if remote is None or not proxies or not _among(remote, proxies):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _valid(hop):
            break  # a trusted proxy writes addresses only: the chain is broken here
        if not _among(hop, proxies):
            return hop
    return remote


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _among(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
