"""Progress, presented: numbers, sparklines, the terminal table and CSV rows (zh / en), and
each indicator's small chart as inline SVG (matplotlib, imported only for the page).

The SVG holds no text from the graph (tick numbers only): names, targets and sources are
written into the page as escaped HTML by ``qdgraph.presentation.viz.progress``.
"""
from __future__ import annotations

import io
import re

from qdgraph.presentation.formats import render_table
from qdgraph.engine.units import with_unit

BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 16  # characters at most
# colours of the chart and of the page's legend (one place)
COLOURS = {"observed": "#1f5fa8", "target": "#c0392b", "needed": "#c0392b", "pace": "#7f8c8d"}
_TEXT = {
    "zh": {"indicator": "指标", "target": "目标", "latest": "最新值", "gap": "差距", "needed": "需年均变化",
           "average": "已年均变化", "trend": "走势", "status": "状态", "source": "最新值来源", "measures": "相关措施",
           "stated": "原文陈述", "inferred": "推断", "by": "到{p}", "none": "无", "notes": "说明",
           "points": "{n} 个百分点"},
    "en": {"indicator": "indicator", "target": "target", "latest": "latest", "gap": "gap", "needed": "needed/yr",
           "average": "average/yr", "trend": "trend", "status": "status", "source": "latest value from",
           "measures": "measures", "stated": "stated", "inferred": "inferred", "by": "by {p}", "none": "none",
           "notes": "notes", "points": "{n} pp"},
}
PERCENT = "http://qudt.org/vocab/unit/PERCENT"


def words(lang: str) -> dict:
    return _TEXT[lang]


def num(v: float | None, signed: bool = False) -> str:
    """A value for people: thousands separated, at most two decimals, no trailing zeros."""
    if v is None:
        return "—"
    text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}".rstrip("0").rstrip(".")
    if text in ("-0", "−0"):
        text = "0"
    if signed and not text.startswith("-") and text != "0":
        text = "+" + text
    return text.replace("-", "−")


def sparkline(values: list[float], target: float | None = None) -> str:
    """Block characters for ``values`` (at most SPARK_WIDTH), on a scale that also holds
    ``target``, so the line's height says how far it is from the target."""
    if not values:
        return ""
    if len(values) > SPARK_WIDTH:  # evenly spaced samples, the first and the latest kept
        step = (len(values) - 1) / (SPARK_WIDTH - 1)
        values = [values[round(i * step)] for i in range(SPARK_WIDTH)]
    scale = values + ([target] if target is not None else [])
    lo, hi = min(scale), max(scale)
    if hi == lo:
        return BLOCKS[3] * len(values)
    return "".join(BLOCKS[round((v - lo) / (hi - lo) * (len(BLOCKS) - 1))] for v in values)


def unit_text(ip, lang: str) -> str:
    return ip.unit_zh if lang == "zh" else ip.unit_en


def period_text(key: str, lang: str) -> str:
    from qdgraph.engine.periods import parse_period

    return parse_period(key).label(lang)


def target_text(ip, lang: str) -> str:
    """The target as the source words it (zh), or comparator + value + unit (en), with its year."""
    t = ip.target
    if t is None:
        return words(lang)["none"]
    if t.stated_as or t.qualitative_zh or t.qualitative_en:  # the words the CLI and the server use
        from qdgraph.domain.wording import target_text as worded

        w = worded(t.stated_as or "", t.comparator_zh, t.comparator_en, t.qualitative_zh or "", t.qualitative_en or "")
        text = w.zh if lang == "zh" else w.en
    elif t.value is None:
        text = ""
    elif lang == "zh":
        text = t.stated_as or t.comparator_zh + with_unit(num(t.value), unit_text(ip, lang), lang)
    else:
        text = f"{t.comparator_en or t.symbol} {with_unit(num(t.value), unit_text(ip, lang), lang)}".strip()
    if not t.period:
        return text
    by = words(lang)["by"].format(p=period_text(t.period, lang))
    return f"{text}（{by}）" if lang == "zh" else f"{text} ({by})"


def change_text(ip, value: float | None, lang: str) -> str:
    """A difference of two values in the indicator's unit, signed: +40万人; a difference of two
    percentages is in percentage points (+1.5 个百分点 / +1.5 pp), never "+1.5%"."""
    if value is None:
        return "—"
    if ip.unit == PERCENT:
        return words(lang)["points"].format(n=num(value, True))
    return with_unit(num(value, True), unit_text(ip, lang), lang)


def source_lines(ip, lang: str) -> list[str]:
    """The latest value's sources, one line each: title, address and the sentence."""
    out = []
    for s in ip.sources:
        where = s.get("url") or s.get("file") or ""
        quote = f" “{s['exact']}”" if s.get("exact") else ""
        out.append(f"{words(lang)['source']}: {s.get('title') or s['document']} {where}{quote}".rstrip())
    return out


def latest_text(ip, lang: str) -> str:
    if ip.latest is None:
        return "—"
    p = ip.latest.label_zh if lang == "zh" else ip.latest.label_en
    value = with_unit(num(ip.latest.value), unit_text(ip, lang), lang)
    return f"{value}（{p}）" if lang == "zh" else f"{value} ({p})"


