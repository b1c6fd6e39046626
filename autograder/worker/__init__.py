"""What runs inside the sandbox: the zygote, the worker loop, the protocol.

Self-contained (standard library, NumPy, relative imports only): the sandbox
mounts this folder alone, so nothing else of the checkout is reachable.
"""
