"""Reports' routes. URL names to time (benchmark): the RM dashboard is crm's ``dashboard`` (/dashboard/,
its figures are this app's panels), the team-lead dashboard ``reports:team``, a report
``reports:book`` (book of business; also ``reports:aum``, ``reports:review-compliance``)."""

from django.urls import path

from . import review_views, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("team/", views.team, name="team"),
    path("book/", views.book, name="book"),
    path("aum/", views.aum, name="aum"),
    path("reviews/", views.review_compliance, name="review-compliance"),
    path("satisfaction/export/", views.satisfaction_export, name="satisfaction-export"),
]

# The client review report (review_views.py)
urlpatterns += [
    path("clients/<int:pk>/review/", review_views.client_review, name="client-review"),
    path("clients/<int:pk>/review.pdf", review_views.client_review_pdf, name="client-review-pdf"),
]
