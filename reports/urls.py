"""Reports' routes. URL names to time (benchmark): the RM dashboard is crm's ``dashboard`` (/dashboard/,
its figures are this app's panels), the team-lead dashboard ``reports:team``, a report
``reports:book`` (book of business; also ``reports:aum``, ``reports:review-compliance``)."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("team/", views.team, name="team"),
    path("book/", views.book, name="book"),
    path("aum/", views.aum, name="aum"),
    path("reviews/", views.review_compliance, name="review-compliance"),
    path("satisfaction/export/", views.satisfaction_export, name="satisfaction-export"),
]
