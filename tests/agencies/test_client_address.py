"""The address the sign-in limits count by (issue 26): the client's, behind the TLS proxy, never one it forged."""

from django.test import RequestFactory

from agencies.lockout import client_address


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/sign-in/", **extra)


def test_without_a_proxy_the_forwarded_header_is_ignored(settings):
    settings.PROXY_COUNT = 0
    assert client_address(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_behind_one_proxy_each_client_counts_apart_not_the_proxy(settings):
    """Behind the TLS proxy every request comes from the proxy: counting by it would block the whole partnership
    after one person's spray. The proxy's own entry (the right-most) names the client."""
    settings.PROXY_COUNT = 1
    assert client_address(_request("10.0.0.2", "203.0.113.9")) == "203.0.113.9"
    assert client_address(_request("10.0.0.2", "203.0.113.10")) == "203.0.113.10"


def test_an_address_the_client_claimed_to_the_left_is_ignored(settings):
    settings.PROXY_COUNT = 1
    assert client_address(_request("10.0.0.2", "192.0.2.1, 203.0.113.9")) == "203.0.113.9"


def test_a_missing_or_malformed_header_falls_back_to_the_connection(settings):
    settings.PROXY_COUNT = 1
    assert client_address(_request("10.0.0.2")) == "10.0.0.2"
    assert client_address(_request("10.0.0.2", "not-an-address")) == "10.0.0.2"
    settings.PROXY_COUNT = 2
    assert client_address(_request("10.0.0.2", "203.0.113.9")) == "10.0.0.2"
