"""Rendering GOV.UK Frontend's macros faster: three of Jinja's parts, each replaced by
one that gives exactly the same result (tests/test_templating.py renders pages both ways).

A form page is built from govuk-frontend-jinja's macros, and three things they do often
cost most of its rendering (the new-session form took 19 ms of CPU, the hostile-input
tests spent two thirds of their time there):

- `govukAttributes`, a Jinja macro called for every input, label and hint, loops over a
  dict in template code: about 140 calls a page. Here it is the Python function below
  (the package's template is replaced by one that exports it under the same name).
- the `indent` filter, which the macros apply to every nested component's HTML: on
  Markup, Jinja splits, escapes and joins line by line through MarkupSafe. Indenting
  adds only spaces, so here it runs on the plain string and the result is marked safe.
- `params.id` on a dict: Jinja tries the attribute first, and the AttributeError it
  catches costs more than the lookup itself (4,700 lookups a page). Here a dict's key is
  read first when `dict` has no attribute of that name, which is what Jinja returns.

Checked against govuk-frontend-jinja 4.1.0 and Jinja2 3.1.6.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Undefined
from jinja2.filters import do_indent
from markupsafe import Markup, escape

# A dict attribute of one of these names is what Jinja finds before a key of that name.
DICT_ATTRIBUTES = frozenset(dir(dict))

# The package's macro module, replaced by one exporting the Python version under its name.
OVERRIDDEN_TEMPLATES = {
    "govuk_frontend_jinja/macros/attributes.html": "{% set govukAttributes = govuk_attributes %}",
}


def indent(text: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> Any:
    """Jinja's `indent` filter; on Markup, run on the plain string (spaces need no escaping)."""
    if not isinstance(text, Markup):
        return do_indent(text, width, first, blank)
    return Markup(do_indent(str(text), width, first, blank))  # Jinja takes a str width as Markup too


_MISSING = Undefined()  # what the macro reads for a key that is not there
# The whitespace the macro's template writes before its attributes, byte for byte: on
# entering a mapping, per attribute (after a `val` unwrapped, a pair, a bare name, at the
# end of each), and on leaving. Browsers ignore it inside a tag; pages stay identical.
_OPEN, _UNWRAPPED, _PAIR, _BARE, _NEXT, _CLOSE = ("\n    ", "\n        \n      ", "\n        \n      ",
                                                   "\n        ", "\n    ", "\n  ")


def govuk_attributes(attributes: Any) -> Markup:
    """govuk-frontend-jinja's `govukAttributes` macro (macros/attributes.html) in Python:
    a string is HTML already; a mapping becomes ` name="value"` pairs, where a value may be
    `{'value': ..., 'optional': True}` (left out when empty; a bare ` name` when True) or
    `{'val': ...}` (what the macro unwraps for values marked `safe`)."""
    if isinstance(attributes, str):
        return Markup(attributes)
    if not isinstance(attributes, Mapping):
        return Markup("")
    spacing, html = [_OPEN], []
    for name, value in attributes.items():
        if isinstance(value, Mapping) and not isinstance(value.get("val", _MISSING), Undefined):
            value = value["val"]
            spacing.append(_UNWRAPPED)
        if isinstance(value, Mapping):
            optional, option_value = value.get("optional", _MISSING), value.get("value", _MISSING)
        else:
            optional = False
            option_value = str(value).lower() if isinstance(value, bool) else value
        if optional is True and option_value is True:
            spacing.append(_BARE)
            html.append(f" {escape(name)}")
        elif optional is not True or not (isinstance(option_value, Undefined) or option_value is None
                                          or option_value is False):
            spacing.append(_PAIR)
            html.append(f' {escape(name)}="{escape(option_value)}"')
        spacing.append(_NEXT)
    spacing.append(_CLOSE)
    return Markup("".join(spacing + html))
