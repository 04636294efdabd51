"""Fail any test in which UI code runs a use case or opens the database on the GUI thread.

The client promises that database and disk work runs on the window's one worker
(`referral_desk.ui.ops`): a save waiting for another writer's lock, or a 5 000-person load,
must never freeze the window. This guard makes the promise checkable: every public method of
every use-case class (`referral_desk.usecases`) and `Database.read`/`write` is wrapped; a call
made on the main thread while a frame of `referral_desk.ui` is on the stack is recorded, and
the autouse fixture in `conftest.py` fails the test that made it.

Test code itself (setting up data on the main thread) is not UI code, so it is never flagged.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import sys
import threading
from collections.abc import Callable
from typing import Any

# UI modules still allowed to call a use case on the GUI thread, each with the reason. Keep it
# short: an entry is a debt, not a design.
ALLOWED_UI_MODULES: dict[str, str] = {
    "referral_desk.ui.main": (
        "start-up before the window exists: whether a profile exists and the recovery code "
        "and notices after unlocking are read with nothing on screen to keep painting"
    ),
}

violations: list[str] = []
_installed = False


_BELOW_UI = (
    "referral_desk.usecases",
    "referral_desk.store",
    "referral_desk.sync",
    "referral_desk.reports",
    "referral_desk.documents",
    "referral_desk.domain",
)


def _ui_caller() -> str | None:
    """The UI code that made this call, unless it is allowed or the caller is not UI code.

    The caller is the first frame outside the layers below the UI (a use case calling another,
    or `Database.read`, is skipped). Test code running inside a dialog's event loop (a timer
    step while `exec()` waits) has UI frames further out, but it is not UI code: not flagged.
    """
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_BELOW_UI):
        frame = frame.f_back
    if frame is None:
        return None
    name = frame.f_globals.get("__name__", "")
    if not name.startswith("referral_desk.ui") or name in ALLOWED_UI_MODULES:
        return None
    chain: list[str] = []
    while frame is not None and len(chain) < 4:
        outer = frame.f_globals.get("__name__", "")
        if outer.startswith("referral_desk.ui"):
            chain.append(f"{outer}:{frame.f_lineno}")
        frame = frame.f_back
    return " < ".join(chain)


def _guarded(qualname: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            caller = _ui_caller()
            if caller is not None:
                violations.append(f"{qualname} called on the GUI thread from {caller}")
        return fn(*args, **kwargs)

    wrapper.__gui_thread_guarded__ = True  # type: ignore[attr-defined]
    return wrapper


def _use_case_classes() -> list[type]:
    import referral_desk.usecases as package

    classes: list[type] = []
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            if cls.__name__.endswith(("Service", "Store")) and not issubclass(cls, Exception):
                classes.append(cls)
    return classes


def install() -> None:
    """Wrap the use cases once per test session (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from referral_desk.store.database import Database

    targets: list[tuple[type, str]] = [(Database, "read"), (Database, "write")]
    for cls in _use_case_classes():
        for name, member in vars(cls).items():
            if name.startswith("_") or not inspect.isfunction(member):
                continue
            targets.append((cls, name))
    for cls, name in targets:
        member = vars(cls)[name]
        if getattr(member, "__gui_thread_guarded__", False):
            continue
        setattr(cls, name, _guarded(f"{cls.__name__}.{name}", member))


def take() -> list[str]:
    """The violations recorded since the last call (and forget them)."""
    found = list(dict.fromkeys(violations))
    violations.clear()
    return found
