"""A guessable password is refused (issue 26, ASVS 6.2.11): zxcvbn's estimate, knowing the user's own names and
address, says why in words; a long phrase passes, and the demo password still does where the demo makes accounts."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from agencies.models import User
from agencies.passwords import StrengthValidator
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
URL = "/account/password/"


def _refusal(password: str, user=None) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        StrengthValidator().validate(password, user)
    return refused.value


def test_a_password_like_the_common_ones_is_refused_with_zxcvbn_saying_why():
    refusal = _refusal("Password2026!")
    assert refusal.code == "password_too_guessable"
    message = refusal.messages[0]
    assert message.startswith("Your password is too easy to guess.")
    assert "similar to a commonly used password" in message  # zxcvbn's warning, in plain words


def test_a_password_made_of_the_users_own_name_is_refused_though_a_stranger_would_pass_it():
    user = User(username="j.quillfeather", first_name="Juniper", last_name="Quillfeather", email="jq@example.invalid")
    StrengthValidator().validate("Quillfeather2026", None)  # strong for someone who does not know the person
    assert _refusal("Quillfeather2026", user).code == "password_too_guessable"


def test_a_phrase_of_ordinary_words_passes_every_validator():
    user = User(username="j.quillfeather", first_name="Juniper", last_name="Quillfeather", email="jq@example.invalid")
    validate_password("a-walk-by-the-invented-river", user)


def test_the_demo_password_passes_the_estimate_so_make_run_can_still_set_it(settings):
    StrengthValidator().validate(settings.DEMO_PASSWORD, None)


def test_a_very_long_password_is_judged_quickly_on_its_start():
    StrengthValidator().validate("a-walk-by-the-invented-river " * 200, None)
    assert _refusal("a" * 5000).code == "password_too_guessable"


def test_the_password_change_page_shows_zxcvbns_reason_in_the_error_summary_and_changes_nothing(world):
    sw = world["sw"]
    client = Client()
    client.force_login(sw)
    weak = "football1234"
    response = client.post(URL, {"old_password": TEST_PASSWORD, "new_password1": weak, "new_password2": weak})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'class="govuk-error-summary"' in page and "Your password is too easy to guess." in page
    sw.refresh_from_db()
    assert sw.check_password(TEST_PASSWORD)
