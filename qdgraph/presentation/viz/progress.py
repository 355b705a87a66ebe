"""The progress page: one offline HTML file of small multiples, one card per indicator.

Each card: the indicator's chart (observed values, the target, the path needed from the latest
value to it, where the average pace so far leads — inline SVG drawn by matplotlib, see
``qdgraph.presentation.charts.chart_svg``), its status and reason, target, latest value, gap, the yearly
change needed beside the average so far, the sources of the latest value and the measures that
bear on it. The page has no script at all, and its Content-Security-Policy forbids scripts and
any network access; every text from the graph goes through ``html.escape`` (links only for
http(s) URLs), so a hostile label is shown as text and does nothing.
"""
from __future__ import annotations

import functools
import html
import re

from qdgraph.presentation.charts import COLOURS, change_text, chart_svg, latest_text, target_text, words
from qdgraph.domain.progress import STATUSES
from qdgraph.presentation.viz.page import STATIC

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
_TEXT = {
    "zh": {"title": "进度：迈向规划目标", "sub": "每个指标一张图：观测值、目标、达到目标所需路径，以及按已有年均变化的走向。",
           "observed": "观测值", "target_mark": "目标", "needed_line": "所需路径", "pace_line": "按已有年均变化",
           "no_chart": "没有可画的数值", "vs": "需年均 {n} ／ 已年均 {a}", "pace": "年均变化", "gap": "差距",
           "sources": "最新值来源", "count": "{n} 项指标"},
    "en": {"title": "Progress toward the plan's targets", "sub": "One chart per indicator: observed values, the target, "
           "the path needed to reach it, and where the average yearly change so far leads.",
           "observed": "observed", "target_mark": "target", "needed_line": "path needed", "pace_line": "at the pace so far",
           "no_chart": "no figures to draw", "vs": "needed {n} a year · so far {a} a year", "pace": "yearly change", "gap": "gap",
           "sources": "latest value from", "count": "{n} indicators"},
}


@functools.cache
def _css() -> str:
    return (STATIC / "progress.css").read_text(encoding="utf-8")


def render_progress(kg, indicator: str | None = None, *, pillar: str | None = None, lang: str = "zh") -> str:
    """The page for every indicator, one indicator, or a pillar's indicators."""
    from qdgraph.errors import UsageError
    from qdgraph.domain.progress import progress

    if lang not in ("zh", "en"):
        raise UsageError(f"unknown language {lang!r}; choose zh or en")
    return build_progress_page(progress(kg, indicator, pillar=pillar), lang)


def build_progress_page(report, lang: str = "zh") -> str:
    T, e = _TEXT[lang], html.escape
    counts = {}
    for ip in report.indicators:
        counts[ip.status] = counts.get(ip.status, 0) + 1
    legend = [f"<li>{_swatch('observed')} {e(T['observed'])}</li>", f"<li>{_swatch('target')} {e(T['target_mark'])}</li>",
              f"<li>{_swatch('needed')} {e(T['needed_line'])}</li>", f"<li>{_swatch('pace')} {e(T['pace_line'])}</li>"]
    legend += [f'<li><span class="s-{k}"><span class="badge">{e(STATUSES[k][0 if lang == "zh" else 1])}</span></span> {n}</li>'
               for k in STATUSES for n in [counts.get(k)] if n]
    cards = "\n".join(_card(ip, lang) for ip in report.indicators)
    title = T["title"] if len(report.indicators) != 1 else f"{T['title']} — {getattr(report.indicators[0], lang)}"
    return f"""<!DOCTYPE html>
<html lang="{'zh-Hans' if lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="qdgraph">
<title>{e(title)}</title>
<style>
{_css()}</style>
</head>
<body>
<header>
<h1>{e(title)}</h1>
<p class="sub">{e(T['sub'])} {e(T['count'].format(n=len(report.indicators)))}</p>
<ul class="legend">{''.join(legend)}</ul>
</header>
<main>
{cards}
</main>
</body>
</html>
"""


def _swatch(kind: str) -> str:
    c = COLOURS[kind]
    if kind == "target":
        return f'<svg width="14" height="14" aria-hidden="true"><polygon points="7,1 9,5.5 13.5,5.5 10,8.5 11.5,13 7,10.5 2.5,13 4,8.5 0.5,5.5 5,5.5" fill="{c}"/></svg>'
    dash = {"observed": "", "needed": ' stroke-dasharray="4 2"', "pace": ' stroke-dasharray="1.5 2"'}[kind]
    return f'<svg width="24" height="10" aria-hidden="true"><line x1="1" y1="5" x2="23" y2="5" stroke="{c}" stroke-width="2"{dash}/></svg>'


def _card(ip, lang: str) -> str:
    T, W, e = _TEXT[lang], words(lang), html.escape
    other = "en" if lang == "zh" else "zh"
    status = ip.status_zh if lang == "zh" else ip.status_en
    svg = chart_svg(ip)
    chart = svg if svg is not None else f'<p class="nochart">{e(T["no_chart"])}</p>'
    rows = [(W["target"], target_text(ip, lang)), (W["latest"], latest_text(ip, lang))]
    if ip.gap is not None:
        rows.append((T["gap"], change_text(ip, ip.gap, lang)))
    if ip.needed_per_year is not None or ip.average_per_year is not None:
        rows.append((T["pace"], T["vs"].format(n=change_text(ip, ip.needed_per_year, lang),
                                               a=change_text(ip, ip.average_per_year, lang))))
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows)
    parts = [f'<section class="card s-{e(ip.status)}" data-indicator="{e(ip.indicator)}">',
             f"<h2>{e(getattr(ip, lang))}</h2>", f'<p class="other">{e(getattr(ip, other))}</p>',
             f'<span class="badge">{e(status)}</span>', chart, f"<dl>{dl}</dl>",
             f'<p class="reason">{e(ip.reason_zh if lang == "zh" else ip.reason_en)}</p>']
    if ip.sources:
        items = "".join(_source(s) for s in ip.sources)
        parts.append(f"<details><summary>{e(T['sources'])}</summary><ul>{items}</ul></details>")
    if ip.measures:
        items = "".join(f"<li>{e(m[lang])} <small>({e(W['stated'] if m['stated'] else W['inferred'])})</small></li>"
                        for m in ip.measures)
        parts.append(f"<details><summary>{e(W['measures'])} ({len(ip.measures)})</summary><ul>{items}</ul></details>")
    parts.append("</section>")
    return "\n".join(parts)


def _source(s: dict) -> str:
    e = html.escape
    title = e(s.get("title") or s["document"])
    url = s.get("url") or ""
    head = f'<a href="{e(url, quote=True)}" rel="noreferrer noopener">{title}</a>' if re.match(r"https?://", url) else title
    if s.get("file") and not url:
        head += f" <small>{e(s['file'])}</small>"
    quote = f"<blockquote>{e(s['exact'])}</blockquote>" if s.get("exact") else ""
    return f"<li>{head}{quote}</li>"
