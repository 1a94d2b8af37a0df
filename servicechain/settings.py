"""Django settings, read from the environment (DESIGN §2 "Configuration").

Every variable is parsed strictly: a value that cannot be understood stops start-up with a
message naming the variable, rather than silently falling back to a default.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma-separated list of IP addresses or CIDR networks (`10.0.0.1, 172.16.0.0/12`)."""
    networks = []
    for part in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {part!r} is not an IP address or network (e.g. 10.0.0.1 or 10.0.0.0/8)."
            ) from None
    return tuple(networks)


DEBUG = env_bool("SERVICECHAIN_DEBUG", False)
TESTING = env_bool("SERVICECHAIN_TESTING", False)

SECRET_KEY = os.environ.get("SERVICECHAIN_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production-" + "x" * 20
    else:
        raise ImproperlyConfigured(
            "SERVICECHAIN_SECRET_KEY must be set (50+ random characters) when "
            "SERVICECHAIN_DEBUG is off. `servicechain demo` sets one for you."
        )

ALLOWED_HOSTS = env_list("SERVICECHAIN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

# The minimum reporting size of the anonymity gate. An organisation may raise it; nobody may
# set it below 3, because with two respondents each one can subtract themselves.
MIN_GROUP_SIZE = env_int("SERVICECHAIN_MIN_GROUP_SIZE", 5, minimum=3)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # django-ninja as an app: /api/docs then serves Swagger UI from the package's own static
    # files instead of a CDN (which the content-security policy rightly blocks).
    "ninja",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "djmoney",
    "simple_history",
    "servicechain.org",
    "servicechain.surveys",
    "servicechain.insights",
    "servicechain.contactcentre",
    "servicechain.notifications",
    "servicechain.recognition",
    "servicechain.loyalty",
    "servicechain.care",
    "servicechain.rewards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session, auth and messages middleware, stepping aside for the
    # survey-link API (/api/respond/<token>: the token is the key; see the module).
    "servicechain.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "servicechain.middleware.AuthenticationMiddleware",
    "servicechain.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "servicechain.middleware.CSPMiddleware",
    "servicechain.middleware.NoStoreMiddleware",
    "servicechain.ratelimit.SurveyLinkRateLimitMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # axes must come last: it inspects the response of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "servicechain.urls"
WSGI_APPLICATION = "servicechain.wsgi.application"
ASGI_APPLICATION = "servicechain.asgi.application"

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
                "servicechain.org.context.navigation",
                "servicechain.notifications.context.bell",
            ],
        },
    }
]

_default_db = f"sqlite:///{Path.cwd() / 'servicechain.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or _default_db, conn_max_age=60, conn_health_checks=True
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django sets psycopg's prepare_threshold to None, which turns prepared statements off
    # even for an explicit `execute(..., prepare=True)`. Ordinary queries still never prepare
    # (Django's client-binding cursor cannot), and no count ever reaches this threshold; only
    # the survey submit path asks for preparation explicitly (surveys.services._hot_execute).
    # Behind PgBouncer in transaction mode this needs max_prepared_statements (>= 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the writer work at once; a busy timeout instead of "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create many users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The reverse proxies whose X-Forwarded-For is believed (servicechain.client_address): only
# their word names the client; from anyone else the header is ignored.
TRUSTED_PROXIES = env_networks("SERVICECHAIN_TRUSTED_PROXIES")

# Login throttling (servicechain.org.lockout): five failures for a username from one client
# address pause that pair for 15 minutes, longer while the failures go on; the same username
# from another address, and other usernames from this one, are not affected. Admins unlock
# with `servicechain manage axes_reset_username NAME` or in the admin (Access attempts).
AXES_FAILURE_LIMIT = env_int("SERVICECHAIN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_COOL_OFF_MINUTES = env_int("SERVICECHAIN_LOGIN_COOL_OFF_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = "servicechain.org.lockout.login_cool_off"
# Each (username, address) record expires on its own clock, so a short cool-off elsewhere
# never clears a longer one.
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_CLIENT_IP_CALLABLE = "servicechain.client_address.client_ip"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "servicechain.org.lockout.lockout_response"
AXES_ENABLED = env_bool("SERVICECHAIN_LOGIN_THROTTLING", True)

LANGUAGE_CODE = "en-gb"
# Dates and times read one way on every page (servicechain/formats): "Mon 7 Dec 2026", 24-hour.
FORMAT_MODULE_PATH = ["servicechain.formats"]
TIME_ZONE = os.environ.get("SERVICECHAIN_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Only needed for `collectstatic` in production; whitenoise serves from the app folders.
STATIC_ROOT = os.environ.get("SERVICECHAIN_STATIC_ROOT") or None
STATICFILES_DIRS = [BASE_DIR / "static"]
# Whitenoise serves straight from the app folders, so the demo needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if TESTING:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Survey links rate-limited per client address and server process (servicechain.ratelimit):
# a sustained rate per second and a burst; 0 turns the limit off.
SURVEY_LINK_RATE = env_int("SERVICECHAIN_SURVEY_LINK_RATE", 20, minimum=0)
SURVEY_LINK_BURST = env_int("SERVICECHAIN_SURVEY_LINK_BURST", 60, minimum=1)

# E-mail: SMTP (Django's default) in production. Backends that print or keep messages would
# put every invitation link, with the recipient's name and address, into the logs, so
# production refuses them unless told otherwise (the demo does, to show its e-mails).
_PRINTING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or TESTING
    else "django.core.mail.backends.smtp.EmailBackend"
)
if (
    EMAIL_BACKEND in _PRINTING_EMAIL_BACKENDS
    and not (DEBUG or TESTING)
    and not env_bool("SERVICECHAIN_ALLOW_CONSOLE_EMAIL", False)
):
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND={EMAIL_BACKEND} would write every survey link into the logs; use SMTP "
        "(EMAIL_HOST, …) or set SERVICECHAIN_ALLOW_CONSOLE_EMAIL=1 to accept that."
    )
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "servicechain@localhost")
SITE_URL = os.environ.get("SERVICECHAIN_SITE_URL", "http://127.0.0.1:8000")

# Content-security policy: everything from our own origin, no inline scripts and no eval
# (charts run vega-embed with `ast: true`, which interprets expressions instead of compiling).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# HTTPS hardening. On by default outside DEBUG; the demo on 127.0.0.1 switches it off.
HTTPS = env_bool("SERVICECHAIN_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("SERVICECHAIN_CSRF_TRUSTED_ORIGINS", [])

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Files larger than this are refused (imports say so); past it nothing more is kept on disk.
MAX_UPLOAD_BYTES = env_int("SERVICECHAIN_MAX_UPLOAD_MB", 50, minimum=1) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "servicechain.uploads.CappedTemporaryFileUploadHandler",
]

# No survey token is ever logged (servicechain.logging): the filter rewrites it on the loggers
# that write request paths and on the handler everything is printed through.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"survey_tokens": {"()": "servicechain.logging.SurveyTokenFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["survey_tokens"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("SERVICECHAIN_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["survey_tokens"]},
        "django.security.csrf": {"filters": ["survey_tokens"]},
        # runserver's request lines (Django's own handler is replaced: it has no filter).
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["survey_tokens"],
        },
    },
}
