"""Refusals that are about the record's state, not the user's role."""

from django.core.exceptions import PermissionDenied


class NotNow(PermissionDenied):
    """A change the user's role allows, refused because of where the record stands (a case already closed, or
    open when asked to reopen): still 403, but the page says why in these words, not "your role does not allow
    this" (a walk of `make run`: a team manager was told their role did not allow closing a case already closed)."""
