#!/usr/bin/env python3
"""Run qdgraph from a checkout without installing: ``python cli.py measures 人才总量``.
The installed command ``qdgraph`` runs the same code."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qdgraph.interfaces.cli import entry  # noqa: E402

if __name__ == "__main__":
    entry()
