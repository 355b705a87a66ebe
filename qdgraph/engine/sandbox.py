"""Defence in depth for the read-only guard: a process that runs user SPARQL and needs no
network (a `qdgraph serve` worker, `qdgraph query` on a local graph) gives up the network at the
operating-system level, so even a query the guard wrongly let through fetches nothing.

On Linux this is a seccomp filter (libseccomp, through pyseccomp) installed on every thread:
creating an IPv4 or IPv6 socket fails with EACCES, and io_uring (which can open sockets without
the socket system call) is refused. It cannot be undone by the process. Elsewhere (macOS,
Windows, a Linux without libseccomp) nothing is installed and the guard stands alone:
``deny_network`` says which, and `qdgraph serve` prints it.
"""
from __future__ import annotations

import errno
import socket
import sys

_state: dict[str, str | None] = {}  # this process's sandbox, once installed (it cannot be removed)


def deny_network() -> str | None:
    """Forbid this process (all its threads, now and later) to open network sockets.
    Returns the mechanism (``"seccomp"``), or None where the platform offers none."""
    if "mechanism" in _state:
        return _state["mechanism"]
    mechanism = _seccomp() if sys.platform.startswith("linux") else None
    _state["mechanism"] = mechanism
    return mechanism


def network_denied() -> str | None:
    """The mechanism installed in this process by :func:`deny_network`, or None."""
    return _state.get("mechanism")


def _seccomp() -> str | None:
    try:
        import pyseccomp as sc

        flt = sc.SyscallFilter(defaction=sc.ALLOW)
        for family in (socket.AF_INET, socket.AF_INET6):
            flt.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.EQ, family))
        for call in ("io_uring_setup", "io_uring_enter", "io_uring_register"):
            try:
                flt.add_rule(sc.ERRNO(errno.EACCES), call)
            except (OSError, ValueError, RuntimeError):  # a libseccomp that predates io_uring
                pass
        flt.set_attr(sc.Attr.CTL_TSYNC, 1)  # every thread of the process, not only this one
        flt.load()
    except (ImportError, OSError, ValueError, RuntimeError, AttributeError):
        return None  # no libseccomp, or the kernel refuses filters: the guard stands alone
    return "seccomp"
