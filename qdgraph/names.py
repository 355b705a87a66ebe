"""Finding an entity from what a person types: a Chinese or English name, an alias, pinyin
(full or initials), part of a name, or a near miss.

The index is a plain list of dicts, one per entity (stored with a store:
``qdgraph.storage.namestore``): ``{"iri", "types", "zh", "en", "alt", "pinyin", "initials",
"normalized"}``. Pinyin is computed when the index is built, which keeps pypinyin (0.3 s to
import) off the lookup path.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable

from qdgraph.errors import AmbiguousNameError, NotFoundError
from qdgraph.limits import check_name
from qdgraph.namespaces import PREFIXES, shorten

# the command that lists every name of a kind, for "no match" messages
LISTINGS = {"indicator": "qdgraph indicators", "chain": "qdgraph chains", "pillar": "qdgraph pillars"}

_PUNCT = re.compile(r"[\s\W_]+", re.U)


def normalize(text: str) -> str:
    """Case-, width- and punctuation-insensitive form: '“四新”经济' and '四新 经济' agree.

    >>> normalize("“四新”经济") == normalize("四新 经济"), normalize("ＧＤＰ")
    (True, 'gdp')
    """
    if text.isascii() and text.isalnum():  # pinyin, most English words: nothing else to do
        return text.lower()
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())


def _pinyin(text: str) -> tuple[str, str]:
    parts = [_word_parts(word) for word in _words(text)]
    return normalize("".join(f for f, _ in parts)), normalize("".join(i for _, i in parts))


@functools.lru_cache(maxsize=65536)
def _word_parts(word: str) -> tuple[str, str]:
    """A word's share of ``_pinyin``: its syllables and their initials, joined."""
    syllables = [s for s in _word_pinyin(word) if s.strip()]
    return "".join(syllables), "".join(s[0] for s in syllables if s[0].isalpha())


def pinyin_words(text: str) -> list[tuple[str, ...]]:
    """The pinyin syllables of each word of ``text``: ``pypinyin.lazy_pinyin`` word by word,
    with each word's reading memoised. Names share words (青岛, 科技, 有限公司), so the index of
    16,000 names takes 1.6 s instead of 8.2 s (same output: pypinyin converts word by word too).
    The words are those pypinyin's default segmenter gives (``pypinyin.seg.simpleseg.seg``):
    runs of Han characters and of other characters, each Han run cut by ``_cut``. Not that
    segmenter itself: it tests each character by a regex in Python, and with ``_cut`` this
    takes 0.3 s of the 1.5 s it took for 50,000 names."""
    return [_word_pinyin(word) for word in _words(text)]


def _words(text: str) -> list[str]:
    runs, is_han = _segmenter()[:2]
    words: list[str] = []
    for run in runs(text) or [text]:
        if is_han(run):
            words.extend(_cut(run))
        else:
            words.append(run)
    return words


@functools.lru_cache(maxsize=1)
def _segmenter():
    """What pypinyin's default segmenter reads: which characters have pinyin (its RE_HANS, a
    character class repeated), the phrases and their prefixes (private to pypinyin, which has
    no public segmenter)."""
    from pypinyin.constants import PHRASES_DICT, RE_HANS
    from pypinyin.seg import mmseg

    han = RE_HANS.pattern.removeprefix("^(?:").removesuffix(")+$")
    prefixes = mmseg.seg._prefix_set
    return (re.compile(f"{han}+|(?:(?!{han}).)+", re.S).findall, re.compile(han).match,
            getattr(prefixes, "_set", prefixes), PHRASES_DICT)


_CUTS: dict[str, tuple[str, ...]] = {}  # the words of each text left (``_cut``), a bounded memo
_CUTS_MAX = 1 << 15


