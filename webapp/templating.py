"""The Jinja environment, with template globals whose keys() is a real dict view.

Every `{% from "..." import macro %}` runs Jinja's Template._get_default_module, which
subtracts the imported template's globals from the caller's: `set - globals.keys()`.
Jinja keeps a template's globals as a ChainMap (its own, then the environment's, so a
global added later is still seen), and a ChainMap's keys() is a Python-level KeysView:
one subtraction tested each of our 26 globals through ChainMap.__contains__ in Python.
A page built from GOV.UK macros imports about 45 macro modules, and that subtraction was
the largest single cost of rendering the booking form (about 3 ms of its 7). Here keys()
merges the maps into a dict on each call (in C), so the subtraction is a C set operation
and later globals are still seen.
"""
from __future__ import annotations

from collections import ChainMap
from collections.abc import KeysView, MutableMapping
from typing import Any

from flask import Flask
from flask.templating import Environment as FlaskEnvironment


class TemplateGlobals(ChainMap):
    def keys(self) -> KeysView[Any]:
        merged: dict[Any, None] = {}
        for mapping in reversed(self.maps):
            merged.update(dict.fromkeys(mapping))
        return merged.keys()


class Environment(FlaskEnvironment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals({} if d is None else d, self.globals)


class App(Flask):
    jinja_environment = Environment
