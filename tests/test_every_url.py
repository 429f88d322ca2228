"""Every URL of the project, for every persona, against a referral they may or may not see.

The patterns come from the URL resolver, so a view added later is covered without
editing this file; a pattern this test cannot fill in fails it rather than being skipped.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import make_referral

pytestmark = pytest.mark.django_db

# Served by other machinery with its own checks: the Django admin (staff only, tested in
# tests/agencies/test_admin.py), and sign-in/out, health (no case data).
OUTSIDE_THE_POLICY = ("admin:", "login", "logout", "healthz", "home")
SEES_CASES = {"sw", "tm", "hos", "admin"}
EDITS_CASES = {"sw", "tm"}
LOGS_REFERRALS = {"sw", "tm", "other_sw"}  # in their own partnership
PERSONAS = ["sw", "tm", "hos", "admin", "analyst", "police", "health", "outsider", "other_sw"]


def _patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.pattern.converters


def case_patterns() -> list[tuple[str, str, dict]]:
    return [p for p in _patterns() if not p[0].startswith(OUTSIDE_THE_POLICY)]


def test_the_walk_covers_the_referral_pages():
    names = {name for name, _, _ in case_patterns()}
    assert {"referrals:list", "referrals:create", "referrals:detail", "referrals:edit"} <= names


def expected_status(name: str, persona: str, takes_object: bool) -> set[int]:
    if takes_object:
        if persona not in SEES_CASES:
            return {404}
        if name.endswith(("edit",)) and persona not in EDITS_CASES:
            return {403}
        return {200}
    if name.endswith("create"):
        return {200} if persona in LOGS_REFERRALS else {403}
    return {200}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_each_persona_as_the_policy_says(persona_client, world, persona):
    referral = make_referral(acting_user=world["sw"])
    client = persona_client(persona)
    for name, route, converters in case_patterns():
        kwargs = {}
        for key in converters:
            if key != "pk":
                pytest.fail(f"{name} ({route}) takes '{key}', which this test does not know how to fill in")
            kwargs[key] = referral.pk
        url = "/" + route
        for key, value in kwargs.items():
            url = url.replace(f"<int:{key}>", str(value))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            allowed = expected_status(name, persona, bool(kwargs))
            if method == "post" and name == "referrals:list":
                allowed = {405}
            if method == "post" and name == "referrals:detail":
                allowed = {405} if persona in SEES_CASES else {404, 405}
            if method == "post" and allowed == {200}:
                allowed = {200, 409}  # an empty POST shows the form with its errors
            assert response.status_code in allowed, f"{persona} {method.upper()} {url}: {response.status_code}"
            if response.status_code in (403, 404, 405):
                assert referral.referrer_name not in response.content.decode()