def _cut(run: str) -> tuple[str, ...]:
    """``mmseg.Seg.cut`` of ``run``: its loop carries nothing but the text left, so the words
    of each text left are memoised (names share their ends: 科技有限公司). Exact:
    ``tests/test_names.py`` checks it against pypinyin's own."""
    _, _, prefixes, phrases = _segmenter()
    words: list[str] = []
    left: list[tuple[str, int]] = []  # each text left on the way, and the words before it
    tail: tuple[str, ...] = ()
    remain = run
    while remain:
        known = _CUTS.get(remain)
        if known is not None:
            tail = known
            break
        left.append((remain, len(words)))
        n = 0
        for end in range(1, len(remain) + 1):
            word = remain[:end]
            if word not in prefixes:
                break
            if word in phrases:
                n = end
        else:  # every prefix of the text left is a phrase's prefix
            if not n:  # and none a phrase (nor the text itself): a word a character
                words.extend(remain)
                break
        n = n or 1  # the longest phrase, else the first character
        words.append(remain[:n])
        remain = remain[n:]
    out = (*words, *tail)
    if len(_CUTS) > _CUTS_MAX:
        _CUTS.clear()
    for text, before in left[1:]:  # not the whole run: names are seldom repeated, their ends are
        _CUTS[text] = out[before:]
    return out


@functools.lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(word))


# The name index is built one way: each labelled IRI's literal labels, types and aliases, read
# with three flat queries (``names_of``: from a graph, a backend, an Oxigraph store, or the
# in-memory copy ``qdgraph load`` makes of its files) or, by ``qdgraph load`` without that
# copy, from the files themselves while Oxigraph loads them (``qdgraph.storage.indexscan``);
# either way ``index_from`` makes the entries. Three flat queries, not one with two OPTIONALs:
# 2 s against 8 s at a million triples (Oxigraph evaluates each OPTIONAL group on its own).
LABELS = "SELECT ?e ?x WHERE { ?e rdfs:label ?x FILTER (isIRI(?e) && isLiteral(?x)) }"
# the types of labelled IRIs only: a join, a quarter of the rows every type gives
TYPES = ("SELECT ?e ?x WHERE { { SELECT DISTINCT ?e WHERE { ?e rdfs:label ?l FILTER (isIRI(?e) && isLiteral(?l)) } }"
         " ?e rdf:type ?x FILTER (!isLiteral(?x)) }")
ALIASES = "SELECT ?e ?x WHERE { ?e skos:altLabel ?x FILTER isIRI(?e) }"
SKIP_TYPES = frozenset(PREFIXES["qd"] + t for t in ("Quote", "Claim", "Rule"))  # not things people name


def build_index(source, pinyin: bool = True) -> list[dict]:
    """The name index of ``source``: a KnowledgeGraph, a backend or a pyoxigraph Store
    (``pinyin``: as for ``index_from``)."""
    return index_from(*names_of(source), pinyin=pinyin)


def names_of(source) -> tuple[dict, dict, dict]:
    """What ``index_from`` reads, from ``source`` (as for ``build_index``): each labelled
    IRI's labels as (text, language or None) in the store's order, its types, its aliases."""
    import pyoxigraph as ox

    def pairs(query):
        if isinstance(source, ox.Store):
            return ((sol[0], sol[1]) for sol in source.query(query, prefixes=PREFIXES))
        return ((row["e"], row["x"]) for row in source.query(query, {}).rows)

    labels: dict = {}
    for e, label in pairs(LABELS):
        labels.setdefault(e.value, []).append((label.value, label.language))
    types: dict = {}
    for e, t in pairs(TYPES):
        types.setdefault(e.value, []).append(t.value)
    aliases: dict = {}
    for e, a in pairs(ALIASES):
        if e.value in labels:
            aliases.setdefault(e.value, []).append(a.value)
    return labels, types, aliases


