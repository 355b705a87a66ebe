"""``qdgraph serve`` (a read-only SPARQL endpoint) and ``qdgraph push`` (upload to a store)."""
from __future__ import annotations

import re

import click

from ..errors import UsageError
from ..limits import check_timeout
from .common import DATA_HELP

_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.-]+(:\d{1,5})?")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _graph_source(fn):
    fn = click.option("--store", type=click.Path(file_okay=False), help="Use an on-disk store built by `qdgraph load`.")(fn)
    return click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False), help=DATA_HELP)(fn)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only this machine can connect unless you change it.")
@click.option("--port", default=7878, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--timeout", default=10.0, show_default=True, type=float, callback=lambda ctx, p, v: check_timeout(v),
              metavar="SECONDS", help="Stop a query after SECONDS and answer 503.")
@click.option("--max-rows", default=10000, show_default=True, type=click.IntRange(min=1),
              help="Cut longer answers to N rows (or triples) and mark them truncated.")
@click.option("--cors", metavar="ORIGIN", help="Let web pages from ORIGIN (or *) read answers. Off by default.")
@click.option("--workers", type=click.IntRange(1, 64), help="Query worker processes (default: max(4, CPUs), at most 8).")
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
@click.option("--cache-mb", default=64.0, show_default=True, type=click.FloatRange(min=0),
              help="Memory for repeated answers, keyed by store generation, query, parameters and format (0: off).")
@_graph_source
def serve(host, port, timeout, max_rows, cors, workers, quiet, cache_mb, data, store):
    """Run a read-only SPARQL 1.1 endpoint, with JSON lookups and a query page.

    \b
    Routes:
      /                       page to write and run queries, look up names, open pictures
      /sparql                 SPARQL 1.1 Protocol (GET, POST form, POST sparql-query);
                              without a query: the service description
      /api/measures?indicator=NAME   /api/entity?name=NAME   /api/search?q=TEXT
      /api/indicators         /api/queries        /viz/KIND?name=NAME
    Answers: SPARQL JSON, XML, CSV, TSV; Turtle, JSON-LD, N-Triples, RDF/XML (Accept header
    or ?format=). UPDATE, LOAD, SERVICE and FROM are refused.

    \b
    Examples:
      qdgraph serve
      qdgraph serve --port 8080 --timeout 30 --max-rows 50000
      curl 'http://127.0.0.1:7878/sparql' --data-urlencode 'query=SELECT * WHERE { ?i a qd:Indicator }'
    """
    from ..server import serve as run_server

    if data and store:
        raise UsageError("--data cannot be combined with --store here; add the files to the store with `qdgraph load`")
    if cors and not _ORIGIN.fullmatch(cors):
        raise UsageError(f"--cors {cors!r}: give an origin such as https://example.org, or *")
    if host not in LOOPBACK:
        click.echo(f"qdgraph: warning: listening on {host}: other machines can query the graph", err=True)

    def ready(base):
        click.echo(f"qdgraph: serving at {base}/  (SPARQL endpoint: {base}/sparql)  Ctrl-C to stop", err=True)

    click.echo("qdgraph: starting query workers…", err=True)
    run_server(data=data, store=store, host=host, port=port, timeout=timeout, max_rows=max_rows, cors=cors,
               workers=workers, quiet=quiet, ready=ready, cache_mb=cache_mb)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("store_url", required=False, metavar="STORE_URL")
@click.option("--graph", metavar="IRI", help="Replace this named graph (default: the default graph).")
@click.option("--update", "update_url", metavar="UPDATE_URL",
              help="Use this SPARQL UPDATE endpoint (DROP + INSERT DATA) instead of the Graph Store Protocol.")
@click.option("--timeout", default=300.0, show_default=True, type=click.FloatRange(min=1), metavar="SECONDS")
@_graph_source
def push(store_url, graph, update_url, timeout, data, store):
    """Upload the graph (ontology and data) to a triple store, replacing the target graph.

    STORE_URL is a SPARQL 1.1 Graph Store Protocol endpoint; the graph is sent in one PUT.
    With --update UPDATE_URL (and no STORE_URL) it goes through SPARQL UPDATE instead.
    Pushing twice leaves the same graph.

    \b
    Examples (Oxigraph: `oxigraph serve --location DIR`):
      qdgraph push http://127.0.0.1:7878/store
      qdgraph measures 人才总量 --endpoint http://127.0.0.1:7878/query
      qdgraph push --update http://127.0.0.1:7878/update --graph https://w3id.org/qdgraph/graph
    """
    from ..graph import open_graph
    from ..push import push_graph_store, push_update

    if bool(store_url) == bool(update_url):
        raise UsageError("give STORE_URL (Graph Store Protocol) or --update UPDATE_URL, one of them")
    kg = open_graph(data, store=store)
    if update_url:
        n = push_update(kg, update_url, graph, timeout=timeout)
        where = update_url
    else:
        n = push_graph_store(kg, store_url, graph, timeout=timeout)
        where = store_url
    click.echo(f"pushed {n} triples to {where} ({'graph <' + graph + '>' if graph else 'default graph'})", err=True)
