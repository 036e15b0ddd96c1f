"""The coding frame (themes per programme), tagging comments with themes, and the
suggestions a worker prepares. Each operation writes its audit entry and commits once;
domain errors are ThemeError, never an abort()."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from webapp.audit import AuditAction, record
from webapp.db_types import rows_changed, utcnow
from webapp.extensions import db
from webapp.feedback.models import Answer, Response
from webapp.jobs import queue
from webapp.pagination import Page, paginate
from webapp.programmes.models import Programme
from webapp.results.services import COMMENT_ORDER, comments_query
from webapp.sessions.models import EventSession
from webapp.text import one_line
from webapp.themes import suggest as suggester
from webapp.themes.models import (THEME_DESCRIPTION_MAX, THEME_NAME_MAX, SuggestionRun, SuggestionRunStatus,
                                  SuggestionStatus, Theme, ThemeSuggestion, theme_tag)

if TYPE_CHECKING:
    from webapp.auth.models import User

log = logging.getLogger(__name__)

TAGGING_PER_PAGE = 20
# A run still waiting or working after this long was lost (its worker was killed): a new
# request starts another instead of waiting for it for ever.
STALE_AFTER = timedelta(minutes=30)


class ThemeError(Exception):
    """A change to the coding frame that cannot be made (the message says why)."""


# ---------------------------------------------------------------------------
# The coding frame
# ---------------------------------------------------------------------------

@dataclass
class FrameRow:
    theme: Theme
    comments: int  # comments tagged with it


def themes(programme: Programme) -> list[Theme]:
    return list(db.session.scalars(sa.select(Theme).where(Theme.programme_id == programme.id)
                                   .order_by(sa.func.lower(Theme.name), Theme.id)))


def frame(programme: Programme) -> list[FrameRow]:
    """The programme's themes, by name, with how many comments carry each."""
    counts: dict[int, int] = dict(db.session.execute(
        sa.select(theme_tag.c.theme_id, sa.func.count()).join(Theme, Theme.id == theme_tag.c.theme_id)
        .where(Theme.programme_id == programme.id).group_by(theme_tag.c.theme_id)).tuples().all())
    return [FrameRow(theme, counts.get(theme.id, 0)) for theme in themes(programme)]


def _clean_name(programme_id: int, name: str, keep: Theme | None = None) -> str:
    name = one_line(name).strip()[:THEME_NAME_MAX]
    if not name:
        raise ThemeError("Enter a name for the theme")
    clash = db.session.scalar(sa.select(Theme).where(Theme.programme_id == programme_id,
                                                     sa.func.lower(Theme.name) == name.lower()))
    if clash is not None and clash is not keep:
        raise ThemeError(f"There is already a theme called “{clash.name}”: choose another name, or merge into it")
    return name


def _clean_description(description: str) -> str:
    return one_line(description or "").strip()[:THEME_DESCRIPTION_MAX]


def _new_theme(programme: Programme, name: str, description: str = "") -> Theme:
    theme = Theme(programme_id=programme.id, name=_clean_name(programme.id, name),
                  description=_clean_description(description))
    db.session.add(theme)
    db.session.flush()
    return theme


def add_theme(programme: Programme, name: str, description: str = "", *, actor: User | None = None) -> Theme:
    theme = _new_theme(programme, name, description)
    record(actor, AuditAction.THEME_ADDED, f"theme:{theme.id}", f"programme {programme.id}")
    db.session.commit()
    return theme


def update_theme(theme: Theme, name: str, description: str, *, actor: User | None = None) -> None:
    """Rename a theme or change its description; its tags stay."""
    theme.name = _clean_name(theme.programme_id, name, keep=theme)
    theme.description = _clean_description(description)
    record(actor, AuditAction.THEME_CHANGED, f"theme:{theme.id}", f"programme {theme.programme_id}")
    db.session.commit()


def _add_tags(theme_id: int, answer_ids) -> int:
    """Tag these comments with the theme (those already tagged are left as they are)."""
    answer_ids = set(answer_ids)
    if not answer_ids:
        return 0
    have = set(db.session.scalars(sa.select(theme_tag.c.answer_id).where(theme_tag.c.theme_id == theme_id)))
    new = sorted(answer_ids - have)
    if new:
        db.session.execute(sa.insert(theme_tag), [{"theme_id": theme_id, "answer_id": answer_id} for answer_id in new])
    return len(new)


