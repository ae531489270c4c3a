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

with atheris.instrument_imports(include=["numaprobe"]):
    import numaprobe.acpi  # noqa: F401
    import numaprobe.acpi.hmat  # noqa: F401
    import numaprobe.acpi.slit  # noqa: F401
    import numaprobe.acpi.srat  # noqa: F401
    import numaprobe.model.build  # noqa: F401
    import numaprobe.readers.buddyinfo  # noqa: F401
    import numaprobe.readers.cpuset  # noqa: F401
    import numaprobe.readers.devices  # noqa: F401
    import numaprobe.readers.iomem  # noqa: F401
    import numaprobe.readers.memmap  # noqa: F401
    import numaprobe.readers.memory_blocks  # noqa: F401
    import numaprobe.readers.numa_maps  # noqa: F401
    import numaprobe.readers.numastat  # noqa: F401
    import numaprobe.readers.proc_lookup  # noqa: F401
    import numaprobe.readers.procs  # noqa: F401
    import numaprobe.readers.zoneinfo  # noqa: F401
    import numaprobe.source.root  # noqa: F401

from targets import TARGETS  # noqa: E402


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit("usage: fuzz.py TARGET [libFuzzer options and corpus dirs]; targets: " + ", ".join(TARGETS))
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0]] + sys.argv[2:], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
