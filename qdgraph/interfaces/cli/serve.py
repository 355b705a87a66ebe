"""``qdgraph serve`` (a read-only SPARQL endpoint) and ``qdgraph push`` (upload to a store)."""
from __future__ import annotations

import re

import click

from qdgraph.errors import UsageError
from qdgraph.limits import check_timeout
from qdgraph.interfaces.cli.common import command, data_option, graph_files, store_option

_ORIGIN = re.compile(r"\*|https?://[A-Za-z0-9.-]+(:\d{1,5})?")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _graph_source(fn):
    return data_option(store_option()(fn))


@command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Only this machine can connect unless you change it.")
@click.option("--port", default=7878, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--timeout", default=10.0, show_default=True, type=float, callback=lambda ctx, p, v: check_timeout(v),
              metavar="SECONDS", help="Stop a query after SECONDS and answer 503.")
@click.option("--max-rows", default=10000, show_default=True, type=click.IntRange(min=1),
              help="Cut longer answers to N rows (or triples) and mark them truncated.")
@click.option("--cors", metavar="ORIGIN", help="Let web pages from ORIGIN (or *) read answers. Off by default.")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Query worker processes (default: 4 per CPU, 4 to 16), shared out among one serving process "
                   "per CPU, at least 4 each.")
@click.option("--quiet", "-q", is_flag=True, help="Do not log each request.")
@click.option("--cache-mb", default=64.0, show_default=True, type=click.FloatRange(min=0),
              help="Memory for repeated answers, keyed by store generation, query, parameters and format (0: off).")
@click.option("--max-memory", default=1024, show_default=True, type=click.IntRange(min=64), metavar="MIB",
              help="Memory one query may take (MiB per worker); past it the query is stopped with a 503.")
@_graph_source
def serve(host, port, timeout, max_rows, cors, workers, quiet, cache_mb, max_memory, data, only, store):
    """Run a read-only SPARQL 1.1 endpoint, with JSON lookups and a query page.

    \b
    Routes:
      /query                  page to write and run queries, look up names, open pictures
                              (also at /, and at /sparql for a browser, until the site is installed)
      /sparql                 SPARQL 1.1 Protocol (GET, POST form, POST sparql-query);
                              without a query: the service description
      /api/measures?indicator=NAME   /api/entity?name=NAME   /api/search?q=TEXT
      /api/indicators         /api/queries        /viz/KIND?name=NAME
      /progress               /ontology
    Answers: SPARQL JSON, XML, CSV, TSV; Turtle, JSON-LD, N-Triples, RDF/XML (Accept header
    or ?format=). UPDATE, LOAD and SERVICE are refused; FROM and default-graph-uri /
    named-graph-uri may name only graphs the store holds. A query that runs past --timeout
    or needs more than --max-memory is stopped (503) and its worker replaced.

    \b
    Examples:
      qdgraph serve
      qdgraph serve --port 8080 --timeout 30 --max-rows 50000
      qdgraph serve --data city.ttl --only     # your file and the ontology, nothing else
      curl 'http://127.0.0.1:7878/sparql' --data-urlencode 'query=SELECT * WHERE { ?i a qd:Indicator }'
    """
    from qdgraph.interfaces.server import serve as run_server

    if data and store:
        raise UsageError("--data cannot be combined with --store here; add the files to the store with `qdgraph load`")
    files, bundled = graph_files(data, only)
    if cors and not _ORIGIN.fullmatch(cors):
        raise UsageError(f"--cors {cors!r}: give an origin such as https://example.org, or *")
    if host not in LOOPBACK:
        click.echo(f"qdgraph: warning: listening on {host}: other machines can query the graph", err=True)

    def ready(base):
        click.echo(f"qdgraph: serving at {base}/  (SPARQL endpoint: {base}/sparql)  Ctrl-C to stop", err=True)

    click.echo("qdgraph: starting query workers…", err=True)
    run_server(data=files, bundled=bundled, store=store, host=host, port=port, timeout=timeout, max_rows=max_rows, cors=cors,
               workers=workers, quiet=quiet, ready=ready, cache_mb=cache_mb, max_memory_mb=max_memory,
               lock_down=True)