def _tagged(theme_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(theme_tag.c.answer_id).where(theme_tag.c.theme_id == theme_id)))


def merge_themes(source: Theme, target: Theme, *, actor: User | None = None) -> int:
    """Fold `source` into `target`: its comments and the actions it informs move to
    `target`, then `source` goes. Returns how many comments gained `target`."""
    from webapp.actions.models import action_theme

    if source.id == target.id or source.programme_id != target.programme_id:
        raise ThemeError("Choose another theme of this programme to merge into")
    moved = _add_tags(target.id, _tagged(source.id))
    actions = set(db.session.scalars(sa.select(action_theme.c.action_id).where(action_theme.c.theme_id == source.id)))
    already = set(db.session.scalars(sa.select(action_theme.c.action_id).where(action_theme.c.theme_id == target.id)))
    if actions - already:
        db.session.execute(sa.insert(action_theme), [{"action_id": action_id, "theme_id": target.id}
                                                     for action_id in sorted(actions - already)])
    db.session.execute(sa.update(ThemeSuggestion).where(ThemeSuggestion.theme_id == source.id)
                       .values(theme_id=target.id))
    record(actor, AuditAction.THEME_MERGED, f"theme:{target.id}", f"theme {source.id} merged, {moved} comments moved")
    db.session.delete(source)
    db.session.commit()
    return moved


def remove_theme(theme: Theme, *, actor: User | None = None) -> None:
    """Delete a theme and its tags (the comments themselves stay)."""
    record(actor, AuditAction.THEME_REMOVED, f"theme:{theme.id}", f"programme {theme.programme_id}")
    db.session.delete(theme)
    db.session.commit()


# ---------------------------------------------------------------------------
# Tagging: a page of comments, each with the themes it carries
# ---------------------------------------------------------------------------

UNTAGGED = "untagged"


@dataclass
class TaggedComment:
    answer_id: int
    text: str
    question: str
    session: str
    theme_ids: set[int]


def _session_ids(programme: Programme) -> list[int]:
    return list(db.session.scalars(sa.select(EventSession.id).where(EventSession.programme_id == programme.id)))


def _programme_comments(programme: Programme, search: str = "", show: str = "", theme_id: int | None = None):
    """The programme's comments (as results.comments_query), narrowed to untagged ones or
    to one theme's."""
    query = comments_query(_session_ids(programme), search)
    if show == UNTAGGED:
        query = query.where(~sa.exists().where(theme_tag.c.answer_id == Answer.id))
    elif theme_id:
        query = query.where(sa.exists().where(theme_tag.c.answer_id == Answer.id, theme_tag.c.theme_id == theme_id))
    return query


