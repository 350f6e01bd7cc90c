"""Klientura settings: everything that differs between installs comes from the environment."""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("KLIENTURA_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG", False)
# Demo mode: demo users have password = user name. Never enable in production.
DEMO_MODE = env_bool("KLIENTURA_DEMO", False)
SECRET_KEY = env("SECRET_KEY") or (
    "insecure-demo-key-change-me" if (DEBUG or DEMO_MODE) else None
)
if not SECRET_KEY:
    raise RuntimeError("Set SECRET_KEY (or DEBUG=1 / KLIENTURA_DEMO=1 for a local demo).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "core",
    "clients",
    "activities",
    "sales",
    "analytics",
    "marketing",
    "service",
    "knowledge",
    "integrations",
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
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "klientura.urls"
WSGI_APPLICATION = "klientura.wsgi.application"

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
                "core.context_processors.klientura",
            ],
        },
    },
]

# Widgets in Python where their templates would only cost time (core/renderers.py).
FORM_RENDERER = "core.renderers.FastWidgetRenderer"

# --- Database -----------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'klientura.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, min_value=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the worker write while the web server reads; IMMEDIATE avoids
        # "database is locked" on lock upgrades inside transactions.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# Reports read from a PostgreSQL streaming replica when one is given (core/dbrouter.py).
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env("DATABASE_REPLICA_URL"), conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: a page's aggregate over a large base spent more compiling it (0.14 s of the
        # dashboard at 1 000 000 clients) than running it. An ?options= in the URL wins.
        _db.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DATABASE_ROUTERS = ["core.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth & security ----------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "core.auth.DemoPasswordBackend",  # refuses password = user name outside demo mode
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, min_value=1)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Reverse proxies in front of Klientura that append the client's address to X-Forwarded-For
# (nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for). 0: the header is
# ignored and the socket's address is the client, so a made-up header dodges no limit.
KLIENTURA_TRUSTED_PROXIES = env_int("KLIENTURA_TRUSTED_PROXIES", 0, min_value=0)
# The login lock-out sees the same client address as the API throttles (NUM_PROXIES).
AXES_CLIENT_IP_CALLABLE = "core.auth.client_ip"

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not DEMO_MODE)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL_REDIRECT else 0, min_value=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Bootstrap's JS positions popovers with inline styles; scripts stay strict.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- I18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English")), ("ro", _("Romanian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
# Country used for phone parsing, tax ids and (later) public holidays.
KLIENTURA_COUNTRY = env("KLIENTURA_COUNTRY", "RU")
KLIENTURA_CURRENCY = env("KLIENTURA_CURRENCY", "RUB")
# Public address of the site, for links in emails sent by the worker (e.g. https://crm.example.com).
KLIENTURA_BASE_URL = env("KLIENTURA_BASE_URL", "")
# Office hours of the working calendar (deadlines of stage rules skip the rest, weekends, holidays).
KLIENTURA_WORKDAY_START = env("KLIENTURA_WORKDAY_START", "09:00")
KLIENTURA_WORKDAY_END = env("KLIENTURA_WORKDAY_END", "18:00")
# The seller on generated proposals, contracts and invoices.
# The demo is the company «Лидер» of seed 002.
_SELLER = (("Лидер", "ООО «Лидер»", "7701234560", "г. Москва, ул. Складочная, д. 1", "+7 495 123-45-67",
            "р/с 40702810938000012345 в ПАО Сбербанк, БИК 044525225, к/с 30101810400000000225") if DEMO_MODE
           else ("Klientura", "", "", "", "", ""))
