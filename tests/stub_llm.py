"""A stub OpenAI-compatible chat server on 127.0.0.1, for llm-mode tests that must not depend on what a tiny
model happens to write: it replies, streamed as server-sent events, with the first sentence of passage [1]
of the prompt (grounded by construction) followed by a sentence no passage supports."""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UNSUPPORTED = "The summit was moved to the Moon in 1969 [2]."


def grounded_reply(prompt: str) -> str:
    """The reply to a rag prompt: passage [1]'s first sentence, cited, then an unsupported one."""
    passage = re.search(r'\[1\] "(.*?)"(?:\n\n\[2\]|\n\nQuestion:)', prompt, re.S).group(1)
    first = re.split(r"(?<=[.!?])\s+", passage.strip())[0]
    return f"{first} [1] {UNSUPPORTED}"


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802  (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(body)
        reply = grounded_reply(body["messages"][-1]["content"])
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in re.findall(r"\S+\s*", reply):  # word by word, as a model streams
            chunk = {"choices": [{"delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):  # quiet
        pass


@contextmanager
def stub_llm():
    """The base URL (…/v1) of a running stub server, and the requests it received."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _Handler.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", _Handler.requests
    finally:
        server.shutdown()
        server.server_close()
