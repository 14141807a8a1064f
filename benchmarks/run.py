"""Run ``deltagrad bench`` from a source checkout: ``python benchmarks/run.py [--quick] [--write]``."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deltagrad import bench

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="deltagrad bench", description=bench.__doc__)
    bench.add_arguments(parser)
    sys.exit(bench.run(parser.parse_args()))
