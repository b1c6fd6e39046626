"""Tamper evidence: constructs in a submission's source that reach into the grader's observation.

The worker observes a call from inside the submission's process (worker/offlimits.py's profile
hook, serve.py's argument fingerprints), so code in that process can undo what it observes: switch
the hook off and on, replace the worker's functions, run the library from a thread it cannot see,
rename code objects. None of that can be prevented from inside; all of it needs source that
introspects the interpreter, which a task about tensors and MIDI never does. This scan reads the
submitted files (in the grader, never running them) and lists such constructs, with their lines,
as a review flag for the instructor (results' ``extra_data.review``: grades.csv, the gradebook, the
class report), not as a score: a human decides. It is a static scan: source it does not see (a file
written and imported at run time, a library that does the introspection for the student) is not
covered, but hiding names (computed attribute names, ``exec``, encoded source) is itself listed.
"""
from __future__ import annotations

import ast
import re

from .display import visible
from .results import clean_text

# Attributes (or names, or names imported): the interpreter's hooks, frames, code objects.
ATTRIBUTES = {
    "setprofile": "switches the profile hook", "settrace": "switches the trace hook",
    "getprofile": "reads the profile hook", "gettrace": "reads the trace hook",
    "setprofile_all_threads": "switches the profile hook", "settrace_all_threads": "switches the trace hook",
    "_current_frames": "walks other threads' frames", "_getframe": "walks the call stack",
    "currentframe": "walks the call stack", "f_back": "walks the call stack", "f_locals": "reads a caller's variables",
    "f_globals": "reads a caller's globals", "f_builtins": "reads a frame's builtins", "f_trace": "a frame's trace hook",
    "tb_frame": "walks the call stack", "gi_frame": "walks a generator's frame", "cr_frame": "walks a coroutine's frame",
    "__traceback__": "walks the call stack", "__code__": "reads or rewrites code objects",
    "CodeType": "builds code objects", "FunctionType": "builds functions from code objects",
    "__globals__": "reaches a function's module", "__builtins__": "reaches the builtins",
    "__subclasses__": "walks the class tree", "__getattribute__": "reads attributes by computed name",
    "__dict__": "reads attributes through __dict__", "get_referrers": "walks the garbage collector",
    "get_referents": "walks the garbage collector", "get_objects": "walks the garbage collector",
    "attrgetter": "reads attributes by computed name", "methodcaller": "calls methods by computed name",
    "start_new_thread": "starts threads out of the grader's sight", "profiler": "owns the profile hook",
    "sys": "reaches the interpreter through another module (os.sys)",
    "_forward_hooks": "reaches a model's hooks (the grader's checks of the generator)",
    "_forward_pre_hooks": "reaches a model's hooks (the grader's checks of the generator)",
    "_backward_hooks": "reaches a model's hooks", "_global_forward_hooks": "reaches every model's hooks",
    "_global_forward_pre_hooks": "reaches every model's hooks",
    "jit": "compiles code to run out of the watch's sight (torch.jit: a traced library function)",
}
# Built-in functions, as names only (``model.eval()`` and ``torch.compile`` are ordinary).
BUILTINS = {
    "__import__": "imports by computed name", "exec": "runs code from a string", "eval": "runs code from a string",
    "compile": "compiles code from a string", "vars": "reads attributes by computed name",
    "globals": "reads module globals by name", "setattr": "sets attributes by name",
    "delattr": "deletes attributes by name", "__builtins__": "reaches the builtins",
}
NAMES = {**ATTRIBUTES, **BUILTINS}
# Modules whose import alone is evidence: threads out of sight, memory access, the garbage
# collector, introspection, profilers (they own the profile hook), code from data, the grader's own.
MODULES = {
    "_thread": "starts threads out of the grader's sight", "ctypes": "writes the interpreter's memory",
    "gc": "walks the garbage collector", "inspect": "walks frames and code", "importlib": "imports by computed name",
    "builtins": "reaches the builtins", "marshal": "loads code objects", "pickle": "runs code from data",
    "dill": "runs code from data", "cloudpickle": "runs code from data", "copyreg": "runs code from data",
    "types": "builds code objects and functions", "cProfile": "owns the profile hook", "profile": "owns the profile hook",
    "_lsprof": "owns the profile hook", "trace": "owns the trace hook", "pdb": "owns the trace hook",
    "bdb": "owns the trace hook", "sys": "reaches the interpreter", "threading": "starts threads",
    "base64": "decodes hidden text", "codecs": "decodes hidden text", "zlib": "decodes hidden text",
    "lzma": "decodes hidden text", "bz2": "decodes hidden text", "binascii": "decodes hidden text",
    "runpy": "runs code by name", "zipimport": "imports from data", "autograder": "reaches the grader's worker",
    "faulthandler": "hooks the interpreter", "signal": "hooks signals",
}
# Text naming the hooks or the worker (a name built at run time from it, say).
TEXT_HINTS = re.compile(r"setprofile|settrace|(?<!\w)_thread\b|autograder\.worker|offlimits|__code__|(?<!\w)co_\w")
MAX_FINDINGS = 8