def tagging_page(programme: Programme, *, search: str = "", show: str = "", theme_id: int | None = None,
                 page: int = 1, per_page: int = TAGGING_PER_PAGE) -> Page[TaggedComment]:
    query = _programme_comments(programme, search, show, theme_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0

    def fetch(limit: int, offset: int) -> list[TaggedComment]:
        rows = db.session.execute(query.order_by(*COMMENT_ORDER).limit(limit).offset(offset)).all()
        ids = [row[-1] for row in rows]
        tags: dict[int, set[int]] = {answer_id: set() for answer_id in ids}
        for answer_id, tag_theme_id in db.session.execute(
                sa.select(theme_tag.c.answer_id, theme_tag.c.theme_id).where(theme_tag.c.answer_id.in_(ids or [-1]))):
            tags[answer_id].add(tag_theme_id)
        return [TaggedComment(row[-1], row[0], row[2], row[3], tags[row[-1]]) for row in rows]

    return paginate(total, page, per_page, fetch, search)


def _comment_ids_of(programme: Programme, answer_ids) -> set[int]:
    """Those of `answer_ids` that are comments of this programme."""
    answer_ids = set(answer_ids)
    if not answer_ids:
        return set()
    return set(db.session.scalars(
        sa.select(Answer.id).join(Response, Response.id == Answer.response_id)
        .where(Answer.id.in_(answer_ids), Answer.text.is_not(None),
               Response.session_id.in_(_session_ids(programme) or [-1]))))


def save_tags(programme: Programme, shown: list[int], chosen: list[tuple[int, int]], *,
              actor: User | None = None) -> int:
    """Set the themes of each comment shown on a tagging page to those ticked (`chosen`:
    (answer id, theme id) pairs). Returns how many comments changed."""
    answer_ids = _comment_ids_of(programme, shown)
    if len(answer_ids) != len(set(shown)):
        raise ThemeError("Some of these comments are not this programme's: reload the page and try again")
    theme_ids = {theme.id for theme in themes(programme)}
    wanted: dict[int, set[int]] = {answer_id: set() for answer_id in answer_ids}
    for answer_id, theme_id in chosen:
        if answer_id not in wanted or theme_id not in theme_ids:
            raise ThemeError("Choose only this programme's themes for the comments on the page")
        wanted[answer_id].add(theme_id)
    current: dict[int, set[int]] = {answer_id: set() for answer_id in answer_ids}
    for answer_id, theme_id in db.session.execute(
            sa.select(theme_tag.c.answer_id, theme_tag.c.theme_id).where(theme_tag.c.answer_id.in_(answer_ids))):
        current[answer_id].add(theme_id)
    changed = 0
    for answer_id, themes_wanted in wanted.items():
        gone, new = current[answer_id] - themes_wanted, themes_wanted - current[answer_id]
        if gone:
            db.session.execute(sa.delete(theme_tag).where(theme_tag.c.answer_id == answer_id,
                                                          theme_tag.c.theme_id.in_(gone)))
        if new:
            db.session.execute(sa.insert(theme_tag), [{"answer_id": answer_id, "theme_id": theme_id}
                                                      for theme_id in sorted(new)])
        changed += bool(gone or new)
    record(actor, AuditAction.THEMES_TAGGED, f"programme:{programme.id}",
           f"{changed} of {len(answer_ids)} comments changed")
    db.session.commit()
    return changed


# ---------------------------------------------------------------------------
# Suggestions: asked for in a request, prepared on a worker, decided by a person
# ---------------------------------------------------------------------------

def theme_of(programme: Programme, theme_id: int | None) -> Theme | None:
    """One of this programme's themes, or None."""
    theme = db.session.get(Theme, theme_id) if theme_id else None
    return theme if theme is not None and theme.programme_id == programme.id else None


def latest_run(programme: Programme) -> SuggestionRun | None:
    return db.session.scalar(sa.select(SuggestionRun).where(SuggestionRun.programme_id == programme.id)
                             .order_by(SuggestionRun.id.desc()).limit(1))


def request_suggestions(programme: Programme, *, themes_wanted: int | None = None, untagged_only: bool = True,
                        actor: User | None = None) -> SuggestionRun:
    """Record a request for suggestions and hand it to a worker once this commits; a run
    already under way (and not lost) is returned instead of starting another."""
    from webapp.themes.tasks import suggest_themes_task

    latest = latest_run(programme)
    if (latest is not None and latest.status in (SuggestionRunStatus.PENDING, SuggestionRunStatus.RUNNING)
            and latest.created_at > utcnow() - STALE_AFTER):
        return latest
    if themes_wanted is not None and not suggester.MIN_THEMES <= themes_wanted <= suggester.MAX_THEMES:
        raise ThemeError(f"Ask for between {suggester.MIN_THEMES} and {suggester.MAX_THEMES} themes")
    run = SuggestionRun(programme_id=programme.id, requested_by_id=actor.id if actor else None,
                        themes_wanted=themes_wanted, untagged_only=untagged_only)
    db.session.add(run)
    db.session.flush()
    run_id = run.id
    queue.after_commit(lambda: suggest_themes_task(run_id))
    record(actor, AuditAction.THEME_SUGGESTIONS_REQUESTED, f"programme:{programme.id}", f"run {run_id}")
    db.session.commit()
    return run


def comments_for_suggestions(programme: Programme, untagged_only: bool) -> list[tuple[int, str]]:
    """(answer id, text) of the comments to read, oldest first (a stable order)."""
    query = _programme_comments(programme, show=UNTAGGED if untagged_only else "")
    return [(row[-1], row[0]) for row in db.session.execute(query.order_by(Answer.id))]


def run_suggestions(run_id: int) -> SuggestionRunStatus | None:
    """Prepare the run's suggestions (on a worker). None when another worker has it."""
    claimed = db.session.execute(
        sa.update(SuggestionRun).where(SuggestionRun.id == run_id, SuggestionRun.status == SuggestionRunStatus.PENDING)
        .values(status=SuggestionRunStatus.RUNNING).execution_options(synchronize_session=False))
    db.session.commit()
    if rows_changed(claimed) != 1:
        return None
    run = db.session.get_one(SuggestionRun, run_id)
    started = time.perf_counter()
    try:
        programme = db.session.get_one(Programme, run.programme_id)
        comments = comments_for_suggestions(programme, run.untagged_only)
        found = suggester.suggest([text for _id, text in comments], run.themes_wanted)
        for position, suggested in enumerate(found, start=1):
            run.suggestions.append(ThemeSuggestion(
                position=position, name=suggested.name[:THEME_NAME_MAX], terms=suggested.terms,
                answer_ids=[comments[index][0] for index in suggested.indexes]))
        run.comments = len(comments)
        run.status = SuggestionRunStatus.READY
    except Exception as error:
        log.exception("Theme suggestions %s failed", run_id)
        db.session.rollback()
        run = db.session.get_one(SuggestionRun, run_id)
        run.status = SuggestionRunStatus.FAILED
        run.error = f"{type(error).__name__}: {error}"[:500]
    run.seconds = round(time.perf_counter() - started, 3)
    run.finished_at = utcnow()
    db.session.commit()
    return run.status


def mark_lost_runs(now=None) -> int:
    """Runs whose worker stopped before finishing say so (the page stops waiting)."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(SuggestionRun)
        .where(SuggestionRun.status.in_([SuggestionRunStatus.PENDING, SuggestionRunStatus.RUNNING]),
               SuggestionRun.created_at < now - STALE_AFTER)
        .values(status=SuggestionRunStatus.FAILED, finished_at=now, error="Lost: the worker stopped before it finished")
        .execution_options(synchronize_session=False))
    db.session.commit()
    return rows_changed(result)


def _open(suggestion: ThemeSuggestion) -> None:
    if suggestion.status != SuggestionStatus.OPEN:
        raise ThemeError("This suggestion has already been decided")


def _suggested_comments(programme: Programme, suggestion: ThemeSuggestion) -> set[int]:
    """The suggestion's comments that are still there (a purge may have removed some)."""
    return _comment_ids_of(programme, suggestion.answer_ids or [])


def accept_suggestion(programme: Programme, suggestion: ThemeSuggestion, name: str, description: str = "", *,
                      actor: User | None = None) -> Theme:
    """A new theme named `name` (the proposed name, or the organiser's), tagged on the
    suggestion's comments."""
    _open(suggestion)
    theme = _new_theme(programme, name, description)
    tagged = _add_tags(theme.id, _suggested_comments(programme, suggestion))
    suggestion.status, suggestion.theme_id = SuggestionStatus.ACCEPTED, theme.id
    record(actor, AuditAction.THEME_SUGGESTION_ACCEPTED, f"theme:{theme.id}",
           f"suggestion {suggestion.id}, {tagged} comments tagged")
    db.session.commit()
    return theme


def merge_suggestion(programme: Programme, suggestion: ThemeSuggestion, theme: Theme | None, *,
                     actor: User | None = None) -> int:
    """Tag the suggestion's comments with an existing theme instead."""
    _open(suggestion)
    if theme is None or theme.programme_id != programme.id:
        raise ThemeError("Choose one of this programme's themes")
    tagged = _add_tags(theme.id, _suggested_comments(programme, suggestion))
    suggestion.status, suggestion.theme_id = SuggestionStatus.MERGED, theme.id
    record(actor, AuditAction.THEME_SUGGESTION_MERGED, f"theme:{theme.id}",
           f"suggestion {suggestion.id}, {tagged} comments tagged")
    db.session.commit()
    return tagged


def reject_suggestion(suggestion: ThemeSuggestion, *, actor: User | None = None) -> None:
    _open(suggestion)
    suggestion.status = SuggestionStatus.REJECTED
    record(actor, AuditAction.THEME_SUGGESTION_REJECTED, f"suggestion:{suggestion.id}",
           f"programme {suggestion.run.programme_id}")
    db.session.commit()


def sample_comments(programme: Programme, suggestion: ThemeSuggestion, count: int = 3) -> list[str]:
    """A few of the suggestion's comments, so the organiser sees what it found."""
    ids = (suggestion.answer_ids or [])[:count]
    if not ids:
        return []
    texts: dict[int, str | None] = dict(db.session.execute(
        sa.select(Answer.id, Answer.text).where(Answer.id.in_(ids))).tuples().all())
    return [text for answer_id in ids if (text := texts.get(answer_id))]