def index_from(labels: dict, types: dict, aliases: dict, pinyin: bool = True) -> list[dict]:
    """The index entries (sorted by IRI) from, for each labelled IRI, its labels as (text,
    language or None), its type IRIs and its alias texts. An entity of a skipped type (quotes,
    claims, rules) is left out; the same index whatever order the labels come in.
    ``pinyin=False`` leaves out the pinyin (``add_pinyin`` adds it): entries read only to be
    labelled need no pypinyin (0.3 s to import). The three dicts are emptied as the entries are
    made: each IRI's labels, types and aliases are freed as its entry takes what it keeps (at
    1 M triples the load makes the index beside its in-memory copy and the bulk loader)."""
    qd = PREFIXES["qd"]
    entries = []
    while labels:
        iri, labs = labels.popitem()
        ts = types.pop(iri, ())
        if SKIP_TYPES.intersection(ts):
            aliases.pop(iri, None)
            continue
        e = {"iri": iri, "types": sorted({shorten(t) for t in ts if t.startswith(qd)}), "zh": None, "en": None}
        alt: list[str] = []
        for label, lang in labs:
            lang = (lang or "").split("-")[0]
            if lang in ("zh", "en") and not e[lang]:
                e[lang] = label
            else:
                alt.append(label)
        alt.extend(aliases.pop(iri, ()))
        e["alt"] = sorted({a for a in alt if a not in (e["zh"], e["en"])})
        if pinyin:
            add_pinyin(e)
        e["normalized"] = normalized_labels(e)
        entries.append(e)
    return sorted(entries, key=lambda e: e["iri"])


@functools.cache
def _han() -> re.Pattern:
    """Matches a CJK ideograph (U+4E00-U+9FFF); compiled on first use, not in every process
    that imports this module (3 ms)."""
    return re.compile(r"[\u4e00-\u9fff]")


def add_pinyin(e: dict) -> dict:
    """The entry with its pinyin (full and initials) of every Chinese name, if it has none yet."""
    if "pinyin" not in e:
        pys = [_pinyin(t) for t in [e["zh"], *e["alt"]] if t and _han().search(t)]
        e["pinyin"] = [p for p, _ in pys]
        e["initials"] = [i for _, i in pys]
    return e


def normalized_labels(e: dict) -> list[str]:
    """The entry's labels as ``normalize`` gives them: kept in the index, so a lookup does not
    normalise every name again (a few milliseconds of every command)."""
    return [normalize(t) for t in [e.get("zh"), e.get("en"), *e["alt"]] if t]


def describe_entry(e: dict) -> str:
    """'全市人才总量 (total talent pool) [qd:Indicator]' — how candidates are listed."""
    name = e.get("zh") or e.get("en") or shorten(e["iri"])
    en = f" ({e['en']})" if e.get("en") and e.get("zh") else ""
    kind = ", ".join(e["types"]) or "entity"
    return f"{name}{en} [{kind}]"


