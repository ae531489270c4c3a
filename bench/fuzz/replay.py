"""Line and branch coverage of a fuzz corpus: replay every input of TARGET's corpus (and its seeds) under
coverage.py and report the modules the target exercises (targets.MODULES). Also a crash reproducer:

    /dev/shm/fuzzenv/bin/python bench/fuzz/replay.py TARGET DIR [DIR...]      coverage of the inputs in DIRs
    /dev/shm/fuzzenv/bin/python bench/fuzz/replay.py TARGET FILE              run one input, show the traceback
    /dev/shm/fuzzenv/bin/python bench/fuzz/replay.py all OUT                  every target's OUT/corpus + OUT/seeds,
                                                                              coverage of all their modules together

Prints "TARGET: N inputs, L% lines, B% branches of MODULES" (coverage.py is in the fuzzing venv only).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))


def main() -> None:
    name, paths = sys.argv[1], [Path(p) for p in sys.argv[2:]]
    if len(paths) == 1 and paths[0].is_file():
        from targets import TARGETS

        TARGETS[name](paths[0].read_bytes())
        print("%s: %s ran without an undocumented exception" % (name, paths[0]))
        return
    import coverage

    from targets import MODULES

    from targets import TARGETS as ALL

    if name == "all":
        runs = [(t, [paths[0] / "corpus" / t, paths[0] / "seeds" / t]) for t in ALL]
        modules = sorted({m for t in ALL for m in MODULES[t]})
    else:
        runs, modules = [(name, paths)], MODULES[name]
    include = [str(REPO / m) + ("/*" if m.endswith("/") else "") for m in modules]
    cov = coverage.Coverage(branch=True, include=include, data_file=None)
    cov.start()
    from targets import TARGETS

    n = 0
    for t, dirs in runs:
        for d in dirs:
            for f in sorted(d.iterdir()) if d.is_dir() else []:
                TARGETS[t](f.read_bytes())
                n += 1
    cov.stop()
    import io

    out = io.StringIO()
    total = cov.report(file=out, show_missing=False)
    lines_hit = lines_all = 0
    for f in cov.get_data().measured_files():
        _, statements, _, missing, _ = cov.analysis2(f)
        lines_all += len(statements)
        lines_hit += len(statements) - len(missing)
    print(out.getvalue())
    print("%s: %d inputs, %.1f%% lines (%d/%d), %.1f%% lines+branches of %s" % (
        name, n, 100.0 * lines_hit / max(lines_all, 1), lines_hit, lines_all, total, ", ".join(modules)))


if __name__ == "__main__":
    main()
