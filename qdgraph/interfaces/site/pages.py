"""What each page shows, as plain data for the templates (run in a thread: it queries the graph).

Only shipped named queries and library functions run here; names a reader types are resolved
by the name index and bound as IRIs. Words are chosen in the templates from the message
catalogue (``qdgraph.presentation.i18n``); graph labels come in both languages and the page
picks the reader's.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from collections import OrderedDict, defaultdict

import pyoxigraph as ox

from qdgraph.namespaces import PREFIXES, shorten
from qdgraph.presentation import i18n

QD = PREFIXES["qd"]
QDR = PREFIXES["qdr"]
RDF_TYPE = PREFIXES["rdf"] + "type"
LABELS = {PREFIXES["rdfs"] + "label", PREFIXES["skos"] + "prefLabel"}
EVIDENCE = {QD + "evidence", PREFIXES["prov"] + "wasDerivedFrom"}
SELECTOR = PREFIXES["oa"] + "hasSelector"
QUOTE = QD + "Quote"
CLAIM = QD + "Claim"
STATED = QD + "Stated"
# which picture (/viz/KIND?name=IRI) shows an entity of a type
PICTURES = {QD + "IndustryChain": "chain", QD + "Pillar": "pillar", QD + "Indicator": "indicator",
            QD + "Enterprise": "enterprise", QD + "Platform": "enterprise"}
# kind → (outgoing, incoming) properties its own section shows
SHOWN_ABOVE = {"indicator": ((), (QD + "affects", QD + "worksAgainst")), "measure": ((QD + "affects", QD + "worksAgainst"), ()),
               "chain": ((), (QD + "inChain", QD + "concerns"))}
SPECIAL = {QD + "Indicator": "indicator", QD + "Measure": "measure", QD + "IndustryChain": "chain",
           QD + "SourceDocument": "source", QUOTE: "quote", CLAIM: "claim"}


def href(iri: str) -> str:
    """Where a term's page is: /id/… for the graph's entities, the ontology page for its terms,
    the IRI itself for other vocabularies."""
    if iri.startswith(QDR):
        return "/id/" + iri[len(QDR):]
    if iri.startswith(QD):
        return "/ontology#" + iri[len(QD):]
    return iri


# ------------------------------------------------------------------ per-generation memo
class Memo:
    """Things computed from a whole graph (every claim, every quote, progress of all
    indicators), kept per store generation (``backend.snapshot``, which never changes) or per
    backend object for graphs in memory. A few graphs at most."""

    def __init__(self, size: int = 4):
        self._lock = threading.Lock()
        self._graphs: OrderedDict = OrderedDict()
        self._size = size

    def get(self, kg, key: str, build):
        gkey = getattr(kg.backend, "snapshot", None) or ("object", id(kg.backend))
        with self._lock:
            slot = self._graphs.get(gkey)
            if slot is None:
                slot = self._graphs[gkey] = {}
                while len(self._graphs) > self._size:
                    self._graphs.popitem(last=False)
            self._graphs.move_to_end(gkey)
            if key in slot:
                return slot[key]
        value = build(kg)  # outside the lock: two threads may build the same value once each
        with self._lock:
            slot.setdefault(key, value)
        return value


MEMO = Memo()


def _claims(kg) -> dict:
    """claim IRI → {s, p, o, basis, rule, rationale{lang}, quotes[], premises[]}; and (s, p, o) → claims."""
    claims: dict = {}
    for r in kg.named("site-claims").rows:
        c = claims.get(r["claim"].value)
        if c is None:
            c = claims[r["claim"].value] = {"claim": r["claim"].value, "s": r["s"].value, "p": r["p"].value,
                                            "o": r["o"].value, "basis": r["basis"].value,
                                            "rule": _v(r.get("rule")), "rationale": {}, "quotes": [], "premises": []}
        rat = r.get("rationale")
        if rat is not None:
            c["rationale"][rat.language or ""] = rat.value
        for k, key in (("quote", "quotes"), ("premise", "premises")):
            v = _v(r.get(k))
            if v and v not in c[key]:
                c[key].append(v)
    by_triple = defaultdict(list)
    for c in claims.values():
        by_triple[(c["s"], c["p"], c["o"])].append(c)
    return {"claims": claims, "by_triple": by_triple}


def _quotes(kg) -> dict:
    out = {}
    for r in kg.named("site-quotes").rows:
        out[r["quote"].value] = {"iri": r["quote"].value, "exact": r["exact"].value, "source": _v(r.get("source")),
                                 "start": int(r["start"].value) if r.get("start") is not None else None}
    return out


def _progress_all(kg) -> dict:
    from qdgraph.domain.progress import progress

    return {ip.indicator: ip for ip in progress(kg).indicators}


# ------------------------------------------------------------------ words for terms
class Words:
    """Labels for one page in the reader's language: entities and ontology terms from the name
    index, reused vocabulary terms from the catalogue, quotes by their text, claims as a sentence."""

    def __init__(self, kg, lang: str):
        self.kg, self.lang = kg, lang
        self.names = kg.names()
        self._claims = None
        self._quotes = None
        # labels, kept for the generation: a store's name index answers each from SQLite
        self._seen: dict = MEMO.get(kg, "labels", lambda kg: {})

    def both(self, iri: str) -> dict:
        return {"zh": self.label(iri, "zh"), "en": self.label(iri, "en")}

    def label(self, iri: str, lang: str | None = None) -> str:
        lang = lang or self.lang
        key = (iri, lang)
        if key not in self._seen:
            self._seen[key] = self._label(iri, lang)
        return self._seen[key]

    def _label(self, iri: str, lang: str) -> str:
        e = self.names.entry(iri)
        if e:
            return e.get(lang) or e.get(i18n.other(lang)) or shorten(iri)
        t = i18n.term(iri, lang)
        if t:
            return t
        q = self.quotes().get(iri)
        if q:
            return "“" + _cut(q["exact"], 40) + "”"
        rule = _rule_names().get(iri)
        if rule:
            return rule.get(lang) or rule.get("zh") or _local(iri)
        c = self.claims()["claims"].get(iri)
        if c:
            return f'{self.label(c["s"], lang)} — {self.label(c["p"], lang)} → {self.label(c["o"], lang)}'
        return _local(iri)

    def claims(self) -> dict:
        if self._claims is None:
            self._claims = MEMO.get(self.kg, "claims", _claims)
        return self._claims

    def quotes(self) -> dict:
        if self._quotes is None:
            self._quotes = MEMO.get(self.kg, "quotes", _quotes)
        return self._quotes

    def link(self, iri: str) -> dict:
        return {"iri": iri, "href": href(iri), "text": self.label(iri), "other": self.label(iri, i18n.other(self.lang))}

    def quote(self, iri: str) -> dict | None:
        q = self.quotes().get(iri)
        if q is None:
            return None
        src = q["source"]
        return {"iri": iri, "exact": q["exact"], "id": _quote_id(iri),
                "href": (source_href(src) + "#" + _quote_id(iri)) if src else href(iri), "page": href(iri)}

    def claim(self, c: dict) -> dict:
        """A claim for reading: basis in words, rule, rationale, quotes, premises (each a sentence)."""
        return {"iri": c["claim"], "href": href(c["claim"]), "stated": c["basis"] == STATED,
                "basis": self.label(c["basis"]), "rule": self.link(c["rule"]) if c["rule"] else None,
                "rationale": c["rationale"].get(self.lang) or c["rationale"].get(i18n.other(self.lang)) or "",
                "quotes": [q for q in (self.quote(x) for x in c["quotes"]) if q],
                "premises": [self.premise(p) for p in c["premises"]]}

    def premise(self, iri: str) -> dict:
        c = self.claims()["claims"].get(iri)
        if c is None:
            return {"text": self.label(iri), "href": href(iri), "quotes": []}
        return {"s": self.link(c["s"]), "p": self.label(c["p"]), "o": self.link(c["o"]), "href": href(iri),
                "quotes": [q for q in (self.quote(x) for x in c["quotes"]) if q]}


@lru_cache(maxsize=1)
def _rule_names() -> dict:
    """rule IRI → {"zh", "en"}: the declared rules' names (their files' headers)."""
    from qdgraph.storage.rules import all_rules

    return {r.iri: r.label for r in all_rules()}


def _quote_id(iri: str) -> str:
    return "q-" + iri.rsplit("/", 1)[-1]


def source_href(iri: str) -> str:
    return "/source/" + iri[len(QDR):] if iri.startswith(QDR) else href(iri)


def _local(iri: str) -> str:
    import re

    tail = re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", tail).replace("-", " ").replace("_", " ")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _v(term):
    return term.value if term is not None else None


# ------------------------------------------------------------------ pages
def exists(kg, iri: str) -> bool:
    """Whether the graph says anything with ``iri`` as subject or object."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # not an IRI at all
        return False
    return next(iter(kg.quads(subject=node)), None) is not None or next(iter(kg.quads(object=node)), None) is not None


