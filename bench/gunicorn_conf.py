"""What gunicorn.conf.py makes of an environment: the benches print the settings they ran with."""
from __future__ import annotations

import os
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def read_gunicorn_conf(env: dict) -> dict:
    """gunicorn.conf.py's settings with `env` on top of this process's environment."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        settings = runpy.run_path(str(CONF))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {name: settings[name] for name in ("workers", "worker_class", "threads", "preload_app", "max_requests")}


def describe(settings: dict) -> str:
    return (f"{settings['workers']} workers, {settings['worker_class']} x {settings['threads']} threads, "
            f"preload {settings['preload_app']}, max_requests {settings['max_requests']}")
