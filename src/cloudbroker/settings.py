"""Django settings, all derived from the typed :class:`cloudbroker.config.Config`."""

from __future__ import annotations

import logging
import os

import dj_database_url
import structlog
from huey import RedisHuey, SqliteHuey

from cloudbroker.config import BASE_DIR, load_config

CONFIG = load_config()
CONFIG.data_dir.mkdir(parents=True, exist_ok=True)
(CONFIG.data_dir / "static").mkdir(exist_ok=True)

DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.resolved_secret_key()
FIELD_ENCRYPTION_KEYS = CONFIG.field_encryption_keys
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # The API docs page serves django-ninja's bundled Swagger UI from our static files (no CDN).
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "huey.contrib.djhuey",
    "cloudbroker.core",
    "cloudbroker.brokers",
    "cloudbroker.accounts",
    "cloudbroker.organizations",
    "cloudbroker.imports",
    "cloudbroker.catalog",
    "cloudbroker.subscriptions",
    "cloudbroker.microsoft365",
    "cloudbroker.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cloudbroker.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "cloudbroker.core.middleware.UnstorableTextMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cloudbroker.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "cloudbroker.portal.errors.DomainErrorMiddleware",
]

ROOT_URLCONF = "cloudbroker.urls"
WSGI_APPLICATION = "cloudbroker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cloudbroker.portal.context_processors.portal",
            ],
        },
    }
]

# --- Database: SQLite (WAL) by default, PostgreSQL (psycopg 3) when DATABASE_URL is set.
if CONFIG.database_url:
    DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": CONFIG.data_dir / "cloudbroker.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Jobs: huey, SQLite storage by default, Redis when REDIS_URL is set.
# Parallel test workers (pytest-xdist) each get their own queue so they cannot take each other's jobs.
_QUEUE = "cloudbroker" + (f"-{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else "")
if CONFIG.redis_url:
    HUEY = RedisHuey(_QUEUE, url=CONFIG.redis_url, immediate=False, utc=True)
else:
    HUEY = SqliteHuey(_QUEUE, filename=str(CONFIG.data_dir / f"{_QUEUE}-huey.sqlite3"), immediate=False, utc=True)

if CONFIG.redis_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CONFIG.redis_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts and passwords.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cloudbroker.accounts.backends.EmailBackend",
]
# E-mail addresses are unique per broker, not globally (ADR 0007); EmailBackend signs people in.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
OTP_TOTP_ISSUER = "Cloudbroker"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "cloudbroker.accounts.passwords.CharacterClassValidator"},
    {"NAME": "cloudbroker.accounts.passwords.NoPersonalPartsValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"

AXES_FAILURE_LIMIT = CONFIG.login_failure_limit
AXES_COOLOFF_TIME = CONFIG.login_cooloff_minutes / 60  # hours
# Failures lock one client out of one account, never the account for everyone (accounts/signin.py
# slows an account down across clients instead).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "cloudbroker.accounts.passwords.login_name"  # failures count per address, any case
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # the portal's htmx calls read it
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if CONFIG.secure_proxy_ssl_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- E-mail.
if CONFIG.email_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.email_host
    EMAIL_PORT = CONFIG.email_port
    EMAIL_HOST_USER = CONFIG.email_host_user
    EMAIL_HOST_PASSWORD = CONFIG.email_host_password.get_secret_value()
    EMAIL_USE_TLS = CONFIG.email_use_tls
    EMAIL_USE_SSL = CONFIG.email_use_ssl
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = CONFIG.data_dir / "mail"
DEFAULT_FROM_EMAIL = CONFIG.default_from_email

# --- I18n / time: UTC everywhere, business dates are dates.
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files.
STATIC_URL = "static/"
STATIC_ROOT = CONFIG.data_dir / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

# --- Uploaded files (import files) and import limits.
MEDIA_ROOT = CONFIG.data_dir / "media"
MEDIA_URL = "/media/"  # never served: files are read back by the application only
IMPORT_MAX_BYTES = CONFIG.import_max_bytes
IMPORT_MAX_ROWS = CONFIG.import_max_rows
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- API.
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

# --- Logging: structlog, key=value in development, JSON when LOG_JSON is set.
structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.JSONRenderer() if CONFIG.log_json else structlog.dev.ConsoleRenderer(colors=False),
    ],
    wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[CONFIG.log_level.upper()]),
    cache_logger_on_first_use=True,
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"worker": {"format": "[%(asctime)s] %(levelname)s:%(name)s:%(threadName)s:%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "worker": {"class": "logging.StreamHandler", "formatter": "worker"},
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level.upper()},
    "loggers": {
        "axes": {"level": "WARNING"},
        # huey's consumer adds a handler of its own to "huey" unless it has one; with ours it does
        # not, and without propagation each worker line is written once, not twice.
        "huey": {"level": "INFO", "handlers": ["worker"], "propagate": False},
        # httpx logs every request at INFO: a sync makes thousands; the connector reports what matters.
        "httpx": {"level": "WARNING"},
    },
}

CLOUDBROKER_BASE_DIR = BASE_DIR
