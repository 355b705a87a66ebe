"""Apache Jena 4.5 (Debian's libapache-jena-java) as a second, independent engine for tests:
RIOT parses, ARQ answers SELECT queries, Jena SHACL validates. Each call is one JVM run.

Debian's jars need two fixes to start: the jena-core jar moves its bundled Xerces classes to
``xerces.*`` but leaves their ``.properties`` under ``org/apache/jena/ext/xerces/``, so those
are copied to ``xerces/`` in a folder put first on the classpath; and the dependencies are
named one by one, because ``/usr/share/java/*`` holds two SLF4J bindings that refuse to load
together.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

JAVA_DIR = Path(os.environ.get("QDGRAPH_JENA_DIR", "/usr/share/java"))
# libapache-jena-java's Depends, as their unversioned jar names (slf4j-simple: messages on stderr)
DEPENDENCIES = ("commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io",
                "commons-lang3", "dexx.collection", "gson", "guava", "httpclient", "httpcore",
                "jackson-core", "jackson-databind", "jsonld-java", "jakarta.json-api", "protobuf",
                "slf4j-api", "slf4j-simple", "thrift", "titanium-json-ld")
SELECT_RUNNER = Path(__file__).with_name("jena_select.java")
_XERCES = "org/apache/jena/ext/xerces/"


def _jena_jars() -> list[Path]:
    # the unversioned names (jena-arq.jar), not the versioned twins (jena-arq-4.5.0.jar)
    return sorted(p for p in JAVA_DIR.glob("jena-*.jar") if not re.search(r"-\d[\d.]*\.jar$", p.name))


def unavailable() -> str | None:
    """Why Jena cannot run here (for pytest.skip), or None."""
    if not (shutil.which("java") and shutil.which("javac")):   # javac: the source launcher compiles
        return "needs a JDK (Debian default-jdk-headless)"
    if not any(p.name == "jena-arq.jar" for p in _jena_jars()):
        return f"needs Apache Jena in {JAVA_DIR} (Debian libapache-jena-java)"
    missing = [d for d in DEPENDENCIES if not (JAVA_DIR / f"{d}.jar").is_file()]
    if missing:
        return f"Jena's dependencies missing from {JAVA_DIR}: {', '.join(missing)}"
    return None


class Jena:
    """Jena's command-line tools with a working classpath built in ``workdir``."""

    def __init__(self, workdir: Path):
        fix = workdir / "xerces-fix"
        for jar in _jena_jars():
            with zipfile.ZipFile(jar) as z:
                for name in z.namelist():
                    if name.startswith(_XERCES) and not name.endswith((".class", "/")):
                        target = fix / "xerces" / name[len(_XERCES):]
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(z.read(name))
        self.workdir = workdir
        self.classpath = os.pathsep.join(
            [str(fix), *map(str, _jena_jars()), *(str(JAVA_DIR / f"{d}.jar") for d in DEPENDENCIES)])

    def run(self, main: str, *args, timeout: float = 600) -> subprocess.CompletedProcess:
        """``java MAIN ARGS`` (a class name, or a .java source file) with Jena on the classpath."""
        # a short run: the quick JIT tier and one GC thread spend less CPU than the defaults
        return subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", self.classpath, main,
                               *map(str, args)],
                              capture_output=True, text=True, timeout=timeout)

    def parse(self, files) -> dict[str, list[str]]:
        """RIOT's ERROR and WARN messages for each file (an empty list: the file is fine)."""
        proc = self.run("riotcmd.riot", "--validate", *files)
        out: dict[str, list[str]] = {str(f): [] for f in files}
        current = None
        for line in proc.stderr.splitlines():
            m = re.search(r" INFO org\.apache\.jena\.riot - File: (.*)$", line)
            if m:
                current = m.group(1)
            elif re.search(r" (ERROR|WARN) ", line):
                out.setdefault(current or "?", []).append(line.split(" - ", 1)[-1])
        if proc.returncode and not any(out.values()):
            raise RuntimeError(f"riot failed without a message: {proc.stderr[-2000:]}")
        return out

    def shacl(self, shapes: Path, data: Path):
        """Jena SHACL's report (an rdflib Graph). One data file: ``shacl validate`` reads only the
        last of several ``--data``; it exits 0 whether or not the data conforms."""
        import rdflib

        proc = self.run("shacl.shacl", "validate", "--shapes", shapes, "--data", data)
        if proc.returncode:
            raise RuntimeError(f"jena shacl failed: {proc.stderr[-2000:]}")
        return rdflib.Graph().parse(data=proc.stdout, format="turtle")

    def select(self, queries: dict[str, str], data) -> dict[str, dict | str]:
        """Each query's SPARQL JSON results (a dict), or the engine's error message (a str)."""
        qdir, odir = self.workdir / "queries", self.workdir / "answers"
        for d in (qdir, odir):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
        for name, text in queries.items():
            (qdir / f"{name}.rq").write_text(text, encoding="utf-8")
        proc = self.run(str(SELECT_RUNNER), qdir, odir, *data)
        if proc.returncode:
            raise RuntimeError(f"jena_select failed: {proc.stderr[-2000:]}")
        out: dict[str, dict | str] = {}
        for name in queries:
            answer, error = odir / f"{name}.srj", odir / f"{name}.err"
            out[name] = (json.loads(answer.read_text(encoding="utf-8")) if answer.is_file()
                         else error.read_text(encoding="utf-8") if error.is_file() else "no answer")
        return out
