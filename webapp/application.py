"""The Flask class of the app: two of Flask's parts, made cheaper where they cost us.
(Its Jinja environment also renders GOV.UK's macros faster: see webapp/templating.py.)

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
first time a URL is built with it (or by warm_up, before gunicorn forks). This overrides werkzeug's private
Rule._compile_builder (checked against Werkzeug 3.1.9);
tests/test_factory.py fails loudly if it changes.
"""
from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, KeysView, MutableMapping
from typing import Any

from flask import Flask
from flask.sansio.app import App as SansioApp
from flask.templating import Environment as FlaskEnvironment
from werkzeug.routing import Rule as WerkzeugRule

from webapp import templating

CHECKED_WERKZEUG_VERSIONS = ("3.1.9",)


class TemplateGlobals(ChainMap):
    def keys(self) -> KeysView[Any]:
        merged: dict[Any, None] = {}
        for mapping in reversed(self.maps):
            merged.update(dict.fromkeys(mapping))
        return merged.keys()


class Environment(FlaskEnvironment):
    """Flask's, with faster equivalents of what GOV.UK's macros use most (webapp/templating.py)."""

    def __init__(self, app: SansioApp, **options: Any) -> None:
        super().__init__(app, **options)
        self.filters["indent"] = templating.indent
        self.globals["govuk_attributes"] = templating.govuk_attributes

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in templating.DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals({} if d is None else d, self.globals)


class LazyBuilder:
    """One of a rule's two URL builders, compiled by werkzeug the first time it builds."""

    def __init__(self, rule: WerkzeugRule, append_unknown: bool):
        self.rule, self.append_unknown = rule, append_unknown
        self.compiled: Callable[..., tuple[str, str]] | None = None

    def compile(self) -> Callable[..., tuple[str, str]]:
        if self.compiled is None:
            self.compiled = WerkzeugRule._compile_builder(self.rule, self.append_unknown).__get__(self.rule, None)
        return self.compiled

    def __get__(self, rule: WerkzeugRule, owner: type | None = None) -> LazyBuilder:
        return self  # werkzeug binds what _compile_builder returns to the rule: this is bound already

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[str, str]:
        return (self.compiled or self.compile())(*args, **kwargs)


class Rule(WerkzeugRule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        builder = LazyBuilder(self, append_unknown)
        self.lazy_builders = {**getattr(self, "lazy_builders", {}), append_unknown: builder}
        return builder

    def compile_builders(self) -> None:
        """Compile both builders now: warm_up does, so that gunicorn's forked workers
        share them instead of each compiling the rules it meets."""
        for builder in getattr(self, "lazy_builders", {}).values():
            builder.compile()


class App(Flask):
    jinja_environment = Environment
    url_rule_class = Rule
