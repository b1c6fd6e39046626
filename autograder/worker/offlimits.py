"""Library functions a check forbids, observed while student code runs (in the worker).

Where a docstring says "write this yourself" (transformers' quantizer, say), a call of the
library's own implementation during the student's call fails the check. The calls are seen by the
interpreter's profile hook (``sys.setprofile``, and ``threading.setprofile`` for threads started
meanwhile), which sees every Python function that starts, whatever reached it: the method on the
instance, through ``type(obj)``, a copy of the function, the module re-imported with
``importlib.reload``. A function is named ``"package.module:Class.method"`` and recognised by its
code's file name (``module.py``: a function of a package's ``__init__`` is not named this way) and
qualified name, so a fresh copy of the module counts too.

Student code runs in this process and could switch the hook off; a call that switches it (the
hook sees ``sys.setprofile`` called, or finds it off at the end) is reported as such (what it did
meanwhile cannot be known), and so is a Python thread the hook does not reach (started before the
call, at import say, or with ``_thread`` during it, even one that has ended), which could run the
library's code unseen. A copy of a library function under another name (its code object renamed,
or its source pasted) is recognised by its bytecode and names. What this cannot stop is code that
replaces this watch itself: the grader's source scan (engine/tamper.py) flags that for review.
"""
from __future__ import annotations

import _thread
import os
import sys
import threading

SWITCHED_OFF = "the grader's observation of library calls (sys.setprofile)"
UNWATCHED_THREAD = "a Python thread the grader's observation does not reach (started before the call, or with _thread)"


def _code_of(name: str):
    """The code object of ``"package.module:Class.method"`` if its module is loaded (None otherwise)."""
    module, _, qualname = name.partition(":")
    value = sys.modules.get(module)
    for part in qualname.split("."):
        value = getattr(value, part, None)
    return getattr(value, "__code__", None)


# Built-ins whose call during a watched call steps out of the observation: the hook switched, a
# thread the hook does not follow (``threading`` starts its threads through them, and profiles them).
_SWITCHES = {id(sys.setprofile)}
_RAW_THREADS = {id(getattr(_thread, name)) for name in ("start_new_thread", "start_joinable_thread", "start_new")
                if hasattr(_thread, name)}


class Watch:
    """``with Watch(names): ...`` records in ``called`` the forbidden functions that ran inside."""

    def __init__(self, names):
        self.targets = {}   # qualified name -> (file name, full name)
        self.copies = {}    # (bytecode, names) of each target loaded -> full name: a renamed copy too
        for name in names:
            module, _, qualname = str(name).partition(":")
            self.targets[qualname] = (module.rpartition(".")[2] + ".py", str(name))
            code = _code_of(str(name))
            if code is not None:
                self.copies[code.co_code, code.co_names] = str(name)
        self.called: list[str] = []
        self.watched_threads: set[int] = set()   # threads the hook ran in
        self.closing = False

    def _hook(self, frame, event, arg):
        if event == "call":
            self.watched_threads.add(threading.get_ident())
            code = frame.f_code
            target = self.targets.get(code.co_qualname)
            if target and os.path.basename(code.co_filename) == target[0]:
                self._note(target[1])
            elif code.co_name.startswith("setprofile") and os.path.basename(code.co_filename) == "threading.py" \
                    and not self.closing:   # threading.setprofile(...): the hook of new threads switched
                self._note(SWITCHED_OFF)
            elif self.copies and (code.co_code, code.co_names) in self.copies:
                self._note(self.copies[code.co_code, code.co_names])
        elif event == "c_call" and not self.closing:
            if id(arg) in _SWITCHES:
                self._note(SWITCHED_OFF)
            elif id(arg) in _RAW_THREADS and os.path.basename(frame.f_code.co_filename) != "threading.py":
                self._note(UNWATCHED_THREAD)
        return None

    def _note(self, what: str) -> None:
        if what not in self.called:
            self.called.append(what)

    def _others(self) -> set[int]:
        return set(sys._current_frames()) - {threading.get_ident()}

    def __enter__(self) -> "Watch":
        if self.targets:
            if self._others():
                self._note(UNWATCHED_THREAD)
            self.watched_threads.add(threading.get_ident())
            threading.setprofile(self._hook)
            sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        if not self.targets:
            return
        still_on = sys.getprofile() == self._hook
        self.closing = True
        sys.setprofile(None)
        threading.setprofile(None)
        if not still_on:
            self._note(SWITCHED_OFF)
        if self._others() - self.watched_threads:
            self._note(UNWATCHED_THREAD)
