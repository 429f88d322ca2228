from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("actions/mine/", views.my_actions, name="mine"),
    path("actions/agency/", views.agency_actions, name="agency"),
    path("actions/<id:action_pk>/", views.action_detail, name="detail"),
    path("actions/<id:action_pk>/status/", views.action_status, name="status"),
    path("actions/<id:action_pk>/due/", views.action_due, name="due"),
    path("actions/<id:action_pk>/reassign/", views.action_reassign, name="reassign"),
    path("actions/<id:action_pk>/agreed/", views.action_correct_agreed, name="agreed"),
    path("deadlines/", views.dashboard, name="dashboard"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<id:notification_pk>/read/", views.notification_read, name="notification_read"),
]
