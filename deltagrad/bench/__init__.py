"""deltagrad.bench: the ``deltagrad bench`` command and its report; workloads: scalar, graphs, tensor, xor, mlp, compiled, frames, playground.

``python -m deltagrad bench --write`` regenerates benchmarks/RESULTS.md: scalar workloads (a)-(d)
(Value vs micrograd, PyTorch batch-1, a plain-float floor), Tensor workloads (e)-(f) (deltagrad
Tensors vs hand-written numpy and PyTorch), (g) compiled programs vs hand-written code, (h)
network-view frames, (i) the playground's server frame. ``--only scalar|tensor|compiled|viz|playground`` runs one group.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import platform
import shlex
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from deltagrad.cli import positive_int

from . import compiled, frames, graphs, mlp, playground, scalar, tensor, xor

HELP = "time the engine: scalar vs micrograd, PyTorch batch-1, a plain-float floor; Tensor vs numpy and PyTorch"
FULL = {"samples": 100, "repeats": 9, "n": 100_000, "shallow": 900,
        "mlp_rounds": 60, "mlp_round_steps": 4, "xor_rounds": 20, "xor_round_epochs": 2_000, "threads": 1}
QUICK = {"samples": 5, "repeats": 2, "n": 2_000, "shallow": 300,
         "mlp_rounds": 2, "mlp_round_steps": 1, "xor_rounds": 2, "xor_round_epochs": 50, "threads": 1}
PEERS = ("micrograd", "torch")
REPO = Path(__file__).resolve().parents[2]  # the source checkout (deltagrad/bench/ -> the repository)
GROUPS = {  # run order within a group; (a) imports torch, so it goes last among the scalar workloads
    "scalar": [("(b) long chain: build + backward", graphs.bench_chain),
               ("(c) wide sum of n products: build + backward", graphs.bench_wide),
               ("(d) memory per node and reference cycles", graphs.bench_memory),
               ("(a) one SGD step per sample, MLP(2, [16, 16, 1]), two moons", scalar.bench_steps)],
    "tensor": [("(e) Tensor: XOR 2-3-1 sigmoid, full batch, the seed's network", xor.bench_xor),
               ("(f) Tensor: 784-256-10 MLP SGD step, batch 128", mlp.bench_mlp)],
    "compiled": [("(g) compiled programs (autograd.compile) vs hand-written code", compiled.bench_compiled)],
    "viz": [("(h) network view: one frame (SVG with all its numbers)", frames.bench_frames)],
    "playground": [("(i) playground: server time per frame", playground.bench_frame)],
}


# ----------------------------------------------------------------------------- report and command line
def machine() -> list[str]:
    """Platform, CPU model (/proc/cpuinfo), Python and package versions, as Markdown bullets."""
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as f:
        cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    vers = []
    for pkg in ("deltagrad", "numpy", "micrograd", "torch"):
        try:
            vers.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            vers.append(f"{pkg} (not installed)")
    try:
        import subprocess

        git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                             timeout=5, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "autograd", "nn"], cwd=REPO,
                               capture_output=True, text=True, timeout=5, check=False).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        git, dirty = "", []
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    dirty = ", ".join(ln[3:] for ln in dirty if ln.strip())
    return [f"- deltagrad source: git {git or '?'}" + (f", plus uncommitted changes to {dirty}" if dirty else ""),
            f"- load average before the run (1, 5, 15 min): {load}",
            f"- platform: {platform.platform()}", f"- CPU: {cpu}, {os.cpu_count()} logical cores",
            f"- Python: {platform.python_implementation()} {platform.python_version()}",
            f"- packages: {', '.join(vers)}"]



def command_line() -> str:
    """How this process was started, as a shell command (``deltagrad bench``, ``python -m ...``, a script)."""
    prog, argv = sys.argv[0], sys.argv[1:]
    name = os.path.basename(prog)
    if name == "__main__.py":
        cmd = ["python", "-m", os.path.basename(os.path.dirname(os.path.abspath(prog)))]
    elif name.endswith(".py"):
        cmd = ["python", os.path.relpath(prog)]
    else:
        cmd = [name]
    return shlex.join(cmd + argv)


def _peers(skip: set) -> tuple[set, list[str]]:
    peers, notes = set(), []
    for pkg in PEERS:
        if pkg in skip:
            notes.append(f"- {pkg}: skipped (--skip)")
        elif importlib.util.find_spec(pkg) is None:  # found, not imported: torch's import slows every later gc
            notes.append(f"- {pkg}: not installed; its column is skipped")
        else:
            peers.add(pkg)
    return peers, notes


def report(cfg: dict, skip: set, progress: bool = True, only: tuple = tuple(GROUPS), mode: str = "full") -> str:
    """Run the workloads of the groups in ``only`` and return the Markdown report (unimportable peers are skipped)."""
    from tqdm import tqdm

    peers, notes = _peers(skip)
    out: dict = {}
    info = machine()  # before the run: the load average is the background the timings ran against
    work = [(g, title, fn) for g in GROUPS if g in only for title, fn in GROUPS[g]]
    bar = tqdm(work, desc="deltagrad bench", unit="workload", file=sys.stderr, disable=not progress)
    sections, method = {}, []
    for group, title, fn in bar:  # scalar first, (a) last among them: see GROUPS
        bar.set_postfix_str(title[:3])
        if group in ("tensor", "compiled") and not set(method) & {"tensor", "compiled"}:
            torch = __import__("torch") if "torch" in peers else None
            tensor.set_threads(cfg["threads"], torch)  # one BLAS setting for every engine
            info += tensor.blas_lines(torch)
        method.append(group)
        sections[title] = ["", f"## {title}", "", (fn.__doc__ or "").splitlines()[0], "", *fn(cfg, peers, out)]
    body = [ln for title in sorted(sections) for ln in sections[title]]
    lines = []
    if "scalar" in method:
        lines.append(f"- method, scalar (a)-(d): one process, same data and initial weights for every engine, "
                     f"time.perf_counter, medians of {cfg['repeats']} repeats ({cfg['samples']} sample-steps each "
                     f"in (a), engines taking turns); gc enabled unless stated; PyTorch float64 with 1 thread")
    if "tensor" in method:
        lines.append(f"- method, Tensor (e)-(f): the same process, BLAS threads and allocator for every engine, "
                     f"same initial weights; rounds of {cfg['xor_round_epochs']:,} epochs ({cfg['xor_rounds']} rounds, "
                     f"(e)) or {cfg['mlp_round_steps']} steps ({cfg['mlp_rounds']} rounds, (f)) per engine, each "
                     f"engine going on from where it stopped, the engines' order changing every round; the median "
                     f"of each round's ratio to numpy, with quartiles; gc enabled")
    if "compiled" in method:
        lines.append(f"- method, compiled (g): the same process and BLAS setting; one compile() per run, then run() "
                     f"per step; per sample: medians of {cfg['repeats']} repeats, engines taking turns; XOR: "
                     f"{cfg['xor_rounds']} rounds of {cfg['xor_round_epochs']:,} epochs per engine, 784-256-10: "
                     f"{cfg['mlp_rounds']} rounds of {cfg['mlp_round_steps']} steps per engine, the engines' order "
                     f"changing every round, each round's ratio to the hand-written code, their median and "
                     f"quartiles; gc enabled")
    tgt = ((scalar.targets(out) if "scalar" in method else []) + tensor.targets(out) + compiled.targets(out)
           + frames.targets(out))
    head = [f"# deltagrad bench ({mode})", "", "```", command_line(), "```", "",
            f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}", *info, *lines, *notes,
            "", "## Targets", "", *tgt]
    return "\n".join(head + body) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``deltagrad bench``: --quick, --write, --output PATH, --skip PEER, --only GROUP, --threads N."""
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (CI, tests)")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md of the source checkout")
    parser.add_argument("--output", metavar="PATH", help="write the Markdown report to PATH (default: print only)")
    parser.add_argument("--skip", action="append", choices=PEERS, default=[], help="leave out a peer (repeatable)")
    parser.add_argument("--only", choices=tuple(GROUPS),
                        help="run one group: scalar (a)-(d), tensor (e)-(f), compiled (g), viz (h, network-view "
                        "frames) or playground (i)")
    parser.add_argument("--threads", type=positive_int, default=1, metavar="N",
                        help="BLAS threads for numpy and PyTorch in the Tensor workloads (default 1)")


