from crm import access

from .selectors import notification_unread_count


def notifications(request) -> dict:
    """The navbar's Today link and bell: the unread count is one query on a partial index, and
    none for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_today": access.serves_clients(user), "notification_unread_count": notification_unread_count(user=user)}
