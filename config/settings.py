"""Settings for the RM CRM, read from the environment.

Without DATABASE_URL the app runs on an SQLite file in the project; without
REDIS_URL Celery uses kombu's filesystem transport, so a worker and beat run
with no servers at all.
"""

import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .database import database_from_url
from .env import env_bool, env_int, env_list, env_networks, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CRM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "crm.admin_site.CrmAdminConfig",  # django.contrib.admin, open to administrators and compliance only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",  # sign-in lockout after repeated failures
    "rest_framework",  # the REST API (api/)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us (no CDN)
    "dataimport",  # the import engine, below crm
    "crm",
    "portfolios",
    "risk",
    "communications",
    # Consumers of the apps above (nothing imports them)
    "analytics",
    "reports",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "crm.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.security.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.context_processors.roles",
                "communications.context_processors.notifications",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections (CONN_MAX_AGE seconds, checked before reuse) and, on PostgreSQL, jit off.
    DATABASES = {"default": database_from_url(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60),
                                              conn_health_checks=env_bool("CONN_HEALTH_CHECKS", default=True))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # Worker, beat and web share the file: wait for locks rather than fail.
            # synchronous=NORMAL is WAL's recommended pairing: safe, and far fewer fsyncs.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file rather than Django's in-memory test database, so that a real Celery worker
            # process (tests/test_celery_worker.py) can open it; one per test run, so that runs
            # sharing this work tree do not clobber each other. The test runner deletes it.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes' backend first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our locale formats (zh_Hans: amounts grouped by thousands); numbers are grouped only where a
# template asks (floatformat "g", intcomma, |money), never ids in URLs: USE_THOUSAND_SEPARATOR stays off.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root before collectstatic
WHITENOISE_USE_FINDERS = DEBUG

# Uploads (imports) are read in memory up to the import limit, and refused above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
IMPORT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_ROWS = 50_000  # data rows of one imported file

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}  # Bootstrap calls the error level "danger"

# --- Sign-in, sessions and HTTP security (README: Configuration and Deploy) ---
# A signed-in session ends after SESSION_IDLE_MINUTES without a request (crm.security's
# SessionIdleTimeoutMiddleware keeps it alive while used) and when the browser closes.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
if SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be at least 1.")
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Lockout (django-axes): LOGIN_FAILURE_LIMIT failed sign-ins for one username from one address
# lock that pair for LOGIN_LOCKOUT_MINUTES (0: until an administrator deletes the access attempt
# in Django admin). A successful sign-in clears the count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15)) or None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "crm.ratelimit.client_address"  # the address the rate limits count by
# Whose address that is (crm.ratelimit.client_address): REMOTE_ADDR, unless REMOTE_ADDR is one of
# these reverse proxies (addresses or networks, comma-separated), which then name the client in
# X-Forwarded-For. None by default: that header, which anyone can send, is believed from no one else.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
AXES_LOCKOUT_CALLABLE = "crm.security.lockout_response"  # the sign-in page, saying why
AXES_VERBOSE = False  # no banner on every manage.py command; failures are still logged

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (crm.security.ContentSecurityPolicyMiddleware; Django 6.0's SECURE_CSP
# has the same shape): only the app's own, vendored files; no inline script or style attribute.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],  # Bootstrap's CSS draws its small icons as data: SVGs
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Behind a proxy that ends TLS: the header it sets on HTTPS requests, "Name=value",
    # e.g. X-Forwarded-Proto=https. Only name one the proxy always overwrites.
    _proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "")
    if _proxy_ssl_header:
        _name, _sep, _value = _proxy_ssl_header.partition("=")
        if not (_name.strip() and _value.strip()):
            raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must look like X-Forwarded-Proto=https.")
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Asking browsers to preload the domain is the domain owner's decision, not a default;
        # check --deploy's reminder of it (W021) is silenced until SECURE_HSTS_PRELOAD is set.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- REST API (api/; README: API) ---
# Systems authenticate with an API token (hashed, issued and revoked in admin or with
# manage.py api_token_issue / api_token_revoke); signed-in staff use their session (with CSRF) in
# the browsable API and the docs. Errors share one JSON shape (api.errors).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",  # first: an anonymous call answers 401, not 403
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "api.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiRateThrottle"],
    # Requests per token (or signed-in user); "1200/minute" style.
    "DEFAULT_THROTTLE_RATES": {"api": env_str("API_RATE_LIMIT", "1200/minute")},
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RM CRM API",
    "DESCRIPTION": "Clients, holdings, valuations, contacts and reminders, with the access rules of the app.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Business defaults that have no admin-editable home yet.
BASE_CURRENCY = env_str("CRM_BASE_CURRENCY", "CNY")

# Celery: Redis when REDIS_URL is set, otherwise a server-less filesystem broker.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A task taken by a worker that died unacknowledged goes back to the queue after this long
    # (acks_late). Never schedule work as long ETA/countdown tasks: Redis would redeliver them.
    # Workers look for such tasks every interval × throttle seconds (kombu's defaults: 10 × 10).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "unacked_restore_interval": env_int("CELERY_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": env_int("CELERY_RESTORE_THROTTLE", 10),
    }
else:
    _broker_dir = VAR_DIR / "celery" / "broker"
    _results_dir = VAR_DIR / "celery" / "results"
    for _folder in (_broker_dir / "out", _broker_dir / "processed", _broker_dir / "control", _results_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_results_dir}"
# One cache all processes share (rate limits of the public forms): Redis, or files in var/.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Scheduled jobs, run by `celery beat`: exactly one beat process per installation (scripts/run
# starts one next to its worker); workers, any number.
CELERY_BEAT_SCHEDULE = {
    "portfolio-valuations-daily": {
        "task": "portfolios.tasks.valuations_refresh_daily",
        "schedule": crontab(hour=6, minute=30),
    },
    "client-aum-tiers-nightly": {
        "task": "crm.tasks.client_aum_tiers_refresh",
        "schedule": crontab(hour=2, minute=0),
    },
    # Every client's stored lifetime value, after the morning revaluation (idempotent).
    "analytics-client-values-daily": {
        "task": "analytics.tasks.client_values_recompute",
        "schedule": crontab(hour=7, minute=0),
    },
    # The reminder scan: hourly (and once when beat starts), so the day's items and e-mails that
    # failed are picked up within the hour; idempotent, so any extra run is harmless.
    "communications-reminders-scan": {
        "task": "communications.tasks.reminders_scan",
        "schedule": crontab(minute=5),
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "crm@localhost")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # for EMAIL_BACKEND=...filebased.EmailBackend
# For EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend (reminder e-mails).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# Where the app is reached, for links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs each sign-in at INFO; its Access logs in admin keep them. Lockouts are WARNINGs.
    "loggers": {"axes": {"level": "WARNING"}},
}
