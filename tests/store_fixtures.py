"""Shared by test_stores.py and test_csv_import.py: a small graph of our own (a chain and an
enterprise that satisfy the shapes), so the tests do not depend on what data/chains.ttl holds."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

CHAIN_ZH = "海洋测绘装备"
CHAIN_EN = "marine survey equipment"
CHAIN_IRI = "https://w3id.org/qdgraph/id/test-chain-marine-survey"
ENT_ZH = "青岛测试海洋仪器有限公司"
ENT_IRI = "https://w3id.org/qdgraph/id/test-enterprise-marine"

EXTRA_TTL = f"""@prefix qd: <https://w3id.org/qdgraph/ontology#> .
@prefix qdr: <https://w3id.org/qdgraph/id/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix oa: <http://www.w3.org/ns/oa#> .

qdr:test-doc a qd:SourceDocument ; dcterms:title "测试来源"@zh ; qd:textFile "test.txt" .
qdr:test-quote a qd:Quote ; oa:hasSource qdr:test-doc ;
    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "{ENT_ZH}属于{CHAIN_ZH}产业" ] .
<{CHAIN_IRI}> a qd:IndustryChain ; rdfs:label "{CHAIN_ZH}"@zh , "{CHAIN_EN}"@en ;
    qd:evidence qdr:test-quote .
<{ENT_IRI}> a qd:Enterprise ; rdfs:label "{ENT_ZH}"@zh , "Qingdao Test Marine Instruments"@en ;
    qd:evidence qdr:test-quote ; qd:inChain <{CHAIN_IRI}> .
qdr:test-claim a qd:Claim ; rdf:subject <{ENT_IRI}> ; rdf:predicate qd:inChain ; rdf:object <{CHAIN_IRI}> ;
    qd:basis qd:Stated ; prov:wasDerivedFrom qdr:test-quote .
"""


def build_base_store(root: Path, run_cli) -> Path:
    """`qdgraph load extra.ttl --store root/base`, built once per test module."""
    extra = root / "extra.ttl"
    extra.write_text(EXTRA_TTL, encoding="utf-8")
    store = root / "base"
    res = run_cli("load", extra, "--store", store)
    assert res.code == 0, res
    return store


def copy_store(base: Path, target: Path) -> Path:
    shutil.copytree(base, target)
    return target


def triples(store: Path) -> int:
    import pyoxigraph as ox

    from qdgraph.storage.generations import STORE_SUBDIR, current_generation

    s = ox.Store.read_only(str(current_generation(store) / STORE_SUBDIR))
    return len(s)


def snapshot(store: Path) -> tuple:
    """What must not change when a write fails: the pointer, the folder listing, the triples."""
    return ((store / "CURRENT").read_text(), sorted(p.name for p in store.iterdir()), triples(store))


def kill_at_publish(root: Path, marker: Path, *args) -> None:
    """Run ``qdgraph ARGS`` until it has written its new generation and is about to swap it in
    (the QDGRAPH_TEST_PAUSE hook touches ``marker`` and waits), then SIGKILL it there."""
    env = dict(os.environ, QDGRAPH_TEST_PAUSE=f"publish:{marker}")
    proc = subprocess.Popen([sys.executable, str(root / "cli.py"), *map(str, args)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not marker.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), f"qdgraph {args[0]} never reached the swap"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def write_csv(path, text, encoding="utf-8-sig"):
    """A CSV file as a spreadsheet saves it (UTF-8 with a byte-order mark unless told otherwise)."""
    path.write_bytes(text.encode(encoding))
    return path
