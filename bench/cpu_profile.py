"""Run a Python program under yappi's CPU clock, all threads: `python -m bench.cpu_profile OUT -- main.py`.

Used by `python -m bench.run --profile DIR --profiler yappi` (yappi is not a dependency of the
project: `pip install yappi`). On exit (SIGTERM ends main.py cleanly) writes OUT (pstats) and
OUT.txt: functions by total and by own CPU time.
"""

from __future__ import annotations

import io
import pstats
import runpy
import sys


def main(argv: list[str]) -> int:
    import yappi

    out = argv[1]
    program = argv[argv.index("--") + 1 :]
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)
    sys.argv = program
    code = 0
    try:
        if program[0] == "-m":
            sys.argv = program[1:]
            runpy.run_module(program[1], run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(program[0], run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0
    finally:
        yappi.stop()
        stats = yappi.get_func_stats()
        stats.save(out, type="pstat")
        text = io.StringIO()
        loaded = pstats.Stats(out, stream=text)
        loaded.sort_stats("cumulative").print_stats(80)
        loaded.sort_stats("tottime").print_stats(60)
        with open(out + ".txt", "w") as f:
            f.write(text.getvalue())
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
