"""``python -m qdgraph`` runs the command line."""
from .cli import entry

entry()
