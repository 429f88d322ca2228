"""Security controls that hold for every page: headers under the production settings, the Content-Security-Policy
and its report sink, and static checks over the code (no csrf_exempt view, no |safe on user input, no bulk write
that history would miss)."""

import ast
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.builders import make_referral
from tests.factories import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "agencies", "referrals", "actions", "strategy", "minutes", "disputes", "administration", "config"]
PRODUCTION_KEYS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS",
    "SECURE_REFERRER_POLICY",
    "SECURE_CONTENT_TYPE_NOSNIFF",
]


@pytest.fixture(scope="module")
def production() -> dict:
    """The security settings the settings module gives with DEBUG off, read in a fresh process."""
    script = "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in %r}))"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", script % PRODUCTION_KEYS],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "false",
            "SECRET_KEY": "a-production-like-secret-key-that-is-long-and-random-0123456789-abcdefghij",
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "sqlite:///:memory:",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_a_case_page_sends_every_security_header_under_production_settings(world, settings, production):
    for key, value in production.items():
        setattr(settings, key, tuple(value) if isinstance(value, list) else value)
    assert settings.DEBUG is False and settings.SECURE_HSTS_SECONDS >= 31536000
    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    client = Client(**https)
    sign_in_page = client.get("/sign-in/")
    csrf = sign_in_page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    signed_in = client.post("/sign-in/", {"username": world["sw"].username, "password": TEST_PASSWORD})
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"

    referral = make_referral(acting_user=world["sw"])
    response = client.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["report-uri"] == "/csp-report/"
    nonce = re.fullmatch(r"'self' 'nonce-([^']+)'", policy["script-src"]).group(1)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    page = response.content.decode()
    for script in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in script or f'nonce="{nonce}"' in script, script
    assert "<style" not in page and " style=" not in page
    again = client.get(f"/referrals/{referral.pk}/")
    assert nonce not in again["Content-Security-Policy"], "a new nonce on every response"
    plain = Client().get("/sign-in/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")


def test_csp_reports_are_logged_without_query_strings_and_answered_204(client, caplog):
    cache.clear()  # the per-address limit counts in the cache
    report = {
        "csp-report": {
            "document-uri": "https://sd.example.invalid/referrals/?q=Invented",
            "violated-directive": "script-src-elem",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level(logging.WARNING, logger="csp"):
        response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert (
        'CSP violation directive="script-src-elem" blocked="inline" page="https://sd.example.invalid/referrals/"'
        in caplog.text
    )
    assert "Invented" not in caplog.text
    assert client.post("/csp-report/", "not json", content_type="application/json").status_code == 204
    assert client.post("/csp-report/", "x" * 100_000, content_type="application/json").status_code == 204
    assert client.get("/csp-report/").status_code == 405


@pytest.mark.django_db
def test_healthz_answers_head(client):
    assert client.head("/healthz").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}


def _views(resolver: URLResolver | None = None, prefix: str = ""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_no_view_is_csrf_exempt():
    exempt = [route for route, view in _views() if getattr(view, "csrf_exempt", False)]
    assert exempt == []


def test_no_template_or_code_marks_text_safe():
    """Autoescaping is never turned off and nothing is marked safe: form widgets are drawn by Django's own
    (escaping) widget templates or by core.forms.Renderer, which escapes as they do (tests/core/test_request_cost.py
    compares them byte for byte, markup typed in included), and form fields by format_html."""
    templates = list(ROOT.glob("*/templates/**/*.html")) + list((ROOT / "templates").glob("**/*.html"))
    unsafe = [
        str(p.relative_to(ROOT))
        for p in templates
        if re.search(r"\|\s*safe\b|\{%\s*autoescape\s+off|\|\s*safeseq\b", p.read_text())
    ]
    assert unsafe == []
    builders = sorted(
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if re.search(r"\bmark_safe\(|\bSafeString\(|\bSafeText\(", path.read_text())
    )
    assert builders == []


def _history_fields(model) -> set[str] | None:
    """The fields a model's history records, or None for a model without history."""
    if not hasattr(model, "history") or model.__name__.startswith("Historical"):
        return None
    historical = model.history.model
    return {f.name for f in historical._meta.fields}


def test_bulk_writes_never_skip_history():
    """`Model.objects....update(...)` on a history-tracked model may only touch fields its history leaves out
    (derived pointers and bookkeeping); `bulk_create` on one must be simple-history's `bulk_create_with_history`."""
    tracked = {m.__name__: m for m in apps.get_models() if _history_fields(m) is not None}
    problems = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr not in ("update", "bulk_create", "bulk_update"):
                    continue
                root = node.func.value
                while isinstance(root, ast.Call | ast.Attribute):
                    root = root.func if isinstance(root, ast.Call) else root.value
                    if isinstance(root, ast.Attribute) and root.attr == "objects":
                        root = root.value
                        break
                if not (isinstance(root, ast.Name) and root.id in tracked):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                model = tracked[root.id]
                if node.func.attr != "update":
                    problems.append(f"{where}: {root.id}.objects.{node.func.attr} skips history")
                    continue
                recorded = _history_fields(model) or set()
                touched = {kw.arg for kw in node.keywords if kw.arg}
                missed = sorted(touched & recorded)
                if missed:
                    problems.append(f"{where}: {root.id} update of {missed}, which its history records")
    assert problems == []
