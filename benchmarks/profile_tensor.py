"""Profile deltagrad's Tensor training steps (bench workloads (e) and (f)): ``python benchmarks/profile_tensor.py [xor|mlp] [N]``.

xor: N full-batch epochs of the seed's XOR net (float64); mlp: N SGD steps of the 784-256-10 MLP at
batch 128 in float32. BLAS on one thread, as in the bench. Prints the top functions by own time and
by cumulative time.
"""

import cProfile
import pstats
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deltagrad.bench import mlp as bench_mlp
from deltagrad.bench import tensor as bench_tensor
from deltagrad.bench import xor as bench_xor

if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "xor"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else (2000 if what == "xor" else 200)
    bench_tensor.set_threads(1)
    if what == "xor":
        p = bench_xor.xor_init()
        run = lambda: bench_xor.xor_deltagrad(p, n)
    else:
        step = bench_mlp.mlp_deltagrad(*bench_mlp.mlp_problem(np.float32))[0]
        step()
        run = lambda: [step() for _ in range(n)]
    with cProfile.Profile() as prof:
        run()
    stats = pstats.Stats(prof).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
