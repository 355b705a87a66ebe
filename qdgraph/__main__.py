"""``python -m qdgraph`` runs the command line."""
from qdgraph.interfaces.cli import entry

entry()
