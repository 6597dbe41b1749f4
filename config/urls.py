from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from communications import views as communications_views
from crm import views as crm_views

# Lazy, so the admin says it in the reader's language (客户经理 CRM in Chinese).
admin.site.site_header = _("RM CRM")
admin.site.site_title = _("RM CRM")

urlpatterns = [
    # Home: the Today page for RMs and team leads, the dashboard for compliance and administrators.
    path("", communications_views.home, name="home"),
    path("dashboard/", crm_views.home, name="dashboard"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("clients/", include("crm.urls")),
    path("portfolios/", include("portfolios.urls")),
    path("risk/", include("risk.urls")),
    path("communications/", include("communications.urls")),
    path("analytics/", include("analytics.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
