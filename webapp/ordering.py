"""Moving a finding or a question one place up or down in its list."""
from __future__ import annotations


def move_one_place(items: list, item, direction: str) -> None:
    """Swap `item` with its neighbour ("up" or "down"; nothing at either end) and number
    every item's `position` 1..n, so gaps and ties left by deletions disappear too."""
    index = items.index(item)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for position, each in enumerate(items, start=1):
        each.position = position
