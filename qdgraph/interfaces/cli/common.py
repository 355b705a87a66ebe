"""Options shared by the commands that read the graph, and output helpers."""
from __future__ import annotations

import contextlib
import functools
import sys

import click

from qdgraph.errors import UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class WordedHelp:
    """Help read from the catalogue when shown: the command's text, each option's help, and the
    words click itself prints (Usage, Options). The English text is the msgid; a text the
    catalogue lacks is shown as written."""

    def format_help_text(self, ctx, formatter):
        import inspect

        original = self.help
        if original:
            self.help = tr(inspect.cleandoc(original))
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = original

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), tr("Usage:") + " ")

    def format_options(self, ctx, formatter):
        params = [p for p in self.get_params(ctx) if getattr(p, "help", None)]
        saved = [p.help for p in params]
        for p, text in zip(params, saved):
            p.help = tr(text)
        try:
            rows = [(r[0], _worded_extra(r[1])) for r in (p.get_help_record(ctx) for p in self.get_params(ctx))
                    if r is not None]
        finally:
            for p, text in zip(params, saved):
                p.help = text
        if rows:
            with formatter.section(tr("Options")):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):  # what click.Group.format_options adds after the options
            self.format_commands(ctx, formatter)


def _worded_extra(text: str) -> str:
    """click's closing "[default: X; required]" with its words from the catalogue."""
    import re

    m = re.search(r"\[([^\[\]]*)\]$", text)
    if not m:
        return text
    parts = [tr("default") + ": " + part[len("default: "):] if part.startswith("default: ")
             else tr("required") if part == "required" else part for part in m.group(1).split("; ")]
    return text[:m.start()] + "[" + "; ".join(parts) + "]"


class Command(WordedHelp, click.Command):
    pass


class Group(WordedHelp, click.Group):
    """A command group (`qdgraph observe`) worded by the catalogue, its subcommands too."""
    command_class = Command

    def format_commands(self, ctx, formatter):
        # click's own listing shortens the English help; the catalogue's first line instead
        import inspect

        rows = [(name, tr(inspect.cleandoc(cmd.help or "")).replace("\b", "").strip().split("\n")[0])
                for name, cmd in ((n, self.get_command(ctx, n)) for n in self.list_commands(ctx))
                if cmd is not None and not cmd.hidden]
        if rows:
            with formatter.section(tr("Commands")):
                formatter.write_dl(rows)


def command(**kwargs):
    """``click.command`` with the settings every qdgraph command shares (``-h``, width, help
    worded by the catalogue)."""
    kwargs.setdefault("cls", Command)
    return click.command(context_settings=CONTEXT, **kwargs)


def data_option(fn):
    """--data FILE (repeatable) and --only: the files with the ontology, without the bundled data.
    (Option help is worded when a command's module is imported, which the command table does
    lazily: in the `qdgraph` process that is after the locale is known.)"""
    fn = click.option("--only", is_flag=True,
                      help=tr("Use the --data files with the ontology alone, without the bundled data."))(fn)
    return click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False),
                        help=tr("Add an RDF file (Turtle, N-Triples, …) to the bundled graph; repeatable."))(fn)


def graph_files(data, only: bool) -> tuple[list, bool]:
    """(files, bundled) for ``open_graph``: with --only, the ontology and the --data files."""
    if not only:
        return list(data), True
    if not data:
        raise UsageError(tr("--only needs at least one --data FILE"))
    from qdgraph import paths

    return [*paths.ontology_files(), *data], False


def _store_dir(ctx, param, value):
    """An empty --store is a mistake (an unset shell variable), not "no store": answering from
    the bundled graph, or building in the current folder, would hide it."""
    if value is not None and not value.strip():
        raise UsageError(tr("--store %(value)s: give the store's folder (an empty name is not one)", value=repr(value)))
    return value


def store_option(required: bool = False, help: str | None = None):
    return click.option("--store", "store", required=required, type=click.Path(file_okay=False), metavar="DIR",
                        callback=_store_dir, help=help or tr("Use an on-disk store built by `qdgraph load`."))


def graph_options(fn):
    """--data / --store / --endpoint, turned into a ``kg`` argument (opened lazily on first use)."""

    @data_option
    @store_option()
    @click.option("--endpoint", metavar="URL", help=tr("Query a remote SPARQL 1.1 endpoint instead."))
    @functools.wraps(fn)
    def wrapper(*args, data, only, store, endpoint, **kwargs):
        return fn(*args, kg=GraphOpener(data, store, endpoint, only), **kwargs)

    return wrapper


class GraphOpener:
    """Opens the graph on first use, so argument errors are reported before any loading."""

    def __init__(self, data, store, endpoint, only=False):
        self.files, self.bundled = graph_files(data, only)
        self.args = (store, endpoint)
        self._kg = None

    def __call__(self, reason=None, timeout=None):
        if self._kg is None:
            from qdgraph.engine.graph import open_graph

            store, endpoint = self.args
            self._kg = open_graph(self.files, store=store, endpoint=endpoint, bundled=self.bundled, reason=reason,
                                  timeout=timeout)
        return self._kg


SHOWN = 20  # items of a list a text answer shows unless --full: a group of `measures` (and `ask`), a
#             relation of `show` (at 1 M triples an indicator has 295 measures and a chain 8,000 members)


def shell_word(text: str) -> str:
    """``text`` as one word of a command line an answer suggests: as it is when every character
    is one shlex leaves as it is or a printable one outside ASCII (Chinese, its punctuation: no
    shell reads those; shlex quotes them all), else quoted by shlex."""
    import re
    import shlex

    plain = text.isprintable() and re.fullmatch(r"(?:[\w@%+=:,./-]|[^\x00-\x7f])+", text)
    return text if plain else shlex.quote(text)


