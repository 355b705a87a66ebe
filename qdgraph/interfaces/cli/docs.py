"""``qdgraph docs``."""
from __future__ import annotations

import click

from qdgraph.interfaces.cli.common import command


@command()
@click.option("--output", "-o", "out", required=True, type=click.Path(),
              help="Folder to write index.html and qdgraph.ttl into (created if missing).")
def docs(out):
    """Write the ontology's documentation (pyLODE) as an offline HTML page, beside the
    ontology in Turtle. `qdgraph serve` publishes the same page at /ontology.

    \b
    Examples:
      qdgraph docs -o site/ontology
    """
    from qdgraph.presentation.docs import write_docs
    from qdgraph.presentation.terminal import echo

    for path in write_docs(out):
        echo(str(path))
