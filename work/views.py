"""The home page: each user's work queues; each queue's own page; and the way from a clock to where it is acted on."""

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agencies.types import AuthenticatedRequest
from core.decorators import case_methods
from disputes import access as disputes_access
from referrals import access
from referrals.models import Deadline
from work import selectors
from work.places import place_to_act


@require_http_methods(["GET", "HEAD"])
def home(request: AuthenticatedRequest) -> HttpResponse:
    """What is waiting on me: the first rows of each of my queues, each linking to the whole queue."""
    now = timezone.now()
    queues = []
    for chosen in selectors.queues_for(request.user):
        page = selectors.queue_page(chosen, user=request.user, now=now, params=QueryDict(), size=selectors.HOME_SIZE)
        queues.append((chosen, page, selectors.rows(chosen, page, user=request.user, now=now)))
    context = {"queues": queues, "may_raise_disagreement": disputes_access.may_raise_by_reference(request.user)}
    return render(request, "work/home.html", context)


@require_http_methods(["GET", "HEAD"])
def queue(request: AuthenticatedRequest, queue: str) -> HttpResponse:
    """One queue, a page at a time."""
    chosen = selectors.QUEUES[queue]
    if not chosen.applies(request.user):
        raise Http404("No such queue")
    now = timezone.now()
    page = selectors.queue_page(chosen, user=request.user, now=now, params=request.GET)
    rows = selectors.rows(chosen, page, user=request.user, now=now)
    return render(request, "work/queue.html", {"queue": chosen, "page": page, "rows": rows})


def _deadline(request: AuthenticatedRequest, deadline_pk: int, **_kwargs) -> tuple[Deadline, access.ReferralChecker]:
    deadline = (
        Deadline.objects.filter(pk=deadline_pk)
        .filter(access.visible_cases(request.user))
        .select_related("referral", "action", "minutes_of", "meeting_of", "discussion")
        .first()
    )
    if deadline is None:
        raise Http404("No such deadline")
    _referral, checker = access.get_referral_for_user(request.user, deadline.referral_id)
    return deadline, checker


def _place(request: AuthenticatedRequest, deadline_pk: int, **_kwargs) -> str:
    """A disagreement's stage clock: its page, for whoever may see the disagreement (404 for anyone else, even who
    sees the case). Any other clock: where it is acted on, for whoever may see its case."""
    disagreement = disputes_access.disagreement_of_clock(request.user, deadline_pk)
    if disagreement is not None:
        return reverse("disputes:detail", kwargs={"disagreement_pk": disagreement.pk})
    deadline, checker = _deadline(request, deadline_pk)
    return place_to_act(deadline, checker)


@case_methods(["GET"], _place)
def act(request: AuthenticatedRequest, deadline_pk: int) -> HttpResponse:
    """Go to where this clock is acted on (from an alert or a queue)."""
    return redirect(_place(request, deadline_pk))
