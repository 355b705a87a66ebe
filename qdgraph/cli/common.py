"""Options shared by the commands that read the graph, and output helpers."""
from __future__ import annotations

import functools
import sys

import click

DATA_HELP = "Add an RDF file (Turtle, N-Triples, …) to the bundled graph; repeatable."


def graph_options(fn):
    """--data / --store / --endpoint, turned into a ``kg`` argument (opened lazily on first use)."""

    @click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False), help=DATA_HELP)
    @click.option("--store", type=click.Path(file_okay=False), help="Use an on-disk store built by `qdgraph load`.")
    @click.option("--endpoint", metavar="URL", help="Query a remote SPARQL 1.1 endpoint instead.")
    @functools.wraps(fn)
    def wrapper(*args, data, store, endpoint, **kwargs):
        return fn(*args, kg=GraphOpener(data, store, endpoint), **kwargs)

    return wrapper


class GraphOpener:
    """Opens the graph on first use, so argument errors are reported before any loading."""

    def __init__(self, data, store, endpoint):
        self.args = (data, store, endpoint)
        self._kg = None

    def __call__(self, reason=None):
        if self._kg is None:
            from ..graph import open_graph

            data, store, endpoint = self.args
            self._kg = open_graph(data, store=store, endpoint=endpoint, reason=reason)
        return self._kg


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")


def emit_json(obj) -> None:
    """A lookup's plain data (dicts and lists), written by the format registry."""
    from ..formats import write

    emit(write(obj, "json"))


def format_option(choices, default):
    return click.option("--format", "-F", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                           help="Language of labels.")
