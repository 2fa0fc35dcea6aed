#!/usr/bin/env python3
"""launch AWS emulator: moto 5.2.5 in server mode wrapped in the harness middleware.

Usage: python server.py [--host 127.0.0.1] [--port 4566]
Controls are under /_harness/ (see README.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

# Set before moto is imported: AttachRolePolicy with AWS-managed policy ARNs needs them.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def build_app():
    from moto.moto_api._internal import moto_api_backend
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from harness import ecs, iam
    from harness.middleware import HarnessMiddleware

    ecs.install()
    iam.install()
    return HarnessMiddleware(DomainDispatcherApplication(create_backend_app), moto_api_backend.reset)


def make_server(host: str, port: int):
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server as wz_make_server

    return wz_make_server(host, port, build_app(), threaded=True, request_handler=MotoRequestHandler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", "-H", default="127.0.0.1")
    parser.add_argument("--port", "-p", type=int, default=int(os.environ.get("EMULATOR_PORT", "4566")))
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))

    server = make_server(args.host, args.port)

    def stop(signum, frame):  # noqa: ARG001
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"launch emulator harness listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
