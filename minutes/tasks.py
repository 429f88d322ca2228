import datetime as dt

from celery import shared_task
from django.utils import timezone

from minutes import services
from minutes.models import MinutesVersion


@shared_task(name="minutes.render_version")
def render_version(version_pk: int) -> int:
    """Render an approved version's full and family PDFs once (queued when the chair approves)."""
    version = MinutesVersion.objects.filter(pk=version_pk).first()
    if version is None:
        return 0
    return len(services.documents_ensure(version))


@shared_task(name="minutes.render_pending")
def render_pending() -> int:
    """Catch up on versions approved while the broker was down (beat, every few minutes)."""
    return services.render_pending(since=timezone.now() - dt.timedelta(days=7))


@shared_task(name="minutes.render_draft")
def render_draft(discussion_pk: int, kind: str, printed_at: str, snapshot_sha256: str) -> bool:
    """Render a draft PDF asked for on the draft's page (issue 28), off the web worker: the record as it stood at
    `printed_at`, kept while its snapshot still hashes to `snapshot_sha256`."""
    return services.draft_render(
        discussion_pk=discussion_pk,
        kind=kind,
        now=dt.datetime.fromisoformat(printed_at),
        snapshot_sha256_wanted=snapshot_sha256,
    )
