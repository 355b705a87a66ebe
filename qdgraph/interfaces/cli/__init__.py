"""The ``qdgraph`` command. This layer parses arguments and prints; the library does the work.

Subcommands are imported only when run (click's lazy-group pattern), so ``qdgraph measures``
never pays for pyvis, rdflib or the HTTP server.
"""
from __future__ import annotations

import importlib
import sys
from typing import NamedTuple

import click

from qdgraph import __version__
from qdgraph.errors import QdgraphError
from qdgraph.interfaces.cli.common import CONTEXT, WordedHelp, tr

class Command(NamedTuple):
    target: str            # module:function, imported only when the command runs
    help: str              # the one-line help `qdgraph --help` shows without importing it
    server: bool = False   # runs until it is stopped, its workers with it: ends by Python's own exit (see entry)


COMMANDS: dict[str, Command] = {name: Command(*spec) for name, spec in {
    "ask": ("qdgraph.interfaces.cli.questions:ask", "Answer a plain question (哪些措施影响人才总量) and show the named query that ran."),
    "measures": ("qdgraph.interfaces.cli.ask:measures", "Which measures affect an indicator, and why (rule, premises, source sentences)."),
    "show": ("qdgraph.interfaces.cli.ask:show", "An entity card: type, labels, facts, relations, provenance."),
    "search": ("qdgraph.interfaces.cli.ask:search", "Ranked name search over every entity (Chinese, English, pinyin)."),
    "pillars": ("qdgraph.interfaces.cli.ask:pillars", "The four pillars (四个走在前列) with indicator and measure counts."),
    "indicators": ("qdgraph.interfaces.cli.ask:indicators", "The twelve indicators with pillar, target, unit, year, baseline."),
    "chains": ("qdgraph.interfaces.cli.ask:chains", "Industry chains with category, cluster tier and enterprises."),
    "query": ("qdgraph.interfaces.cli.ask:query", "Run a read-only SPARQL query (argument, -f FILE, stdin or --name)."),
    "queries": ("qdgraph.interfaces.cli.ask:queries", "List the named queries shipped with qdgraph."),
    "export": ("qdgraph.interfaces.cli.ask:export", "Write the whole graph as Turtle, JSON-LD, N-Triples, GraphML or CSV."),
    "summary": ("qdgraph.interfaces.cli.ask:summary", "What the graph holds: entities per class, sources, claims."),
    "validate": ("qdgraph.interfaces.cli.validate:validate", "Check data against the SHACL shapes and every quote against its source."),
    "docs": ("qdgraph.interfaces.cli.docs:docs", "Write the ontology's documentation (pyLODE) as offline HTML."),
    "path": ("qdgraph.interfaces.cli.analytics:path", "Shortest connecting paths between two entities, told in words."),
    "rank": ("qdgraph.interfaces.cli.analytics:rank", "Most central measures, enterprises, chains (degree, betweenness)."),
    "viz": ("qdgraph.interfaces.cli.viz:viz", "Write an interactive, offline HTML picture of part of the graph."),
    "serve": ("qdgraph.interfaces.cli.serve:serve", "Run a read-only SPARQL 1.1 endpoint with a query page.", True),
    "push": ("qdgraph.interfaces.cli.serve:push", "Upload the graph to a SPARQL Graph Store (or UPDATE) endpoint."),
    "load": ("qdgraph.interfaces.cli.store:load", "Build an on-disk store from the bundled graph and extra files."),
    "import": ("qdgraph.interfaces.cli.store:import_csv", "Import an enterprise list (CSV) into a store, all or nothing."),
    "rules": ("qdgraph.interfaces.cli.rules:rules", "The inference rules: name, description and how many links each derives."),
    "readings": ("qdgraph.interfaces.cli.rules:readings", "The readings answers rest on, with rationale and verdict (data/verdicts.ttl)."),
    "observe": ("qdgraph.interfaces.cli.progress:observe", "Observed values of the indicators: `observe import FILE.csv --store DIR`."),
    "progress": ("qdgraph.interfaces.cli.progress:progress", "Progress toward the 2026 targets: gap, pace needed, status, measures."),
}.items()}


class _ReaderLeft(Exception):
    """stdout's reader went away (`qdgraph … | head`)."""


