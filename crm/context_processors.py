from . import access


def roles(request) -> dict:
    """What the navigation offers the signed-in user; the pages themselves ask crm.access again."""
    user = request.user
    return {
        "nav_imports": access.may_read_imports(user),
        "nav_team_pages": access.may_use_team_pages(user),
        "nav_admin": access.may_use_admin(user),
        "nav_market_data": access.may_edit_market_data(user),
        "nav_audit": access.may_read_audit(user),
    }