def entity(kg, iri: str, lang: str) -> dict:
    """Everything one entity's page shows."""
    w = Words(kg, lang)
    node = ox.NamedNode(iri)
    claims = w.claims()
    e = w.names.entry(iri) or {}
    page = {"iri": iri, "href": href(iri), "types": [], "labels": {"zh": [], "en": []}, "alt": [],
            "evidence": [], "statements": [], "incoming": [], "kind": None, "picture": None, "special": {}}
    groups: dict = OrderedDict()
    literal_langs: dict = defaultdict(set)
    rows = kg.named("entity-out", {"entity": node}).rows
    for r in rows:
        o = r["o"]
        if isinstance(o, ox.Literal) and o.language:
            literal_langs[r["p"].value].add(o.language.split("-")[0])
    for r in rows:
        p, o = r["p"].value, r["o"]
        if p == RDF_TYPE:
            page["types"].append(w.link(o.value))
            page["kind"] = page["kind"] or SPECIAL.get(o.value)
            page["picture"] = page["picture"] or PICTURES.get(o.value)
            continue
        if p in LABELS and isinstance(o, ox.Literal):
            if p.endswith("label"):
                page["labels"].setdefault((o.language or lang).split("-")[0], []).append(o.value)
            continue
        if p == PREFIXES["skos"] + "altLabel" and isinstance(o, ox.Literal):
            page["alt"].append(o.value)
            continue
        if p in EVIDENCE:
            q = w.quote(o.value)
            if q:
                page["evidence"].append(q)
                continue
        if p == SELECTOR and isinstance(o, ox.BlankNode):
            continue  # a quote's selectors: its text is shown, offsets are in the RDF
        g = groups.setdefault(p, {"property": w.link(p), "values": []})
        if isinstance(o, ox.Literal):
            tag = (o.language or "").split("-")[0]
            if tag and lang in literal_langs[p] and tag != lang:
                continue  # the same statement in the other language: the reader's is shown
            g["values"].append({"literal": o.value, "datatype": shorten(o.datatype.value) if not o.language else ""})
        elif isinstance(o, ox.NamedNode):
            v = w.link(o.value)
            v["claims"] = [w.claim(c) for c in _ranked(claims["by_triple"].get((iri, p, o.value), []))]
            g["values"].append(v)
    page["statements"] = sorted(groups.values(), key=lambda g: (not g["property"]["iri"].startswith(QD), g["property"]["text"]))
    into: dict = OrderedDict()
    for r in kg.named("entity-in", {"entity": node}).rows:
        s, p = r["s"], r["p"].value
        if not isinstance(s, ox.NamedNode):
            continue
        g = into.setdefault(p, {"property": w.link(p), "subjects": []})
        v = w.link(s.value)
        v["claims"] = [w.claim(c) for c in _ranked(claims["by_triple"].get((s.value, p, iri), []))]
        g["subjects"].append(v)
    page["incoming"] = sorted(into.values(), key=lambda g: (not g["property"]["iri"].startswith(QD), g["property"]["text"]))
    for g in page["incoming"]:
        g["subjects"].sort(key=lambda v: v["text"])
    page["zh"] = (page["labels"].get("zh") or [e.get("zh") or ""])[0] or w.label(iri, "zh")
    page["en"] = (page["labels"].get("en") or [e.get("en") or ""])[0] or w.label(iri, "en")
    page["title"] = page["zh"] if lang == "zh" else page["en"]
    page["subtitle"] = page["en"] if lang == "zh" else page["zh"]
    if page["subtitle"] == page["title"]:
        page["subtitle"] = ""
    kind = page["kind"]
    # what a kind's own section shows is not listed again below it
    hide_out, hide_in = SHOWN_ABOVE.get(kind, ((), ()))
    page["statements"] = [g for g in page["statements"] if g["property"]["iri"] not in hide_out]
    page["incoming"] = [g for g in page["incoming"] if g["property"]["iri"] not in hide_in]
    if kind == "claim":
        c = claims["claims"].get(iri)
        if c:
            page["special"] = w.claim(c) | {"s": w.link(c["s"]), "p": w.label(c["p"]), "o": w.link(c["o"])}
    elif kind == "quote":
        q = w.quote(iri)
        page["special"] = q or {}
    elif kind == "indicator":
        page["special"] = indicator(kg, iri, w)
    elif kind == "measure":
        page["special"] = measure(kg, iri, w, groups)
    elif kind == "chain":
        page["special"] = chain(kg, iri, w, groups, into)
    elif kind == "source":
        page["special"] = {"href": source_href(iri)}
    if page["picture"]:
        page["picture"] = f"/viz/{page['picture']}?name={iri}&lang={lang}"
    return page


