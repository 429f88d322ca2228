from django.urls import path

from contributions import views

app_name = "contributions"

urlpatterns = [
    path("discussions/<id:discussion_pk>/requests/", views.requests_page, name="requests"),
    path("discussions/<id:discussion_pk>/requests/ask/", views.request_add, name="request_add"),
    path("discussions/<id:discussion_pk>/external-invitees/add/", views.invitee_add, name="invitee_add"),
    path("discussions/<id:discussion_pk>/contribution-files/<id:file_pk>/", views.file_download, name="file"),
    # The emailed link, for someone without an account (signed out): its token is redacted from every log.
    path("contribute/<str:token>/", views.link, name="link"),
    path("contribute/<str:token>/send-code/", views.code_send, name="code_send"),
    path("contribute/<str:token>/code/", views.code_enter, name="code"),
]
