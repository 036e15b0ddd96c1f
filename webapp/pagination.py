"""One way to cut a long list into pages: the audit log, the comments, the tagging page."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import request

Item = TypeVar("Item")


@dataclass
class Page(Generic[Item]):
    items: list[Item]
    total: int
    page: int  # 1-based, and always a page that exists (1 for an empty list)
    per_page: int
    search: str = ""  # what the list was searched for, to keep in the page links

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(total: int, page: int, per_page: int, fetch: Callable[[int, int], Sequence[Item]],
             search: str = "") -> Page[Item]:
    """The page asked for, or the nearest that exists; `fetch(limit, offset)` reads its items."""
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    return Page(list(fetch(per_page, (page - 1) * per_page)), total, page, per_page, search)


def requested_page() -> int:
    """The ?page= of this request; anything that is not a positive number is page 1."""
    return max(request.args.get("page", 1, type=int) or 1, 1)
