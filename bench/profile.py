"""Where a request's Python time goes (issue 28): the list, case and meeting pages, sampled with py-spy.

Against the database bench/pages.py (or bench/load.py) made for the size (`strategy_bench_<size>` on the server of
DATABASE_URL; run one of them first), signed in as their personas, with DEBUG off, each page is requested in a
process of its own through Django's test client:

* CPU per request: `time.process_time()` over BENCH_PROFILE_REQUESTS requests (default 200), the best of three
  batches, without the profiler;
* where it went: the same requests again under `py-spy record` (the dev extra), each sample of a request put in
  the part of the code it was in, looking from the innermost frame outwards: the PostgreSQL driver (psycopg:
  sending queries, converting rows), the ORM (building SQL, making model instances), templates, forms,
  middleware and sign-in (sessions, authentication, two-factor, axes), the app's own code, or other (Django's
  request handling, the standard library). Samples waiting for PostgreSQL are counted apart and left out of the
  shares (they are not CPU).

    DATABASE_URL=postgres://... BENCH_PROFILE_SIZE=20000 .venv/bin/python bench/profile.py

Prints a table and writes var/bench/profile-<size>.json (with the commit), for docs/benchmarks.md.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["Referrals list", "Case page", "Meeting page, ended"]
REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "200"))
APPS = ("agencies", "core", "referrals", "actions", "strategy", "minutes", "administration", "config")
# From the innermost frame outwards, the first frame in one of these parts names the sample's part.
PARTS = [
    ("PostgreSQL driver", ("/psycopg/", "/psycopg_pool/")),
    ("ORM", ("/django/db/",)),
    ("templates", ("/django/template/", "/templatetags/")),
    ("forms", ("/django/forms/", "/core/forms.py")),
    (
        "middleware and sign-in",
        ("/django/contrib/sessions/", "/django/contrib/auth/", "/django_otp/", "/axes/", "middleware"),
    ),
    ("app code", tuple(f"{ROOT}/{app}/" for app in APPS)),
]


WAITING = ("Condition.wait ", "Connection.wait ", "_execute_send ", "wait_c ", "select ", "poll ")


def part_of(stack: list[str]) -> str:
    """The part of the code a sample was in: `stack` is py-spy's frames, outermost first. A sample waiting for
    PostgreSQL (psycopg's wait and send, a pool's condition) is "waiting": py-spy is meant to leave such idle
    frames out, but on this virtual machine it samples them as running."""
    if stack[-1].startswith(WAITING):
        return "waiting"
    for frame in reversed(stack):
        for name, markers in PARTS:
            if any(marker in frame for marker in markers):
                return name
    return "other"


def parts_of(raw: str) -> Counter:
    """Samples per part from py-spy's raw (collapsed) output, counting only samples inside a request."""
    parts: Counter = Counter()
    for line in raw.splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not stack_text or not count.isdigit():
            continue
        stack = stack_text.split(";")
        if not any("get_response" in frame and "/django/core/handlers/" in frame for frame in stack):
            continue  # start-up, the client building the request, reading the response
        parts[part_of(stack)] += int(count)
    return parts


def _serve(page_name: str) -> None:
    """The child: one page requested REQUESTS times; prints its CPU per request (ms) on the last line."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import warnings

    import django

    warnings.filterwarnings("ignore", "No directory at")
    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench import pages

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.SESSION_IDLE_MINUTES = 24 * 60
    meta = pages._meta(connection)
    if meta is None:
        sys.exit("bench/profile.py: no generated database here: run bench/pages.py for this size first")
    page = next(p for p in pages._pages(meta["made"]) if p["name"] == page_name)
    client = pages._client(page["user"])
    for _ in range(5):
        assert client.get(page["url"]).status_code == 200, page_name  # noqa: S101
    batches = []
    for _ in range(3):
        started = time.process_time()
        for _ in range(REQUESTS // 3):
            client.get(page["url"])
        batches.append((time.process_time() - started) / (REQUESTS // 3) * 1000)
    if os.environ.get("BENCH_PROFILE_SAMPLED") == "1":
        for _ in range(REQUESTS):
            client.get(page["url"])
    print(f"{min(batches):.2f}")


def main() -> None:
    from bench.pages import _commit, _database_url

    size = int(os.environ.get("BENCH_PROFILE_SIZE", "20000"))
    url = _database_url(os.environ["DATABASE_URL"], f"strategy_bench_{size}")
    env = {**os.environ, "DATABASE_URL": url}
    results = {"size": size, "commit": _commit(), "requests": REQUESTS, "pages": {}}
    py_spy = Path(sys.executable).with_name("py-spy")
    for name in PAGES:
        plain = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--serve", name], env=env, capture_output=True, text=True, check=False
        )
        if plain.returncode:
            sys.exit(f"bench/profile.py: {name} failed:\n{plain.stderr[-2000:]}")
        with tempfile.NamedTemporaryFile(suffix=".txt") as out:
            subprocess.run(  # noqa: S603
                [str(py_spy), "record", "--rate", "100", "--full-filenames", "--format", "raw", "--output", out.name]
                + ["--", sys.executable, __file__, "--serve", name],
                env={**env, "BENCH_PROFILE_SAMPLED": "1"},
                capture_output=True,
                check=True,
            )
            parts = parts_of(Path(out.name).read_text())
        waiting = parts.pop("waiting", 0)
        total = sum(parts.values()) or 1
        cpu = float(plain.stdout.strip().splitlines()[-1])
        results["pages"][name] = {
            "cpu_ms": cpu,
            "samples": total,
            "waiting_samples": waiting,
            "parts": {part: round(count / total, 3) for part, count in parts.most_common()},
        }
        shares = ", ".join(f"{part} {count / total:.0%}" for part, count in parts.most_common())
        print(f"{name}: {cpu:.1f} ms of CPU per request; {shares}")
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"profile-{size}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        _serve(sys.argv[2])
    else:
        sys.path.insert(0, str(ROOT))
        main()
