"""Peak memory of a benchmark job process, as its own (the jobs import this as a sibling module)."""

from __future__ import annotations

import resource


def own_peak_rss_kb() -> float:
    """This process's own peak RSS (VmHWM). ``ru_maxrss`` is kept across ``exec`` on Linux, so a job
    started by a large pytest process would report the parent's size instead of its own."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
