"""Coverage-guided fuzzing of numaprobe's parsers with atheris (libFuzzer for Python).

atheris is not a dependency of numaprobe; install it in a private venv that sees Debian's packages:

    /usr/bin/python3 -m venv --system-site-packages /dev/shm/fuzzenv && /dev/shm/fuzzenv/bin/pip install atheris coverage
    /usr/bin/python3 bench/fuzz/make_seeds.py /dev/shm/numaprobe-fuzz/seeds
    nice -n 19 /dev/shm/fuzzenv/bin/python bench/fuzz/fuzz.py TARGET /dev/shm/numaprobe-fuzz/corpus/TARGET \\
        /dev/shm/numaprobe-fuzz/seeds/TARGET -runs=1000000 -max_len=65536 -timeout=10 -rss_limit_mb=1024

TARGET is one of targets.TARGETS. The first corpus directory receives the inputs that found new coverage;
a crash is written as crash-<sha1> in the current directory. bench/fuzz/run_all.sh runs every target in turn.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

PACKAGES = ("numaprobe.acpi", "numaprobe.readers", "numaprobe.model", "numaprobe.source", "numaprobe.analysis",
            "numaprobe.sim", "numaprobe.advise", "numaprobe.render", "numaprobe.cli")

# Only modules imported inside this block are instrumented, so every module of the parsing packages is imported
# here, including those the code imports lazily (construct layouts, the tar reader).
with atheris.instrument_imports(include=["numaprobe"]):
    import importlib
    import pkgutil

    for _pkg in PACKAGES:
        _mod = importlib.import_module(_pkg)
        for _info in pkgutil.iter_modules(_mod.__path__, _pkg + "."):
            importlib.import_module(_info.name)

from targets import TARGETS  # noqa: E402


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit("usage: fuzz.py TARGET [libFuzzer options and corpus dirs]; targets: " + ", ".join(TARGETS))
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0]] + sys.argv[2:], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
