"""Run by the build in its kept kernel before each notebook (see pplib.build.execute._with_reset_cell)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from pplib.config import files_read, forget_reads


def fresh_start(cwd: str, settings_file: str, also: tuple[str, ...] = ()) -> None:
    """Move into the notebook's own working folder, take the build's current PPLIB_* settings (and `also`)
    from `settings_file` (deleted once read), and empty the namespace the last notebook left. Modules stay imported: that is the point of keeping the
    kernel. Unlike %reset, no full garbage collection (a tenth of a second per notebook); Python's own
    collector still runs as memory is allocated."""
    from IPython import get_ipython

    os.chdir(cwd)
    settings = json.loads(Path(settings_file).read_text(encoding="utf-8"))
    Path(settings_file).unlink(missing_ok=True)
    for name in [n for n in os.environ if n.startswith("PPLIB_") or n in also]:
        del os.environ[name]
    os.environ.update(settings)
    shell = get_ipython()
    hidden = shell.user_ns_hidden
    for name in [n for n in shell.user_ns if n not in hidden and not n.startswith("__")]:
        del shell.user_ns[name]
    shell.history_manager.output_hist.clear()  # Out[]: what the last notebook's cells returned
    shell.user_ns.update({"_": "", "__": "", "___": ""})
    forget_reads()
    if not getattr(shell, "_pplib_writes_reads", False):
        shell.events.register("post_run_cell", lambda result: write_reads())
        shell._pplib_writes_reads = True


READS_SETTING = "PPLIB_READS_FILE"  # where the kernel lists the locality files the notebook read


def write_reads() -> None:
    """The locality files read since the notebook started, for its stamp (after every cell: the last one
    written is the whole notebook's)."""
    target = os.environ.get(READS_SETTING)
    if target:
        Path(target).write_text(json.dumps([str(p) for p in files_read()]), encoding="utf-8")
