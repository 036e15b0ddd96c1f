"""Sessions happen in Europe/London; the database keeps UTC. Convert only at the edges."""
from datetime import UTC, date, datetime, time
from typing import overload
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


@overload
def to_local(moment: datetime) -> datetime: ...
@overload
def to_local(moment: None) -> None: ...
def to_local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(LONDON) if moment else None


def london_to_utc(day: date, clock: time) -> datetime:
    """A London wall-clock time on a given day, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=LONDON).astimezone(UTC)


def format_date(moment: datetime | date | None) -> str:
    """"Monday 14 December 2026": a moment's date in London, or a calendar day as it is."""
    local = to_local(moment) if isinstance(moment, datetime) else moment
    return f"{local:%A} {local.day} {local:%B %Y}" if local else ""


def format_time(moment: datetime | None) -> str:
    local = to_local(moment)
    if not local:
        return ""
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def format_clock(moment: datetime | None) -> str:
    """A 24-hour time such as 09:32: the door list, where minutes matter and the list is scanned."""
    local = to_local(moment)
    return f"{local:%H:%M}" if local else ""


def format_datetime(moment: datetime | None) -> str:
    return f"{format_date(moment)}, {format_time(moment)}" if moment else ""


@overload
def local_naive(moment: datetime) -> datetime: ...
@overload
def local_naive(moment: None) -> None: ...
def local_naive(moment: datetime | None) -> datetime | None:
    """London wall-clock time without a zone: what Excel and CSV readers expect."""
    return moment.astimezone(LONDON).replace(tzinfo=None) if moment else None
