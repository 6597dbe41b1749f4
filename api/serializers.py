"""What the API reads and writes. Serializers check the shape of single fields; the rules
(normalisation, duplicates, registration conflicts, suitability…) are the services' to apply."""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from communications import selectors as communications_selectors
from communications.models import ContactLog, Reminder
from crm import access, masking, services as crm_services
from crm.models import Client, Tag
from portfolios.models import Holding, ValuationSnapshot

MASKED_FIELDS = ("id_number", "phone")


class ClientSerializer(serializers.ModelSerializer):
    """A client as the user may see it: ID and phone numbers masked where ``crm.masking`` says so."""

    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    primary_manager = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    pii_masked = serializers.SerializerMethodField(
        help_text="True when id_number and phone are shown partly masked to this user.")

    class Meta:
        model = Client
        fields = ["id", *crm_services.CLIENT_EDITABLE_FIELDS, "tags", "status", "lifecycle_stage",
                  "primary_manager", "aum_total", "aum_currency", "aum_tier", "risk_level", "risk_level_basis",
                  "risk_assessed_on", "risk_valid_until", "created_at", "updated_at", "pii_masked"]
        # Output only (writes go through ClientWriteSerializer). Not declared read-only: drf-spectacular
        # would then leave "" (a choice not made) out of the choice fields' enums.
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_pii_masked(self, client) -> bool:
        return not access.may_see_full_pii(user=self.context["request"].user, client=client)

    def to_representation(self, client):
        data = super().to_representation(client)
        user = self.context["request"].user
        for field in MASKED_FIELDS:
            data[field] = masking.client_pii(user=user, client=client, field=field)
        return data


class ClientWriteSerializer(serializers.ModelSerializer):
    """The fields of the client form (``crm.services.CLIENT_EDITABLE_FIELDS``), tags by name, and,
    for a team lead or administrator registering a client, its primary RM."""

    tags = serializers.SlugRelatedField(many=True, required=False, slug_field="name", queryset=Tag.objects.all())
    primary_manager = serializers.PrimaryKeyRelatedField(
        required=False, allow_null=True, queryset=access.manager_list_assignable(user=None),
        help_text="Team leads and administrators only, when registering: the client's primary RM "
                  "(empty: unassigned). An RM's new client is their own.")

    class Meta:
        model = Client
        fields = [*crm_services.CLIENT_EDITABLE_FIELDS, "tags", "primary_manager"]
        # The ID document's uniqueness is the service's to check, without telling an RM that a client
        # they may not see holds it (the model constraint's validator would).
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["primary_manager"].queryset = access.manager_list_assignable(user=request.user)

    def to_internal_value(self, data):
        # Checked before the fields: these refusals say why, where a field's check would say "invalid".
        if self.instance is not None and hasattr(data, "keys"):
            user = self.context["request"].user
            refused = {}
            if "primary_manager" in data:
                refused["primary_manager"] = [serializers.ErrorDetail(
                    _("The primary RM changes by reassignment, on the client's page."), code="read_only")]
            if not access.may_see_full_pii(user=user, client=self.instance):
                # As the edit form: who sees these numbers masked does not change them either.
                refused.update({field: [serializers.ErrorDetail(
                    _("You see this number masked; the client's own RM changes it."), code="masked")]
                    for field in MASKED_FIELDS if field in data})
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


class ValuationSerializer(serializers.ModelSerializer):
    by_asset_class = serializers.DictField(child=serializers.DecimalField(max_digits=20, decimal_places=2),
                                           help_text="AUM per asset class, in the base currency.")

    class Meta:
        model = ValuationSnapshot
        fields = ["valuation_date", "aum", "currency", "by_asset_class"]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=24 * 60)

    class Meta:
        model = ContactLog
        fields = ["id", "client", "channel", "occurred_at", "duration_minutes", "participants", "summary", "outcome",
                  "next_step", "next_step_due_on", "next_step_done_at", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "client", "next_step_done_at", "recorded_by", "recorded_at"]

    def validate_occurred_at(self, value):
        return value if value is not None else timezone.now()


class ReminderSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    text = serializers.CharField(read_only=True, help_text="The reminder's summary, in the request's language.")
    client_name = serializers.CharField(source="client.legal_name", read_only=True)

    class Meta:
        model = Reminder
        fields = ["id", "client", "client_name", "kind", "kind_label", "due_on", "text", "created_at", "done_at",
                  "done_by"]
        read_only_fields = fields

    def get_kind_label(self, reminder) -> str:
        labels = self.context.setdefault("kind_labels", communications_selectors.kind_labels())
        return str(labels.get(reminder.kind, reminder.kind))


MONEY = {"max_digits": 20, "decimal_places": 2}
MONEY_MAX = Decimal("1e18") - 1


class PositionSerializer(serializers.Serializer):
    """One position a custodian reports: the account's holding of the instrument, as of a day."""

    account = serializers.IntegerField(min_value=1, help_text="The account's id (of a client you may change).")
    instrument = serializers.CharField(max_length=64, help_text="The instrument's code (ISIN, ticker, product code).")
    quantity = serializers.DecimalField(max_digits=24, decimal_places=6, min_value=Decimal("0"),
                                        max_value=Decimal("1e18") - 1)
    cost = serializers.DecimalField(**MONEY, required=False, allow_null=True, min_value=Decimal("0"),
                                    max_value=MONEY_MAX, help_text="Empty: keep the holding's cost "
                                                                   "(a new holding's cost is its market value).")
    market_value = serializers.DecimalField(**MONEY, min_value=Decimal("0"), max_value=MONEY_MAX)
    currency = serializers.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217, e.g. CNY.")
    valuation_date = serializers.DateField()
    is_illiquid = serializers.BooleanField(required=False, allow_null=True, default=None,
                                           help_text="Empty: keep the holding's flag.")

    def validate_valuation_date(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The date %(date)s is in the future.") % {"date": value.isoformat()},
                                              code="future")
        return value


HOLDINGS_MAX = 500


class HoldingsUpsertSerializer(serializers.Serializer):
    holdings = PositionSerializer(many=True, allow_empty=False, max_length=HOLDINGS_MAX)


class HoldingSerializer(serializers.ModelSerializer):
    instrument = serializers.SlugRelatedField(slug_field="code", read_only=True)
    change = serializers.ChoiceField(choices=["created", "updated", "unchanged"], read_only=True)

    class Meta:
        model = Holding
        fields = ["id", "account", "instrument", "quantity", "cost", "market_value", "currency", "valuation_date",
                  "is_illiquid", "change"]
        read_only_fields = fields


class HoldingsUpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    revaluations_queued = serializers.IntegerField(help_text="Clients whose revaluation was queued.")
    holdings = HoldingSerializer(many=True)
