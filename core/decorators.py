"""View decorators shared by every app."""

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed


def case_methods(methods: Sequence[str], guard: Callable[..., Any]) -> Callable:
    """Like `require_http_methods` (HEAD answered as GET), but the access policy answers first.

    A method the view does not take (HEAD, PUT, DELETE...) on an object the user may not see
    answers 404 like any other request (the guard raises it), so the status code never tells
    whether the case exists; on one they may see, it answers 405.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "HEAD" and "GET" in methods:
                return view(request, *args, **kwargs)  # HEAD is GET without the body (the server drops it)
            if request.method not in methods:
                guard(request, **kwargs)
                return HttpResponseNotAllowed(methods)
            return view(request, *args, **kwargs)

        return inner

    return decorator
