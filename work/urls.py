from django.urls import path

from work import selectors, views

app_name = "work"

urlpatterns = [
    path("deadlines/<id:deadline_pk>/act/", views.act, name="act"),
    *[path(f"work/{slug}/", views.queue, {"queue": slug}, name=slug) for slug in selectors.QUEUES],
]
