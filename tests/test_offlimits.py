"""Library functions a check forbids (``StudentCode.call(..., off_limits=...)``, worker/offlimits.py):
a call of one during the student's call fails it with a message naming the call, however the
student reached it; a call that steps out of the observation fails too; other calls are untouched.
Through the real sandbox, with the standard library's ``json.encoder`` standing in for transformers."""
from __future__ import annotations

import textwrap

import pytest

from autograder.engine.client import StudentCode, StudentCodeError
from autograder.engine.sandbox import Limits, Sandbox
from autograder.worker.offlimits import SWITCHED_OFF, UNWATCHED_THREAD

MODULE = "midi_tokens"
ENCODE = "json.encoder:JSONEncoder.encode"
SOURCE = textwrap.dedent('''
    import _thread, importlib, json, json.encoder, queue, sys, threading, time, types

    def honest(x):
        return sorted(x)

    def direct(x):
        return json.encoder.JSONEncoder().encode(x)

    def through_the_class(x):
        encoder = json.encoder.JSONEncoder()
        return type(encoder).encode(encoder, x)

    def reloaded(x):
        fresh = importlib.reload(json.encoder)
        return fresh.JSONEncoder.encode(fresh.JSONEncoder(), x)

    def in_a_thread(x):
        out = []
        worker = threading.Thread(target=lambda: out.append(json.encoder.JSONEncoder().encode(x)))
        worker.start()
        worker.join()
        return out[0]

    def in_a_raw_thread(x):
        out = []
        _thread.start_new_thread(lambda: (out.append(json.encoder.JSONEncoder().encode(x)), time.sleep(1)), ())
        while not out:
            time.sleep(0.01)
        return out[0]

    _requests, _answers = queue.Queue(), queue.Queue()

    def _serve():
        while True:
            _answers.put(json.encoder.JSONEncoder().encode(_requests.get()))

    def from_a_thread_started_at_import(x):
        if not getattr(sys.modules[__name__], "_started", False):
            threading.Thread(target=_serve, daemon=True).start()
            globals()["_started"] = True
            time.sleep(0.2)
        return "started"

    def served(x):
        _requests.put(x)
        return _answers.get()

    def switched_off(x):
        sys.setprofile(None)
        return json.encoder.JSONEncoder().encode(x)

    def switched_off_and_on(x):
        hook = sys.getprofile()
        sys.setprofile(None)
        try:
            return json.encoder.JSONEncoder().encode(x)
        finally:
            sys.setprofile(hook)

    def in_a_raw_thread_that_ends(x):
        out = []
        _thread.start_new_thread(lambda: out.append(json.encoder.JSONEncoder().encode(x)), ())
        while not out:
            time.sleep(0.01)
        time.sleep(0.2)   # ended before the call returns
        return out[0]

    def _renamed(function):
        code = function.__code__.replace(co_name="mine", co_qualname="mine", co_filename="mine.py")
        return types.FunctionType(code, function.__globals__, "mine", function.__defaults__, function.__closure__)

    def renamed(x):
        return _renamed(json.encoder.JSONEncoder.encode)(json.encoder.JSONEncoder(), x)
''')


@pytest.fixture(scope="module")
def code():
    with Sandbox([MODULE]) as box:
        student = StudentCode(box, {f"{MODULE}.py": SOURCE.encode()}, Limits(memory_bytes=2 << 30))
        yield student
        student.close()


def _refused(code: StudentCode, function: str) -> str:
    with pytest.raises(StudentCodeError) as info:
        code.call(MODULE, function, [2, 1], off_limits=(ENCODE,))
    assert info.value.kind == "off_limits"
    assert info.value.message.startswith(f"{function}() called ")
    assert "write this yourself" in info.value.message
    return info.value.message


def test_other_calls_are_untouched(code):
    assert code.call(MODULE, "honest", [2, 1], off_limits=(ENCODE,)) == [1, 2]
    assert code.call(MODULE, "direct", [2, 1]) == "[2, 1]"   # not forbidden in this call


@pytest.mark.parametrize("function", ["direct", "through_the_class", "reloaded", "in_a_thread", "renamed"])
def test_a_forbidden_call_is_named_however_it_is_reached(code, function):
    assert "JSONEncoder.encode (from json.encoder)" in _refused(code, function)


