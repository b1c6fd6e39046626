"""Attack: answer before being asked. While being imported, write answer frames for the
requests to come on the worker's response pipe, with the worker's token (taken from the
server object on the stack): refusals ("ValueError") for the checks that expect one, and
empty token lists. Each frame carries the id of the request being answered now (the
import's, read from the stack) or a guess, since the next requests' ids are unknown.
The functions themselves do nothing."""
import gc
import sys

MARK = "@@MARK@@"


def _server():
    frame = sys._getframe()
    while frame is not None:   # the request loop's frame holds the server
        server = frame.f_locals.get("self")
        if hasattr(server, "token") and hasattr(server, "resp_fd"):
            return server
        frame = frame.f_back
    for obj in gc.get_objects():
        if type(obj).__name__ == "Server" and hasattr(obj, "token") and hasattr(obj, "resp_fd"):
            return obj
    return None


def _answer_ahead():
    server = _server()
    if server is None:
        return
    try:
        from agworker import wire
    except ImportError:
        return
    now = str(getattr(server, "request_id", ""))
    refusal = {"status": "error", "kind": "exception", "exception": "ValueError",
               "message": f"ValueError: invalid tokens {MARK}", "traceback": ""}
    empty = {"status": "ok", "value": {"t": "list", "items": []}, "seconds": 0.001}
    for index in range(40):
        answer = dict(refusal if index % 2 else empty)
        answer["id"] = now if index == 0 else "0" * 32
        wire.write_frame(server.resp_fd, server.token, answer)


_answer_ahead()


def midi_to_tokens(midi):
    return []


def tokens_to_midi(tokens, bpm=120):
    return []
