"""``{% pii client "phone" %}``: a client's ID or phone number as the signed-in user may see it."""

from django import template

from crm.masking import client_pii

register = template.Library()


@register.simple_tag(takes_context=True)
def pii(context, client, field: str) -> str:
    return client_pii(user=context["request"].user, client=client, field=field)
