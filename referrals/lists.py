"""The one list view of cases: every page that lists children's cases (referrals, actions, deadlines) logs who
was shown which cases and renders its filter, page and rows the same way."""

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from agencies.types import AuthenticatedRequest
from referrals.services import list_look_record


def render_case_list(
    request: AuthenticatedRequest,
    template: str,
    *,
    look: str | None,
    referral_ids: Iterable[int],
    filterset: Any,
    page: Any,
    rows: list,
    **context: Any,
) -> HttpResponse:
    """Log the look (`look`: the list's name in the log; None for a user shown no case), then render the page."""
    if look is not None:
        list_look_record(user=request.user, page=look, query=request.GET.urlencode(), referral_ids=list(referral_ids))
    context |= {"filter": filterset, "page": page, "rows": rows, "has_errors": not filterset.form.is_valid()}
    return render(request, template, context)
