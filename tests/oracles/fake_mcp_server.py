"""A minimal MCP server on stdio, for the client oracles: ``fake_mcp_server.py NAME [TOKEN]``.

It answers ``initialize``, ``tools/list`` (one tool, ``NAME_echo``), ``prompts/list``,
``resources/list`` and ``ping``, one JSON-RPC message a line, until its input ends. Given a TOKEN,
it exits at once (so the client reports it disconnected) unless ``ORACLE_TOKEN`` in its environment
is that token: a client that connects proved it passed the server's ``env`` through.
"""

from __future__ import annotations

import json
import os
import sys

LISTS = {"prompts/list": "prompts", "resources/list": "resources", "resources/templates/list": "resourceTemplates"}


def main() -> int:
    name = sys.argv[1] if len(sys.argv) > 1 else "fake"
    if len(sys.argv) > 2 and os.environ.get("ORACLE_TOKEN") != sys.argv[2]:
        print(f"{name}: ORACLE_TOKEN is not set to the expected token", file=sys.stderr)
        return 3
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or "id" not in message:
            continue  # a notification
        method = message.get("method")
        if method == "initialize":
            params = message.get("params") or {}
            result = {"protocolVersion": params.get("protocolVersion", "2025-06-18"),
                      "capabilities": {"tools": {}}, "serverInfo": {"name": name, "version": "1.0.0"}}
        elif method == "tools/list":
            result = {"tools": [{"name": f"{name}_echo", "description": f"Echo from {name}",
                                 "inputSchema": {"type": "object", "properties": {}}}]}
        elif method in LISTS:
            result = {LISTS[method]: []}
        else:
            result = {}
        sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
