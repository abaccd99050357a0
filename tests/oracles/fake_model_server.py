"""A fake OpenAI-compatible model endpoint on 127.0.0.1, for a client run in prompt mode with a local
provider (Copilot CLI's COPILOT_PROVIDER_BASE_URL): it records each request and answers "ok".

What a client sends to the model (its system prompt, its tools and their descriptions) is what it
loaded from the project; the requests are kept in ``requests`` for the test to read.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeModelServer:
    """``with FakeModelServer() as server:`` serves on ``server.url`` until the block ends."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # model listings
                self._send("application/json", json.dumps({"object": "list", "data": [
                    {"id": "fake-model", "object": "model"}]}).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append({"path": self.path, "body": body})
                message = {"role": "assistant", "content": "ok"}
                usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
                if not body.get("stream"):
                    self._send("application/json", json.dumps({
                        "id": "c", "object": "chat.completion", "created": 0, "model": "fake-model",
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                        "usage": usage}).encode())
                    return
                chunks = [{"index": 0, "delta": message, "finish_reason": None},
                          {"index": 0, "delta": {}, "finish_reason": "stop"}]
                events = [json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 0,
                                      "model": "fake-model", "choices": [chunk],
                                      **({"usage": usage} if chunk["finish_reason"] else {})}) for chunk in chunks]
                self._send("text/event-stream", "".join(f"data: {e}\n\n" for e in [*events, "[DONE]"]).encode())

            def _send(self, content_type: str, data: bytes) -> None:
                self.send_response(200)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeModelServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
