from django.urls import path  # noqa: F401

app_name = "communications"

urlpatterns = []

# Feedback and complaints (issue 9, feedback part)
from . import feedback_views  # noqa: E402

urlpatterns += [
    path("feedback/thanks/", feedback_views.feedback_thanks, name="feedback-thanks"),
    path("feedback/<str:token>/", feedback_views.feedback_form, name="feedback-form"),
    path("clients/<int:client_pk>/feedback-link/", feedback_views.feedback_link_create, name="feedback-link-create"),
    path("clients/<int:client_pk>/complaints/new/", feedback_views.complaint_create, name="complaint-create"),
    path("satisfaction/", feedback_views.satisfaction, name="satisfaction"),
    path("complaints/", feedback_views.complaint_list, name="complaint-list"),
    path("complaints/<int:pk>/", feedback_views.complaint_detail, name="complaint-detail"),
    path("complaints/<int:pk>/status/", feedback_views.complaint_transition, name="complaint-transition"),
    path("complaints/<int:pk>/assign/", feedback_views.complaint_assign, name="complaint-assign"),
]
