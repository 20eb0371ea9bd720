"""Chat with the news articles: ``python app.py`` serves the page on http://127.0.0.1:7860.

It indexes new or changed articles of ./corpus into ./index first (the folders beside
this file, unless --corpus/--index or RAG_CORPUS_DIR/RAG_INDEX_DIR say otherwise).
It is ``rag serve``; ``python app.py --help`` lists the flags.
"""

import os
import sys
from pathlib import Path

from rag.cli import main

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    os.environ.setdefault("RAG_CORPUS_DIR", str(here / "corpus"))
    os.environ.setdefault("RAG_INDEX_DIR", str(here / "index"))
    main(["serve", *sys.argv[1:]])