class NameIndex:
    RESOLVE_AT = 60      # substring match or better resolves outright
    FUZZY_RESOLVE = 0.75  # a near miss this close resolves, if clearly the best

    def __init__(self, entries: list[dict]):
        self.entries = entries
        self.by_iri = {e["iri"]: e for e in entries}
        for e in entries:
            if "normalized" not in e:  # an index written before it was kept there
                e["normalized"] = normalized_labels(e)

    def label(self, iri: str, lang: str = "zh") -> str:
        e = self.entry(iri)
        if not e:
            return shorten(iri)
        other = "en" if lang == "zh" else "zh"
        return e.get(lang) or e.get(other) or shorten(iri)

    def entry(self, iri: str) -> dict | None:
        return self.by_iri.get(iri)

    def prefetch(self, iris) -> None:
        """Make ``entry`` of these IRIs cheap (an index read lazily reads them at once)."""

    def _candidates(self, text: str, types: list) -> "NameIndex":
        """The index to rank ``text`` in: this one (a lazy index may narrow it first)."""
        return self

    def _score(self, q: str, e: dict, near_misses: bool = True) -> float:
        best = 0.0
        for key in e["normalized"]:
            if not key:
                continue
            if q == key:
                return 100.0
            if key.startswith(q):
                best = max(best, 80 + 10 * len(q) / len(key))
            elif q in key:
                best = max(best, 70 + 10 * len(q) / len(key))
            elif len(key) >= 2 and key in q:
                best = max(best, 60 + 10 * len(key) / len(q))
        for py in e.get("pinyin", []):
            if q == py:
                best = max(best, 95.0)
            elif len(q) >= 4 and py.startswith(q):
                best = max(best, 75 + 10 * len(q) / len(py))
            elif len(q) >= 4 and q in py:
                best = max(best, 65 + 10 * len(q) / len(py))
        for ini in e.get("initials", []):
            if len(q) >= 2 and q == ini:
                best = max(best, 85.0)
        if best or not near_misses:
            return best
        keys = e["normalized"] + e.get("pinyin", [])
        import difflib  # near misses only

        ratio = max((difflib.SequenceMatcher(None, q, k).ratio() for k in keys if k), default=0.0)
        return ratio * 50  # a near miss scores below every substring match

    def search(self, text: str, types: Iterable[str] | None = None, limit: int = 20,
               min_score: float = 20.0, near_misses: bool = True) -> list[tuple[float, dict]]:
        """Entities ranked by how well they match ``text`` (best first); ``near_misses=False``
        leaves out the (slow) edit-distance scores, which all rank below any partial match."""
        q = normalize(check_name(text, "search text"))
        if not q:
            return []
        wanted = set(types or ())
        scored = []
        for e in self.entries:
            if wanted and not wanted.intersection(e["types"]):
                continue
            s = self._score(q, e, near_misses)
            if s >= min_score:
                scored.append((round(s, 2), e))
        scored.sort(key=lambda se: (-se[0], len(se[1].get("zh") or se[1].get("en") or ""), se[1]["iri"]))
        return scored[:limit]

    def resolve(self, text: str, types: Iterable[str] | None = None, what: str = "entity") -> str:
        """The IRI ``text`` names. Raises NotFoundError (with did-you-mean) or
        AmbiguousNameError (with the candidates)."""
        types = list(types or ())
        iri = as_iri(check_name(text, f"{what} name"))
        e = self.entry(iri) if iri else None
        if e and (not types or set(types) & set(e["types"])):
            return iri
        index = self._candidates(text, types)
        hits = index.search(text, types, limit=50, min_score=15.0, near_misses=False)
        if not hits or hits[0][0] < self.RESOLVE_AT:  # only then can near misses change the answer
            hits = index.search(text, types, limit=50, min_score=15.0)
        if hits:
            top = hits[0][0]
            if top >= self.RESOLVE_AT:
                tied = [e for s, e in hits if s == top]
                if len(tied) == 1:
                    return tied[0]["iri"]
                raise AmbiguousNameError(
                    f"{what} name {text!r} is ambiguous; it matches: "
                    + "; ".join(describe_entry(e) for e in tied[:10]), [describe_entry(e) for e in tied])
            fuzzy_top = top / 50
            runner_up = hits[1][0] / 50 if len(hits) > 1 else 0.0
            if fuzzy_top >= self.FUZZY_RESOLVE and fuzzy_top - runner_up >= 0.1:
                return hits[0][1]["iri"]
        near = [e for s, e in hits[:5] if s >= 20.0]
        if near:
            hint = "; did you mean: " + "; ".join(describe_entry(e) for e in near)
        else:  # nothing close: say where the names are and which kinds of name work
            listing = LISTINGS.get(what, "qdgraph search WORD")
            hint = (f"; see `{listing}` for the names; a Chinese or English name, an alias, pinyin "
                    "(full or initials), part of a name or an IRI all work")
        raise NotFoundError(f"no {what} matches {text!r}{hint}", [describe_entry(e) for e in near])


def as_iri(text: str) -> str | None:
    t = text.strip()
    if t.startswith("<") and t.endswith(">"):
        return t[1:-1]
    if t.startswith(("http://", "https://", "urn:")):
        return t
    from qdgraph.namespaces import expand

    return expand(t) if re.fullmatch(r"[A-Za-z][\w-]*:[^\s:]+", t) else None


# An endpoint's names are asked of the store as a lookup needs them, never read whole past a
# small store: at 10 M triples every label is 1.5 M rows, more than a store sends in its 60 s.
WHOLE = 5000  # labels: a store with no more is read whole (three flat queries, as build_index)
_NAME_PREDICATES = "VALUES ?p { rdfs:label rdf:type skos:altLabel }"
# each entity's labels, types and aliases: subject and predicate given, an index lookup anywhere.
# One branch per predicate, the predicate a constant in each: Virtuoso 7.2, its statistics as a
# bulk load leaves them, ran `VALUES ?e {200 IRIs} VALUES ?p {…} ?e ?p ?x` past its 60 s (20 IRIs:
# 21 s) at 11 M triples; this form takes 0.17 s there, and 0.14 s against 0.07-0.11 s once restarted.
_ENTRIES = ("SELECT ?e ?p ?x WHERE { %s { ?e rdfs:label ?x BIND (rdfs:label AS ?p) } UNION "
            "{ ?e rdf:type ?x BIND (rdf:type AS ?p) } UNION { ?e skos:altLabel ?x BIND (skos:altLabel AS ?p) } }")
