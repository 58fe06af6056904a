"""Settings for Gongzhi, read from the environment with safe defaults for a laptop.

Without ``DATABASE_URL`` the platform runs on a SQLite file; without ``REDIS_URL``
Celery runs every task eagerly in the web process.
"""

import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# The development keys below let a laptop run without configuration. A deployment must set its
# own: with DEBUG off, the web and Celery processes refuse to start on any of them, and
# ``manage.py check --deploy`` names each one still at its development value (core/checks.py).
DEVELOPMENT_KEYS = {
    "SECRET_KEY": "insecure-dev-only-secret-key-change-me-in-production",
    "PII_KEYS": ["6bZ5qH4M0n6Wc3sQmVhO0Jm2yD1y1oQ5dGk7QJq1k3E="],
    "PII_HASH_KEY": "dev-only-pii-hash-key",
}
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_KEYS["SECRET_KEY"])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind HTTPS in production: set HTTPS=1 (the proxy sends X-Forwarded-Proto).
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
# HSTS: a year by default behind HTTPS, subdomains included; preloading is a separate, lasting choice.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated). None by
# default: the client address is REMOTE_ADDR, which a client cannot forge (core/clientip.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Key for personal data at rest (Fernet, urlsafe base64 of 32 bytes). Several keys,
# comma-separated, allow rotation: the first encrypts, all decrypt.
PII_KEYS = env.list("PII_KEYS", default=DEVELOPMENT_KEYS["PII_KEYS"])
# Key of the keyed hash used to match ID and phone numbers without decrypting them.
PII_HASH_KEY = env.str("PII_HASH_KEY", default=DEVELOPMENT_KEYS["PII_HASH_KEY"])

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
    "axes",
    "csp",
    "core",
    "governance",
    "residents",
    "elections",
    "committees",
    "oversight",
    # Benchmarks and the city simulation (manage.py bench, bench_city): no models, no URLs.
    "bench",
    # The pages people work in: the top layer, which reads every app below it (templates, navigation).
    "web",
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
    "csp.middleware.CSPMiddleware",
    # Last: turns a lockout flagged during authentication into a 429 answer.
    "axes.middleware.AxesMiddleware",
    # Dashboards and reports read from the replica when there is one (config/db.py).
    "config.db.ReplicaReadsMiddleware",
]
# The pages whose reads may lag the primary by a moment: dashboards and overviews (namespaced url names).
REPLICA_URL_NAMES = env.list(
    "REPLICA_URL_NAMES",
    default=["dashboard", "web:turnout", "web:estates", "web:estate", "web:estate-tab", "place-detail"],
)

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
                "web.context_processors.navigation_context",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# A streaming replica of the primary for reports and dashboards (config/db.py routes to it only
# the reads that may lag a little: the pages and tasks named in REPLICA_URL_NAMES and the report
# builders); every write, and every read that must see one, stays on the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"].setdefault("TEST", {})["MIRROR"] = "default"
DATABASE_ROUTERS = ["config.db.ReplicaRouter"]
# Behind PgBouncer in transaction pooling mode (PGBOUNCER=1): no server-side cursors (a cursor
# cannot outlive the transaction a pooled server connection is lent for); the platform sets no
# session state (only SET LOCAL and transaction-scoped advisory locks) and binds parameters on
# the client, so nothing else needs to change.
PGBOUNCER = env.bool("PGBOUNCER", default=False)
for _alias, _db in DATABASES.items():
    if _db.get("ENGINE") == "django.db.backends.postgresql":
        # Persistent connections with health checks: a new connection per request cost
        # about three quarters of a list endpoint's throughput on this stack.
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        _db["CONN_HEALTH_CHECKS"] = True
        _db["DISABLE_SERVER_SIDE_CURSORS"] = PGBOUNCER
        if _alias == "default":
            _db.setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default="test_gongzhi")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "governance.User"

# Run by every path that sets a password: the API's user creation (governance.services.user_create),
# the admin's forms, createsuperuser and changepassword.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login guessing (django-axes): failures are counted in the database, so every web worker sees the
# same count, per username and per client address separately; past the limit even the right
# password is refused until the cool-off ends. Covers /login/, /admin/login/ and the API token.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success does not wipe the count: it would also wipe the failures its address made against other
# usernames, so a guesser holding one account could clear their own record between rounds.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "core.clientip.lockout_response"
AXES_VERBOSE = False

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
# Uploaded files are never served at /media/: a view checks who may see each one, then hands it
# to the web server ("nginx": X-Accel-Redirect to the internal location PROTECTED_MEDIA_PREFIX,
# which aliases MEDIA_ROOT; "apache": X-Sendfile) or, with "", streams it itself (committees/files.py).
PROTECTED_MEDIA_SERVER = env.str("PROTECTED_MEDIA_SERVER", default="")
PROTECTED_MEDIA_PREFIX = env.str("PROTECTED_MEDIA_PREFIX", default="/protected/")
# Uploads on the local file system by default; with MEDIA_STORAGE=s3, in an S3-compatible bucket
# (django-storages: AWS S3, MinIO, Ceph, Aliyun OSS or Tencent COS in S3 mode), so that web and
# worker processes on several hosts see the same files. Files stay private (no public ACL, signed
# URLs); the protected views stream them (PROTECTED_MEDIA_SERVER="" with S3).
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE == "s3":
    MEDIA_STORAGE_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default=None),
            "region_name": env.str("S3_REGION", default=None),
            "access_key": env.str("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default=None),
            "location": env.str("S3_PREFIX", default="media"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    MEDIA_STORAGE_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": MEDIA_STORAGE_BACKEND,
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
        "governance.api.authentication.ScopedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["governance.api.permissions.ScopedPermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}


def _ballot_box_channels():
    """The ballot box's channel choices with their labels: the paper channels only (read once apps are loaded)."""
    from elections.models import BallotBox  # settings load before the apps: imported when the schema is built

    return BallotBox._meta.get_field("channel").choices


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
        "SpendingStageEnum": "committees.models.spending.Stage",
        "CommitteePostKindEnum": ["chair", "vice_chair", "member"],
        "BallotBoxChannelEnum": _ballot_box_channels,
        "BallotChannelEnum": "elections.models.Channel",
        "PetitionChannelEnum": "oversight.models.PetitionChannel",
        "PetitionStatusEnum": "oversight.models.PetitionStatus",
    },
}

