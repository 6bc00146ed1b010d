"""Page arithmetic shared by every paged listing (category pages, shops, search results)."""

from __future__ import annotations


class Paged:
    """Mixed into anything with ``page``, ``per_page`` and ``total``; the pagination macro
    reads ``pages``, ``has_prev`` and ``has_next``."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
