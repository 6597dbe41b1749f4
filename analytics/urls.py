from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("clients/<int:pk>/", views.client_value, name="client-value"),
    path("clients/<int:pk>/costs/", views.cost_create, name="cost-create"),
    path("clients/<int:pk>/revenue/", views.revenue_create, name="revenue-create"),
    path("clients/<int:pk>/referrals/", views.referral_create, name="referral-create"),
    path("clients/<int:pk>/prospect/", views.prospect_set, name="prospect-set"),
    path("records/<str:kind>/<int:pk>/delete/", views.record_delete, name="record-delete"),
    path("clients/<int:pk>/opportunities/", views.opportunity_create, name="opportunity-create"),
    path("opportunities/<int:pk>/stage/", views.opportunity_stage, name="opportunity-stage"),
    path("pipeline/", views.pipeline, name="pipeline"),
    path("segments/", views.segment_value, name="segment-value"),
    path("lifecycle/", views.lifecycle, name="lifecycle"),
]
