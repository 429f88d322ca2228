"""The back office's site: the Django admin for staff only, through the one rule every page keeps.

Someone signed in who is not staff gets the app's 404 on every admin address, as on any page they may not see, not
Django's "You are authenticated as ..., but are not authorized to access this page" with a form to sign in as
someone else (a walk of `make run`: it told every practitioner where the back office is and invited a second
sign-in). Signed out, the admin's own sign-in page, as before: it goes on to the second factor like /sign-in/.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest
from django.utils.decorators import method_decorator


class StrategyAdminSite(admin.AdminSite):
    def _refused(self, request: HttpRequest) -> bool:
        return request.user.is_authenticated and not self.has_permission(request)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def staff_only(request: HttpRequest, *args, **kwargs):
            if self._refused(request):
                raise Http404("No such page")
            return inner(request, *args, **kwargs)

        return staff_only

    @method_decorator(login_not_required)  # as the admin's own: signed out, this is its sign-in page
    def login(self, request: HttpRequest, extra_context=None):
        if self._refused(request):
            raise Http404("No such page")
        return super().login(request, extra_context)
