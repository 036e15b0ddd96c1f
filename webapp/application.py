"""The Flask class of the app: two of Flask's parts, made cheaper where they cost us.

## Template globals whose keys() is a real dict view

Every `{% from "..." import macro %}` runs Jinja's Template._get_default_module, which
subtracts the imported template's globals from the caller's: `set - globals.keys()`.
Jinja keeps a template's globals as a ChainMap (its own, then the environment's, so a
global added later is still seen), and a ChainMap's keys() is a Python-level KeysView:
one subtraction tested each of our 26 globals through ChainMap.__contains__ in Python.
A page built from GOV.UK macros imports about 45 macro modules, and that subtraction was
the largest single cost of rendering the booking form (about 3 ms of its 7). Here keys()
merges the maps into a dict on each call (in C), so the subtraction is a C set operation
and later globals are still seen.

## URL builders compiled when first used
werkzeug compiles two Python functions per URL rule (the URL builders) when a rule is
added, generating and compiling code for each: 90% of create_app's 110 ms for our 124
rules. A process that serves requests builds the app once, but the test suite builds
one per test (1,300 apps: about two minutes of CPU). Here each builder is compiled the
first time a URL is built with it. This overrides werkzeug's private
Rule._compile_builder (checked against Werkzeug 3.1.9);
tests/test_factory.py fails loudly if it changes.
"""
from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, KeysView, MutableMapping
from typing import Any

from flask import Flask
from flask.templating import Environment as FlaskEnvironment
from werkzeug.routing import Rule as WerkzeugRule

CHECKED_WERKZEUG_VERSIONS = ("3.1.9",)


class TemplateGlobals(ChainMap):
    def keys(self) -> KeysView[Any]:
        merged: dict[Any, None] = {}
        for mapping in reversed(self.maps):
            merged.update(dict.fromkeys(mapping))
        return merged.keys()


class Environment(FlaskEnvironment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals({} if d is None else d, self.globals)


class Rule(WerkzeugRule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = WerkzeugRule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(*args, **kwargs)

        return build


class App(Flask):
    jinja_environment = Environment
    url_rule_class = Rule