def _seconds(ctx, param, value):
    import math

    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of seconds", ctx, param)
    return value


def user_option(fn):
    return click.option("--user", "-u", metavar="NAME[:PASSWORD]",
                        help="Log in to the store (HTTP Basic or Digest, as it asks). Without :PASSWORD it is "
                             "asked for. Credentials may also be in the URL (http://name:pw@host/…) or ~/.netrc.")(fn)


def ask_password(user):
    """``--user NAME`` alone: ask for the password without echoing it (never on the command line)."""
    if user is None or ":" in user:
        return user
    import sys

    if not sys.stdin.isatty():
        raise UsageError(f"--user {user!r} has no password: give --user NAME:PASSWORD, or use ~/.netrc")
    return user + ":" + click.prompt(f"password for {user}", hide_input=True, err=True)


@command()
@click.argument("store_url", required=False, metavar="STORE_URL")
@click.option("--graph", metavar="IRI",
              help="Replace this named graph (default: the default graph; for a store without a plain "
                   "default graph, such as Virtuoso, the named graph https://w3id.org/qdgraph/graph).")
@click.option("--update", "update_url", metavar="UPDATE_URL",
              help="Use this SPARQL UPDATE endpoint (DROP + INSERT DATA, blank nodes skolemised) instead of "
                   "the Graph Store Protocol.")
@user_option
@click.option("--timeout", default=300.0, show_default=True, type=click.FloatRange(min=1, max=86400),
              callback=_seconds, metavar="SECONDS", help="Give up (exit 3) when the push has not finished by then.")
@_graph_source
def push(store_url, graph, update_url, user, timeout, data, only, store):
    """Upload the graph (ontology and data) to a triple store, replacing the target graph.

    STORE_URL is a SPARQL 1.1 Graph Store Protocol endpoint; the graph is sent in one PUT.
    With --update UPDATE_URL (and no STORE_URL) it goes through SPARQL UPDATE instead, with
    blank nodes sent as IRIs (https://w3id.org/qdgraph/.well-known/genid/…). Pushing twice
    leaves the same graph. The store's own answer is shown; a web page (a login page) instead
    of a store's answer is an error.

    \b
    Examples (Oxigraph: `oxigraph serve --location DIR`):
      qdgraph push http://127.0.0.1:7878/store
      qdgraph measures 人才总量 --endpoint http://127.0.0.1:7878/query
      qdgraph push --update http://127.0.0.1:7878/update --graph https://w3id.org/qdgraph/graph
    \b
    Virtuoso (its Graph Store endpoint asks for HTTP Digest):
      qdgraph push http://127.0.0.1:8890/sparql-graph-crud-auth --user dba
      qdgraph measures 人才总量 --endpoint 'http://127.0.0.1:8890/sparql?default-graph-uri=https://w3id.org/qdgraph/graph'
    """
    from qdgraph.engine.graph import open_graph
    from qdgraph.engine.push import push_graph_store, push_update

    if bool(store_url) == bool(update_url):
        raise UsageError("give STORE_URL (Graph Store Protocol) or --update UPDATE_URL, one of them")
    from qdgraph.engine.httpclient import target

    target(store_url or update_url)  # a bad URL is reported before the graph is opened
    files, bundled = graph_files(data, only)
    user = ask_password(user)
    kg = open_graph(files, store=store, bundled=bundled)
    if update_url:
        res = push_update(kg, update_url, graph, timeout=timeout, user=user)
    else:
        res = push_graph_store(kg, store_url, graph, timeout=timeout, user=user)
    from qdgraph.interfaces.cli.common import note

    if res.note:  # the remote store's words: terminal-safe
        note(f"qdgraph: note: {res.note}")
    where = f"graph <{res.graph}>" if res.graph else "default graph"
    note(f"pushed {res.triples} triples to {res.url} ({where}); the store answered: {res.answer}")
