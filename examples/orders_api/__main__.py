"""`python -m examples.orders_api [--port 8765] [--token TOKEN]`: the demo orders API on
loopback, for ACTIONS_SPEC=examples/orders_api/openapi.yaml."""

from __future__ import annotations

import argparse

from aiohttp import web

from examples.orders_api.server import Orders, make_app


def main() -> None:
    parser = argparse.ArgumentParser(description="the demo orders API, on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", help="require this bearer token (ACTIONS_TOKEN)")
    args = parser.parse_args()
    web.run_app(make_app(Orders(token=args.token)), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
