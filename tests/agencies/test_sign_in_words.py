"""The sign-in page asks for what is missing by name, and says the same for a wrong username or a wrong password
(a walk: an empty form said "Enter a correct username and password")."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "said", "field"),
    [
        ({}, "Enter your username and password", "username"),
        ({"password": "x"}, "Enter your username", "username"),
        ({"username": "sw"}, "Enter your password", "password"),
        (
            {"username": "sw", "password": "   "},
            "Enter a correct username and password. Both are case-sensitive.",
            "username",
        ),
        (
            {"username": "nobody-here", "password": "wrong"},
            "Enter a correct username and password. Both are case-sensitive.",
            "username",
        ),
    ],
)
def test_the_sign_in_problem_is_named(client, typed, said, field):
    response = client.post("/sign-in/", typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#id_{field}">{said}</a>' in page
    hidden = '<span class="govuk-visually-hidden">Error:</span>'
    assert f'<p id="id_{field}-error" class="govuk-error-message">{hidden} {said}</p>' in page
