"""The template test database is made again whenever what its schema depends on changed (tests/template_db.py)."""

from pathlib import Path

import pytest

from tests import template_db

# Reads only the files of the tree: run once, not again with the clock moved (scripts/test.sh).
pytestmark = pytest.mark.clock_free


def _tree(root: Path) -> Path:
    (root / "referrals" / "migrations").mkdir(parents=True)
    (root / "referrals" / "migrations" / "0001_initial.py").write_text("operations = []\n")
    (root / "requirements.txt").write_text("django==5.2\n")
    return root


def test_the_fingerprint_changes_with_a_migration_edited_added_or_a_package_locked_anew(tmp_path):
    root = _tree(tmp_path)
    first = template_db.fingerprint(root)
    assert template_db.fingerprint(root) == first  # the same tree, the same template

    (root / "referrals" / "migrations" / "0001_initial.py").write_text("operations = ['edited']\n")
    edited = template_db.fingerprint(root)
    (root / "referrals" / "migrations" / "0002_more.py").write_text("operations = []\n")
    added = template_db.fingerprint(root)
    (root / "requirements.txt").write_text("django==5.2.1\n")
    relocked = template_db.fingerprint(root)
    assert len({first, edited, added, relocked}) == 4


def test_the_fingerprint_reads_this_trees_migrations():
    assert template_db.fingerprint() == template_db.fingerprint(template_db.ROOT)
    assert any(template_db.ROOT.glob("referrals/migrations/0001_*.py"))
