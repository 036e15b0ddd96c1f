"""Enums that carry the words people read, so a status and its label live in one place."""
from __future__ import annotations

import enum


class LabelledEnum(enum.StrEnum):
    """A string enum whose members are written `NAME = "value", "Label people read"`."""

    label: str

    # `label` has a default only so that type checkers accept a lookup by value,
    # Status("done"); every member is declared with its label.
    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member
