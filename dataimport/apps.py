from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataimportConfig(AppConfig):
    name = "dataimport"
    verbose_name = _("File imports")
