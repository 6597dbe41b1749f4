"""Production settings: with the environment the README's Deploy section gives, Django's deployment
checklist (`manage.py check --deploy`) finds nothing, and the security settings are in force."""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "crm.bank.example",
    "CSRF_TRUSTED_ORIGINS": "https://crm.bank.example",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto=https",
    "TRUSTED_PROXIES": "127.0.0.1",
}


def run_manage(*args, env_changes: dict, timeout=120):
    # Production: DEBUG unset, and none of the test harness's own switches (the browser tests allow
    # Django's ORM in Playwright's event loop, which check --deploy rightly refuses).
    env = {name: value for name, value in os.environ.items() if name not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(env_changes)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=timeout)


def production_settings(*names, env_changes: dict | None = None) -> dict:
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))")
    result = run_manage("shell", "-c", code, env_changes={**PRODUCTION_ENV, **(env_changes or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_deployment_checklist_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_changes=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checklist_fails_when_a_protection_is_turned_off():
    # The check above is only worth something if the checklist can fail here.
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        env_changes={**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "0"})

    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W004" in result.stderr


def test_production_settings_secure_the_cookies_and_trust_the_proxy_header():
    values = production_settings(
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS", "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    )

    assert values == {
        "DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"], "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "CSRF_TRUSTED_ORIGINS": ["https://crm.bank.example"], "SESSION_COOKIE_AGE": 30 * 60,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
    }


def test_the_timeouts_and_limits_come_from_the_environment():
    values = production_settings(
        "SESSION_COOKIE_AGE", "AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME",
        env_changes={"SESSION_IDLE_MINUTES": "10", "LOGIN_FAILURE_LIMIT": "3", "LOGIN_LOCKOUT_MINUTES": "60"},
    )

    assert values["SESSION_COOKIE_AGE"] == 600
    assert values["AXES_FAILURE_LIMIT"] == 3
    assert values["AXES_COOLOFF_TIME"] == "1:00:00"  # a timedelta, as str() writes it


def test_a_malformed_proxy_header_setting_fails_loudly():
    result = run_manage("check", env_changes={**PRODUCTION_ENV, "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"})

    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must look like X-Forwarded-Proto=https" in result.stderr
