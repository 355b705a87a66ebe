"""``qdgraph observe import`` and ``qdgraph progress``: observed values in, progress out."""
from __future__ import annotations

from pathlib import Path

import click

from qdgraph.errors import UsageError
from qdgraph.interfaces.cli.common import (CONTEXT, Group, command, emit, emit_json, format_option, graph_options,
                                           lang_option, note, store_option, work_bar)

_BAR_FROM = 500  # rows: below this an import takes a moment, a bar is noise


@click.group(cls=Group, context_settings=CONTEXT)
def observe():
    """Observed values of the indicators (statistics) in a store.

    \b
    Examples:
      qdgraph observe import bulletin-2023.csv --store ~/qd-store
      qdgraph observe import bulletin-2023.csv --store ~/qd-store --dry-run
    """


@observe.command("import", context_settings=CONTEXT)
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False))
@store_option(required=True, help="The store folder.")
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
def observe_import(csv_file, store, dry_run):
    """Add the observed values in FILE.csv to the store at DIR, all or nothing.

    \b
    Columns (English or Chinese header; order free; other columns are ignored):
      indicator / 指标      required; name, alias, pinyin or IRI, as in `qdgraph indicators`
      period / 时期         required; a year (2023) or a month (2023-03, 2023年3月)
      value / 数值          required; a number (29.5, 1,234)
      unit / 单位           required; %, 亿元, 万元, 元, 万人, 人, 家, 个 … (converted to the
                           target's unit where QUDT allows: 亿元 ↔ 元, 万人 ↔ 人, % ↔ ratio)
      source / 来源         required; the title of the publication the value comes from
      url / 网址            the publication's URL or file name
      quote / 原文          the sentence of the publication that gives the value

    Encoding: UTF-8 (with or without BOM), GBK/GB18030 or UTF-16. Every row is checked and
    the result SHACL-validated before anything is written; a bad row is reported as
    FILE:LINE and the store is left as it was. A value for an indicator and period that the
    store (or an earlier row) already has with another value is a conflict and is refused;
    the same value again only adds its source. Importing the same file again adds nothing.

    \b
    Examples:
      qdgraph observe import bulletin-2023.csv --store ~/qd-store
      qdgraph progress --store ~/qd-store
    """
    from qdgraph.domain.observe import import_observations

    if Path(csv_file).suffix.lower() not in (".csv", ".txt", ".tsv"):
        raise UsageError(f"{csv_file}: expected a .csv file (observed values)")
    with work_bar("checking rows", _BAR_FROM) as bar:
        res = import_observations(csv_file, store, dry_run=dry_run, progress=bar)
    for w in res.warnings:
        note(f"qdgraph: warning: {w}")
    if not res.added:
        note(f"{csv_file}: nothing new ({res.rows} rows already in {store}); the store is unchanged")
        return
    verb = "would add" if dry_run else "added"
    note(f"{csv_file}: {res.rows} rows ({res.encoding}) → {res.new_observations} new observations, "
         f"{res.confirmed} already known (source added); {verb} {res.added} triples"
         + ("" if dry_run else f" to {store}"))


@command()
@click.argument("indicator", required=False)
@click.option("--pillar", metavar="PILLAR", help="Only the indicators of this pillar (name, alias or IRI).")
@graph_options
@format_option(["table", "json", "csv", "tsv"], "table")
@lang_option
def progress(indicator, pillar, kg, fmt, lang):
    """Progress toward the targets: are we on track for 2026?

    For each indicator (or INDICATOR, or the indicators of --pillar): the target (value,
    comparator, year), the latest observed value with its period and source, the gap, the
    yearly change still needed beside the average yearly change so far, and a status —
    met, on track, behind, one value only (a gap, but no pace yet), no data (no observed
    value), qualitative (a target with no number, such as 完成省下达任务, cannot be computed)
    or no target. Values and gaps are given in the unit the target is stated in (超过300万人:
    万人); a gap between percentages is in percentage points (个百分点 / pp). Also the
    measures that bear on each indicator (as `qdgraph measures` finds them).

    \b
    Examples:
      qdgraph progress --store ~/qd-store
      qdgraph progress 人才总量 --store ~/qd-store --lang en
      qdgraph progress --pillar 数字赋能典范 --format json
    """
    from qdgraph.presentation.charts import progress_rows, progress_text
    from qdgraph.domain.progress import progress as compute

    report = compute(kg(), indicator, pillar=pillar)
    if fmt == "json":
        return emit_json(report.for_orjson())
    if fmt in ("csv", "tsv"):
        from qdgraph.presentation.formats import write
        from qdgraph.engine.results import SelectResult

        cols, rows = progress_rows(report, lang)
        return emit(write(SelectResult.from_values(cols, [[v if v != "" else None for v in r] for r in rows]), fmt), fmt)
    emit(progress_text(report, lang))
