"""The database settings built from DATABASE_URL (README: Configuration)."""

import dj_database_url

POSTGRESQL = "django.db.backends.postgresql"


def database_from_url(url: str, *, conn_max_age: int, conn_health_checks: bool) -> dict:
    """Django's DATABASES["default"] for ``url``.

    Connections are kept open ``conn_max_age`` seconds (0: one per request, ``None`` in Django:
    unlimited) and checked before reuse when ``conn_health_checks`` is on, so a database restart
    costs one failed check rather than a failed request. On PostgreSQL the app's sessions run with
    ``jit=off``: the planner's JIT compiled the large aggregate queries of a 100k-client book for
    about 500 ms each, far longer than the queries themselves take to run.
    """
    config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=conn_health_checks)
    if config["ENGINE"] == POSTGRESQL:
        options = config.setdefault("OPTIONS", {})
        options["options"] = " ".join(filter(None, [options.get("options", ""), "-c jit=off"]))
    return config