def _ranked(cs: list) -> list:
    """Stated claims first, then by basis name (several rules can derive one link)."""
    return sorted(cs, key=lambda c: (c["basis"] != STATED, c["basis"], c["claim"]))


def indicator(kg, iri: str, w: Words) -> dict:
    """Target, latest value, progress and the measures grouped as ``measures_for`` gives them."""
    from qdgraph.presentation import charts

    lang = w.lang
    ip = MEMO.get(kg, "progress", _progress_all).get(iri)
    out: dict = {"target": "", "latest": "", "status": "", "reason": "", "chart": None, "groups": [],
                 "progress_href": f"/progress?indicator={iri}&lang={lang}"}
    if ip is not None:
        out["target"] = charts.target_text(ip, lang)
        out["latest"] = charts.latest_text(ip, lang) if ip.latest is not None else ""
        out["status"] = getattr(ip, "status_" + lang, "") or ""
        out["status_key"] = ip.status
        out["reason"] = getattr(ip, "reason_" + lang, "") or ""
        if ip.observations or ip.target:
            # its own URL, drawn once per generation: matplotlib takes a second, the page 50 ms
            # (and an <img>: the page's CSP forbids the inline styles matplotlib's SVG uses)
            out["chart"] = "/site/chart/" + iri[len(QDR):] + ".svg"
    im = MEMO.get(kg, "measures:" + iri, lambda kg: _measures_for(kg, iri))
    out["groups"] = _measure_groups(im, w)
    out["context"] = [w.link(c["measure"]) for c in (getattr(im, "context", None) or [])]
    out["count"] = sum(len(g["measures"]) for g in out["groups"])
    return out


