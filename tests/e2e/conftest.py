"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser), axe-core on every page."""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-results"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # bypass_csp lets axe-core be injected once a Content-Security-Policy is on.
    return {**browser_context_args, "bypass_csp": True, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture
def demo_data(transactional_db, settings):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo")
    settings.DEBUG = False


@pytest.fixture
def check_a11y():
    """Run axe-core on the page as it is now; fail with the violations listed."""

    def check(page, name: str) -> None:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        violations = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]
        ]
        assert violations == [], f"axe-core found accessibility problems on {name}:\n{json.dumps(violations, indent=1)}"

    return check


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
