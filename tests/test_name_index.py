"""A store's name index narrows a search or a did-you-mean to the entries that can rank
(qdgraph.storage.namestore.StoreNameIndex): what it answers must be what ranking every entry
answers — the same entities, order and scores, the same error and candidates — on a generated
city of many like names (bench/generate.py) with the bundled graph's names beside them."""
from __future__ import annotations

import copy
import importlib.util
import io
import random
from pathlib import Path

import pytest

from qdgraph.errors import AmbiguousNameError, NotFoundError
from qdgraph.names import NameIndex, build_index
from qdgraph.storage.namestore import StoreNameIndex, open_names, write_names

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory, kg):
    import pyoxigraph as ox

    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = io.StringIO()
    gen.generate(text, 150)
    store = ox.Store()
    store.load(text.getvalue().encode(), format=ox.RdfFormat.N_TRIPLES)
    entries = build_index(store) + kg.names().entries
    folder = tmp_path_factory.mktemp("names")
    write_names(folder, entries)
    whole = NameIndex(copy.deepcopy(entries))
    answers = {}  # what ranking every entry answers

    def scanned(*key):
        if key not in answers:
            text, types, how = key[0], list(key[1]) or None, None if key[2] is None else dict(key[2])
            answers[key] = (outcome(whole, text, types) if how is None
                            else [(s, e["iri"]) for s, e in whole.search(text, types, **how)])
        return answers[key]
    return folder, scanned, entries


def texts(entries) -> list[str]:
    """Parts of names, names with a character changed or dropped, pinyin and initials, from a
    seeded sample; and a few chosen: near misses, one character, text every name holds."""
    rng = random.Random(24)
    names = sorted({x for e in entries for x in [e.get("zh"), e.get("en"), *e["alt"], *e.get("pinyin", []),
                                                  *e.get("initials", [])] if x})
    alphabet = sorted({c for n in names for c in n})
    out = {"歌而", "人才总两", "虚拟现实", "xunixianshi", "xunixiansh", "rczl", "青", "q", "有限公司", "qingdao",
           "1", "合成指标1", "Synthetic Enterprise 12", "zzzz", "青岛海科电子科技有线公司", "haikedianzi"}
    for n in rng.sample(names, 6):
        i = rng.randrange(len(n))
        out.add(n[i:rng.randrange(i, len(n)) + 1])
        out.add(n[:i] + rng.choice(alphabet) + n[i + 1:])
        out.add(n[:i] + n[i + 1:])
    return sorted(out)


def outcome(index, text, types):
    try:
        return index.resolve(text, types)
    except (NotFoundError, AmbiguousNameError) as err:
        return type(err).__name__, str(err), getattr(err, "candidates", None), getattr(err, "suggestions", None)


def test_narrowed_search_and_did_you_mean_answer_as_ranking_every_entry(indexes, monkeypatch):
    folder, scanned, entries = indexes
    monkeypatch.setattr(StoreNameIndex, "NARROW_FROM", 0)  # narrow even this small index
    narrowed = 0
    for text in texts(entries):
        for types in (None, ["qd:Indicator"]):
            for how in ({}, {"near_misses": False, "limit": 60}):
                index = open_names(folder)
                got = [(s, e["iri"]) for s, e in index.search(text, types, **how)]
                assert got == scanned(text, tuple(types or ()), tuple(how.items())), (text, types, how)
                narrowed += index._full is None  # answered without reading every entry
            assert outcome(open_names(folder), text, types) == scanned(text, tuple(types or ()), None), (text, types)
    assert narrowed > 40, "the index was read whole: nothing narrowed"


def test_an_index_written_before_the_postings_is_read_whole_with_the_same_answers(indexes, tmp_path, monkeypatch):
    import shutil
    import sqlite3

    folder, scanned, entries = indexes
    monkeypatch.setattr(StoreNameIndex, "NARROW_FROM", 0)
    shutil.copy(folder / "names.sqlite", tmp_path / "names.sqlite")
    with sqlite3.connect(tmp_path / "names.sqlite") as db:  # as an earlier qdgraph wrote it
        db.executescript("DROP TABLE postings; DROP TABLE arrays;")
    for text in ("海科电子", "rczl", "人才总两"):
        index = open_names(tmp_path)
        assert [(s, e["iri"]) for s, e in index.search(text)] == scanned(text, (), ()), text
        assert index._full is not None  # read whole


def test_pinyin_is_pypinyins_own_for_every_name(indexes):
    """The index cuts names into words itself (qdgraph.names._cut, memoised, for speed): each
    name's syllables must be pypinyin's lazy_pinyin of the whole name, which reads a word's
    phrase (银行 háng, 行长 zhǎng) where character by character it would not."""
    from pypinyin import lazy_pinyin

    from qdgraph import names

    _, _, entries = indexes
    rng = random.Random(5)
    texts = sorted({x for e in entries for x in [e.get("zh"), *e["alt"]] if x})
    chosen = ["中国人民银行行长", "重庆长大的音乐人", "朝阳区", "银行行长" * 40, "ＧＤＰ增长率5%以上", "5G+工业互联网", "〇", ""]
    pieces = [t[i:j] for t in texts + chosen if len(t) > 1 for i, j in [sorted(rng.sample(range(len(t) + 1), 2))]]
    texts += chosen + ["".join(rng.sample(pieces, 3)) for _ in range(300)]
    names._CUTS.clear()
    for text in texts + texts:  # twice: the second time from the memo
        assert [s for word in names.pinyin_words(text) for s in word] == lazy_pinyin(text), text
    by_char = [s for c in "中国人民银行行长" for s in lazy_pinyin(c)]
    assert by_char != lazy_pinyin("中国人民银行行长")  # what the test would catch
