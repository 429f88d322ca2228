from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from agencies.forms import SignInForm
from core import views as core_views
from work import views as work_views

urlpatterns = [
    path("", work_views.home, name="home"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(template_name="registration/login.html", authentication_form=SignInForm),
        name="login",
    ),
    path("sign-out/", core_views.SignOutView.as_view(), name="logout"),
    # Choosing one's own password from an emailed link (a new user, or one an administrator sent a link to).
    path(
        "password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html", success_url="/password/done/"
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("agencies.urls")),
    path("session/", core_views.session_status, name="session_status"),
    path("session/keep-alive/", core_views.session_keep_alive, name="session_keep_alive"),
    path("referrals/", include("referrals.urls")),
    path("", include("strategy.urls")),
    path("", include("actions.urls")),
    path("", include("contributions.urls")),
    path("", include("minutes.urls")),
    path("", include("disputes.urls")),
    path("", include("administration.urls")),
    path("", include("work.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "core.views.page_not_found"
handler403 = "agencies.views.permission_denied"
handler500 = "core.views.server_error"
