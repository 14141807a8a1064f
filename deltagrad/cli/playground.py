"""``deltagrad playground``: serve the live backprop page on this machine and open it in the browser."""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import webbrowser

from deltagrad.data import DataError

HELP = "train a small net in your browser and watch z, a, δ and ∂L/∂w change live (local web page)"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_CSV_BYTES = 1_000_000  # the same as deltagrad.playground.datasets.MAX_CSV_BYTES (not imported: fast --help)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``deltagrad playground``."""
    p.description = ("Start a local web server (127.0.0.1 only unless --host) with the playground page: datasets, "
                     "architecture, optimizer; the network with z, a and δ per neuron, heatmaps, the decision "
                     "boundary and loss curves, every number computed by deltagrad's engine in this process.")
    p.add_argument("--port", type=int, default=0, metavar="N", help="port (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDR",
                   help="address to bind (default 127.0.0.1; anything else warns: the page trains on your machine)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; print the URL only")
    p.add_argument("--csv", metavar="FILE", help="a CSV table (header row) for the csv dataset: its first two "
                   "feature columns are the plane, the 2 to 6 distinct values of --target (sorted) its classes "
                   f"(more than 2: softmax cross-entropy; at most {MAX_CSV_BYTES} bytes)")
    p.add_argument("--target", metavar="COLUMN", help="the label column of --csv")


def read_csv(path: str, target: str | None):
    """Load ``--csv`` (see `deltagrad.playground.datasets.load_table`); raises DataError."""
    from deltagrad.playground.datasets import load_table

    return load_table(path, target)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one), for uvicorn to serve on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; 0 on a clean stop, 2 on bad options or a port that cannot be bound."""
    import uvicorn

    from deltagrad.playground.server import create_app

    try:
        csv = read_csv(args.csv, args.target) if args.csv else None
    except DataError as e:
        print(f"deltagrad: error: {e}", file=sys.stderr)
        return 2
    if args.host not in LOOPBACK:
        print(f"deltagrad: warning: serving on {args.host}, not 127.0.0.1: anyone who can reach this address can "
              "use the page and the CPU it trains on", file=sys.stderr)
    if not 0 <= args.port <= 65535:
        print(f"deltagrad: error: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as e:
        print(f"deltagrad: error: cannot listen on {args.host}:{args.port} ({e.strerror})", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{port}/"
    app = create_app(args.host, port, csv)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws_max_size=1 << 20,
                                                ws_per_message_deflate=False))  # deflating each frame costs ~30 ms
    print(f"deltagrad playground: {url}  (Ctrl-C stops it)", flush=True)
    if not args.no_browser:
        threading.Timer(0.5, webbrowser.open, (url,)).start()
    server.run(sockets=[sock])
    return 0
