"""Long lists shown a page at a time: the page of a query, and the address of another page."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import request, url_for

from centre.extensions import db

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    items: list
    number: int  #: 1-based
    per_page: int
    total: int  #: rows in all the pages

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def requested_page(name: str = "page") -> int:
    """The page number in the query string; 1 when absent or not a positive number."""
    number = request.args.get(name, 1, type=int)
    return number if number and number > 0 else 1


def paginate(query: sa.Select, number: int, per_page: int | None = None, *, scalars: bool = True) -> Page:
    """The rows of page `number` of an ordered query (the last page if past it): two queries."""
    per_page = per_page or PER_PAGE
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    number = min(max(1, number), max(1, -(-total // per_page)))
    limited = query.limit(per_page).offset((number - 1) * per_page)
    rows = db.session.scalars(limited).all() if scalars else db.session.execute(limited).all()
    return Page(rows, number, per_page, total)


def page_url(number: int, name: str = "page") -> str:
    """This page's address with another page number, the other query arguments kept."""
    args = {**request.view_args, **request.args.to_dict(), name: number}
    if number == 1:
        del args[name]
    return url_for(request.endpoint, **args)