def _measures_for(kg, iri: str):
    from qdgraph.domain.measures import measures_for

    return measures_for(kg, iri)


def chart(kg, iri: str) -> str | None:
    """The indicator's progress chart as SVG (drawn once per generation), or None."""
    def build(kg):
        from qdgraph.presentation import charts

        ip = MEMO.get(kg, "progress", _progress_all).get(iri)
        return charts.chart_svg(ip) if ip is not None and (ip.observations or ip.target) else None

    return MEMO.get(kg, "chart:" + iri, build)


def _measure_groups(im, w: Words) -> list:
    """The measures as ``measures_for`` groups them: its ``groups`` if it has them, else by the
    basis of each measure's strongest link, strongest first (the order of ``counts``)."""
    lang = w.lang

    def one(m) -> dict:
        return {"link": w.link(m.measure), "basis": getattr(m, "basis_" + lang, "") or "",
                "rule": (getattr(m, "rule_" + lang, None) or "") if not getattr(m, "stated", False) else "",
                "rationale": (m.rationale or {}).get(lang) or (m.rationale or {}).get(i18n.other(lang)) or "",
                "quotes": [q for q in (w.quote(e["quote"]) for e in (m.evidence or [])) if q],
                "path": [{"link": w.link(s.iri), "relation": w.label(_rel(s.relation)) if s.relation else "",
                          "inverse": bool(s.relation and s.relation.startswith("^"))} for s in (m.path or [])]}

    groups = getattr(im, "groups", None)
    if groups:  # a grouping of measures_for's own
        out = []
        for g in groups:
            label = g.get(lang) if isinstance(g, dict) else getattr(g, lang, "")
            items = g.get("links") if isinstance(g, dict) else getattr(g, "links", [])
            out.append({"label": label or "", "measures": [one(m) for m in items]})
        return out
    by: dict = OrderedDict((b, []) for b in (im.counts or {}))
    for m in im.links:
        by.setdefault(m.basis, []).append(one(m))
    labels = im.basis_labels or {}
    return [{"label": (labels.get(b) or {}).get(lang) or w.label(_expand(b)), "measures": ms} for b, ms in by.items() if ms]


