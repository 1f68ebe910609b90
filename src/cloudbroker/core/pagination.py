"""Page-number pagination for the API with bounded inputs (a huge page number is a 422, not a 500)."""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

__all__ = ["MAX_PAGE", "MAX_PAGE_SIZE", "Pagination"]

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500


class Pagination(PageNumberPagination):
    """``?page=N&page_size=M``; answers ``{"items": [...], "count": total}``."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, page_size: int = 50, **kwargs):
        super().__init__(page_size=page_size, max_page_size=MAX_PAGE_SIZE, **kwargs)
