"""``qdgraph load`` and ``qdgraph import``: build an on-disk store, add enterprise lists to it."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from qdgraph.errors import UsageError
from qdgraph.interfaces.cli.common import command, lang_option, note, ntr, store_option, tr, work_bar

_BAR_FROM = 8 << 20  # bytes: below this a load takes well under a second, a bar is noise
_ROWS_FROM = 500     # rows: below this an import takes a moment


def _byte_bar(total: int, label: str):
    """A click progress bar on stderr for long loads; nothing when not on a terminal."""
    if total < _BAR_FROM or not sys.stderr.isatty():
        return contextlib.nullcontext()
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=False,
                             show_percent=True, show_eta=True)


@command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@store_option(required=True, help=tr("The store folder."))
@click.option("--force", is_flag=True, help="Replace an existing store (only once the new one is complete).")
@lang_option
def load(files, store, force, lang):
    """Build an on-disk store at DIR holding the ontology, the bundled data and FILES.

    FILES may be Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML; big N-Triples/Turtle
    files are streamed in. Every command then takes --store DIR (opened read-only, fast).
    All or nothing: a file that does not parse is reported as file:line and the folder is left
    as it was. The store records what it was built from (manifest.json: files, sha256, sizes,
    triple count, qdgraph version, time). --force rebuilds an existing store from FILES alone:
    rows added with `qdgraph import` are not carried over.

    \b
    Examples:
      qdgraph load --store ~/qd-store
      qdgraph load city.nt extra.ttl --store ~/qd-store --force
      qdgraph measures 人才总量 --store ~/qd-store
    """
    from qdgraph.storage.build import build_store

    total = sum(Path(f).stat().st_size for f in files if Path(f).is_file())
    with _byte_bar(total, tr("loading")) as bar:
        # this process ends with the build (entry's os._exit): its in-memory copy is not freed
        manifest = build_store(store, files, force=force, progress=bar and bar.update, ends_process=True)
    n = len([f for f in manifest["files"] if f["role"] == "data"])
    note(ntr("built %(store)s: %(triples)s triples (ontology, bundled data and %(n)s file)",
             "built %(store)s: %(triples)s triples (ontology, bundled data and %(n)s files)", n,
             store=store, triples=manifest["triples"]))


@command()
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False))
@store_option(required=True, help=tr("The store folder."))
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
@lang_option
def import_csv(csv_file, store, dry_run, lang):
    """Add the enterprises of FILE.csv to the store at DIR, all or nothing.

    \b
    Columns (English or Chinese header; order free; other columns are ignored):
    {columns}

    Encoding: UTF-8 (with or without BOM) or GBK/GB18030 as Chinese spreadsheets export.
    Each enterprise gets the file and row as its provenance. An enterprise already in the
    store (same credit code, or same name) is merged, not duplicated; importing the same file
    again adds nothing. Every row is checked (and the result SHACL-validated) before anything
    is written; a bad row is reported as FILE:LINE and the store is left as it was.

    \b
    Examples:
      qdgraph import vr-enterprises.csv --store ~/qd-store
      qdgraph show 歌尔股份有限公司 --store ~/qd-store
    """
    from qdgraph.domain.importer import import_file

    if not Path(csv_file).suffix.lower() in (".csv", ".txt", ".tsv"):
        raise UsageError(tr("%(file)s: expected a .csv file (an enterprise list)", file=csv_file))
    with work_bar(tr("importing"), _ROWS_FROM * 3) as bar:  # import_file reports 3 units of work per row
        res = import_file(csv_file, store, dry_run=dry_run, progress=bar)
    for w in res.warnings:
        note(f"qdgraph: warning: {w}")
    if not res.added:
        note(tr("%(file)s: nothing new (%(rows)s rows already in %(store)s); the store is unchanged",
                file=csv_file, rows=res.rows, store=store))
        return
    counts = dict(file=csv_file, rows=res.rows, encoding=res.encoding, new=res.new_enterprises,
                  merged=res.merged_enterprises, added=res.added, store=store)
    if dry_run:
        note(tr("%(file)s: %(rows)s rows (%(encoding)s) → %(new)s new enterprises, %(merged)s merged; "
                "would add %(added)s triples", **counts))
    else:
        note(tr("%(file)s: %(rows)s rows (%(encoding)s) → %(new)s new enterprises, %(merged)s merged; "
                "added %(added)s triples to %(store)s", **counts))


def _import_help() -> str:
    """The help of ``qdgraph import``, its column list made from the importer's column table."""
    import inspect
    import textwrap

    from qdgraph.domain.csvcolumns import COLUMNS
    from qdgraph.presentation.formats import pad, text_width

    heads = [f"{c.name} / {c.zh}" for c in COLUMNS]
    width = max(map(text_width, heads)) + 2
    lines = []
    for head, col in zip(heads, COLUMNS):
        wrapped = textwrap.wrap(col.help, 96 - width) or [""]
        lines.append("  " + pad(head, width) + wrapped[0])
        lines += ["  " + " " * width + more for more in wrapped[1:]]
    return inspect.cleandoc(import_csv.__doc__).replace("{columns}", "\n".join(lines))


import_csv.help = _import_help()  # the column list comes from the table the importer reads
