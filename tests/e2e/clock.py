"""The live server runs in the test's own process, so its clock is the test's: a browser test that must wait for
time to pass on the server (the authenticator's next 30-second code) moves that clock on instead of sleeping.

The e2e conftest hands each browser test's `time_machine` fixture to `use()`; `wait()` then moves the clock
(ticking on) by the given seconds, starting a move if the test had none. Chromium's own clock is not moved: the
browser tests' sessions end when the browser closes (tests/e2e/conftest.py `seed_demo_at`), never by its clock.
"""

import datetime as dt

from django.utils import timezone

_machine = None


def use(machine) -> None:
    global _machine
    _machine = machine


def wait(seconds: float) -> None:
    if _machine is None:
        raise RuntimeError("tests.e2e.clock.wait() outside a browser test")
    _machine.move_to(timezone.now() + dt.timedelta(seconds=seconds), tick=True)