def _computed(node: ast.AST) -> bool:
    """A name given as anything but a plain string, or a string that names something listed
    (``getattr(sys, "set" + "profile")``, ``getattr(x, name)``); a constant prefix like
    ``"on_" + kind`` that starts no listed name is an ordinary dispatch."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and _listed(node.value)
    prefix = node
    while isinstance(prefix, ast.BinOp) and isinstance(prefix.op, ast.Add):
        prefix = prefix.left
    if isinstance(prefix, ast.JoinedStr) and prefix.values:
        prefix = prefix.values[0]
    if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str) and prefix.value:
        text = prefix.value
        return text.startswith("_") or any(name.startswith(text) for name in NAMES) or \
            any(name.startswith(text) for name in MODULES)
    return True


def _listed(text: str) -> bool:
    return text in NAMES or text.split(".")[0] in MODULES or TEXT_HINTS.search(text) is not None


# What ordinary code does with sys (print to stderr, read limits): not evidence.
ORDINARY_SYS = {"stdout", "stderr", "float_info", "maxsize", "version", "version_info", "exit", "argv"}


def _sys_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """Uses of an imported ``sys`` beyond the ordinary ones (``sys.stderr``...)."""
    aliases = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names if alias.name == "sys"}
    ordinary = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name) and node.attr in ORDINARY_SYS}
    return [(node.lineno, f"uses sys ({MODULES['sys']})") for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id in aliases and id(node) not in ordinary]


def _findings(tree: ast.AST) -> list[tuple[int, str]]:
    found = _sys_uses(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level:
                continue   # the submission's own modules (scanned themselves)
            for name in names:
                top = name.split(".")[0]
                if top in MODULES and name != "sys":   # sys: by its uses (_sys_uses)
                    found.append((line, f"imports {name} ({MODULES[top]})"))
            if isinstance(node, ast.ImportFrom):
                found += [(line, f"imports {alias.name} ({ATTRIBUTES[alias.name]})") for alias in node.names
                          if alias.name in ATTRIBUTES]
        elif isinstance(node, ast.Attribute):
            if node.attr in ATTRIBUTES:
                found.append((line, f".{node.attr} ({ATTRIBUTES[node.attr]})"))
            elif node.attr.startswith("co_"):
                found.append((line, f".{node.attr} (reads or rewrites code objects)"))
        elif isinstance(node, ast.Name) and node.id in BUILTINS:
            found.append((line, f"{node.id} ({BUILTINS[node.id]})"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and len(node.args) >= 2 and _computed(node.args[1]):
            found.append((line, "getattr with a computed or listed name (reads attributes by computed name)"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
            if TEXT_HINTS.search(text):
                found.append((line, f"the text {text[:40]!r} (names the grader's hooks)"))
    called = sum(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "getattr"
                 for n in ast.walk(tree))
    named = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "getattr"]
    if len(named) > called:   # handed around (reduce(getattr, ...)): names computed out of sight
        found.append((named[0], "getattr used as a value (reads attributes by computed name)"))
    return sorted(set(found))


def scan(files: dict[str, bytes]) -> dict[str, list[str]]:
    """Per submitted ``.py`` file, ``"line N: what"`` for each construct found in it."""
    found = {}
    for name in sorted(files):
        if not name.endswith(".py"):
            continue
        try:
            tree = ast.parse(files[name])
        except (SyntaxError, ValueError):
            continue   # not importable: its checks fail anyway
        findings = [f"line {line}: {what}" for line, what in _findings(tree)]
        if findings:
            found[name] = findings
    return found


def review_flags(files: dict[str, bytes]) -> list[dict]:
    """A review flag per submitted file whose source reaches into the grader's observation (none
    for ordinary code), with up to ``MAX_FINDINGS`` of its findings; ``module`` is the hands-on
    the file is (its name without ``.py``), so that the class report lists it there."""
    flags = []
    for name, findings in scan(files).items():
        shown = "; ".join(findings[:MAX_FINDINGS]) + (f"; and {len(findings) - MAX_FINDINGS} more"
                                                      if len(findings) > MAX_FINDINGS else "")
        name = visible(clean_text(name, 200))
        flags.append({"module": name.removesuffix(".py"), "check": "tamper evidence", "findings": len(findings),
                      "message": visible(clean_text(f"{name}: its source reaches into the grader's observation of "
                                                    f"library calls and arguments (read the code): {shown}", 2000))})
    return flags
