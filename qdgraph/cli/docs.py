"""``qdgraph docs``."""
from __future__ import annotations

import click


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--output", "-o", "out", required=True, type=click.Path(),
              help="Folder to write index.html and qdgraph.ttl into (created if missing).")
def docs(out):
    """Write the ontology's documentation (pyLODE) as an offline HTML page, beside the
    ontology in Turtle. `qdgraph serve` publishes the same page at /ontology.

    \b
    Example:
      qdgraph docs -o site/ontology
    """
    from ..docs import write_docs

    for path in write_docs(out):
        click.echo(str(path))
