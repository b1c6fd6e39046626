"""Library functions a check forbids, observed while student code runs (in the worker).

Where a docstring says "write this yourself" (transformers' quantizer, say), a call of the
library's own implementation during the student's call fails the check. The calls are seen by the
interpreter's profile hook (``sys.setprofile``, and ``threading.setprofile`` for threads started
meanwhile), which sees every Python function that starts, whatever reached it: the method on the
instance, through ``type(obj)``, a copy of the function, the module re-imported with
``importlib.reload``. A function is named ``"package.module:Class.method"`` and recognised by its
code's file name (``module.py``: a function of a package's ``__init__`` is not named this way) and
qualified name, so a fresh copy of the module counts too.

Student code runs in this process and could switch the hook off; a call that leaves it switched
off is reported as such (what it did meanwhile cannot be known), and so is a Python thread the
hook does not reach (started before the call, at import say, or with ``_thread`` during it),
which could run the library's code unseen. Copying the library's source under another name is
not seen: that is for a human reader of the code.
"""
from __future__ import annotations

import os
import sys
import threading

SWITCHED_OFF = "the grader's observation of library calls (sys.setprofile)"
UNWATCHED_THREAD = "a Python thread the grader's observation does not reach (started before the call, or with _thread)"


class Watch:
    """``with Watch(names): ...`` records in ``called`` the forbidden functions that ran inside."""

    def __init__(self, names):
        self.targets = {}   # qualified name -> (file name, full name)
        for name in names:
            module, _, qualname = str(name).partition(":")
            self.targets[qualname] = (module.rpartition(".")[2] + ".py", str(name))
        self.called: list[str] = []
        self.watched_threads: set[int] = set()   # threads the hook ran in

    def _hook(self, frame, event, arg):
        if event == "call":
            self.watched_threads.add(threading.get_ident())
            code = frame.f_code
            target = self.targets.get(code.co_qualname)
            if target and os.path.basename(code.co_filename) == target[0] and target[1] not in self.called:
                self.called.append(target[1])
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
        sys.setprofile(None)
        threading.setprofile(None)
        if not still_on:
            self._note(SWITCHED_OFF)
        if self._others() - self.watched_threads:
            self._note(UNWATCHED_THREAD)
