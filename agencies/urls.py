from django.urls import path

from agencies import views

app_name = "agencies"

urlpatterns = [
    path("sign-in/code/", views.two_factor_code, name="two_factor_code"),
    path("account/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/email/<str:token>/", views.email_confirm, name="email_confirm"),
    path("account/resets/", views.resets_waiting, name="resets"),
]