def _error(message: str) -> int:
    print(f"deltagrad: error: bench: {message}", file=sys.stderr)
    return 2


def writable_target(path: Path) -> str | None:
    """Why the report could not be written to ``path`` (checked before the run), or None if it can."""
    parent = path.parent
    if path.is_dir():
        return f"{path} is a directory; give a file name, e.g. {path / 'RESULTS.md'}"
    if not parent.is_dir():
        return f"cannot write {path}: directory {parent} does not exist" if not parent.exists() \
            else f"cannot write {path}: {parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write {path}: directory {parent} is not writable"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write {path}: the file is read-only"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the benchmarks, print the Markdown report, and write it if asked; returns the exit status.

    2 with one line ``deltagrad: error: bench: …`` on stderr when the report could not be written
    (checked before the run, which takes minutes) or an option does not fit.
    """
    path = Path(args.output) if args.output else None
    if args.write and path is None:
        bench_dir = REPO / "benchmarks"
        if not bench_dir.is_dir():
            return _error(f"--write needs a source checkout ({bench_dir} not found); use --output PATH instead")
        if args.only:
            return _error("--write regenerates the whole RESULTS.md; use --output PATH with --only")
        path = bench_dir / "RESULTS.md"
    if path is not None:
        why = writable_target(path)
        if why:
            return _error(why)
    cfg = {**(QUICK if args.quick else FULL), "threads": args.threads}
    only = (args.only,) if args.only else tuple(GROUPS)
    text = report(cfg, set(args.skip), only=only, mode="quick" if args.quick else "full")
    print(text, end="")
    if path is not None:
        try:
            write_atomic(path, text)
        except OSError as e:
            return _error(f"cannot write {path}: {e.strerror or e}")
        print(f"wrote {path}", file=sys.stderr)
    return 0
