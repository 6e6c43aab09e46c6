"""Start-up time of the ``darktmm`` command against ``python -c "import numpy"`` (issue 9 goal: at
most 2x), medians of fresh processes measured in the same run, and the machine's load."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

CASES = {
    'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
    "darktmm --version": [sys.executable, "-m", "darktmm.simulate.cli", "--version"],
    "darktmm --help": [sys.executable, "-m", "darktmm.simulate.cli", "--help"],
    "darktmm spectrum borexino --help": [
        sys.executable,
        "-m",
        "darktmm.simulate.cli",
        "spectrum",
        "borexino",
        "--help",
    ],
}


def median_time(cmd, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(repeat=15):
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores); medians of {repeat} fresh processes")
    ref = None
    for label, cmd in CASES.items():
        t = median_time(cmd, repeat)
        ref = ref or t
        print(f"{label:>36s} {t * 1e3:7.0f} ms  {t / ref:5.2f} x numpy")


if __name__ == "__main__":
    main()
