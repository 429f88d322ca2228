"""Rate limits on the code pages of the contribution link and of the minutes link (issue 31): a counter per link
and per client address in the cache (Redis in production, a process's own memory in `make run` and the tests), for an
hour, each link's kind counted apart. Over a limit, the page says so and nothing is sent or checked. The 5 wrong
tries of one code are counted on the row itself (contributions.codes.code_verify); these limits stop a link or an
address from asking for code after code."""

from django.core.cache import cache
from django.http import HttpRequest

from agencies import lockout

WINDOW_SECONDS = 60 * 60
LIMITS = {
    "send-link": 5,  # codes sent for one link in an hour
    "send-address": 20,  # codes sent from one client address in an hour, whatever the links
    "check-link": 20,  # codes checked for one link in an hour
    "check-address": 50,  # codes checked from one client address in an hour
}
MESSAGE = "You have tried too many times. Wait an hour, then try again"
TOO_MANY_CODES = "You have asked for too many codes. Wait an hour, then try again"  # over a "send" limit


def client_address(request: HttpRequest) -> str:
    """The client's address as the sign-in limits read it: behind the TLS proxy, from X-Forwarded-For as far as the
    trusted proxies (PROXY_COUNT) vouch for it, never the proxy's own address (which would make every recipient
    share one count, and let one person use it all up)."""
    return str(lockout.client_address(request) or "unknown")[:64]


def _count(key: str) -> int:
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        return 1


def allowed(what: str, request: HttpRequest, request_pk: int, *, scope: str = "contribute") -> bool:
    """Count one `what` ("send" or "check") against the link's and the address's limits; False once over either.
    `scope`: whose links ("contribute", or "minutes" for the minutes link's code pages), counted apart."""
    by_link = _count(f"{scope}:{what}-link:{request_pk}") <= LIMITS[f"{what}-link"]
    by_address = _count(f"{scope}:{what}-address:{client_address(request)}") <= LIMITS[f"{what}-address"]
    return by_link and by_address
