"""Environment-driven settings.

Every setting that differs between a laptop and production comes from a
``RATEPAYER_*`` environment variable. Defaults are the safe production ones:
DEBUG off, secure cookies on, and no secret key unless one is given (a
development key is used only when RATEPAYER_DEBUG is true).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("RATEPAYER_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def language_list(codes: list[str]) -> list[tuple[str, str]]:
    """(code, name in that language) for each code; English is always offered."""
    from django.conf.locale import LANG_INFO

    codes = ["en", *(c.lower() for c in codes if c.lower() != "en")]
    for code in codes:
        if len(code) != 2 or not code.isalpha():
            raise ImproperlyConfigured(f"RATEPAYER_LANGUAGES: {code!r} is not a two-letter language code (e.g. vi).")
    return [(code, LANG_INFO.get(code, {}).get("name_local", code)) for code in dict.fromkeys(codes)]


DEBUG = env_bool("RATEPAYER_DEBUG", False)
# Test mode (a development key, a fast password hasher) only when the test suite says so explicitly.
TESTING = env_bool("RATEPAYER_TESTING", False)

SECRET_KEY = os.environ.get("RATEPAYER_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "ratepayer-development-key-not-for-production-use-0123456789abcdef"
    else:
        raise ImproperlyConfigured(
            "RATEPAYER_SECRET_KEY is not set. Set it to a long random string "
            "(or set RATEPAYER_DEBUG=1 on a development machine)."
        )

# Key for customer PII encrypted at rest (Fernet). Separate from SECRET_KEY so
# that rotating the session key does not make stored bank details unreadable.
FIELD_ENCRYPTION_KEY = os.environ.get("RATEPAYER_FIELD_ENCRYPTION_KEY", "")

ALLOWED_HOSTS = env_list("RATEPAYER_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("RATEPAYER_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs page's Swagger UI from its bundled static files, not a CDN
    "ratepayer.db",  # database mechanisms (the ``__among`` lookup); no models
    "ratepayer.staff",
    "ratepayer.outbox",
    "ratepayer.rates",
    "ratepayer.customers",
    "ratepayer.ledger",
    "ratepayer.metering",
    "ratepayer.billing",
    "ratepayer.payments",
    "ratepayer.collections",
    "ratepayer.console",
    "ratepayer.demo",
    "ratepayer.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files from STATIC_ROOT (collected by `ratepayer serve`), compressed and cached, by the app server
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # the console in the browser's language where a catalog translates it (docs/operator-guide/languages.md);
    # customer documents choose their language from the customer, never from the request
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ratepayer.staff.middleware.RequestContextMiddleware",
    "ratepayer.console.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "ratepayer.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ratepayer.console.context_processors.console",
            ],
        },
    },
]

WSGI_APPLICATION = "ratepayer.wsgi.application"

DATABASE_URL = os.environ.get("RATEPAYER_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'ratepayer.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions: readers never block the writer and two
    # writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-64000;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if os.environ.get("RATEPAYER_TEST_DB_NAME"):
    # lets several test runs share one PostgreSQL server without clashing
    DATABASES["default"]["TEST"] = {"NAME": os.environ["RATEPAYER_TEST_DB_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if TESTING:
    # Tests create many users; production keeps Django's slow default hasher.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The languages customers are written to in (bills, receipts, e-mails) and the console can be read in:
# two-letter codes, English first; each other one needs a catalog in src/ratepayer/locale
# (docs/operator-guide/languages.md). Adding one is configuration and a translated .po file, no code.
LANGUAGES = language_list(env_list("RATEPAYER_LANGUAGES", ["en", "es", "ru"]))
TIME_ZONE = os.environ.get("RATEPAYER_TIME_ZONE", "America/Los_Angeles")
USE_I18N = True
USE_TZ = True
# gettext catalogs (compiled by the build: `make env`, scripts/compile-messages.sh)
LOCALE_PATHS = [BASE_DIR / "locale"]
# U.S. number and date formats for U.S. customers in every language: the
# format modules for es and ru carry the U.S. separators and date order
FORMAT_MODULE_PATH = ["ratepayer.locale_formats"]
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
WHITENOISE_MAX_AGE = 3600  # file names are not hashed: an hour, so a new release's CSS arrives the same day
STATIC_ROOT = Path(os.environ.get("RATEPAYER_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("RATEPAYER_MEDIA_ROOT", VAR_DIR / "media"))

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if env_bool("RATEPAYER_TASKS_IMMEDIATE", False):
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

EMAIL_BACKEND = os.environ.get("RATEPAYER_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("RATEPAYER_FROM_EMAIL", "billing@example-utility.org")
EMAIL_HOST = os.environ.get("RATEPAYER_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("RATEPAYER_EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("RATEPAYER_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("RATEPAYER_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("RATEPAYER_EMAIL_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("RATEPAYER_EMAIL_TIMEOUT", 30))
EMAIL_FILE_PATH = os.environ.get("RATEPAYER_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
# The outbox (ratepayer.outbox): attempts before a message is failed, the first
# retry's wait (doubled each time), and how long a worker holds one it is sending.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("RATEPAYER_OUTBOX_MAX_ATTEMPTS", 6))
OUTBOX_RETRY_SECONDS = int(os.environ.get("RATEPAYER_OUTBOX_RETRY_SECONDS", 60))
OUTBOX_LEASE_SECONDS = int(os.environ.get("RATEPAYER_OUTBOX_LEASE_SECONDS", 300))

# Security: secure by default, relaxed only for local HTTP with DEBUG.
SECURE_HTTPS = env_bool("RATEPAYER_SECURE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("RATEPAYER_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
# Behind a TLS-terminating proxy: the addresses gunicorn trusts for X-Forwarded-*
# headers (RATEPAYER_FORWARDED_ALLOW_IPS), and Django then takes the proxy's word
# that the request was HTTPS. Set either variable only when a proxy is in front.
FORWARDED_ALLOW_IPS = os.environ.get("RATEPAYER_FORWARDED_ALLOW_IPS", "")
BEHIND_PROXY = env_bool("RATEPAYER_BEHIND_PROXY", bool(FORWARDED_ALLOW_IPS))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("RATEPAYER_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The production web server (`ratepayer serve` without RATEPAYER_DEBUG runs gunicorn).
WEB_BIND = os.environ.get("RATEPAYER_BIND", "127.0.0.1:8000")
WEB_WORKERS = int(os.environ.get("RATEPAYER_WEB_WORKERS", 2))
WEB_THREADS = int(os.environ.get("RATEPAYER_WEB_THREADS", 4))
WEB_TIMEOUT = int(os.environ.get("RATEPAYER_WEB_TIMEOUT", 60))
# Background task workers `ratepayer serve` starts beside the web server (0: run `ratepayer worker` yourself).
TASK_WORKERS = int(os.environ.get("RATEPAYER_TASK_WORKERS", 0))

# Login throttling (staff.throttle): failed attempts per username and per address.
LOGIN_FAILURE_LIMIT = int(os.environ.get("RATEPAYER_LOGIN_FAILURE_LIMIT", 5))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("RATEPAYER_LOGIN_LOCKOUT_SECONDS", 900))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}, "discard": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RATEPAYER_LOG_LEVEL", "WARNING")},
    # a request for a host not in RATEPAYER_ALLOWED_HOSTS gets its 400; scanners send many, no traceback each
    # (a NullHandler: with no handler at all, Python's last-resort handler would print it anyway)
    "loggers": {"django.security.DisallowedHost": {"handlers": ["discard"], "propagate": False}},
}

# The utility this installation serves (name on documents, NACHA company name, ...).
UTILITY_NAME = os.environ.get("RATEPAYER_UTILITY_NAME", "Cascade Public Utility District")