KLIENTURA_COMPANY_NAME = env("KLIENTURA_COMPANY_NAME", _SELLER[0])
KLIENTURA_COMPANY_LEGAL_NAME = env("KLIENTURA_COMPANY_LEGAL_NAME", _SELLER[1])
KLIENTURA_COMPANY_TAX_ID = env("KLIENTURA_COMPANY_TAX_ID", _SELLER[2])
KLIENTURA_COMPANY_ADDRESS = env("KLIENTURA_COMPANY_ADDRESS", _SELLER[3])
KLIENTURA_COMPANY_PHONE = env("KLIENTURA_COMPANY_PHONE", _SELLER[4])
KLIENTURA_COMPANY_BANK = env("KLIENTURA_COMPANY_BANK", _SELLER[5])  # bank details, one line
# VAT included in prices, percent (0: documents say "without VAT").
KLIENTURA_VAT_RATE = env("KLIENTURA_VAT_RATE", "0")
# CommerceML exchange with 1C: answer mode=init with zip=yes (1C then sends one archive with the
# XML and the pictures) or zip=no (each file on its own). A ZIP is accepted either way.
KLIENTURA_1C_ZIP = env_bool("KLIENTURA_1C_ZIP", True)

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up when it is missing
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
    ("vendor/altcha", NODE_MODULES / "altcha" / "dist" / "main"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
# Files attached to clients, deals, orders and complaints (core/attachments.py): the largest
# accepted upload, in megabytes.
KLIENTURA_ATTACHMENT_MAX_MB = env_int("KLIENTURA_ATTACHMENT_MAX_MB", 25, min_value=1)

# --- Email --------------------------------------------------------------------------------
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, min_value=1)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "klientura@localhost")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEMO_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)

# --- SMS (marketing/sms.py) ---------------------------------------------------------------


def _sms_choice(name, default, allowed):
    value = env(name, default).strip()
    if value.lower() not in allowed:
        raise ImproperlyConfigured(f"{name}={value!r}: use one of {', '.join(sorted(allowed - {''}))}.")
    return value.lower()


def _sms_pairs(name, keys=None):
    """``a=b,c=d`` → {"a": "b", "c": "d"}; ``keys`` limits the names on the left."""
    pairs = {}
    for item in env_list(name):
        key, sep, value = item.partition("=")
        if not sep or (keys is not None and key.strip() not in keys):
            raise ImproperlyConfigured(f"{name}: {item!r} is not name=value"
                                       + (f" with a name among {', '.join(keys)}." if keys else "."))
        pairs[key.strip()] = value.strip()
    return pairs


# console: print (demo, development); http: the generic HTTP gateway below; or a class path.
KLIENTURA_SMS_BACKEND = env("KLIENTURA_SMS_BACKEND", "console").strip() or "console"
if KLIENTURA_SMS_BACKEND not in ("console", "http") and "." not in KLIENTURA_SMS_BACKEND:
    raise ImproperlyConfigured(f"KLIENTURA_SMS_BACKEND={KLIENTURA_SMS_BACKEND!r}: use console, http or a class path.")
KLIENTURA_SMS_SENDER = env("KLIENTURA_SMS_SENDER", "")
KLIENTURA_SMS_HTTP_URL = env("KLIENTURA_SMS_HTTP_URL", "")
if KLIENTURA_SMS_BACKEND == "http" and not KLIENTURA_SMS_HTTP_URL:
    raise ImproperlyConfigured("KLIENTURA_SMS_BACKEND=http needs KLIENTURA_SMS_HTTP_URL.")
