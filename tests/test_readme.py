"""The README a new user reads: two commands on top, commands that work as written, links that resolve (issue 25)."""

import os
import re
import subprocess
from pathlib import Path

import pytest

# Reads only the files of the tree: run once, not again with the clock moved (scripts/test.sh).
pytestmark = pytest.mark.clock_free

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def test_the_top_section_is_exactly_the_two_commands():
    top = README.split("\n## ", 2)[1]
    assert top.startswith("Run it, test it\n")
    (block,) = shell_blocks(top)
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    assert top.strip() == f"Run it, test it\n\n```sh\n{block}```", "the top section holds nothing but the two commands"
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_the_demo_code_command_works_as_written_from_a_plain_shell():
    """The line the README gives prints the demo authenticator's code without any setting exported beforehand."""
    (line,) = [line for block in shell_blocks(README) for line in block.splitlines() if "demo_code" in line]
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DATABASE_URL", "SECRET_KEY"}}
    result = subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603, S607
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d{6}\n", result.stdout)


def test_make_run_serves_on_the_port_given():
    result = subprocess.run(  # noqa: S603
        ["make", "-n", "run", "PORT=8100"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    honcho = [line for line in result.stdout.splitlines() if "honcho" in line]
    assert len(honcho) == 1
    assert "SITE_URL=http://127.0.0.1:8100" in honcho[0] and "--port 8100" in honcho[0]
    assert "8000" not in honcho[0]
    # The demo data's printed links (an information request's) name the same port (a walk of `make run`).
    (seed,) = [line for line in result.stdout.splitlines() if "seed_demo" in line]
    assert "SITE_URL=http://127.0.0.1:8100" in seed
    assert "http://127.0.0.1:8100" in result.stdout
    assert "PORT=8100 make run" in README


def test_every_link_in_the_readme_and_docs_resolves_inside_the_repository():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text()
        assert "../shared" not in text, f"{page.name} points outside the repository"
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+://", target):
                continue
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def test_the_readme_is_short_and_keeps_the_detail_in_docs():
    assert len(README.splitlines()) < 300
    headings = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    assert "Try it in five minutes" in headings
    assert "What works" in headings
    assert "Security" not in headings
    for stale in ("in later releases", "later release opens a case", "Everyone else sees none"):
        assert stale not in README
