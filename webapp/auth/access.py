"""Who may open which organiser page.

Every view under /organiser/ is wrapped by `roles_required`; the decorator records the
roles it admits on the view function so that the role-matrix test can check that no
organiser route was added without a rule.
"""
from __future__ import annotations

from functools import wraps
from collections.abc import Callable

from flask import abort
from flask_login import current_user

from webapp.auth.models import Role
from webapp.extensions import login_manager


def roles_required(*roles: Role) -> Callable:
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapped

    return decorator


# Admins and organisers: change things, see personal data.
managers_only = roles_required(Role.ADMIN, Role.ORGANISER)
# Everyone signed in, viewers included: results and the feedback workbook.
readers = roles_required(Role.ADMIN, Role.ORGANISER, Role.VIEWER)
admins_only = roles_required(Role.ADMIN)