# every entity of some types, its labels, types and aliases, if there are few (a row limit under
# every store's usual row cap, so that no answer is cut or read in pages)
_TYPED_ROWS = 9000
_TYPED = ("SELECT DISTINCT ?e ?p ?x WHERE { %s ?e a ?t . " + _NAME_PREDICATES
          + f" ?e ?p ?x FILTER isIRI(?e) }} LIMIT {_TYPED_ROWS}")
# entities named exactly so (a label or an alias given outright): an indexed lookup of the literal
_EXACT = "SELECT DISTINCT ?e WHERE { %s ?e rdfs:label|skos:altLabel ?x FILTER isIRI(?e) }"
_EXACT_LANGS = ("", "zh", "en", "zh-CN", "zh-Hans")
# entities with a name containing the text (case aside): the shortest names first, as they rank first
CONTAINING_ROWS = 500
_CONTAINING = ("SELECT ?e WHERE { { SELECT ?e (MIN(STRLEN(STR(?l))) AS ?n) WHERE { %s "
               "?e rdfs:label|skos:altLabel ?l FILTER (isIRI(?e) && CONTAINS(LCASE(STR(?l)), ?q)) } GROUP BY ?e } }"
               f" ORDER BY ?n ?e LIMIT {CONTAINING_ROWS}")


def _values(var: str, terms) -> str:
    return f"VALUES ?{var} {{ {' '.join(str(t) for t in terms)} }}"  # pyoxigraph writes (escapes) each term


