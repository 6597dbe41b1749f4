from django.core.management.base import BaseCommand, CommandError

from api import services
from api.models import ApiToken


class Command(BaseCommand):
    help = "Revoke API tokens by their prefix (the key's first 8 characters, listed in admin) or id."

    def add_arguments(self, parser):
        parser.add_argument("prefix_or_id", nargs="+")

    def handle(self, *args, prefix_or_id, **options):
        for given in prefix_or_id:
            tokens = ApiToken.objects.filter(prefix=given) if not given.isdigit() else ApiToken.objects.filter(
                pk=int(given))
            if len(tokens) != 1:
                raise CommandError(f"{given!r} names {len(tokens)} tokens; give the token's id instead.")
            token = services.api_token_revoke(token=tokens[0])
            self.stdout.write(f"Revoked {token}.")
