from django.urls import path

from agencies import views

app_name = "agencies"

urlpatterns = [
    path("sign-in/code/", views.two_factor_code, name="two_factor_code"),
    path("account/two-factor/", views.two_factor_setup, name="two_factor_setup"),
]
