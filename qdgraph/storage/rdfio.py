"""Reading RDF files into an Oxigraph store, with errors a user can act on (``file:line: message``)."""
from __future__ import annotations

import contextlib

import re
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from qdgraph.errors import QdgraphError, TurtleSyntaxError

_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}

# "Parser error at line 1 between columns 1 and 2: …": the position is already in file:line:col
_BETWEEN = re.compile(r"^Parser error [^:]*: ")
BOM = b"\xef\xbb\xbf"


def rdf_format(path: Path) -> "ox.RdfFormat":
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(_FORMATS))
        raise QdgraphError(f"{path}: unknown RDF file type {path.suffix!r} (known: {known})") from None


def syntax_error(path: Path | str, err: SyntaxError) -> TurtleSyntaxError:
    """Turn pyoxigraph's SyntaxError into ``file:line:col: message``."""
    message = _BETWEEN.sub("", str(err.msg if hasattr(err, "msg") else err))
    return TurtleSyntaxError(str(path), err.lineno, err.offset, message)


@contextlib.contextmanager
def rdf_errors(path: Path):
    """Reading or parsing ``path``: every failure as one line that names the file."""
    try:
        yield
    except SyntaxError as err:
        raise syntax_error(path, err) from None
    except UnicodeDecodeError as err:
        raise QdgraphError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise QdgraphError(f"{path}: {err.strerror or err}") from None
    except MemoryError as err:
        raise too_big(path, err) from None


def check_readable(path: Path) -> None:
    if not path.exists():
        raise QdgraphError(f"{path}: no such file")
    if not path.is_file():
        raise QdgraphError(f"{path}: not a file")


def open_rdf(path: Path):
    """``path`` opened for reading, past a UTF-8 byte-order mark (Windows editors write one;
    the parsers would read it as an invisible first character)."""
    f = open(path, "rb")
    if f.read(3) != BOM:
        f.seek(0)
    return f


def has_bom(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(3) == BOM


# What the entities of an RDF/XML file may expand to, in all: OWL files from ontology editors
# declare entities for namespaces (``<!ENTITY owl "http://…#">``), a few dozen bytes each
MAX_ENTITY_EXPANSION = 16 << 20


def check_xml_entities(path: Path) -> None:
    """Refuse an RDF/XML file whose DTD could make the parser grow without bound: an external
    entity (a file or URL to fetch), an entity defined through other entities (the "billion
    laughs"), or references that would expand past MAX_ENTITY_EXPANSION bytes. The DTD is read
    by expat, the standard library's XML parser, which stops at the root element."""
    import xml.parsers.expat

    entities: dict[str, int] = {}
    problems: list[str] = []

    class _Root(Exception):
        pass

    def declared(name, is_parameter, value, base, system_id, public_id, notation):
        if system_id or public_id:
            problems.append(f"the DTD declares an external entity {name!r} ({system_id or public_id}); "
                            "qdgraph never fetches files or URLs named in data")
        elif value is not None and ("&" in value or "%" in value):
            problems.append(f"the DTD's entity {name!r} is defined through other entities (an entity "
                            "expansion bomb, or too intricate to read safely)")
        elif not is_parameter:
            entities[name] = len(value or "")

    def root(*_):
        raise _Root

    parser = xml.parsers.expat.ParserCreate()
    parser.EntityDeclHandler = declared
    parser.StartElementHandler = root
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    with open(path, "rb") as f:
        head = f.read(1 << 20)
        if b"<!ENTITY" not in head and b"<!entity" not in head.lower():
            return  # no entity is declared in the prolog: nothing can expand
        try:
            parser.Parse(head, False)
        except _Root:
            pass
        except xml.parsers.expat.ExpatError as err:
            raise TurtleSyntaxError(str(path), err.lineno, err.offset + 1, f"not well-formed XML ({err})") from None
        if problems:
            raise QdgraphError(f"{path}: {problems[0]}")
        f.seek(0)
        total = 0
        for chunk in iter(lambda: f.read(1 << 20), b""):
            for name in re.findall(rb"&([A-Za-z_][\w.-]*);", chunk):
                total += entities.get(name.decode("utf-8", "replace"), 0)
        if total > MAX_ENTITY_EXPANSION:
            raise QdgraphError(f"{path}: its entities would expand to {total:,} bytes (more than "
                               f"{MAX_ENTITY_EXPANSION >> 20} MiB): refused")


def parse_file(path: Path | str) -> list["ox.Quad"]:
    """Every quad of one RDF file; raises TurtleSyntaxError (file:line) if it does not parse."""
    path = Path(path)
    check_readable(path)
    if rdf_format(path) == ox.RdfFormat.RDF_XML:
        check_xml_entities(path)
    with rdf_errors(path), open_rdf(path) as f:
        return list(ox.parse(f, format=rdf_format(path), base_iri=path.resolve().as_uri(),
                             rename_blank_nodes=True))


def too_big(path: Path | str, err: MemoryError) -> QdgraphError:
    """The parser holds one term at most 16 MiB long (a huge literal, or an unclosed quote)."""
    return QdgraphError(f"{path}: a single term is too large for the parser ({err}); "
                        "look for an unclosed quote, or split the text")


def load_files(store: "ox.Store", paths: Iterable[Path | str]) -> None:
    """Parse every file first, then add them all: a broken file leaves the store untouched."""
    quads: list[ox.Quad] = []
    for p in paths:
        quads.extend(parse_file(p))
    store.extend(quads)


def to_rdflib(quads: Iterable["ox.Quad"], store: str = "Memory"):
    """An rdflib Graph of the default-graph view of ``quads`` (for pySHACL, owlrl and users
    who want rdflib's API), passed through N-Triples, which both libraries write and read fast.
    ``store="SimpleMemory"`` (no contexts) makes lookups about 1.5× faster, for reasoners."""
    import rdflib

    nt = ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads), format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph(store=store).parse(data=nt.decode("utf-8"), format="nt", bnode_context=_SameBlankNodes())


class _SameBlankNodes(dict):
    """rdflib's N-Triples parser renames blank nodes; keeping Oxigraph's ids lets a report name
    one blank node the same way whichever engine found the problem."""

    def get(self, key, default=None):
        return key
