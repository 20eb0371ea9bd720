"""Chat with the news articles: ``python app.py`` serves the page on http://127.0.0.1:7860.

It indexes new or changed articles of ./corpus into ./index first. The page itself
is `rag.ui`; ``rag serve`` is the same command. ``python app.py --help`` lists the flags.
"""

from pathlib import Path

from rag.ui import main

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    main(corpus=here / "corpus", index=here / "index")
