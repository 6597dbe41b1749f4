from django.urls import path

from . import views

app_name = "portfolios"

urlpatterns = [
    path("clients/<int:pk>/", views.client_portfolio, name="client-portfolio"),
    path("clients/<int:pk>/rebalance/", views.rebalance, name="rebalance"),
    path("clients/<int:pk>/goals/new/", views.goal_create, name="goal-create"),
    path("clients/<int:pk>/cash-flows/new/", views.cash_flow_create, name="cash-flow-create"),
    path("clients/<int:pk>/drawdown/", views.drawdown_edit, name="drawdown-edit"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/status/", views.proposal_status, name="proposal-status"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal-edit"),
    path("holdings/<int:pk>/stop-loss/", views.holding_stop_loss, name="holding-stop-loss"),
    path("holdings/<int:pk>/suitability-exception/", views.holding_exception, name="holding-exception"),
    path("alerts/", views.alert_list, name="alert-list"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("imports/positions/", views.import_positions, name="import-positions"),
    path("imports/prices/", views.import_prices, name="import-prices"),
]
