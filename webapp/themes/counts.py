"""How many responses mention each theme: for the whole programme, by session and by
each "about you" group, with the results' small-group rule (results.hidden_cells: groups
under SMALL_GROUP_MIN hidden, and enough others that no hidden figure can be worked out
by subtraction). The results page, the workbook, the public page and the board report
all read their theme figures from here.

A response counts once for a theme however many of its comments carry it."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from webapp.extensions import db
from webapp.feedback.models import Answer, Response
from webapp.programmes.models import Programme
from webapp.results import services as results
from webapp.themes.models import Theme, theme_tag
from webapp.themes.services import themes as programme_themes
from webapp.timezones import format_date

TOP_THEMES = 5


@dataclass
class ThemeTotal:
    theme: Theme
    responses: int  # responses with at least one comment under the theme
    comments: int


@dataclass
class GroupRow:
    label: str
    size: int  # responses in the group
    counts: dict[int, int]  # theme id -> responses in the group that mention it
    suppressed: bool = False

    def count(self, theme: Theme) -> int | None:
        """None when the group is hidden."""
        return None if self.suppressed else self.counts.get(theme.id, 0)


@dataclass
class ThemeTable:
    label: str  # "By session", "By locality", ...
    rows: list[GroupRow]

    @property
    def any_suppressed(self) -> bool:
        return any(row.suppressed for row in self.rows)


@dataclass
class ThemeCounts:
    totals: list[ThemeTotal]  # most mentioned first
    tables: list[ThemeTable]  # empty unless the whole programme is shown

    @property
    def themes(self) -> list[Theme]:
        return [total.theme for total in self.totals]


def _mentions(theme_ids: list[int], session_ids: list[int], key=None, group_question_id: int | None = None):
    """{(theme id, key value): responses}: by `key` (a column), by the answer to the "about
    you" question `group_question_id`, or over everything (key value 0)."""
    if not theme_ids or not session_ids:
        return {}
    group = aliased(Answer)
    if group_question_id is not None:
        key = group.option_id
    columns = [theme_tag.c.theme_id, *([key] if key is not None else [])]
    query = (sa.select(*columns, sa.func.count(sa.distinct(Answer.response_id)))
             .select_from(theme_tag)
             .join(Answer, Answer.id == theme_tag.c.answer_id)
             .join(Response, Response.id == Answer.response_id)
             .where(theme_tag.c.theme_id.in_(theme_ids), Response.session_id.in_(session_ids), Response.included))
    if group_question_id is not None:
        query = query.join(group, sa.and_(group.response_id == Answer.response_id,
                                          group.question_id == group_question_id))
    rows = db.session.execute(query.group_by(*columns))
    if key is None:
        return {(theme_id, 0): count for theme_id, count in rows}
    return {(theme_id, value): count for theme_id, value, count in rows}


def totals(programme: Programme, session_ids: list[int]) -> list[ThemeTotal]:
    themes = programme_themes(programme)
    ids = [theme.id for theme in themes]
    responses = _mentions(ids, session_ids)
    comments: dict[int, int] = dict(db.session.execute(
        sa.select(theme_tag.c.theme_id, sa.func.count()).select_from(theme_tag)
        .join(Answer, Answer.id == theme_tag.c.answer_id).join(Response, Response.id == Answer.response_id)
        .where(theme_tag.c.theme_id.in_(ids or [-1]), Response.session_id.in_(session_ids or [-1]),
               Response.included)
        .group_by(theme_tag.c.theme_id)).tuples().all())
    rows = [ThemeTotal(theme, responses.get((theme.id, 0), 0), comments.get(theme.id, 0)) for theme in themes]
    return sorted(rows, key=lambda row: -row.responses)  # stable: ties keep the names' order


def theme_counts(figures: results.Results) -> ThemeCounts:
    """Theme totals over the results' sessions and, for the whole programme only (as the
    results' breakdowns: overlapping selections could be subtracted), by session and by
    each "about you" group, small groups hidden."""
    session_ids = figures.session_ids
    rows = totals(figures.programme, session_ids)
    if figures.breakdowns_withheld or not rows:
        return ThemeCounts(rows, [])
    theme_ids = [row.theme.id for row in rows]
    tables = []
    by_session = _mentions(theme_ids, session_ids, key=Response.session_id)
    session_rows = [GroupRow(f"{row.session.title} ({format_date(row.session.starts_at)})", row.responses,
                             {theme_id: by_session.get((theme_id, row.session.id), 0) for theme_id in theme_ids})
                    for row in figures.figures]
    for index in results.hidden_cells([row.size for row in session_rows]):
        session_rows[index].suppressed = True
    tables.append(ThemeTable("By session", session_rows))
    total_of = {row.theme.id: row.responses for row in rows}
    for table in figures.breakdowns:
        by_group = _mentions(theme_ids, session_ids, group_question_id=table.question.id)
        group_rows = []
        for group in table.groups:
            if group.option_id is not None:
                counts = {theme_id: by_group.get((theme_id, group.option_id), 0) for theme_id in theme_ids}
            else:  # "Not answered": what the answered groups leave of the total
                counts = {theme_id: total_of[theme_id] - sum(count for (mentioned, _), count in by_group.items()
                                                             if mentioned == theme_id)
                          for theme_id in theme_ids}
            # The breakdown table's hidden groups, whatever their size: the same cells
            # hidden everywhere, so nothing can be worked out by comparing tables.
            group_rows.append(GroupRow(group.label, group.responses, counts, group.suppressed))
        tables.append(ThemeTable(f"By {table.label.lower()}", group_rows))
    return ThemeCounts(rows, tables)


def top_themes(programme: Programme, limit: int = TOP_THEMES) -> list[ThemeTotal]:
    """For the public page and the board report: the most mentioned themes, each only when
    at least SMALL_GROUP_MIN responses mention it (and the programme has that many)."""
    session_ids = [session.id for session in programme.sessions]
    if results.response_count(session_ids) < results.SMALL_GROUP_MIN:
        return []
    return [row for row in totals(programme, session_ids) if row.responses >= results.SMALL_GROUP_MIN][:limit]