def _rel(rel: str) -> str:
    return _expand(rel.lstrip("^"))


def _expand(curie: str) -> str:
    from qdgraph.namespaces import expand

    return expand(curie) or curie


def measure(kg, iri: str, w: Words, groups: dict) -> dict:
    """What the measure affects, and why (each link's basis, rule, premises and quotes)."""
    affects = groups.get(QD + "affects", {"values": []})["values"]
    against = groups.get(QD + "worksAgainst")
    return {"affects": affects, "against": against["values"] if against else [],
            "against_label": against["property"]["text"] if against else "",
            "concerns": groups.get(QD + "concerns", {"values": []})["values"],
            "roadmap": groups.get(QD + "onRoadmapOf", {"values": []})["values"]}


def chain(kg, iri: str, w: Words, groups: dict, into: dict) -> dict:
    """Category, target cluster tier, enterprises and platforms, the measures that name it."""
    def values(p):
        return groups.get(QD + p, {"values": []})["values"]

    def subjects(p):
        return into.get(QD + p, {"subjects": []})["subjects"]

    return {"category": values("category"), "tier": values("targetClusterTier"),
            "members": subjects("inChain"), "measures": subjects("concerns"),
            "programmes": values("partOfProgramme")}


def home(kg, lang: str) -> dict:
    """Pillars, the indicators with target and status, chains."""
    def build(kg):
        from qdgraph.domain.wording import indicator_rows

        prog = MEMO.get(kg, "progress", _progress_all)
        pillars = [{k: t.value for k, t in r.items() if t is not None} for r in kg.named("pillars").rows]
        inds = indicator_rows(kg)
        for i in inds:
            ip = prog.get(i["indicator"])
            i["status"] = ip.status if ip else ""
            i["status_zh"], i["status_en"] = (ip.status_zh, ip.status_en) if ip else ("", "")
        chains = [{k: t.value for k, t in r.items() if t is not None} for r in kg.named("chains").rows]
        return {"pillars": pillars, "indicators": inds, "chains": chains}

    data = MEMO.get(kg, "home", build)
    w = Words(kg, lang)
    pillars = []
    for p in data["pillars"]:
        pillars.append({"link": w.link(p["pillar"]), "notation": p.get("notation", ""),
                        "indicators": [i for i in data["indicators"] if i["pillar"] == p["pillar"]]})
    for p in pillars:
        p["indicators"] = [{"link": w.link(i["indicator"]), "notation": i["notation"],
                            "target": i["target_" + lang], "year": i.get("year", ""),
                            "status": i["status_" + lang], "status_key": i["status"]} for i in p["indicators"]]
    claims = w.claims()["claims"].values()
    tier_of = {c["s"]: c["o"] for c in claims if c["p"] == QD + "targetClusterTier"}
    category_of = {c["s"]: c["o"] for c in claims if c["p"] == QD + "category"}
    # chains with a target cluster tier under it; the others under their category
    groups: dict = OrderedDict()
    for c in sorted(data["chains"], key=lambda c: (c["chain"] not in tier_of, tier_of.get(c["chain"], ""),
                                                 category_of.get(c["chain"], ""))):
        iri = c["chain"]
        key = ("tier", tier_of[iri]) if iri in tier_of else ("category", category_of.get(iri))
        groups.setdefault(key, []).append(w.link(iri))
    return {"pillars": pillars,
            "chains": [{"by": by, "what": w.link(k) if k else None, "chains": cs} for (by, k), cs in groups.items()],
            "n_indicators": len(data["indicators"]), "n_chains": len(data["chains"])}