def test_threads_out_of_the_observation_fail_the_call(code):
    assert UNWATCHED_THREAD in _refused(code, "in_a_raw_thread")
    code.close()   # a fresh worker: a thread started by an earlier call is out of reach as well
    assert code.call(MODULE, "from_a_thread_started_at_import", 0) == "started"
    assert UNWATCHED_THREAD in _refused(code, "served")
    code.close()


def test_switching_the_observation_off_fails_the_call(code):
    assert SWITCHED_OFF in _refused(code, "switched_off")
    code.close()
    assert SWITCHED_OFF in _refused(code, "switched_off_and_on")   # seen as it is switched
    code.close()


def test_a_raw_thread_that_ended_fails_the_call(code):
    assert UNWATCHED_THREAD in _refused(code, "in_a_raw_thread_that_ends")   # seen as it starts
    code.close()


# ------------------------------------------------------------------ tamper evidence (engine/tamper.py)
# Everything above can be undone from inside the worker's process. What cannot be undone is the
# source: the ways of undoing it are listed for the instructor's review, ordinary code is not.

from autograder.engine import handsons, tamper  # noqa: E402

UNDOING = {
    "the hook switched off and on": "import sys\nhook = sys.getprofile()\nsys.setprofile(None)\nsys.setprofile(hook)\n",
    "the hook reached through os": "import os\nos.sys.setprofile(None)\n",
    "the worker's watch replaced": "import sys\nsys.modules['autograder.worker.offlimits'].Watch._hook = None\n",
    "a raw thread": "import _thread\n_thread.start_new_thread(print, ())\n",
    "renamed code objects": "def f(): pass\ng = f.__code__.replace(co_qualname='mine')\n",
    "a computed name": "import os\nf = getattr(os, 'sy' + 's')\n",
    "getattr handed around": "import os, functools\nf = functools.reduce(getattr, ['sys', 'x'], os)\n",
    "the garbage collector": "import gc\ngc.get_referrers(len)\n",
    "memory": "import ctypes\n",
    "frames": "def f():\n    try:\n        1 / 0\n    except Exception as e:\n        return e.__traceback__.tb_frame.f_back\n",
    "code from a string": "exec('x = 1')\n",
    "a profiler": "import cProfile\n",
    "the generator's hooks cleared": "def vocode(generator, mel):\n    generator._forward_pre_hooks.clear()\n",
    "a library function traced": "import torch\nf = torch.jit.trace(print, ())\n",
}


@pytest.mark.parametrize("way", sorted(UNDOING))
def test_each_way_of_undoing_the_observation_is_flagged(way):
    flags = tamper.review_flags({"encodec_rvq.py": UNDOING[way].encode()})
    assert len(flags) == 1 and flags[0]["module"] == "encodec_rvq", flags
    assert "reaches into the grader's observation" in flags[0]["message"]


@pytest.mark.parametrize("cheat, found", [("undo_the_observation", (".setprofile", "imports _thread", ".__code__")),
                                          ("replace_the_watch", ("uses sys",)),
                                          ("traced_library_quantize", (".jit",))])
def test_the_cheats_undoing_the_observation_are_flagged(cheat, found):
    source = (handsons.REPO_ROOT / "tests" / "cheats" / "encodec_rvq" / f"{cheat}.py").read_bytes()
    (findings,) = tamper.scan({"encodec_rvq.py": source}).values()
    text = "\n".join(findings)
    for what in found:
        assert what in text, text


def test_ordinary_code_is_not_flagged():
    """The references, the stubs, every alternative and every mistake of the catalogue: nothing."""
    root = handsons.REPO_ROOT
    files = [*(root / "solutions").glob("*.py"), *(root / "assignments").glob("*.py"),
             *(root / "tests" / "alternatives").rglob("*.py"), *(root / "tests" / "mistakes").rglob("*.py")]
    assert len(files) > 40
    flagged = {str(path): found for path in files for found in tamper.scan({path.name: path.read_bytes()}).values()}
    assert not flagged, flagged
    ordinary = b"import sys\nimport torch\nprint(sys.version, file=sys.stderr)\ngetattr(torch, 'float32')\n" \
               b"model = torch.nn.Linear(2, 2).eval()\nhandler = getattr(model, 'on_' + 'x', None)\n"
    assert tamper.scan({"mel_spectrogram.py": ordinary}) == {}
