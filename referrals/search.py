"""How a searched word matches a name, and the partnership's index keys that find it (issue 28).

A word of three letters or more matches anywhere in a first name, last name or alias ("gald" finds Galdmere);
a word of two letters matches the start of a name ("li" finds Li and Lily, not Eliza), since two letters
inside a name match almost everyone; a single letter matches an initial standing alone. That is the rule
(`word_matches`), the same on SQLite and PostgreSQL.

On PostgreSQL the partnership's matches are first read from one GIN index (migration 0025) whose keys are the
trigrams of each word of the referral's search text, padded with one space each side and each tagged with its
partnership ("17: li" is a word starting "li" in partnership 17, "17:gal" a "gal" inside one). A searched
word's keys (`word_keys`) are the trigrams every matching text must hold, so the index returns a superset of
the matches within the partnership only, and the rule above then checks each. A word with a character outside
ASCII letters and digits gets no keys (the database's and Python's idea of a letter could differ there): it is
checked on the partnership's rows alone, never missed.
"""

import json

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.functions import Concat, StrIndex
from django.db.models.lookups import Contains, GreaterThan

SUBSTRING_FROM = 3  # letters: a shorter word matches the start of a name, not its middle
# A search whose keys the planner expects in more of the partnership's cases than this is common ("el", "li" in
# a large partnership): the list is walked in its own order and each case checked, until the page is full
# (about page x cases / matches rows), instead of reading and sorting every match. Below it, the matches are few
# enough to read and sort. The two cost the same at about the square root of 26 x the partnership's cases.
COMMON_MATCHES = 500


def word_matches(word: str, field: str = "search_text") -> Q:
    """The rule: `word` (folded) in the folded names of `field`."""
    if len(word) >= SUBSTRING_FROM:
        return Q(**{f"{field}__contains": word})
    spaced = Concat(Value(" "), F(field), Value(" "), output_field=TextField())
    return Q(Contains(spaced, f" {word} " if len(word) == 1 else f" {word}"))


def word_found(word: str, field: str = "search_text") -> Q:
    """The rule as a position (`strpos(...) > 0`), which the planner estimates as matching a third of the rows: a
    common search then walks the list's own index in order and stops at the page (see COMMON_MATCHES)."""
    if len(word) >= SUBSTRING_FROM:
        return Q(GreaterThan(StrIndex(F(field), Value(word)), 0))
    spaced = Concat(Value(" "), F(field), Value(" "), output_field=TextField())
    return Q(GreaterThan(StrIndex(spaced, Value(f" {word} " if len(word) == 1 else f" {word}")), 0))


def word_keys(word: str) -> list[str]:
    """The trigrams (untagged) that every text matching `word` holds in one of its words; none to rely on for a
    word that is not plain ASCII letters and digits."""
    if not (word.isascii() and word.isalnum()):
        return []
    if len(word) >= SUBSTRING_FROM:
        return sorted({word[i : i + 3] for i in range(len(word) - 2)})
    return [f" {word} "] if len(word) == 1 else [f" {word}"]


class SearchKeys(Func):
    """`referral_search_keys(partnership_id, search_text)`: the expression the GIN index holds (migration 0025)."""

    function = "referral_search_keys"
    output_field = ArrayField(TextField())


def partnership_keys(partnership_id: int, words: list[str]) -> list[str]:
    """The search index's keys every match of `words` in the partnership holds (PostgreSQL; none on SQLite)."""
    if connection.vendor != "postgresql":
        return []
    return sorted({f"{partnership_id}:{key}" for word in words for key in word_keys(word)})


def within_partnership(partnership_id: int, words: list[str]) -> Q:
    """The index's condition for `words` in the partnership (PostgreSQL), or nothing to add (SQLite, or no key)."""
    keys = partnership_keys(partnership_id, words)
    return Q(_keys_contain(keys)) if keys else Q()


def expected_matches(keys: list[str]) -> int:
    """How many cases the planner expects to hold every key, from the search index's statistics: planned, never
    run (EXPLAIN without ANALYZE reads no row), so a search still runs its match once."""
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM referrals_referral "
            "WHERE referral_search_keys(partnership_id, search_text) @> %s::text[]",
            [keys],
        )
        (plan,) = cursor.fetchone()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _keys_contain(keys: list[str]):
    """`referral_search_keys(partnership_id, search_text) @> keys`: the array field's own contains lookup."""
    expression = SearchKeys(F("partnership_id"), F("search_text"))
    contains = expression.output_field.get_lookup("contains")
    if contains is None:  # pragma: no cover (every array field has it)
        raise LookupError("an array field without its contains lookup")
    return contains(expression, keys)
