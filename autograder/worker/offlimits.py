"""Library functions a check forbids, observed while student code runs (in the worker).

Where a docstring says "write this yourself" (transformers' quantizer, say), a call of the
library's own implementation during the student's call fails the check. The calls are seen by the
interpreter's profile hook (``sys.setprofile``, and ``threading.setprofile`` for threads started
meanwhile), which sees every Python function that starts, whatever reached it: the method on the
instance, through ``type(obj)``, a copy of the function, the module re-imported with
``importlib.reload``. A function is named ``"package.module:Class.method"`` and recognised by its
code's file name (``module.py``) and qualified name, so a fresh copy of the module counts too.

Student code runs in this process and could switch the hook off; a call that leaves it switched
off is reported as such (what it did meanwhile cannot be known). Copying the library's source
under another name is not seen: that is for a human reader of the code.
"""
from __future__ import annotations

import os
import sys
import threading

SWITCHED_OFF = "the grader's observation of library calls (sys.setprofile)"


class Watch:
    """``with Watch(names): ...`` records in ``called`` the forbidden functions that ran inside."""

    def __init__(self, names):
        self.targets = {}   # qualified name -> (file name, full name)
        for name in names:
            module, _, qualname = str(name).partition(":")
            self.targets[qualname] = (module.rpartition(".")[2] + ".py", str(name))
        self.called: list[str] = []

    def _hook(self, frame, event, arg):
        if event == "call":
            code = frame.f_code
            target = self.targets.get(code.co_qualname)
            if target and os.path.basename(code.co_filename) == target[0] and target[1] not in self.called:
                self.called.append(target[1])
        return None

    def __enter__(self) -> "Watch":
        if self.targets:
            threading.setprofile(self._hook)
            sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        if not self.targets:
            return
        still_on = sys.getprofile() == self._hook
        sys.setprofile(None)
        threading.setprofile(None)
        if not still_on and SWITCHED_OFF not in self.called:
            self.called.append(SWITCHED_OFF)
