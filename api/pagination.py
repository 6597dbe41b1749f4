from rest_framework.pagination import LimitOffsetPagination


class ApiPagination(LimitOffsetPagination):
    """``?limit=&offset=``: 50 rows a page by default, 200 at most. A bad limit or offset falls back
    to the default rather than failing."""

    default_limit = 50
    max_limit = 200
