from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_create, name="create"),
    path("<id:pk>/", views.referral_detail, name="detail"),
    path("<id:pk>/edit/", views.referral_edit, name="edit"),
    path("<id:pk>/draft/", views.referral_draft, name="draft"),
    path("<id:pk>/draft/<slug:task>/", views.referral_draft_task, name="draft_task"),
    path("<id:pk>/deadlines/<id:deadline_pk>/move/", views.deadline_move, name="deadline_move"),
]
