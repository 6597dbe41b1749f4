from django.urls import path

app_name = "communications"

# Contacts, reviews, reminders, notifications and the Today page
from . import views  # noqa: E402

urlpatterns = [
    path("today/", views.today, name="today"),
    path("clients/<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("clients/<int:pk>/timeline/", views.client_timeline, name="client-timeline"),
    path("clients/<int:pk>/review/", views.review_complete, name="review-complete"),
    path("contacts/<int:pk>/done/", views.follow_up_done, name="follow-up-done"),
    path("reminders/", views.reminder_list, name="reminder-list"),
    path("reminders/<int:pk>/done/", views.reminder_done, name="reminder-done"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications-read-all"),
]

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
