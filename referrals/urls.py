from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_create, name="create"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/edit/", views.referral_edit, name="edit"),
    path("<int:pk>/draft/", views.referral_draft, name="draft"),
    path("<int:pk>/draft/<slug:task>/", views.referral_draft_task, name="draft_task"),
    path("<int:pk>/deadlines/<int:deadline_pk>/move/", views.deadline_move, name="deadline_move"),
]
