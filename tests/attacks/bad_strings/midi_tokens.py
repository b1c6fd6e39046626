"""Attack: messages and values that are not valid text: lone surrogates, NUL bytes,
invalid UTF-8 on stdout, markup and terminal escapes, very long messages."""
import os
import sys

NASTY = "\ud800 \udcff \x00 \x1b[2J\x1b[31m [red]markup[/red] <script>alert(1)</script> \u202e"


def midi_to_tokens(midi):
    os.write(1, b"\xff\xfe invalid utf-8 \xc3\x28\n")
    for stream in (sys.stdout, sys.stderr):
        stream.buffer.write(NASTY.encode("utf-8", "surrogatepass"))   # lone surrogates, as bytes
        stream.flush()
        print(NASTY.encode("ascii", "backslashreplace").decode(), file=stream)
    raise ValueError(NASTY * 1000)


def tokens_to_midi(tokens, bpm=120):
    return [NASTY, "\ud800" * 100000, {NASTY: NASTY}]
