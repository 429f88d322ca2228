from django.urls import path

from disputes import views

app_name = "disputes"

urlpatterns = [
    path("referrals/<id:pk>/disagreements/new/", views.disagreement_raise, name="raise"),
    path("disagreements/raise/", views.disagreement_find, name="find"),
    path("disagreements/<id:disagreement_pk>/", views.disagreement_detail, name="detail"),
    path("disagreements/<id:disagreement_pk>/stage/", views.stage_record, name="stage"),
    path("disagreements/<id:disagreement_pk>/convene/", views.stage_convene, name="convene"),
]
