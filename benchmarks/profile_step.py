"""Profile deltagrad's per-sample SGD step (the bench's workload (a)): ``python benchmarks/profile_step.py [N]``."""

import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deltagrad.bench import scalar as bench

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    xs, ys = bench.two_moons(100)
    step, _ = bench.ENGINES["deltagrad"][0](*bench.init_weights())
    with cProfile.Profile() as prof:
        for i in range(n):
            step(xs[i % 100], ys[i % 100])
    stats = pstats.Stats(prof).strip_dirs()
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(14)
