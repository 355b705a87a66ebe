"""Named SPARQL queries shipped as ``.rq`` files in this folder.

Each file starts with a comment header the CLI and server read::

    # title: Measures that affect an indicator
    # description: one line for `qdgraph queries`
    # param: indicator iri   The indicator (name, IRI or qd: name)
    # memo: qd:Indicator

``memo`` (on a query with one ``iri`` parameter) asks for its answer for every instance of that
class to be computed when a store is built and kept with it (``qdgraph.storage.answers``);
``memo: whole`` (on a query without parameters) for its one answer: a lookup that needs only
kept answers never opens the database (20-25 ms, and `progress` needs three such small ones).

``stream: ?a ?b in { PATTERN }`` (on a large listing whose ORDER BY starts with ``?a_key ?b_key``,
each bound as ``CONCAT("k", STR(?a))``; checked when the file is read) lets a local store give
the rows of the least key first, then the rest, instead of sorting the whole answer before the
first row (``LocalBackend.stream_keyed``; endpoints run the query as it is). PATTERN is one every
row's keys match, cheap to scan; ``by-key/NAME.rq``, when there is one, answers a single key with
look-ups where the listing itself is written as scans (tests/test_streaming.py holds it to the
same rows).

``param`` lines give the variable (without ``?``), its kind (``iri``, ``literal``, ``integer``;
with ``?`` after it, ``iri?``, the parameter may be left out: the variable is then unbound)
and help text. Values are bound as RDF terms (never spliced into the text). Every named query
runs through ``KnowledgeGraph.named`` (``qdgraph.engine.graph``); a file is read when it is run
(0.04 ms: not worth keeping).
"""
from __future__ import annotations

# the files' registry lives below the layers (the store builder reads it too): here it is the engine's
from qdgraph.queryfiles import HERE, NamedQuery, Param, all_queries, get_query, parse_rq  # noqa: F401
