"""A private OpenLink Virtuoso (Debian's virtuoso-opensource 7.2) for tests/test_virtuoso.py and
the bench scripts, bound to 127.0.0.1 on free ports, its ``dba`` password changed, stopped by
``stop()``. Its virtuoso.ini is Debian's own /etc/virtuoso-opensource-7/virtuoso.ini with only
its files, ports, folders and (if asked) memory made ours: its [SPARQL] limits as every stock
install has them (ResultSetMaxRows 10000, MaxQueryCostEstimationTime 400, MaxQueryExecutionTime
60); where Debian's file is absent, ``FALLBACK_INI`` with the same limits. ``stock=False`` starts
our older ``INI`` instead (the estimate limit off).

The estimate limit holds while the graph queried is the only copy of its subjects in the store:
Virtuoso 7.2's planner multiplies every join's estimate by how many graphs hold the same
subjects (one copy: every query qdgraph sends under 10 s; three more: 71 of 448 over 400 s, up
to 1.7e9 s — bench/virtuoso_costs.py --copies 3), so tests/test_virtuoso.py drops the copies it
pushes."""
from __future__ import annotations

import re
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
STOCK_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")

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
; off: Debian's default (400 s of *estimated* cost) refuses queries on a store with copies (see above)
MaxQueryCostEstimationTime = 0
"""

# used only where Debian's file is absent: the sections and keys we set, the stock [SPARQL] limits
FALLBACK_INI = """[Database]
DatabaseFile = x
ErrorLogFile = x
LockFile = x
TransactionFile = x
xa_persistent_file = x
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = x
TransactionFile = x
[Parameters]
ServerPort = 1111
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 8890
ServerRoot = x
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 10000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 60
"""


def configure(text: str, values: dict[tuple[str, str], str]) -> str:
    """``text`` (an ini) with the given (section, key) values replaced in place, or added at the end
    of their section. Line by line, not configparser: Debian's file repeats keys
    (IndexTreeMaps, PrefixResultNames) and keeps comments after values, and both stay as they are."""
    out, section, seen = [], None, set()

    def close(sec):  # keys of the section just left that it did not have
        out.extend(f"{k} = {v}" for (s, k), v in values.items() if s == sec and (s, k) not in seen)

    for line in text.splitlines():
        head = re.match(r"\s*\[([^\]]+)\]", line)
        if head:
            close(section)
            section = head.group(1).strip()
        else:
            kv = re.match(r"\s*([A-Za-z_0-9]+)\s*=", line)
            key = (section, kv.group(1)) if kv else None
            if key in values:
                if key in seen:
                    continue  # a repeated key: one value
                seen.add(key)
                line = f"{key[1]} = {values[key]}"
        out.append(line)
    close(section)
    return "\n".join(out) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Virtuoso:
    """``Virtuoso(folder, password)``: started and ready; ``url`` is its HTTP base.

    ``memory_gb`` sizes the buffers (default 0.25 GB; with ``stock=True`` the default is Debian's
    10,000 pages, 80 MB: enough for the bundled graph, not for millions of triples); ``sparql``
    overrides [SPARQL] keys (bench/virtuoso_costs.py sets MaxQueryCostEstimationTime to 1 to read
    every query's estimate)."""

    def __init__(self, folder: Path, password: str, load_dir: Path | None = None, memory_gb: float | None = None,
                 sparql: dict[str, str] | None = None, stock: bool = True):
        self.folder, self.password = Path(folder), password
        self.sql, http = free_port(), free_port()
        d = self.folder
        if not stock:
            memory_gb = memory_gb or 0.25
        values = {("Database", "DatabaseFile"): f"{d}/virtuoso.db", ("Database", "ErrorLogFile"): f"{d}/virtuoso.log",
                  ("Database", "LockFile"): f"{d}/virtuoso.lck", ("Database", "TransactionFile"): f"{d}/virtuoso.trx",
                  ("Database", "xa_persistent_file"): f"{d}/virtuoso.pxa",
                  ("TempDatabase", "DatabaseFile"): f"{d}/virtuoso-temp.db",
                  ("TempDatabase", "TransactionFile"): f"{d}/virtuoso-temp.trx",
                  ("Parameters", "ServerPort"): f"127.0.0.1:{self.sql}",
                  ("Parameters", "DirsAllowed"): f"., {d}, {load_dir or d}",
                  ("HTTPServer", "ServerPort"): f"127.0.0.1:{http}", ("HTTPServer", "ServerRoot"): str(d),
                  ("URIQA", "DefaultHost"): f"127.0.0.1:{http}"}
        if memory_gb:
            buffers = int(memory_gb * (1 << 30) / 8192 * 0.66)  # Virtuoso's own sizing rule (8 KB pages)
            values[("Parameters", "NumberOfBuffers")] = str(buffers)
            values[("Parameters", "MaxDirtyBuffers")] = str(buffers * 3 // 4)
        values.update({("SPARQL", k): str(v) for k, v in (sparql or {}).items()})
        if stock:
            base = STOCK_INI.read_text(encoding="utf-8") if STOCK_INI.is_file() else FALLBACK_INI
        else:
            buffers = int(values[("Parameters", "NumberOfBuffers")])
            base = INI.format(d=d, sql=self.sql, http=http, load=load_dir or d, buffers=buffers, dirty=buffers * 3 // 4)
        self.ini = configure(base, values)
        (self.folder / "virtuoso.ini").write_text(self.ini, encoding="utf-8")
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

    def limits(self) -> dict[str, str]:
        """The [SPARQL] limits it runs with, as its virtuoso.ini says."""
        section, out = None, {}
        for line in self.ini.splitlines():
            head = re.match(r"\s*\[([^\]]+)\]", line)
            if head:
                section = head.group(1).strip()
            kv = re.match(r"\s*(ResultSetMaxRows|MaxQuery\w+)\s*=\s*([^;\s]*)", line)
            if section == "SPARQL" and kv:
                out[kv.group(1)] = kv.group(2)
        return out

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
