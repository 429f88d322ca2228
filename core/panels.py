"""Panels an app draws on a page of an app below it (the case page, the meeting page, an action's page).

The upper app registers each panel in its ready(): the lower app never imports it (tests/test_layers.py). A panel is
a template and a function of what the page gives it (the user's checker, or the action and the user) that returns
the panel's context, or None to draw nothing for this look.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any


class Panels:
    """The panels of one page, in the order they were registered."""

    def __init__(self) -> None:
        self._panels: dict[str, Callable[..., dict | None]] = {}

    def register(self, template: str, panel: Callable[..., dict | None]) -> None:
        self._panels[template] = panel

    def drawn(self, *about: Any, now: dt.datetime) -> list[dict]:
        """The panels drawn for this look at the page (`about`: what the page gives each panel): each its
        `template` and its context."""
        drawn = []
        for template, panel in self._panels.items():
            context = panel(*about, now=now)
            if context is not None:
                drawn.append({"template": template, **context})
        return drawn
