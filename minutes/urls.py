from django.urls import path

from minutes import views

app_name = "minutes"

urlpatterns = [
    path("discussions/<id:discussion_pk>/minutes/", views.minutes_page, name="minutes"),
    path("discussions/<id:discussion_pk>/minutes/approve/", views.minutes_approve, name="approve"),
    path("discussions/<id:discussion_pk>/minutes/distribution/", views.distribution_save, name="distribution"),
    path("discussions/<id:discussion_pk>/minutes/recipients/add/", views.recipient_add, name="recipient_add"),
    path(
        "discussions/<id:discussion_pk>/minutes/recipients/<id:recipient_pk>/remove/",
        views.recipient_remove,
        name="recipient_remove",
    ),
    path("discussions/<id:discussion_pk>/minutes/circulate/", views.minutes_circulate, name="circulate"),
    path("discussions/<id:discussion_pk>/minutes/draft-<str:kind>.pdf", views.draft_pdf, name="draft_pdf"),
    path("discussions/<id:discussion_pk>/minutes/v<id:number>-<str:kind>.pdf", views.version_pdf, name="pdf"),
    path("minutes/link/<str:token>/", views.link, name="link"),
    # The code pages of a link sent since issue 31 (signed out; the token redacted from every log as the link's).
    path("minutes/link/<str:token>/send-code/", views.link_code_send, name="code_send"),
    path("minutes/link/<str:token>/code/", views.link_code, name="code"),
]