def source(kg, iri: str, lang: str) -> dict | None:
    """The document's text cut at its quotes: [("text", str) | ("quote", {...})], with what rests on each."""
    from qdgraph import paths

    def build(kg):
        rows = kg.named("sources").rows
        doc = next((r for r in rows if r["doc"].value == iri), None)
        if doc is None or doc.get("file") is None:
            return None
        path = _text_file(paths, doc["file"].value)
        if path is None:
            return None
        text = path.read_text(encoding="utf-8")
        node = {"doc": ox.NamedNode(iri)}  # one of the graph's documents: an IRI
        quotes = [{"iri": r["quote"].value, "start": int(r["start"].value), "end": int(r["end"].value),
                   "exact": r["exact"].value} for r in kg.named("source-quotes", node).rows]
        based = defaultdict(set)
        for r in kg.named("source-quote-entities", node).rows:
            based[r["quote"].value].add(r["based"].value)
        return {"text": text, "quotes": quotes, "based": based, "title": _v(doc.get("title")) or ""}

    data = MEMO.get(kg, "source:" + iri, build)
    if data is None:
        return None
    w = Words(kg, lang)
    text = data["text"]
    # quotes that are verbatim; one inside another nests (a quote crossing another's edge is
    # left unmarked: `qdgraph validate` reports quotes that do not match the text)
    quotes = sorted((q for q in data["quotes"] if text[q["start"]:q["end"]] == q["exact"]),
                    key=lambda q: (q["start"], -q["end"]))

    def node(q, children):
        rests = sorted((w.link(b) for b in data["based"].get(q["iri"], ()) if b.startswith(QDR)),
                       key=lambda v: v["text"])
        rests = [r for r in rests if not r["iri"].startswith(QDR + "claim-")]
        return ("quote", {"id": _quote_id(q["iri"]), "href": href(q["iri"]), "children": children,
                          "rests": rests[:SHOWN_RESTS], "more": max(0, len(rests) - SHOWN_RESTS)})

    def nest(lo: int, hi: int, inside: list) -> list:
        out, at, i = [], lo, 0
        while i < len(inside):
            q = inside[i]
            if q["start"] < at or q["end"] > hi:
                i += 1
                continue
            if q["start"] > at:
                out.append(("text", text[at:q["start"]]))
            inner = [x for x in inside[i + 1:] if x["start"] >= q["start"] and x["end"] <= q["end"]]
            out.append(node(q, nest(q["start"], q["end"], inner)))
            at = q["end"]
            i += 1
        if at < hi:
            out.append(("text", text[at:hi]))
        return out

    parts = nest(0, len(text), quotes)
    paragraphs: list = [[]]
    for kind, v in parts:  # paragraphs at the text's blank lines (a quote never spans one)
        if kind == "quote":
            paragraphs[-1].append((kind, v))
            continue
        chunks = v.split("\n")
        for i, chunk in enumerate(chunks):
            if i:
                paragraphs.append([])
            if chunk.strip():
                paragraphs[-1].append(("text", chunk))
    out = []
    for para in paragraphs:
        if not para:
            continue
        level = 0
        if para[0][0] == "text" and para[0][1].lstrip().startswith("#"):  # the text's Markdown headings
            head = para[0][1].lstrip()
            level = min(len(head) - len(head.lstrip("#")), 4)
            para = [("text", head.lstrip("#").strip())] + para[1:]
        out.append({"heading": level, "parts": para})
    return {"iri": iri, "title": data["title"] or w.label(iri), "page": href(iri),
            "paragraphs": out, "n_quotes": len(data["quotes"])}


