"""Settings for Gongzhi, read from the environment with safe defaults for a laptop.

Without ``DATABASE_URL`` the platform runs on a SQLite file; without ``REDIS_URL``
Celery runs every task eagerly in the web process.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-only-secret-key-change-me-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind HTTPS in production: set HTTPS=1 (the proxy sends X-Forwarded-Proto).
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)

# Key for personal data at rest (Fernet, urlsafe base64 of 32 bytes). Several keys,
# comma-separated, allow rotation: the first encrypts, all decrypt.
PII_KEYS = env.list("PII_KEYS", default=["6bZ5qH4M0n6Wc3sQmVhO0Jm2yD1y1oQ5dGk7QJq1k3E="])
# Key of the keyed hash used to match ID and phone numbers without decrypting them.
PII_HASH_KEY = env.str("PII_HASH_KEY", default="dev-only-pii-hash-key")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "import_export",
    "django_celery_beat",
    "core",
    "governance",
    "residents",
    "elections",
    "committees",
    "oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections with health checks: a new connection per request cost
    # about three quarters of a list endpoint's throughput on this stack.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default="test_gongzhi")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "governance.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["governance.api.permissions.ScopedPermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Password guessing at the token endpoint: counted per client address, in each process's cache.
    "DEFAULT_THROTTLE_RATES": {"login": env.str("LOGIN_RATE", default="10/min")},
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Gongzhi API",
    "DESCRIPTION": "Party-building-led governance of residential estates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name across apps get their own schema names.
    "ENUM_NAME_OVERRIDES": {
        "PlaceKindEnum": "governance.models.PlaceKind",
        "OrgKindEnum": "governance.models.OrgKind",
        "PostBodyEnum": "governance.models.PostBody",
        "OwnerKindEnum": "residents.models.OwnerKind",
        "ImportStateEnum": "residents.models.ImportState",
        "VoteKindEnum": "elections.models.VoteKind",
        "VoteStatusEnum": "elections.models.VoteStatus",
        "GroupBodyEnum": "elections.models.GroupBody",
        "MeetingKindEnum": "committees.models.meetings.MeetingKind",
        "AccountKindEnum": "committees.models.ledger.AccountKind",
        "CommitteeStatusEnum": "committees.models.committee.CommitteeStatus",
        "SpendingStatusEnum": "committees.models.spending.SpendingStatus",
        "CommitteePostKindEnum": ["chair", "vice_chair", "member"],
    },
}

# Celery: with no broker configured, tasks run eagerly in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Domain settings a district may change (DOMAIN.md marks them "configurable").
GONGZHI = {
    # Whether parking spaces with their own title count toward voting area (DOMAIN.md §4).
    "PARKING_COUNTS_FOR_AREA": env.bool("GONGZHI_PARKING_COUNTS_FOR_AREA", default=True),
    # A register import still running after this long has lost its worker (100,000 units take seconds).
    "IMPORT_STALL_MINUTES": 120,
    # Owners' votes (DOMAIN.md §4–§5): notice and objection periods, one extension's limit,
    # the committee's size bounds (odd); the filing deadline is COMMITTEE_FILING_DAYS.
    "VOTE_NOTICE_DAYS": 7,
    "VOTE_OBJECTION_DAYS": 7,
    "VOTE_EXTENSION_MAX_DAYS": 15,
    "COMMITTEE_SEATS_MIN": 5,
    "COMMITTEE_SEATS_MAX": 11,
    # A district may allow a committee of 3 for estates of at most this many households.
    "COMMITTEE_SMALL_ESTATE_THREE": False,
    "COMMITTEE_SMALL_ESTATE_HOUSEHOLDS": 100,
    # Owners' committees and the public-revenue ledger (DOMAIN.md §5–§7), amounts in yuan.
    "COMMITTEE_TERM_YEARS": 5,
    "COMMITTEE_FILING_DAYS": 30,
    "PARTY_MEMBER_SHARE_TARGET": (1, 2),
    "MAJOR_PROJECT_THRESHOLD": "200000.00",
    "SPENDING_SUPERVISION_THRESHOLD": "10000.00",
    "SPENDING_DISCIPLINE_THRESHOLD": "50000.00",
    "SPLIT_PURCHASE_WINDOW_DAYS": 30,
    "LARGE_ITEM_THRESHOLD": "10000.00",
    # Oversight (DOMAIN.md §6; oversight/, docs/oversight.md). The four musts: days after a meeting or an
    # assembly's close to record the party organization's attendance; days to give the opinion on a major
    # spending request (above MAJOR_SPENDING_THRESHOLD) before it is decided; days between supervision visits
    # of a running major project, and days after its start or acceptance to record them; the spot-check
    # period in months (3: quarterly) and the days after a period's end to carry it out; how far back the
    # beat job catches up after downtime; a notice "due soon" this many days before the due date.
    "OBLIGATION_RECORD_DAYS": 3,
    "MAJOR_SPENDING_THRESHOLD": "50000.00",
    "PARTICIPATION_DUE_DAYS": 7,
    "SUPERVISION_INTERVAL_DAYS": 30,
    "SUPERVISION_RECORD_DAYS": 7,
    "SPOT_CHECK_MONTHS": 3,
    "SPOT_CHECK_DUE_DAYS": 30,
    "OBLIGATION_CATCH_UP_DAYS": 400,
    "OBLIGATION_DUE_SOON_DAYS": 3,
    # Legal oversight: an estate whose public revenue in a calendar year exceeds this (yuan) is audited.
    "AUDIT_REVENUE_THRESHOLD": "200000.00",
    # Early warning on property petitions (Poisson upper control limit on the estate's own baseline):
    # the window and baseline in days, the one-sided false-alarm probability, the fewest petitions that
    # can raise a flag, and the lowest baseline rate per window assumed for an estate with few petitions.
    "EARLY_WARNING_WINDOW_DAYS": 30,
    "EARLY_WARNING_BASELINE_DAYS": 365,
    "EARLY_WARNING_ALPHA": "0.01",
    "EARLY_WARNING_MIN_PETITIONS": 3,
    "EARLY_WARNING_RATE_FLOOR": "0.50",
}

# E-mail (oversight notices go through Django's e-mail backend): EMAIL_URL such as
# smtp+tls://user:password@smtp.example.com:587; without it, mail is written to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="gongzhi@localhost")
