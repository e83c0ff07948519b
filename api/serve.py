"""Several API processes behind one port: each listens on its own socket (SO_REUSEPORT).

With one socket shared by every process (uvicorn's ``--workers``), whichever process's event
loop wakes first accepts every pending connection, so a handful of keep-alive connections
(a storefront's server, a load balancer) can all land on one process and leave the others
idle. With a socket per process bound with SO_REUSEPORT the kernel spreads new connections
over the processes by a hash of their addresses. A supervisor (this module, in the parent
process) starts the processes with the ``spawn`` method (none inherits an open Edge shard:
opening a shard and then forking hangs the child), starts a dead one again, and stops them all
on SIGINT or SIGTERM. When a process dies its socket leaves the group, so new connections go
to the live ones at once; connections it had accepted die with it.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import socket
import time
from types import FrameType

log = logging.getLogger("api.serve")

#: How often the supervisor looks for dead processes.
POLL_S = 0.2
#: A process that dies within this long of its start is failing to start: stop, do not loop.
MIN_LIFE_S = 5.0


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_port_free(host: str, port: int) -> None:
    """Refuse a port another server listens on. SO_REUSEPORT would otherwise let the new
    processes join an old server's group and share its traffic without a word."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _bound(host: str, port: int) -> socket.socket:
    """A socket bound into the port's group but not listening: the kernel hands a socket
    connections only once it listens, which uvicorn does after the app has started (index
    copied and open, models loaded). A process still starting takes no connection."""
    s = socket.socket(_family(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((host, port))
    return s


def run_worker(host: str, port: int, log_level: str) -> None:
    """One API process: its own listening socket in the port's group, uvicorn on it. The
    middleware logs each request, so uvicorn's access log is off (one line per request).

    Keep-alive: uvicorn's 5 s equals httpx's and exceeds Node's 4 s, so a client may send on a
    connection the server is closing; and a process that stood still for seconds (a re-index
    swap) runs its overdue keep-alive timers before reading what arrived meanwhile, resetting
    connections whose clients reused them in time. ``keep_alive_s`` (75 s) outlasts them."""
    import uvicorn

    from core.memory import limit_arenas
    from core.settings import get_settings

    limit_arenas()  # before the thread pool grows: one arena per thread held freed memory
    sock = _bound(host, port)
    config = uvicorn.Config(
        "api.main:app",
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=get_settings().keep_alive_s,
    )
    uvicorn.Server(config).run(sockets=[sock])


def supervise(host: str, port: int, workers: int, log_level: str = "info") -> int:
    """Run ``workers`` processes until SIGINT/SIGTERM; a process that dies is started again."""
    check_port_free(host, port)
    # One process per core: PyTorch (the query encoder) in each would otherwise start a thread
    # per core too, and under load the processes' threads would fight for the same cores.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ctx = multiprocessing.get_context("spawn")
    procs: list[multiprocessing.process.BaseProcess] = []
    started: list[float] = []
    stopping = False

    def start(i: int) -> None:
        p = ctx.Process(target=run_worker, args=(host, port, log_level), name=f"api-{i}")
        p.start()
        if i < len(procs):
            procs[i], started[i] = p, time.monotonic()
        else:
            procs.append(p)
            started.append(time.monotonic())

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for i in range(workers):
        start(i)
    log.info("serving on %s:%d with %d processes (SO_REUSEPORT)", host, port, workers)
    code = 0
    while not stopping:
        time.sleep(POLL_S)
        for i, p in enumerate(procs):
            if p.is_alive() or stopping:
                continue
            if time.monotonic() - started[i] < MIN_LIFE_S:
                log.error("API process %d exited %s at start; stopping", p.pid, p.exitcode)
                stopping, code = True, 1
                break
            log.warning("API process %d died (exit %s); starting another", p.pid, p.exitcode)
            start(i)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.kill()
    return code
