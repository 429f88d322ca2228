from django.urls import path

from administration import views

app_name = "audit"

urlpatterns = [
    path("referrals/<id:pk>/looks/", views.case_looks, name="case_looks"),
    path("referrals/<id:pk>/looks/all/", views.case_looks_log, name="case_looks_log"),
    path("referrals/<id:pk>/looks/lists/", views.case_looks_lists, name="case_looks_lists"),
    path("audit/users/<id:user_pk>/looks/", views.user_looks, name="user_looks"),
    path("audit/sign-ins/", views.auth_events, name="auth_events"),
]