class QueriedNameIndex(NameIndex):
    """The name index of a store reached by SPARQL (``--endpoint``), asked for as needed.

    A store of at most ``WHOLE`` labels is read whole, once, and answers exactly as the index a
    local store keeps. Past that, nothing reads every label: an entry is asked for by its IRI
    (many at once by ``prefetch``); a name is looked up among the entities of the types asked
    for when they are few (an indicator, a chain: the same answers as the whole index), else as
    a label or alias given outright (an indexed lookup of the literal), else among the
    ``CONTAINING_ROWS`` entities with the shortest names containing the text (case aside). So on
    a big store a near miss, pinyin, or a name written with other punctuation or width than the
    store's finds only what those names reach, and the did-you-mean is drawn from them.
    Pinyin is worked out only for a name not found outright (an exact name outranks any pinyin).
    """

    def __init__(self, source):  # deliberately not calling NameIndex.__init__: lazy
        self._source = source
        self._full: NameIndex | None = None
        self._small: bool | None = None
        self._seen: dict = {}

    def _rows(self, text: str) -> list:
        return self._source.query(text, {}).rows

    def _whole(self) -> NameIndex | None:
        """The whole index if the store is small, else None (asked once)."""
        if self._small is None:
            self._small = not self._rows(f"SELECT ?e WHERE {{ ?e rdfs:label ?l }} LIMIT 1 OFFSET {WHOLE}")
            if self._small:
                self._full = NameIndex(build_index(self._source, pinyin=False))
        return self._full

    @staticmethod
    def _entries(rows) -> list[dict]:
        labels: dict = {}
        types: dict = {}
        aliases: dict = {}
        rdfs_label, rdf_type = PREFIXES["rdfs"] + "label", PREFIXES["rdf"] + "type"
        for r in rows:
            e, p, x = r["e"].value, r["p"].value, r["x"]
            if p == rdfs_label:
                labels.setdefault(e, []).append((x.value, getattr(x, "language", None)))
            elif p == rdf_type:
                types.setdefault(e, []).append(x.value)
            else:
                aliases.setdefault(e, []).append(x.value)
        return index_from(labels, types, aliases, pinyin=False)

    @property
    def entries(self):
        if self._whole() is None:
            self._full = NameIndex(build_index(self._source, pinyin=False))  # asked for all: every label
        return [add_pinyin(e) for e in self._full.entries]

    @property
    def by_iri(self):
        self.entries
        return self._full.by_iri

    def entry(self, iri: str) -> dict | None:
        if self._whole() is not None:
            return self._full.entry(iri)
        if iri not in self._seen:
            self.prefetch([iri])
        return self._seen[iri]

    def prefetch(self, iris) -> None:
        """Ask for the entries of ``iris`` in a few queries, not one each."""
        import pyoxigraph as ox

        if self._whole() is not None:
            return
        want = []
        for iri in dict.fromkeys(iris):
            if iri in self._seen:
                continue
            try:
                want.append(ox.NamedNode(iri))
            except ValueError:  # not an IRI a query can name: no entry
                self._seen[iri] = None
        with self._one_deadline():  # one lookup, however many batches
            for k in range(0, len(want), 200):  # a few kB of query each
                chunk = want[k:k + 200]
                found = {e["iri"]: e for e in self._entries(self._rows(_ENTRIES % _values("e", chunk)))}
                for node in chunk:
                    self._seen[node.value] = found.get(node.value)

    def _one_deadline(self):
        """The source's shared deadline for a lookup's queries (``EndpointBackend.one_deadline``), if it has one."""
        import contextlib

        shared = getattr(self._source, "one_deadline", None)
        return shared() if shared is not None else contextlib.nullcontext()

    def _lookup(self, iris) -> list[dict]:
        self.prefetch(iris)
        return [self._seen[i] for i in iris if self._seen.get(i)]

    def _typed(self, types: list) -> list[dict] | None:
        """Every entity of ``types``, when there are few; else None."""
        rows = self._rows(_TYPED % _values("t", _type_nodes(types)))
        if len(rows) >= _TYPED_ROWS:
            return None
        entries = self._entries(rows)
        for e in entries:
            self._seen.setdefault(e["iri"], e)
        return entries

    def _exact(self, text: str) -> list[dict]:
        import pyoxigraph as ox

        texts = dict.fromkeys(t for t in (text, text.strip(), unicodedata.normalize("NFKC", text).strip()) if t)
        literals = [ox.Literal(t, language=lang) if lang else ox.Literal(t) for t in texts for lang in _EXACT_LANGS]
        return self._lookup(sorted({r["e"].value for r in self._rows(_EXACT % _values("x", literals))}))

    def _containing(self, text: str, types: list) -> list[dict]:
        import pyoxigraph as ox

        q = unicodedata.normalize("NFKC", text).strip().casefold()
        if not q:
            return []
        typed = _values("t", _type_nodes(types)) + " ?e a ?t ." if types else ""
        rows = self._rows(_CONTAINING % (_values("q", [ox.Literal(q)]) + " " + typed))
        return self._lookup([r["e"].value for r in rows])

    def _candidates(self, text: str, types: list) -> NameIndex:
        entries = None
        whole = self._whole()
        if whole is not None:
            entries = whole.entries
        elif types:
            entries = self._typed(types)
        if entries is None:  # a big store: the name given outright, else the names containing it
            entries = [e for e in self._exact(text) if not types or set(types) & set(e["types"])]
            if not entries:
                entries = self._containing(text, types)
        # as StoreNameIndex: entities named outright outrank all others, no pinyin needed to rank them
        q = normalize(text)
        hits = [e for e in entries if q and q in e["normalized"] and (not types or set(types) & set(e["types"]))]
        return NameIndex(hits or [add_pinyin(e) for e in entries])

    def search(self, text: str, types: Iterable[str] | None = None, limit: int = 20,
               min_score: float = 20.0, near_misses: bool = True) -> list[tuple[float, dict]]:
        types = list(types or ())
        if self._whole() is not None:
            entries = self._full.entries
        else:
            found = {e["iri"]: e for e in self._exact(check_name(text, "search text"))}
            found.update((e["iri"], e) for e in self._containing(text, types))
            entries = list(found.values())
        return NameIndex([add_pinyin(e) for e in entries]).search(text, types, limit, min_score, near_misses)


def _type_nodes(types: list):
    import pyoxigraph as ox
    from qdgraph.namespaces import expand

    return [ox.NamedNode(expand(t) or t) for t in types]
