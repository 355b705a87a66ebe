"""Ontology documentation: pyLODE's OntPub page for ``ontology/qdgraph.ttl``, made to work offline.

pyLODE inlines its CSS and icons; anything that would still load from another host (a
stylesheet, script, image or CSS ``url()``) is stripped all the same, and a
Content-Security-Policy forbids every fetch, because users read the page on intranets.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from qdgraph import paths
from qdgraph.errors import QdgraphError

# no script at all; inline styles and data: icons (pyLODE's) only
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_LOADS = re.compile(   # elements that fetch a resource from another host when the page opens
    r"""<(script|link|img|iframe|frame|embed|object|source|audio|video|track)\b[^>]*?"""
    r"""\b(?:src|href|data|srcset)\s*=\s*["']?\s*(?:https?:)?//[^>]*>(?:[^<]*</\1\s*>)?""", re.I)
_LOADING_REL = re.compile(r"""\brel\s*=\s*["']?[^"'>]*\b(stylesheet|icon|preload|modulepreload|prefetch|manifest)""", re.I)
_CSS = re.compile(r"""<style\b[^>]*>.*?</style\s*>|\bstyle\s*=\s*("[^"]*"|'[^']*')""", re.I | re.S)
_CSS_REMOTE = re.compile(r"""@import\s+[^;]*;|url\(\s*["']?\s*(?:https?:)?//[^)]*\)""", re.I)


def offline(html: str) -> str:
    """``html`` with everything that loads from another host removed and a CSP that forbids it."""
    def strip(m: re.Match) -> str:
        tag = m.group(0)
        # a <link> that only names a related page (rel=canonical, author…) loads nothing
        if m.group(1).lower() == "link" and not _LOADING_REL.search(tag):
            return tag
        return ""

    html = _LOADS.sub(strip, html)
    # only in CSS (style blocks and attributes), never in the documentation's own text
    html = _CSS.sub(lambda m: _CSS_REMOTE.sub("", m.group(0)), html)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    head = re.search(r"<head[^>]*>", html, re.I)
    return html[:head.end()] + meta + html[head.end():] if head else meta + html


def ontology_html(ontology: Path | None = None) -> str:
    """The OntPub page of the ontology, offline; each term's anchor is its IRI's fragment, so
    ``…/ontology#Indicator`` opens the page at the indicator class."""
    import logging

    from pylode import OntPub

    from qdgraph.namespaces import QD

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))  # pyLODE logs at INFO
    graph = _for_pylode(ontology or paths.ONTOLOGY)
    page = OntPub(ontology=graph)
    # pyLODE makes anchors from titles, dropping non-ASCII (Chinese) characters: give its own
    page.fids.update({str(s): str(s)[len(QD):] for s in set(graph.subjects()) if str(s).startswith(QD)})
    return offline(page.make_html(include_css=True))


def _for_pylode(path: Path):
    """The ontology as pyLODE should see it. pyLODE takes the page's title and metadata from the
    last owl:Ontology *or skos:ConceptScheme* it meets, and shows every name of a term (labels
    included) run together: so concept schemes are shown as plain individuals here, and each
    term gets one title, its Chinese and English names side by side."""
    import rdflib
    from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

    g = rdflib.Graph().parse(path, format="turtle")
    onts = set(g.subjects(RDF.type, OWL.Ontology))
    for scheme in list(g.subjects(RDF.type, SKOS.ConceptScheme)):
        if scheme not in onts:
            g.remove((scheme, RDF.type, SKOS.ConceptScheme))
            g.add((scheme, RDF.type, OWL.NamedIndividual))
    name_props = (DCTERMS.title, RDFS.label, SKOS.prefLabel)
    for subject in {s for p in name_props for s in g.subjects(p, None)}:
        names = sorted({o for p in name_props for o in g.objects(subject, p)})
        if len(names) < 2:
            continue
        by_lang = {getattr(n, "language", None): str(n) for n in names}
        title = " · ".join(dict.fromkeys([by_lang[k] for k in ("zh", "en") if k in by_lang] + list(map(str, names))))
        for p in name_props:
            g.remove((subject, p, None))
        g.add((subject, DCTERMS.title, rdflib.Literal(title)))
    return g


@lru_cache(maxsize=None)
def ontology_document(fmt: str) -> bytes:
    """The ontology as ``fmt``: ``html`` (the documentation), ``turtle`` (the file as written)
    or ``nt``, ``json-ld``, ``rdf-xml``."""
    if fmt == "html":
        return ontology_html().encode("utf-8")
    if fmt == "turtle":
        return paths.ONTOLOGY.read_bytes()
    import pyoxigraph as ox

    from qdgraph.namespaces import PREFIXES
    from qdgraph.storage.rdfio import parse_file

    formats = {"nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD, "rdf-xml": ox.RdfFormat.RDF_XML}
    return ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in parse_file(paths.ONTOLOGY)),
                        format=formats[fmt], prefixes=PREFIXES if fmt == "rdf-xml" else None)


def write_docs(out: Path) -> list[Path]:
    """Write ``index.html`` (the documentation) and ``qdgraph.ttl`` (the ontology it documents)
    into ``out``; each file as every ``-o`` is written (``qdgraph.fileio``): whole or not at all,
    a symlink written through, a FIFO written into, never replaced."""
    from qdgraph.fileio import refuse_inside_store, write_atomic

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise QdgraphError(f"{out}: exists and is not a folder")
    refuse_inside_store(out / "index.html")
    files = {"index.html": ontology_html().encode("utf-8"), paths.ONTOLOGY.name: paths.ONTOLOGY.read_bytes()}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise QdgraphError(f"{out}: cannot write the documentation: {err.strerror or err}") from None
    return [write_atomic(out / name, body) for name, body in files.items()]