HUMAN_FORMATS = (None, "table")  # text for people; the rest are machine formats (json, csv, turtle…)


def emit(text: str, fmt: str | None = None) -> None:
    """Write ``text`` to stdout. Text for people (``fmt`` None or table) is always terminal-safe
    (control and text-direction characters from the data shown escaped, never obeyed); a machine
    format keeps every value exact for the program reading it, and is made safe only when it goes
    straight to a terminal."""
    from qdgraph.presentation.terminal import clean

    if fmt in HUMAN_FORMATS or _on_terminal(sys.stdout):
        text = clean(text)
    text = text if text.endswith("\n") or not text else text + "\n"
    if fmt == "excel":  # UTF-8 (its byte-order mark says so) whatever code page stdout has
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        return
    sys.stdout.write(text)


def note(text: str) -> None:
    """A message on stderr (warnings, what was written), its data terminal-safe."""
    from qdgraph.presentation.terminal import echo

    echo(text, err=True)


def terminal_safe(stream):
    """``stream``, or a wrapper making what is written terminal-safe when ``stream`` is a terminal
    (for answers streamed row by row, which never pass through ``emit``)."""
    if not _on_terminal(stream):
        return stream
    from qdgraph.presentation.terminal import clean

    class _Safe:
        def write(self, text: str) -> int:
            return stream.write(clean(text))

        def __getattr__(self, name):
            return getattr(stream, name)

    return _Safe()


def _on_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def emit_json(obj) -> None:
    """A lookup's plain data (dicts and lists), written by the format registry; as bytes to a
    stdout that is no terminal and writes UTF-8 with "\\n" lines (the same bytes: the text of
    ``progress -F json`` at 10k values, 3.5 MB, was decoded and encoded again, 25 ms)."""
    from qdgraph.presentation.formats import indented_utf8, write

    out = sys.stdout
    if not _on_terminal(out) and _writes_utf8(out):
        data = indented_utf8(obj)
        if data is not None:
            out.flush()
            out.buffer.write(data)
            return
    emit(write(obj, "json"), "json")


def _writes_utf8(stream) -> bool:
    """Whether ``stream`` is a text stream over bytes that writes UTF-8, lines ending in "\\n"."""
    import codecs
    import os

    try:
        return (hasattr(stream, "buffer") and os.linesep == "\n"
                and codecs.lookup(stream.encoding).name == "utf-8")
    except (AttributeError, LookupError, TypeError):
        return False


def format_option(choices, default):
    return click.option("--format", "-F", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help=tr("Output format."))


_LANG_KEY = "qdgraph.lang"  # ctx.meta: the --lang given on the command line, if any


def _lang(ctx, param, value):
    if value is not None:
        ctx.meta[_LANG_KEY] = value
        return value
    return default_lang()


def lang_option(fn):
    return click.option("--lang", type=click.Choice(["zh", "en"]), default=None, callback=_lang,
                        help=tr("Language of labels and messages (default: the locale's: LC_ALL, LC_MESSAGES "
                                "or LANG starting with en → en, otherwise zh)."))(fn)


def _own_process() -> bool:
    # the flag lives on the package (entry() sets it; tests set it there too); read through
    # sys.modules, as the package imports this module and an import back would be a cycle
    cli = sys.modules.get("qdgraph.interfaces.cli")
    return bool(getattr(cli, "OWN_PROCESS", False))


def default_lang() -> str:
    """--lang's default for labels: the locale's language in the `qdgraph` command itself; Chinese
    for ``run()`` called inside another program (a host, the tests), as it always was."""
    if _own_process():
        from qdgraph.presentation.i18n import from_locale

        return from_locale()
    return "zh"


def msg_lang() -> str:
    """The language of messages, status lines and table headers: --lang when given; the locale's
    in the `qdgraph` command itself; English for ``run()`` inside another program (what it printed
    before the catalogue, which host programs and tests may read)."""
    ctx = click.get_current_context(silent=True)
    chosen = ctx.meta.get(_LANG_KEY) if ctx is not None else None
    if chosen:
        return chosen
    if _own_process():
        from qdgraph.presentation.i18n import from_locale

        return from_locale()
    return "en"


def tr(message: str, lang: str | None = None, **values) -> str:
    """``message`` (its English msgid, a literal so Babel finds it) from the catalogue in ``lang``
    (a command's --lang: what it prints follows it) or else the message language, with %(name)s
    values filled in."""
    from qdgraph.presentation.i18n import gettext

    text = gettext(lang or msg_lang(), message)
    return text % values if values else text


def ntr(singular: str, plural: str, n: int, lang: str | None = None, **values) -> str:
    """``tr`` for a message with a count (%(n)s)."""
    from qdgraph.presentation.i18n import ngettext

    return ngettext(lang or msg_lang(), singular, plural, n) % {"n": n, **values}


@contextlib.contextmanager
def work_bar(label: str, minimum: int):
    """A progress callback ``(done, total)`` that draws a bar on stderr once the total is known
    to reach ``minimum`` and stderr is a terminal; otherwise it draws nothing."""
    state: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = None
            if total >= minimum and sys.stderr.isatty():
                state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=False,
                                                 show_percent=True, show_eta=True)
                state["bar"].__enter__()
        if state["bar"] is not None:
            state["bar"].update(done - state["bar"].pos)

    try:
        yield update
    finally:
        if state.get("bar") is not None:
            state["bar"].__exit__(None, None, None)
