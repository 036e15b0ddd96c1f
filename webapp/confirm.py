"""The confirm-then-act page that deletes and cancellations share: nothing irreversible
in one click. GET shows what will happen and one button (a ConfirmForm); a valid POST
runs the operation, says what it did and moves on."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, redirect, render_template
from flask.typing import ResponseReturnValue

from webapp.forms import ConfirmForm

T = TypeVar("T")


def confirm_then_act(template: str, act: Callable[[], T], done: str | Callable[[T], str | None], next_url: str,
                     **context) -> ResponseReturnValue:
    """`done` is the message, or makes it from what `act` returned (None: nothing to say)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        result = act()
        message = done(result) if callable(done) else done
        if message:
            flash(message, "success")
        return redirect(next_url)
    return render_template(template, form=form, **context)
