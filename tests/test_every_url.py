"""Every URL of the project, for every persona, against a case (with a strategy discussion) they may or may not see.

The patterns come from the URL resolver, so a view added later is covered without
editing this file; a pattern this test cannot fill in fails it rather than being skipped.
"""

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from strategy import services as strategy_services
from strategy.access import get_discussion_for_user
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

# Served by other machinery with its own checks: the Django admin (staff only, tested in
# tests/agencies/test_admin.py), and sign-in/out, health (no case data).
OUTSIDE_THE_POLICY = ("admin:", "login", "logout", "healthz", "home")
CSC_SEES = {"sw", "tm", "hos", "admin"}
SEES_CASE = CSC_SEES | {"police"}  # police: invited to the case's discussion
EDITS_CASES = {"sw", "tm"}
LOGS_REFERRALS = {"sw", "tm", "other_sw"}  # in their own partnership
PERSONAS = ["sw", "tm", "hos", "admin", "analyst", "police", "health", "outsider", "other_sw"]
# Which methods each view answers at all: anything else is 405 where the user may see the object, 404 where not.
GET_ONLY = {
    "referrals:list",
    "referrals:detail",
    "strategy:meeting",
    "strategy:history",
    "actions:mine",
    "actions:agency",
    "actions:detail",
    "actions:dashboard",
}
GET_AND_POST = {"referrals:create", "referrals:edit", "strategy:convene"}
EDITOR_ONLY = {"referrals:create", "referrals:edit", "strategy:close_case", "strategy:convene"}


def _patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.pattern.converters


def case_patterns() -> list[tuple[str, str, dict]]:
    """Every pattern under the policy; closing the case comes last, so it does not change what the others answer."""
    patterns = [p for p in _patterns() if not p[0].startswith(OUTSIDE_THE_POLICY)]
    return sorted(patterns, key=lambda p: p[0] == "strategy:close_case")


def test_the_walk_covers_the_case_and_discussion_pages():
    names = {name for name, _, _ in case_patterns()}
    assert {"referrals:list", "referrals:create", "referrals:detail", "referrals:edit", "strategy:close_case"} <= names
    assert {"strategy:convene", "strategy:meeting", "strategy:risk", "strategy:decision", "strategy:end"} <= names
    assert {"actions:mine", "actions:agency", "actions:detail", "actions:status", "actions:dashboard"} <= names


def allowed_statuses(name: str, method: str, persona: str, takes_object: bool) -> set[int]:
    answers = {"get"} if name in GET_ONLY else {"get", "post"} if name in GET_AND_POST else {"post"}
    if method not in answers:
        return {404} if takes_object and persona not in SEES_CASE else {405}
    if not takes_object:
        if name.endswith("create"):
            return ({200, 400} if method == "post" else {200}) if persona in LOGS_REFERRALS else {403}
        return {200}
    if persona not in SEES_CASE:
        return {404}
    if name in EDITOR_ONLY and persona not in EDITS_CASES:
        return {403}
    if method == "get":
        return {200}
    if persona in EDITS_CASES:
        # An empty form: its errors (400), a redirect after an action with nothing to do, a stale refusal (409),
        # or 404 for a child or decision the post does not name.
        return {200, 302, 400, 404, 409}
    if persona == "police":
        return {400, 403, 404}  # their own attendance and information only; never another section's save
    return {403}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_each_persona_as_the_policy_says(persona_client, world, persona):
    now = timezone.now()
    referral = make_referral(acting_user=world["sw"])
    discussion = strategy_services.discussion_convene(
        acting_user=world["sw"],
        referral=referral,
        data={
            "trigger": "new_referral",
            "concern_identified_at": referral.received_at,
            "urgency": referral.urgency,
            "scheduled_at": now + dt.timedelta(hours=2),
            "format": "telephone",
            "chair": world["tm"],
            "reason": "Invented reason",
        },
        children=list(referral.people.all()),
        invitations=[{"agency": world["police_agency"], "role": "Police officer"}],
        now=now,
    )
    action = strategy_services.discussion_action_add(
        acting_user=world["tm"],
        checker=get_discussion_for_user(world["tm"], discussion.pk)[1],
        data={
            "what": "Invented action",
            "measure": "Invented measure",
            "lead_agency": world["police_agency"],
            "person": world["police"],
            "due_at": now + dt.timedelta(days=2),
        },
        now=now,
    )
    ids = {"pk": referral.pk, "discussion_pk": discussion.pk, "action_pk": action.pk}
    client = persona_client(persona)
    for name, route, converters in case_patterns():
        url = "/" + route
        for key in converters:
            if key not in ids:
                pytest.fail(f"{name} ({route}) takes '{key}', which this test does not know how to fill in")
            url = url.replace(f"<int:{key}>", str(ids[key]))
        for method in ("get", "post", "delete", "head"):
            response = getattr(client, method)(url)
            allowed = allowed_statuses(name, method, persona, bool(converters))
            assert response.status_code in allowed, f"{persona} {method.upper()} {url}: {response.status_code}"
            if response.status_code in (403, 404, 405) and method != "head":
                assert referral.referrer_name not in response.content.decode()
