"""Name search within the partnership (issue 28): how a word matches, and the index keys that find it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals.search import word_keys
from tests.builders import child, make_referral

pytestmark = pytest.mark.django_db


def _listed(client, query: str, *referrals) -> list[bool]:
    html = client.get(reverse("referrals:list"), {"q": query}).content.decode()
    return [referral.reference in html for referral in referrals]


def test_two_letters_match_the_start_of_a_name_and_one_letter_an_initial(sw_client, world):
    li = make_referral(acting_user=world["sw"], children=[child("Invented", "Li")])
    lily = make_referral(acting_user=world["sw"], children=[child("Lilyanne", "Quorrby")])
    eliza = make_referral(acting_user=world["sw"], children=[child("Elizanne", "Quorrby")])
    initial = make_referral(acting_user=world["sw"], children=[child("J", "Quorrby")])
    assert _listed(sw_client, "Li", li, lily, eliza) == [True, True, False]
    assert _listed(sw_client, "j", initial, li) == [True, False]
    assert _listed(sw_client, "liz", li, lily, eliza) == [False, False, True]  # three letters: anywhere
    assert _listed(sw_client, "li quorrby", li, lily, eliza) == [False, True, False]  # every word, one person


def test_a_word_outside_ascii_letters_is_still_found(sw_client, world):
    wanted = make_referral(acting_user=world["sw"], children=[child("Øyvindra", "Quorrby")])
    other = make_referral(acting_user=world["sw"], children=[child("Invented", "Quorrby")])
    assert word_keys("øyvindra") == []
    assert _listed(sw_client, "øyvind", wanted, other) == [True, False]
    assert _listed(sw_client, "øy", wanted, other) == [True, False]


def test_word_keys_are_the_trigrams_every_match_holds():
    assert word_keys("gald") == ["ald", "gal"]
    assert word_keys("li") == [" li"]
    assert word_keys("j") == [" j "]
    assert word_keys("o'dowd") == []


def test_the_index_holds_each_words_trigrams_tagged_with_its_partnership():
    with connection.cursor() as cursor:
        cursor.execute("SELECT referral_search_keys(7, %s)", ["ada li-galdmere | j o'dowd"])
        (keys,) = cursor.fetchone()
    for word in ("ada", "li", "galdmere", "j", "dowd"):
        assert {f"7:{key}" for key in word_keys(word)} <= set(keys), word
    assert all(key.startswith("7:") for key in keys)


def test_a_search_reads_the_partnerships_keys_once_and_counts_nothing(sw_client, world):
    """One match per request: the page's query holds the partnership's keys; no count query runs the match again."""
    make_referral(acting_user=world["sw"], children=[child("Invented", "Li")])
    with CaptureQueriesContext(connection) as captured:
        assert sw_client.get(reverse("referrals:list"), {"q": "li"}).status_code == 200
    matching = [q["sql"] for q in captured.captured_queries if "% li%" in q["sql"]]
    assert len(matching) == 1 and "COUNT(" not in matching[0].upper(), matching
    if connection.vendor == "postgresql":
        partnership = world["sw"].partnership_id
        assert "referral_search_keys" in matching[0] and f"{partnership}: li" in matching[0]