SHOWN_RESTS = 3  # entities named beside a quoted sentence; its own page lists them all


def _text_file(paths, rel: str):
    """The source text a document names (``sources/NAME.txt``), looked up where the bundled data is."""
    from pathlib import Path

    name = Path(rel).name
    for d in {Path(f).parent for f in paths.bundled_files()}:
        for cand in (d / rel, d / "sources" / name):
            if cand.is_file():
                return cand
    shared = paths.shared_dir() / "sources" / name
    return shared if shared.is_file() else None


def search(kg, text: str, lang: str) -> dict:
    """A plain question's answer (if it is one) and the names that match, grouped by type."""
    from qdgraph.domain.questions import answer

    w = Words(kg, lang)
    ans = answer(kg, text, measures=lambda kg, iri: MEMO.get(kg, "measures:" + iri, lambda kg: _measures_for(kg, iri)))
    out: dict = {"answer": None, "groups": []}
    if ans is not None:
        a = {"kind": ans.kind, "name": ans.name, "subject": w.link(ans.iri) if ans.iri else None,
             "sparql": ans.sparql, "params": [{"var": k, "iri": v} for k, v in ans.params.items()],
             "query": ans.query, "candidates": [w.link(c["iri"]) for c in ans.candidates],
             "items": [], "related": []}
        for it in ans.items:
            v = w.link(it["iri"])
            if ans.kind == "measures":
                v["basis"] = it.get("basis_" + lang, "")
                v["quote"] = w.quote(it["quote"]["quote"]) if it.get("quote") else None
            elif ans.kind == "target":
                v["text"] = it.get(lang) or it.get("zh", "")
                v["year"] = it.get("year", "")
            a["items"].append(v)
        for it in ans.related:
            a["related"].append({"relation": w.label(it["relation"]), "link": w.link(it["iri"]), "inverse": it.get("inverse", False)})
        out["answer"] = a
    groups: dict = OrderedDict()
    # a question's name is what to look up; near misses (edit distance over every name) only
    # when plain matches are few and the text is not a question we understood
    name = ans.name if ans is not None else text
    hits = w.names.search(name, limit=60, near_misses=False)
    if len(hits) < 5 and ans is None:  # near misses (edit distance over every name) only when plain matches are few
        hits = w.names.search(name, limit=60)
    for score, e in hits:
        t = (e.get("types") or [""])[0]
        groups.setdefault(t, []).append(w.link(e["iri"]))
    out["groups"] = [{"type": w.label(_expand(t)) if t else "", "type_iri": _expand(t) if t else "", "items": items}
                     for t, items in groups.items()]
    return out
