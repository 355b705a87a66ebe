"""A private OpenLink Virtuoso (Debian's virtuoso-opensource 7.2) for tests/test_virtuoso.py and
bench/bench_virtuoso.py: its own virtuoso.ini in a folder of ours, bound to 127.0.0.1 on free
ports, its ``dba`` password changed, stopped by ``stop()``."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
MISSING = None if VIRTUOSO and ISQL else "Virtuoso is not installed (apt-get install virtuoso-opensource)"

INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {d}, {load}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
; the default (400 s of *estimated* cost) refuses qdgraph's listings on wildly wrong estimates
MaxQueryCostEstimationTime = 0
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Virtuoso:
    """``Virtuoso(folder, password)``: started and ready; ``url`` is its HTTP base."""

    def __init__(self, folder: Path, password: str, load_dir: Path | None = None, memory_gb: float = 0.25):
        self.folder, self.password = Path(folder), password
        self.sql, http = free_port(), free_port()
        buffers = int(memory_gb * (1 << 30) / 8192 * 0.66)  # Virtuoso's own sizing rule (8 KB pages)
        (self.folder / "virtuoso.ini").write_text(INI.format(
            d=self.folder, sql=self.sql, http=http, load=load_dir or self.folder, buffers=buffers,
            dirty=buffers * 3 // 4), encoding="utf-8")
        self.url = f"http://127.0.0.1:{http}"
        self._log = open(self.folder / "stdout.log", "wb")
        self.proc = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(self.folder / "virtuoso.ini")],
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=self.folder)
        try:
            self._wait()
            self.isql(f"user_set_password('dba', '{password}'); checkpoint;", user_password="dba")
        except BaseException:
            self.stop()
            raise

    def _wait(self, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(self.url + "/sparql?query=ASK%7B%7D", timeout=2).read()
                return
            except OSError:
                if time.monotonic() > end or self.proc.poll() is not None:
                    log = self.folder / "virtuoso.log"
                    raise RuntimeError("virtuoso did not start:\n" + (log.read_text(errors="replace") if log.exists() else ""))
                time.sleep(0.2)

    def isql(self, sql: str, user_password: str | None = None) -> str:
        """Run SQL (``SPARQL …`` lines too) as dba through isql-vt; its output."""
        done = subprocess.run([ISQL, f"127.0.0.1:{self.sql}", "dba", user_password or self.password, f"exec={sql}"],
                              capture_output=True, text=True, timeout=3600)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout

    def bulk_load(self, path: Path, graph: str) -> None:
        """Virtuoso's bulk loader (ld_dir + rdf_loader_run) on one N-Triples file into ``graph``."""
        path = Path(path).resolve()
        self.isql(f"ld_dir('{path.parent}', '{path.name}', '{graph}'); rdf_loader_run(); checkpoint;")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
