"""The package's layers: no module imports another that (directly or not) imports it back, lazy
imports included, and every backend offers the one typed interface the graph relies on."""
from __future__ import annotations

import ast

import networkx as nx

from conftest import ROOT

PKG = ROOT / "qdgraph"


def _module(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(name: str) -> bool:
    base = ROOT / name.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def import_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for path in PKG.rglob("*.py"):
        mod = _module(path)
        g.add_node(mod)
        package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else (node.module or "")
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("qdgraph.") and name != mod and _exists(name):
                    g.add_edge(mod, name)
    return g


def test_no_import_cycles():
    g = import_graph()
    assert g.number_of_edges() > 50
    cycles = [" -> ".join(c + [c[0]]) for c in nx.simple_cycles(g)]
    assert cycles == []


def test_every_backend_has_the_typed_interface(kg):
    from qdgraph.engine.backend import Backend, LocalBackend
    from qdgraph.engine.remote import EndpointBackend

    assert isinstance(kg.backend, Backend)  # the bundled graph: a store on disk
    import pyoxigraph as ox

    assert isinstance(LocalBackend(ox.Store()), Backend)
    assert isinstance(EndpointBackend("http://127.0.0.1:9/sparql"), Backend)
    assert kg.backend.local and LocalBackend(ox.Store()).local and not EndpointBackend("http://127.0.0.1:9/sparql").local
    res = kg.query("SELECT ?i WHERE { ?i a qd:Indicator }", limit=3)
    assert len(res.rows) == 3 and res.truncated


LAYERS = ["foundation", "names", "storage", "engine", "domain", "presentation", "interfaces"]


def documented_layers() -> dict[str, int]:
    """module → layer rank, from the table in docs/ARCHITECTURE.md."""
    import re

    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(qdgraph[\w.]*)` \| (\w+) \|", text, re.M)
    return {mod: LAYERS.index(layer) for mod, layer in rows}


def test_every_module_has_a_documented_layer_and_imports_only_downwards():
    g = import_graph()
    layer = documented_layers()
    assert sorted(set(g.nodes) - set(layer)) == [], "modules missing from docs/ARCHITECTURE.md"
    assert sorted(set(layer) - set(g.nodes)) == [], "docs/ARCHITECTURE.md lists modules that do not exist"
    upward = [f"{a} ({LAYERS[layer[a]]}) imports {b} ({LAYERS[layer[b]]})"
              for a, b in g.edges if layer[b] > layer[a]]
    assert upward == []


def test_each_module_lives_in_its_layers_folder():
    """The layers are folders: qdgraph/storage, engine, domain, presentation, interfaces; the
    foundation (errors, paths, namespaces, names, …) sits at the top of the package."""
    misplaced = []
    for mod, rank in documented_layers().items():
        parts = mod.split(".")
        layer = LAYERS[rank]
        if layer in ("foundation", "names") or mod == "qdgraph.__main__":  # `python -m qdgraph`
            ok = len(parts) <= 2
        else:
            ok = len(parts) >= 2 and parts[1] == layer
        if not ok:
            misplaced.append(f"{mod} ({layer})")
    assert misplaced == []


def _qdgraph_imports():
    """(importing module, imported module, name) for every ``from qdgraph… import name``."""
    for path in PKG.rglob("*.py"):
        mod = _module(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("qdgraph"):
                for a in node.names:
                    yield mod, node.module, a.name


def test_no_module_imports_another_modules_private_names():
    private = [f"{mod} imports {src}.{name}" for mod, src, name in _qdgraph_imports()
               if name.startswith("_") and not name.startswith("__") and src != mod]
    assert private == []


def test_nothing_asks_a_backend_for_its_class():
    """The graph and its callers use what the Backend protocol declares (``local``, ``snapshot``,
    ``names()``), so a new backend needs no change anywhere else."""
    classes = {"LocalBackend", "StoreBackend", "EndpointBackend"}
    found = []
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
                if any(getattr(k, "id", getattr(k, "attr", None)) in classes for k in kinds):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
