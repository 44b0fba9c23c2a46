"""``studyllm serve``: the TUI in a browser through textual-serve, offline and locked by a token.

Needs the optional ``serve`` extra (``pip install 'studyllm[serve]'``).
"""

from studyllm.serve.server import LockedServer, is_loopback, make_token

__all__ = ["LockedServer", "is_loopback", "make_token"]
