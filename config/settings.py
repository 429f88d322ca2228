"""One settings module for every environment (twelve-factor).

Everything that differs between a laptop and production comes from the
environment. The embedded defaults (SQLite, a filesystem Celery broker) let
`make run` work on a fresh machine with no servers; production sets
DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, beat schedule and broker folders of local runs

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-only-for-debug")
else:
    # No default in production: failing loudly beats running with a known key.
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured("Set SECRET_KEY in the environment when DEBUG is off.") from exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

PARTNERSHIP_NAME = env.str("PARTNERSHIP_NAME", default="Demo Safeguarding Children Partnership")

INSTALLED_APPS = [
    "administration.admin_config.StrategyAdminConfig",  # django.contrib.admin, its site staff-only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "guardian",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "agencies",
    "referrals",
    "strategy",
    "actions",
    "contributions",
    "minutes",
    "disputes",
    "work",
    "reports",
    "administration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.CspReportMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.SessionTimeoutMiddleware",
    # Django's LoginRequiredMiddleware, keeping a form posted after a time-out for the same user's next sign-in.
    "core.middleware.LoginRequiredKeepingWorkMiddleware",
    # After the password, the second factor: nothing else opens until it is passed.
    "agencies.middleware.TwoFactorMiddleware",
    "core.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Inside messages and X-Frame-Options, so its page passes back through them like any other.
    "core.middleware.MethodNotAllowedPageMiddleware",
    # A view's 404 as the app's own page, DEBUG on too (process_exception only).
    "core.middleware.NotFoundPageMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the request into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "core.context_processors.service",
                "core.context_processors.session_timeout",
                "actions.context_processors.overdue",
            ],
            # The `date` filter without Django's locale look-ups, to the same words (core/templatetags/moments.py).
            "builtins": ["core.templatetags.moments"],
        },
    },
]
# Django's form renderer with the common widgets drawn in Python, to the same markup (core.forms.Renderer).
FORM_RENDERER = "core.forms.Renderer"

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run`: web, worker (two processes) and beat write to one file. A transaction takes the write lock when
    # it starts (IMMEDIATE: two that read then write cannot deadlock into "database is locked"), a writer waits up
    # to 20 s for another, and WAL lets pages read while a task writes.
    for option, value in {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }.items():
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(option, value)  # DATABASE_URL's own win
# Connections (issue 28): opening one per request costs PostgreSQL 23-25 ms of CPU (a new backend planning on a cold
# catalogue). In production (DEBUG off, PostgreSQL) each process keeps psycopg 3's pool through Django's "pool"
# option: per process, so sizes are per gunicorn worker or Celery child (a sync worker uses one connection at a time);
# the pool checks a connection before handing it out (CONN_HEALTH_CHECKS). It replaces CONN_MAX_AGE, which stays 0.
# DATABASE_POOL=false goes back to one connection per request (e.g. behind PgBouncer, which pools instead:
# docs/operations.md, "Connections, sessions and draft PDFs").
# Off under DEBUG: `make run` on SQLite and the tests (which switch roles and connection settings) are unchanged.
_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DATABASE_POOL = env.bool("DATABASE_POOL", default=not DEBUG) and _POSTGRES
if DATABASE_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
        # Seconds a request waits for a free connection before failing (rather than hanging a worker).
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
# Behind PgBouncer in transaction mode a cursor cannot outlive its transaction: `.iterator()` then reads in chunks
# without a server-side cursor (docs/operations.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)
# Two roles on PostgreSQL (docs/operations.md): `migrate` connects as the owner and then grants the role named
# here exactly its rights (core/db_roles.py); web, worker and beat connect as that role. Empty: one role (SQLite).
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked account or a limited address before the password is checked (django-axes).
    "agencies.lockout.SignInLimitBackend",
    # Django's ModelBackend, reading the user with agency, partnership and roles in one query.
    "agencies.backends.UserBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Account lockout (django-axes), on /sign-in/ and /admin/login/ alike: 5 failed sign-ins for a username lock
# it for 15 minutes from the fifth (set explicitly: the library's defaults are 3 and "until an administrator
# resets"); attempts during the lock do not extend it. Per-address limits: agencies/lockout.py.
# A locked account gets exactly the page a wrong password gets; administrators unlock from the user's admin.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "agencies.lockout.lockout_response"
AXES_ENABLE_ADMIN = False  # unlocking is an action on the partnership-scoped user admin
AXES_VERBOSE = False
# The trusted proxies in front of `web` (the TLS proxy: 1). The sign-in limits by address take the client's address
# from X-Forwarded-For that many hops from the right; 0 (a developer's machine) ignores the header.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "agencies.lockout.client_address"
# axes warns when the lockout is not also by IP address. It is by username on purpose: a council's whole office
# signs in from one address, and one person's typos must not lock out everyone behind it. A username-only lock
# cannot be dodged by changing cookies or browser, which is what the warning is about.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Two-factor sign-in (django-otp): the name authenticator apps show for this service's accounts.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Strategy Discussions")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Guessable patterns (one character repeated, a short run repeated), a strength estimate and, with DEBUG off,
    # the demo passwords.
    {"NAME": "agencies.passwords.VarietyValidator"},
    # zxcvbn's estimate: nothing a guesser finds soon, knowing the user's names and address.
    {"NAME": "agencies.passwords.StrengthValidator"},
    {"NAME": "agencies.passwords.NotADemoPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # "Your work": each user's queues (issue 25)
LOGOUT_REDIRECT_URL = "/sign-in/?signed_out=1"
# OFFICIAL-SENSITIVE data (ASVS 7.3.1, 7.3.2): a session ends after this long without a request, and this long
# after signing in whatever the activity; core.middleware.SessionTimeoutMiddleware enforces both on the server.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
if SESSION_IDLE_MINUTES < 1 or SESSION_ABSOLUTE_HOURS < 1:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS must be 1 or more.")
# Sessions and the cache (issue 28). In production with REDIS_URL (a Redis database apart from the Celery broker's),
# the cache is Redis, shared by every web worker, and sessions are read from it ("cached_db": written to the
# database and the cache, read from the cache, one query fewer per request). Without REDIS_URL, or with DEBUG on
# (`make run`, the tests), Django's defaults as before: database sessions and a cache per process.
# What uses the cache: the CSP report limit per address (core/middleware.py), shared between workers with Redis.
# Ending a user's sessions removes them from both (agencies/accounts.py sessions_end).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and not DEBUG:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sd",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Not a timeout: the cookie and the stored session outlive the sign-in by 3 days, only so that a form posted after
# a weekend is still known to be that user's and is kept for them (core/sessions.py). The sign-in ends as above.
SESSION_COOKIE_AGE = (SESSION_ABSOLUTE_HOURS + 3 * 24) * 60 * 60

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"  # DOMAIN section 3: store UTC, show local.
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static" / "dist"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: SMTP from EMAIL_URL (smtp+tls://user:pass@host:587). Without it, the console on a laptop (DEBUG: `make run`
# prints the emails in its terminal) and, in production, Django's own default: SMTP on localhost port 25. Never the
# console in production: it would write every single-use link into the logs (`check --deploy` fails with it).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
# How long an emailed link to the minutes works for a recipient who is not a user (it also works only once).
MINUTES_LINK_DAYS = env.int("MINUTES_LINK_DAYS", default=14)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="strategy-discussions@localhost")
# Who gets Django's report of an uncaught error by email (comma-separated addresses; none by default), and from whom.
# The report never carries a single-use link token (core/adminmail.py).
ADMINS = [("", address) for address in env.list("ADMINS", default=[])]
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Seconds an SMTP connection may wait on the server, so a dead mail server cannot hang a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The address alert emails link to (they carry a link only, never case details).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# How often beat runs the deadline sweep (DOMAIN section 5).
DEADLINE_SWEEP_MINUTES = env.int("DEADLINE_SWEEP_MINUTES", default=5)
# Deadlines claimed and raised per transaction, and alert emails sent per sweep (the rest wait for the next).
DEADLINE_SWEEP_BATCH = env.int("DEADLINE_SWEEP_BATCH", default=500)
ALERT_EMAILS_PER_SWEEP = env.int("ALERT_EMAILS_PER_SWEEP", default=500)

# Celery. The embedded default is a filesystem broker: it needs no server and
# really reaches a separate worker and beat (the in-memory broker does not).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The filesystem broker does not create its own folders.
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Demo users' password; `seed_demo` refuses to run with DEBUG off.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-pass-2026")

# Security: safe by default, relaxed only for local DEBUG runs.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts and styles from this site, inline ones only with the
# request's nonce (`request.csp_nonce`); no framing; violations reported to CspReportMiddleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
        "report-uri": "/csp-report/",
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Every handler redacts single-use link tokens (/minutes/link/<token>/, /password/<uidb64>/<token>/,
# /account/email/<token>/) from what it writes: core/logredact.py (core/adminmail.py for the error email to ADMINS).
# runserver's request log (`make run`) is Django's "django.server" handler, configured again here with the filter;
# gunicorn's: gunicorn.conf.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_tokens": {"()": "core.logredact.RedactTokens"},
        "refusal_without_traceback": {"()": "core.logquiet.RefusalWithoutTraceback"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens", "refusal_without_traceback"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_tokens"],
        },
        # Django's error email to ADMINS (when an operator sets them), its body redacted too: core/adminmail.py.
        "mail_admins": {
            "level": "ERROR",
            "class": "core.adminmail.RedactingAdminEmailHandler",
            "filters": ["require_debug_false", "redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # In place of Django's default handlers for "django" (an unfiltered console and the plain mail_admins):
        # its records reach the root's redacting console, and errors the redacting mail_admins.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # WeasyPrint reports each step of every PDF at INFO: only its warnings matter.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Reverting a row from its admin history is not offered: every change goes through a form that checks it.
SIMPLE_HISTORY_REVERT_DISABLED = True

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None
