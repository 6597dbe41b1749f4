from .roles import Role, user_roles


def roles(request) -> dict:
    """The signed-in user's roles, for navigation only; access is decided in selectors."""
    held = user_roles(request.user)
    return {
        "user_roles": held,
        "is_team_lead": Role.TEAM_LEAD.value in held,
        "is_compliance": Role.COMPLIANCE.value in held,
        "is_administrator": Role.ADMINISTRATOR.value in held,
    }