class LazyGroup(WordedHelp, click.Group):
    def invoke(self, ctx):
        # click's main turns a write to a closed pipe into exit status 1; passed on as no
        # OSError, it reaches run's own handler: the reader had all it wanted (status 0)
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise _ReaderLeft from None

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        target = COMMANDS[name].target
        mod, _, attr = target.partition(":")
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as err:
            if err.name and err.name.startswith("qdgraph"):
                return None  # command not built in this install
            raise
        return getattr(module, attr)

    def resolve_command(self, ctx, args):
        global _RUNNING
        name = args[0] if args else None
        _RUNNING = name
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            near = difflib.get_close_matches(name, list(COMMANDS), n=3, cutoff=0.5)
            hint = f"; did you mean: {', '.join(near)}" if near else ""
            raise click.UsageError(f"no such command {name!r}{hint}", ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx, formatter):
        # the one-line helps above are msgids of the catalogue (tests/test_cli_questions.py checks)
        rows = [(name, tr(c.help)) for name, c in COMMANDS.items()]
        with formatter.section(tr("Commands")):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="qdgraph")
def main():
    """qdgraph: the knowledge graph of Qingdao's modern-industry pioneer city plan
    (青岛打造现代产业先行城市, 2022–2026).

    \b
    Examples:
      qdgraph measures 人才总量          which measures affect an indicator, and why
      qdgraph indicators                the twelve indicators and their targets
      qdgraph show 歌尔                  everything the graph says about an entity
      qdgraph query 'SELECT * WHERE { ?i a qd:Indicator }'
      qdgraph viz chain 虚拟现实 -o vr.html
    """


def run(argv=None) -> int:
    """Entry point: user mistakes become one line on stderr and a non-zero exit, never a traceback."""
    try:
        main.main(args=argv, prog_name="qdgraph", standalone_mode=False)
        return 0
    except QdgraphError as err:
        error_line(err.cli or str(err))  # the library's words, or the same naming our flags
        return err.exit_code
    except click.exceptions.Abort:
        click.echo("qdgraph: aborted", err=True)
        return 130
    except click.UsageError as err:  # click's four-line usage message, as the README's one line
        cmd = err.ctx.command_path if err.ctx is not None else "qdgraph"
        msg = err.format_message().rstrip(".")
        error_line(f"{msg[:1].lower()}{msg[1:]} (see `{cmd} -h`)")
        return 2
    except click.ClickException as err:
        error_line(err.format_message())
        return err.exit_code
    except click.exceptions.Exit as err:
        return err.exit_code
    except KeyboardInterrupt:
        click.echo("qdgraph: interrupted", err=True)
        return 130
    except (BrokenPipeError, _ReaderLeft):
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # a bug, not a user mistake: still one line, traceback on request
        import os

        if os.environ.get("QDGRAPH_DEBUG"):
            raise
        error_line(f"{type(err).__name__}: {err} (set QDGRAPH_DEBUG=1 for a traceback)", "internal error")
        return 70


def error_line(message: str, label: str = "error") -> None:
    """``qdgraph: error: MESSAGE`` on one line of stderr. Messages quote what the user typed and
    what the data holds, so control and text-direction characters (terminal escapes, U+202E) are
    shown as escapes, never sent raw (qdgraph.presentation.terminal)."""
    from qdgraph.presentation.terminal import clean_line

    message = " ".join(message.replace("\t", " ").splitlines())
    if len(message) > _LONGEST:  # a message quoting a whole file (a damaged store) stays readable
        message = f"{message[:_LONGEST - 200]} … ({len(message):,} characters) … {message[-150:]}"
    click.echo(f"qdgraph: {label}: {clean_line(message)}", err=True)


_LONGEST = 2000  # characters of an error line


# True when this process is the `qdgraph` command itself (not `run()` called by a host program or
# a test): only then may a command give up this process's network (qdgraph.engine.sandbox).
OWN_PROCESS = False
_RUNNING: str | None = None  # the command this process runs (entry's exit depends on it)


def entry() -> None:
    global OWN_PROCESS
    OWN_PROCESS = True
    code = run()
    command = COMMANDS.get(_RUNNING)
    if code == 3 or (command is not None and not command.server):
        # The answer is out and every file the command wrote is closed (files go through
        # fileio's atomic replace; a store's database closes when the library call that wrote
        # it returns): Python's own exit would only tear down what the process built, a third
        # of a lookup's time at 1 M triples (70 of 280 ms: the name index, the database's
        # threads), 0.3 s of a load's. A timed-out query (3) also leaves an engine thread not
        # to wait for. The server ends by Python's exit, its workers with it.
        import atexit
        import os

        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:  # `qdgraph … | head`: the reader left; nothing more to say
            pass
        atexit._run_exitfuncs()  # the exit handlers Python would run (tempfile's, logging's)
        os._exit(code)
    sys.stdout.flush()
    sys.exit(code)
