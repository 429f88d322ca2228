"""The partnership's timeliness report (issue 29, DOMAIN section 8): one page of tables and charts, and a CSV per
measure. For the partnership's analysts and heads of service only (referrals.access.report_partnership); nobody
else learns it exists (404). No page of it links to a case."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify

from agencies.models import Agency, Partnership
from agencies.types import AuthenticatedRequest
from core.decorators import case_methods
from referrals import access
from referrals.models import Urgency
from reports import presenters, selectors
from reports.forms import ReportFilter


def _readers(request: AuthenticatedRequest, **_kwargs) -> None:
    """The policy answers before the method (core.decorators.case_methods): 404 for anyone who may not read it."""
    if access.report_partnership(request.user) is None:
        raise Http404("No such page")


def _report(request: AuthenticatedRequest) -> tuple[Partnership, ReportFilter, selectors.Report | None]:
    partnership = access.report_partnership(request.user)
    if partnership is None:
        raise Http404("No such page")
    agencies = list(Agency.objects.filter(partnership=partnership).only("pk", "name").order_by("name"))
    data = None
    if request.GET:  # a month left out of the address is the default range's (`?agency=3` alone is a whole filter)
        first, last = selectors.default_range(timezone.now())
        data = request.GET.copy()
        data.setdefault("first", f"{first:%Y-%m}")
        data.setdefault("last", f"{last:%Y-%m}")
    form = ReportFilter(data, agencies=agencies, now=timezone.now())
    if request.GET and not form.is_valid():
        return partnership, form, None
    filters = form.filters() if request.GET else selectors.Filters(*selectors.default_range(timezone.now()))
    return partnership, form, selectors.report_for(partnership, filters, agencies=agencies)


@case_methods(["GET"], _readers)
def index(request: AuthenticatedRequest) -> HttpResponse:
    partnership, form, report = _report(request)
    tables = presenters.tables(report) if report else []
    return render(
        request,
        "reports/index.html",
        {
            "partnership": partnership,
            "form": form,
            "report": report,
            "tables": tables,
            "query": request.GET.urlencode(),
        },
    )


@case_methods(["GET"], _readers)
def download(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """One measure as a tidy CSV: the rows of its table, suppressed as the page shows them."""
    if slug not in selectors.MEASURES:
        raise Http404("No such measure")
    partnership, _form, report = _report(request)
    if report is None:
        raise Http404("No such report")
    table, measure = selectors.MEASURES[slug]
    filters = report.filters
    name = f"{slugify(partnership.name)}-{slug}-{filters.first:%Y-%m}-to-{filters.last:%Y-%m}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["month", "agency", "urgency", "breakdown", "numerator", "denominator", "value"])
    agency = filters.agency.name if filters.agency else "every agency"
    urgency = Urgency(filters.urgency).label if filters.urgency else "every urgency"
    index = table.measures.index(measure)
    months = f"{filters.first:%Y-%m} to {filters.last:%Y-%m}"
    for row in report.rows(table):
        value = row.values[index]
        month = (row.key if row.key != "all" else months) if table.by == "month" else months
        breakdown = row.label if table.by != "month" else ""
        writer.writerow([month, agency, urgency, breakdown, *presenters.csv_counts(value), value.shown.text])
    return response
