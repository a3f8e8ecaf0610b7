"""A small MCP server for the tests, written with the official `mcp` SDK (MCPServer, streamable HTTP):
`python tests/mcp_server.py --port N [--name NAME]` serves two tools at http://127.0.0.1:N/mcp.

- `add(a, b)`: the sum of two integers (a computed result the tests check through the gateway);
- `echo(text)`: the text back, prefixed by the server's name (which server answered).

Nothing else: no auth (the gateway in front of it does that), loopback only."""

from __future__ import annotations

import argparse

from mcp.server.mcpserver import MCPServer

MCP_PATH = "/mcp"


def build(name: str) -> MCPServer:
    server: MCPServer = MCPServer(name=name, log_level="WARNING")

    @server.tool(description="Add two integers and return the sum.")
    def add(a: int, b: int) -> int:
        return a + b

    @server.tool(description="Return the text, prefixed by the name of the server that answered.")
    def echo(text: str) -> str:
        return f"{name}: {text}"

    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", default="calc")
    args = parser.parse_args()
    build(args.name).run("streamable-http", host="127.0.0.1", port=args.port, streamable_http_path=MCP_PATH)


if __name__ == "__main__":
    main()