def progress_rows(report, lang: str) -> tuple[list[str], list[list[str]]]:
    """One row per indicator, for CSV/TSV: labels in ``lang``, numbers unformatted."""
    cols = ["indicator", "iri", "pillar", "target", "target_value", "comparator", "target_period", "unit",
            "latest_value", "latest_period", "source", "gap", "needed_per_year", "average_per_year",
            "status", "reason", "measures"]
    rows = []
    for ip in report.indicators:
        t = ip.target
        src = ip.sources[0] if ip.sources else {}
        rows.append([
            getattr(ip, lang), ip.indicator, (ip.pillar_zh if lang == "zh" else ip.pillar_en) or "",
            target_text(ip, lang) if t else "", _raw(t.value if t else None),
            (t.comparator_zh if lang == "zh" else t.comparator_en) if t else "", (t.period or "") if t else "",
            unit_text(ip, lang), _raw(ip.latest.value if ip.latest else None), ip.latest.period if ip.latest else "",
            " ".join(x for x in (src.get("title"), src.get("url") or src.get("file")) if x),
            _raw(ip.gap), _raw(ip.needed_per_year), _raw(ip.average_per_year),
            ip.status_zh if lang == "zh" else ip.status_en, ip.reason_zh if lang == "zh" else ip.reason_en,
            "; ".join(m[lang] for m in ip.measures)])
    return cols, rows


def _raw(v: float | None) -> str:
    return "" if v is None else repr(round(v, 6)).removesuffix(".0")


def progress_text(report, lang: str) -> str:
    """The terminal table (with a sparkline per indicator), then each indicator's reason,
    source and measures."""
    w = words(lang)
    headers = [w[k] for k in ("indicator", "target", "latest", "gap", "needed", "average", "trend", "status")]
    rows = []
    for ip in report.indicators:
        tv = ip.target.value if ip.target else None
        rows.append([getattr(ip, lang), target_text(ip, lang), latest_text(ip, lang), change_text(ip, ip.gap, lang),
                     change_text(ip, ip.needed_per_year, lang), change_text(ip, ip.average_per_year, lang),
                     sparkline([o.value for o in ip.observations], tv),
                     ip.status_zh if lang == "zh" else ip.status_en])
    out = [render_table(headers, rows).rstrip("\n"), ""]
    for i, ip in enumerate(report.indicators, 1):
        status = ip.status_zh if lang == "zh" else ip.status_en
        out.append(f"{i}. {getattr(ip, lang)} — {status}: {ip.reason_zh if lang == 'zh' else ip.reason_en}")
        out += ["   " + line for line in source_lines(ip, lang)]
        if ip.measures:
            ms = "; ".join(f"{m[lang]} ({w['stated'] if m['stated'] else w['inferred']})" for m in ip.measures)
            out.append(f"   {w['measures']} ({len(ip.measures)}): {ms}")
        for n in ip.notes:
            out.append(f"   {w['notes']}: {n}")
    return "\n".join(out)


# ------------------------------------------------------------------ SVG (matplotlib)
def chart_svg(ip, width: float = 3.4, height: float = 2.1) -> str | None:
    """One indicator's small multiple: observed values, the target, the path needed from the
    latest value to the target, and where the average pace so far leads. None if there is
    nothing to draw."""
    t = ip.target if ip.target is not None and ip.target.value is not None else None
    if not ip.observations and t is None:
        return None
    import matplotlib

    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "qdgraph", "font.size": 8,
                                "font.family": ["Noto Sans CJK SC", "DejaVu Sans", "sans-serif"]})
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    xs, ys = [o.t for o in ip.observations], [o.value for o in ip.observations]
    if xs:
        ax.plot(xs, ys, color=COLOURS["observed"], marker="o", markersize=3.5, linewidth=1.6)
    if t is not None and t.t is not None:
        ax.plot([t.t], [t.value], color=COLOURS["target"], marker="*", markersize=10, linestyle="none")
        ax.axhline(t.value, color=COLOURS["target"], linewidth=0.6, alpha=0.35)
        if ip.latest is not None and ip.needed_per_year is not None:
            ax.plot([ip.latest.t, t.t], [ip.latest.value, t.value], color=COLOURS["needed"], linestyle="--", linewidth=1.1)
        if ip.latest is not None and ip.projected is not None:
            ax.plot([ip.latest.t, t.t], [ip.latest.value, ip.projected], color=COLOURS["pace"], linestyle=":", linewidth=1.3)
    # the x axis is years at period ends (a year Y sits at Y+1.0, labelled Y). It spans the
    # plan's period (2022–2026) and the data: left to itself, matplotlib widens a lone target
    # point by ±10 % of 2027, an axis from 1919 to 2119
    ends = [*xs, *([t.t] if t is not None and t.t is not None else [])]
    if ip.plan:
        ends += [ip.plan[0] + 1.0, ip.plan[1] + 1.0]
    if ends:
        ax.set_xlim(min(ends) - 0.4, max(ends) + 0.4)
    if not xs and t is not None and t.value is not None:  # a lone target: some room above and below
        ax.set_ylim(*sorted((0, t.value * 1.15)))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{int(round(x)) - 1}" if abs(x - round(x)) < 1e-6 else "")
    ax.yaxis.set_major_formatter(lambda y, _pos: num(y))
    if ip.direction == "lower":
        ax.invert_yaxis()  # up is better on every chart
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", linewidth=0.4, alpha=0.4)
    fig.tight_layout(pad=0.4)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    # inline: drop the XML prolog and DOCTYPE; size by CSS
    svg = svg[svg.index("<svg"):]
    return re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1class="chart" role="img"', svg, count=1)
