"""Draw the first page of each version of the demo minutes as PNG under docs/ (shown in the README).

Seeds the demo into a throwaway SQLite file at a fixed moment, takes the stored v1 PDFs of the
held discussion, and converts their first pages with poppler's pdftoppm. Run: `make docs`.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
work = Path(tempfile.mkdtemp(prefix="docs-minutes-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DEBUG"] = "true"
os.environ["DATABASE_URL"] = f"sqlite:///{work / 'db.sqlite3'}"
os.environ.setdefault("VAR_DIR", str(work))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from minutes.models import MinutesDocument  # noqa: E402

MOMENT = "2026-12-02T10:30:00+00:00"  # a Wednesday in term time, as the browser tests use


def main() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", now=MOMENT, stdout=quiet)
    for document in MinutesDocument.objects.filter(version__number=1):
        source = work / f"{document.kind}.pdf"
        source.write_bytes(bytes(document.pdf))
        target = ROOT / "docs" / f"minutes-{document.kind}-page-1"
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(source), str(target)],  # noqa: S607
            check=True,
        )
        print(f"{target}.png")


if __name__ == "__main__":
    main()
