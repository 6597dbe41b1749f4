from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("clients/<int:pk>/", views.client_risk, name="client"),
    path("clients/<int:pk>/assess/", views.assess, name="assess"),
    path("clients/<int:pk>/link/", views.link_issue, name="link-issue"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("q/<str:token>/", views.questionnaire, name="questionnaire"),
]