# Celery: with no broker configured, tasks run eagerly in-process.
REDIS_URL = env.str("REDIS_URL", default="")


def _redis_next_database(url: str) -> str:
    """The same Redis server, the next database number: the cache must not share Celery's database.

    Redis has databases 0 to 15 unless configured otherwise: a broker on the last one gets the cache on the one before.
    """
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{number + 1 if number < 15 else number - 1}"))


# The cache is shared by every web worker (attempt counters of core.throttle live there):
# CACHE_URL if set, else Redis (REDIS_URL's next database), else the database (a table that
# `migrate` creates), and a process-local memory only under DEBUG.
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_next_database(REDIS_URL),
        }
    }
elif DEBUG:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "gongzhi_cache"}}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Queues by kind of work, so that workers on several hosts can take each kind apart (a tally never
# waits behind a city's report): a worker started without -Q consumes every queue. Beat, which
# only enqueues, runs once per deployment (one process: README, "Production deployment").
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_QUEUE_NAMES = ("default", "tallies", "imports", "reports", "notifications")
CELERY_TASK_QUEUES = [Queue(name) for name in CELERY_QUEUE_NAMES]
CELERY_TASK_ROUTES = {
    "elections.tasks.*": {"queue": "tallies"},
    "residents.tasks.*": {"queue": "imports"},
    "governance.tasks.*": {"queue": "reports"},
    "committees.tasks.*": {"queue": "reports"},
    "oversight.tasks.build_report": {"queue": "reports"},
    "oversight.tasks.oversight_sweep": {"queue": "reports"},
    "oversight.tasks.email_notices": {"queue": "notifications"},
    "oversight.tasks.daily_digest": {"queue": "notifications"},
    "oversight.tasks.weekly_digest": {"queue": "notifications"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Content Security Policy (django-csp): scripts and styles only from our own static files, or
# inline with the per-request nonce (``nonce="{{ request.csp_nonce }}"``); no inline handlers or
# style attributes. The API documentation page relaxes style-src for itself (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Domain settings a district may change (docs/domain.md marks them "configurable").
GONGZHI = {
    # Whether parking spaces with their own title count toward voting area (docs/domain.md §4).
    "PARKING_COUNTS_FOR_AREA": env.bool("GONGZHI_PARKING_COUNTS_FOR_AREA", default=True),
    # A register import still running after this long has lost its worker (100,000 units take seconds).
    "IMPORT_STALL_MINUTES": 120,
    # Work queued while the broker was unreachable (an import, a report) is sent again by its beat job once it has
    # waited this long unclaimed; a job is claimed once, so a message that was only slow runs it once all the same.
    "QUEUE_RESEND_MINUTES": 10,
    # A tally still running after this long has lost its worker (80,000 ballots count in seconds), and a
    # tally pending this long lost its message (the broker was down): the beat job sends it again.
    "TALLY_STALL_MINUTES": 10,
    # Owners' votes (docs/domain.md §4–§5): notice and objection periods, one extension's limit,
    # the committee's size bounds (odd); the filing deadline is COMMITTEE_FILING_DAYS.
    # The notice period runs from the day the vote entered notice (or a recorded earlier posting);
    # assembly materials are posted at least 15 days before the vote (docs/domain.md §5.2, the law's floor).
    "VOTE_NOTICE_DAYS": 15,
    "VOTE_OBJECTION_DAYS": 7,
    "VOTE_EXTENSION_MAX_DAYS": 15,
    # How many owners one proxy may represent in one vote (issue 9 item 3; a district may change it).
    "VOTE_PROXY_LIMIT": 5,
    # Voting-code guesses allowed per hour: every attempt from one client, failed attempts against one vote.
    "VOTING_CODE_CLIENT_ATTEMPTS": 20,
    "VOTING_CODE_VOTE_FAILURES": 500,
    "COMMITTEE_SEATS_MIN": 5,
    "COMMITTEE_SEATS_MAX": 11,
    # A district may allow a committee of 3 for estates of at most this many households.
    "COMMITTEE_SMALL_ESTATE_THREE": False,
    "COMMITTEE_SMALL_ESTATE_HOUSEHOLDS": 100,
    # Owners' committees and the public-revenue ledger (docs/domain.md §5–§7), amounts in yuan.
    "COMMITTEE_TERM_YEARS": 5,
    "COMMITTEE_FILING_DAYS": 30,
    "PARTY_MEMBER_SHARE_TARGET": (1, 2),
    "MAJOR_PROJECT_THRESHOLD": "200000.00",
    "SPENDING_SUPERVISION_THRESHOLD": "10000.00",
    "SPENDING_DISCIPLINE_THRESHOLD": "50000.00",
    "SPLIT_PURCHASE_WINDOW_DAYS": 30,
    "LARGE_ITEM_THRESHOLD": "10000.00",
    # Oversight (docs/domain.md §6; oversight/, docs/oversight.md). The four musts: days after a meeting or an
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
