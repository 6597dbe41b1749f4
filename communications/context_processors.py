from django.utils.functional import SimpleLazyObject

from crm import access

from .selectors import notification_unread_count


def notifications(request) -> dict:
    """The navbar's Today link and bell. The unread count is one query on a partial index, run only
    when a template shows it (the navbar: once per page; panels rendered with the request: never)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_today": access.serves_clients(user),
        "notification_unread_count": SimpleLazyObject(lambda: notification_unread_count(user=user)),
    }
