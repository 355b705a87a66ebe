"""Query results as pandas DataFrames (the optional extra: ``pip install 'qdgraph[pandas]'``).

Cells are plain Python values, not RDF terms: an IRI as its text, a number as a number, a
boolean as a boolean, any other literal as its text; an unbound variable is missing (None).
With ``labels=True`` each column that holds IRIs gets a ``<column>_label`` column beside it,
with the label people read (from the graph's name index, in ``lang``).

    >>> import qdgraph
    >>> kg = qdgraph.open()
    >>> res = kg.query("SELECT ?i ?n WHERE { ?i a qd:Indicator ; skos:notation ?n } ORDER BY ?n LIMIT 2")
    >>> df = qdgraph.to_dataframe(res, kg, labels=True)
    >>> list(df.columns)
    ['i', 'i_label', 'n']
    >>> df.loc[0, "i_label"]
    '地区生产总值'
"""
from __future__ import annotations

from typing import Any

from qdgraph.errors import UsageError
from qdgraph.namespaces import PREFIXES

_XSD = PREFIXES["xsd"]
_INTEGERS = {_XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                                "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong",
                                "unsignedShort", "unsignedByte")}
_FLOATS = {_XSD + t for t in ("decimal", "double", "float")}


def value(term: Any) -> Any:
    """An RDF term as a plain Python value (see the module's docstring); None stays None."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal) and not term.language:
        dt = term.datatype.value
        try:
            if dt in _INTEGERS:
                return int(term.value)
            if dt in _FLOATS:
                return float(term.value)
        except ValueError:  # an ill-typed literal ("12万"^^xsd:integer) keeps its text
            return term.value
        if dt == _XSD + "boolean" and term.value in ("true", "false", "1", "0"):
            return term.value in ("true", "1")
    return term.value if isinstance(term, ox.Literal) else str(term)


def to_dataframe(result, kg=None, *, labels: bool = False, lang: str = "zh"):
    """``result`` (a SELECT's ``SelectResult``, or a ``GraphResult``: columns subject,
    predicate, object) as a ``pandas.DataFrame``; ``labels=True`` (needs ``kg``) adds a label
    column beside each column of IRIs."""
    try:
        import pandas as pd
    except ImportError:
        raise UsageError("DataFrames need pandas: pip install 'qdgraph[pandas]'") from None
    kind = getattr(result, "kind", None)
    if kind == "graph":
        variables = ["subject", "predicate", "object"]
        rows = [dict(zip(variables, (t.subject, t.predicate, t.object))) for t in result.triples]
    elif kind == "select":
        variables, rows = list(result.variables), list(result.rows)
    else:
        raise UsageError("only SELECT and CONSTRUCT/DESCRIBE results become DataFrames "
                         "(an ASK answer is one value: result.value)")
    if labels and kg is None:
        raise UsageError("labels=True needs the graph the labels come from: to_dataframe(result, kg, labels=True)")
    import pyoxigraph as ox

    columns: dict[str, list] = {}
    for v in variables:
        terms = [row.get(v) for row in rows]
        columns[v] = [value(t) for t in terms]
        if labels and any(isinstance(t, ox.NamedNode) for t in terms):
            columns[f"{v}_label"] = [kg.label(t.value, lang) if isinstance(t, ox.NamedNode) else None for t in terms]
    return pd.DataFrame(columns, columns=list(columns))
