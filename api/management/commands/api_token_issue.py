from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api import services


class Command(BaseCommand):
    help = "Issue an API token to a member of staff; prints the key, which is shown only this once."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The API acts as this user, with their role and their clients.")
        parser.add_argument("--name", required=True, help="Which system uses the token, e.g. 'Core banking'.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            token, key = services.api_token_issue(user=user, name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(f"Token {token.prefix}… issued to {user.username} ({token.name}). Its key:")
        self.stdout.write(key)
