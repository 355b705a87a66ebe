"""The package finds its ontology, data and source texts when installed from a wheel, away from
any checkout."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_wheel_carries_the_bundle_and_runs_without_a_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                          capture_output=True, text=True)
    if proc.returncode != 0 and "No matching distribution" in proc.stderr:
        pytest.skip("cannot fetch the build backend")
    assert proc.returncode == 0, proc.stderr
    wheel = next(wheels.glob("qdgraph-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("qdgraph/_bundle/ontology/qdgraph.ttl", "qdgraph/_bundle/ontology/shapes.ttl",
                   "qdgraph/_bundle/data/chains.ttl", "qdgraph/_bundle/data/sources/000_e4ce7d2251e78f88.txt",
                   "qdgraph/engine/queries/measures-for-indicator.rq"):
        assert needed in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site), "QDGRAPH_CACHE": str(tmp_path / "cache")}
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    where = subprocess.run([sys.executable, "-c", "import qdgraph.paths as p; print(p.ROOT)"],
                           capture_output=True, text=True, env=env, cwd=elsewhere)
    assert where.stdout.strip() == str(site / "qdgraph" / "_bundle")
    out = subprocess.run([sys.executable, "-m", "qdgraph", "measures", "人才总量"], capture_output=True, text=True,
                         env=env, cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    assert "全市人才总量" in out.stdout
    val = subprocess.run([sys.executable, "-m", "qdgraph", "validate"], capture_output=True, text=True,
                         env=env, cwd=elsewhere)
    assert val.returncode == 0, val.stdout + val.stderr
