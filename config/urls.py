from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from agencies import views as agency_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="referrals:list", permanent=False), name="home"),
    path("sign-in/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("sign-out/", agency_views.SignOutView.as_view(), name="logout"),
    path("healthz", agency_views.healthz, name="healthz"),
    path("referrals/", include("referrals.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "agencies.views.page_not_found"
handler403 = "agencies.views.permission_denied"
handler500 = "agencies.views.server_error"