KLIENTURA_SMS_HTTP_METHOD = _sms_choice("KLIENTURA_SMS_HTTP_METHOD", "POST", {"get", "post", "put"}).upper()
KLIENTURA_SMS_HTTP_FORMAT = _sms_choice("KLIENTURA_SMS_HTTP_FORMAT", "form", {"form", "json"})
# Our field → the provider's name ("" leaves it out), e.g. "to=phone,text=message,reference=".
KLIENTURA_SMS_HTTP_FIELDS = _sms_pairs("KLIENTURA_SMS_HTTP_FIELDS", ("to", "text", "sender", "reference"))
KLIENTURA_SMS_HTTP_EXTRA_FIELDS = _sms_pairs("KLIENTURA_SMS_HTTP_EXTRA_FIELDS")  # constant fields, e.g. api_id=…
KLIENTURA_SMS_HTTP_AUTH = _sms_choice("KLIENTURA_SMS_HTTP_AUTH", "", {"", "bearer", "basic"})
KLIENTURA_SMS_HTTP_TOKEN = env("KLIENTURA_SMS_HTTP_TOKEN", "")
KLIENTURA_SMS_HTTP_USER = env("KLIENTURA_SMS_HTTP_USER", "")
KLIENTURA_SMS_HTTP_PASSWORD = env("KLIENTURA_SMS_HTTP_PASSWORD", "")
KLIENTURA_SMS_HTTP_TIMEOUT = env_int("KLIENTURA_SMS_HTTP_TIMEOUT", 10, min_value=1)
KLIENTURA_SMS_HTTP_ID_PATH = env("KLIENTURA_SMS_HTTP_ID_PATH", "")  # in a JSON response: "messages.0.id"
KLIENTURA_SMS_HTTP_REFERENCE_HEADER = env("KLIENTURA_SMS_HTTP_REFERENCE_HEADER", "Idempotency-Key")

# --- Background tasks ---------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Birthday reminders go out this many days before a contact person's birthday.
KLIENTURA_BIRTHDAY_DAYS_AHEAD = env_int("KLIENTURA_BIRTHDAY_DAYS_AHEAD", 3, min_value=0)
# Web forms on the company's site (marketing/public.py): posts per address within the window,
# and the proof-of-work cost (PBKDF2 iterations per attempt; ~0.5 s of a phone's time at 5000).
KLIENTURA_WEBFORM_RATE = env_int("KLIENTURA_WEBFORM_RATE", 5, min_value=1)
KLIENTURA_WEBFORM_WINDOW = env_int("KLIENTURA_WEBFORM_WINDOW", 600, min_value=1)
KLIENTURA_ALTCHA_COST = env_int("KLIENTURA_ALTCHA_COST", 5000, min_value=1)
# Mailings: messages per second per worker (0: no limit), and how long a worker may hold a
# claimed batch before another worker takes it over (seconds).
KLIENTURA_MAILING_RATE = env_int("KLIENTURA_MAILING_RATE", 20, min_value=0)
KLIENTURA_MAILING_LEASE = env_int("KLIENTURA_MAILING_LEASE", 300, min_value=1)

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.RolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",  # deeply nested JSON is a 400, not a RecursionError
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "NUM_PROXIES": KLIENTURA_TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {"login": env("API_LOGIN_RATE", "10/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Klientura API",
    "DESCRIPTION": "REST API of the Klientura CRM. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",  # 400 / 401 / 403 / 404 / 409 / 429 and their bodies
    ],
    # Several models have a "kind" field: name their enums so the schema stays unambiguous.
    "ENUM_NAME_OVERRIDES": {
        "CounterpartyKindEnum": "clients.models.CounterpartyKind",
        "ContactKindEnum": "clients.models.ContactKind",
        "PropertyKindEnum": "core.models.PropertyKind",
        "CalendarEventKindEnum": "activities.api.serializers.EVENT_KIND_CHOICES",
        "DocumentKindEnum": "sales.models.DocumentKind",
        "FieldModeEnum": "marketing.models.FieldMode",
        "MailingStateEnum": "marketing.models.Mailing.State",
        "MailingRecipientStateEnum": "marketing.models.RecipientState",
        "ComplaintChannelEnum": "service.models.Complaint.Channel",
        "ComplaintStateEnum": "service.models.Complaint.State",
        "SurveyChannelEnum": "service.models.surveys.Channel",
        "SurveyInvitationStateEnum": "service.models.SurveyInvitation.State",
        "ServiceVisitStateEnum": "service.models.ServiceVisit.State",
        # Interactions and calls share these choices (in / out).
        "DirectionEnum": "activities.models.Interaction.Direction",
        "ImportKindEnum": "integrations.models.imports.ImportKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
