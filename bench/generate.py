"""A synthetic city for the benchmark: N enterprises over industry chains, with measures,
indicators, targets, observations, and the claims and quotes the real data carries.

Shaped like data/chains.ttl (every entity labelled zh + en with qd:evidence a qd:Quote — a Web
Annotation specific resource with a quote selector; every claimed triple backed by a qd:Claim
with basis and source; targets and figures as Data Cube observations; no qd:affects links: the
rules derive them when the store is built), but with IRIs under qdr:bench- and names that cannot
collide with the real ones.
Deterministic: the same size gives the same file.

    python bench/generate.py --triples 1000000 -o out/bench/city-1m.nt
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

QD = "https://w3id.org/qdgraph/ontology#"
QDR = "https://w3id.org/qdgraph/id/bench-"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
OA = "http://www.w3.org/ns/oa#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
QB = "http://purl.org/linked-data/cube#"
SDMX_D = "http://purl.org/linked-data/sdmx/2009/dimension#"
SDMX_M = "http://purl.org/linked-data/sdmx/2009/measure#"
SDMX_A = "http://purl.org/linked-data/sdmx/2009/attribute#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PERIOD_2026 = "https://w3id.org/qdgraph/id/period-2026"
PLACE = QDR + "place"

N_CHAINS = 24          # the plan's "24 key chains"
N_INDICATORS = 12
PER_ENTERPRISE = 19.9  # triples per enterprise, measures, their claims and derived links included (measured)

W1 = list("海瑞华鑫泰恒盛达宏源金德丰润安康新立中天正")  # 20
W2 = list("科智信通创联成博远航凯晟星辰云峰明光耀启")     # 20
W3 = ["电子", "声学", "光学", "精密", "智能", "数字", "材料", "装备", "生物", "能源", "海洋", "微电",
      "视觉", "传感", "软件", "网络", "医疗", "化工", "汽车", "物流"]                 # 20
W4 = ["科技有限公司", "股份有限公司", "技术有限公司", "集团有限公司", "实业有限公司", "制造有限公司",
      "工业有限公司", "研究院有限公司"]                                                 # 8


def esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


class Writer:
    def __init__(self, out):
        self.out, self.n = out, 0

    def t(self, s: str, p: str, o: str) -> None:
        self.out.write(f"<{s}> <{p}> {o} .\n")
        self.n += 1

    def iri(self, s, p, o):
        self.t(s, p, f"<{o}>")

    def lit(self, s, p, text, lang=None, dt=None):
        suffix = f"@{lang}" if lang else (f"^^<{dt}>" if dt else "")
        self.t(s, p, f'"{esc(text)}"{suffix}')

    def entity(self, s, cls, zh, en, quote, ns=QD, via=QD + "evidence"):
        self.iri(s, RDF + "type", ns + cls)
        self.lit(s, RDFS + "label", zh, "zh")
        self.lit(s, RDFS + "label", en, "en")
        self.iri(s, via, quote)

    def quote(self, q, text):
        self.iri(q, RDF + "type", QD + "Quote")
        self.iri(q, OA + "hasSource", QDR + "doc")
        self.iri(q, OA + "hasSelector", q + "-text")
        self.iri(q + "-text", RDF + "type", OA + "TextQuoteSelector")
        self.lit(q + "-text", OA + "exact", text)

    def observation(self, o, dataset, dim, of, value, quote, kind="TargetValue"):
        self.iri(o, RDF + "type", QB + "Observation")
        self.iri(o, QB + "dataSet", dataset)
        self.iri(o, dim, of)
        self.iri(o, SDMX_D + "refArea", PLACE)
        self.iri(o, SDMX_D + "refPeriod", PERIOD_2026)
        self.lit(o, SDMX_M + "obsValue", str(value), dt=XSD + "decimal")
        self.iri(o, SDMX_A + "unitMeasure", "http://qudt.org/vocab/unit/NUM")
        self.iri(o, QD + "comparator", QD + "AtLeast")
        self.iri(o, QD + "valueKind", QD + kind)
        self.iri(o, PROV + "wasDerivedFrom", quote)

    def claim(self, c, s, p, o, quote, basis="Stated", why=None):
        self.iri(s, QD + p, o)
        self.iri(c, RDF + "type", QD + "Claim")
        self.iri(c, RDF + "subject", s)
        self.iri(c, RDF + "predicate", QD + p)
        self.iri(c, RDF + "object", o)
        self.iri(c, QD + "basis", QD + basis)
        self.iri(c, PROV + "wasDerivedFrom", quote)
        if why:
            self.lit(c, QD + "rationale", why[0], "zh")
            self.lit(c, QD + "rationale", why[1], "en")


def enterprise_name(i: int) -> str:
    a, i = W1[i % 20], i // 20
    b, i = W2[i % 20], i // 20
    c, i = W3[i % 20], i // 20
    d = W4[i % 8]
    extra = "" if i < 8 else str(i // 8)  # only past 64 000 names
    return f"青岛{a}{b}{c}{extra}{d}"


def chain_of(rng: random.Random) -> int:
    """Skewed like real registers: the first chain holds about a sixth of all enterprises."""
    r = rng.random()
    return 0 if r < 0.16 else int((r - 0.16) / 0.84 * (N_CHAINS - 1)) + 1


def generate(out, n_enterprises: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    w = Writer(out)
    doc = QDR + "doc"
    w.iri(doc, RDF + "type", QD + "SourceDocument")
    w.lit(doc, DCT + "title", "合成城市基准数据", "zh")
    w.lit(doc, QD + "textFile", "bench/synthetic.txt")

    pillars = [QDR + f"pillar-{k}" for k in range(1, 5)]
    for k, p in enumerate(pillars, 1):
        q = QDR + f"q-pillar-{k}"
        w.quote(q, f"合成任务{k}：在合成领域{k}上走在前列。")
        w.entity(p, "Pillar", f"合成任务{k}", f"synthetic pillar {k}", q)
        w.lit(p, SKOS + "notation", f"P{k}")

    chains = [QDR + f"chain-{k:02d}" for k in range(1, N_CHAINS + 1)]
    indicators = [QDR + f"indicator-{k:02d}" for k in range(1, N_INDICATORS + 1)]
    for k, ind in enumerate(indicators, 1):
        q = QDR + f"q-indicator-{k}"
        w.quote(q, f"到2026年，合成指标{k:02d}达到{k * 100}以上。")
        w.entity(ind, "Indicator", f"合成指标{k:02d}", f"synthetic indicator {k:02d}", q)
        w.lit(ind, SKOS + "notation", f"I{k:02d}")
        w.claim(QDR + f"c-ind-{k}", ind, "measuredUnder", pillars[(k - 1) % 4], q)
        for c in (chains[k - 1], chains[k - 1 + N_INDICATORS]):   # what it measures: two chains
            w.claim(QDR + f"c-subj-{k}-{c[-2:]}", ind, "measuresSubject", c, q)
        t = QDR + f"target-{k}"
        w.observation(t, QDR + "dataset-targets", QD + "indicator", ind, k * 100, q)
        w.iri(t, RDF + "type", QD + "Target")

    for k, c in enumerate(chains, 1):
        q = QDR + f"q-chain-{k}"
        w.quote(q, f"做强合成产业链{k:02d}，产业规模突破{k * 50}亿元。")
        w.entity(c, "IndustryChain", f"合成产业链{k:02d}", f"synthetic chain {k:02d}", q)
        stat = QDR + f"statistic-{k}"
        w.entity(stat, "Statistic", f"合成产业链{k:02d}规模", f"size of synthetic chain {k:02d}", q)
        w.observation(QDR + f"obs-{k}", QDR + "dataset-figures", QD + "statistic", stat, k * 50, q, "ObservedValue")

    n_measures = max(8, n_enterprises // 20)
    measures = [QDR + f"measure-{k}" for k in range(1, n_measures + 1)]
    for k, m in enumerate(measures, 1):
        q = QDR + f"q-measure-{k}"
        chain = rng.randrange(N_CHAINS)
        w.quote(q, f"实施第{k}项合成措施，支持合成产业链{chain + 1:02d}企业扩大规模。")
        w.entity(m, "Measure", f"合成措施{k}", f"synthetic measure {k}", q)
        pillar = rng.randrange(4)
        if k > 40 and rng.random() < 0.5:   # sub-measures under an earlier measure
            w.claim(QDR + f"c-sub-{k}", m, "subMeasureOf", measures[rng.randrange(k - 1)], q)
        w.claim(QDR + f"c-road-{k}", m, "onRoadmapOf", pillars[pillar], q)
        w.claim(QDR + f"c-con-{k}", m, "concerns", chains[chain], q)

    for i in range(n_enterprises):
        e = QDR + f"enterprise-{i}"
        q = QDR + f"q-enterprise-{i}"
        name = enterprise_name(i)
        chain = chain_of(rng)
        w.quote(q, f"{name}是合成产业链{chain + 1:02d}的骨干企业。")
        w.entity(e, "Enterprise", name, f"Synthetic Enterprise {i}", q)
        w.lit(e, ORG + "identifier", f"9137{i:014d}")
        w.lit(e, SCHEMA + "foundingDate", f"{1990 + i % 33}", dt=XSD + "gYear")
        w.claim(QDR + f"c-ent-{i}", e, "inChain", chains[chain], q)
    return w.n


def enterprises_for(triples: int) -> int:
    return max(50, int(triples / PER_ENTERPRISE))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=float, default=1e6, help="about how many triples (default 1e6)")
    ap.add_argument("-o", "--output", required=True, help="the N-Triples file to write")
    args = ap.parse_args(argv)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = enterprises_for(int(args.triples))
    with open(out, "w", encoding="utf-8") as f:
        count = generate(f, n)
    print(f"{out}: {count} triples, {n} enterprises", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
