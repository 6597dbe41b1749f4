"""A fixed-window rate limit over Django's cache (Redis when REDIS_URL is set, so every web
process shares the counts), for the public forms and anything else anonymous callers reach."""

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
    """The caller's address as the web server saw it (a proxy in front sets REMOTE_ADDR through
    its own configuration, not through a header a client could forge); None when there is none
    (a sign-in made by code), which django-axes stores as an empty address and the rate limits
    count as one caller."""
    return request.META.get("REMOTE_ADDR") or None
