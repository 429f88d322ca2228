from django.urls import path

from strategy import views

app_name = "strategy"

urlpatterns = [
    path("referrals/<id:pk>/discussions/new/", views.discussion_convene, name="convene"),
    path("referrals/<id:pk>/close/", views.case_close, name="close_case"),
    path("referrals/<id:pk>/reopen/", views.case_reopen, name="reopen_case"),
    path("referrals/<id:pk>/history/", views.case_history, name="history"),
    path("referrals/<id:pk>/deadlines/<id:deadline_pk>/step/", views.deadline_step, name="step"),
    path("discussions/<id:discussion_pk>/", views.discussion_meeting, name="meeting"),
    path("discussions/<id:discussion_pk>/start/", views.discussion_start, name="start"),
    path("discussions/<id:discussion_pk>/end/", views.discussion_end, name="end"),
    path("discussions/<id:discussion_pk>/abandon/", views.discussion_abandon, name="abandon"),
    path("discussions/<id:discussion_pk>/authorise/", views.discussion_authorise, name="authorise"),
    path("discussions/<id:discussion_pk>/withdraw/", views.invitation_withdraw, name="withdraw"),
    *(
        path(f"discussions/<id:discussion_pk>/{section}/", views.discussion_section, {"section": section}, name=section)
        for section in views.SECTIONS
    ),
]
