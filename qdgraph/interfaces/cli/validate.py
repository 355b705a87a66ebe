"""``qdgraph validate``."""
from __future__ import annotations

import sys

import click

from qdgraph.interfaces.cli.common import command, emit, lang_option, ntr, tr


@command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--only", is_flag=True, help="Check FILES with the ontology only, without the bundled data.")
@click.option("--format", "-F", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@lang_option
def validate(files, only, fmt, lang):
    """Check the data against ontology/shapes.ttl (SHACL) and every quote against its source.

    Without FILES, checks the bundled data. With FILES, checks them together with the
    bundled data (as `--data FILE` would use them), or alone with --only.

    Each violation is printed on one line: focus node, path, message. Exit status: 0 if the
    data conforms, 1 if there are violations, 2 if a file does not parse (file:line: message).

    \b
    Examples:
      qdgraph validate
      qdgraph validate my-enterprises.ttl
    """
    from qdgraph.domain.validate import validate as run_validate

    report = run_validate(files, with_bundled=not only)
    if fmt == "json":
        from dataclasses import asdict

        from qdgraph.interfaces.cli.common import emit_json

        emit_json({"conforms": report.conforms, "files": report.files, "triples": report.triples,
                   "violations": [asdict(v) for v in report.violations]})
    else:
        for v in report.violations:
            emit(v.line())
        n = sum(v.severity == "Violation" for v in report.violations)
        # the status line's language: --lang, else the locale's (English for run() in a host program)
        status = tr("conforms") if report.conforms else ntr("%(n)s violation", "%(n)s violations", n)
        click.echo(tr("%(files)s files, %(triples)s triples: %(status)s", files=len(report.files),
                      triples=report.triples, status=status), err=True)
    sys.exit(0 if report.conforms else 1)
