"""moto's server, tethered to the process that started it.

Tests start one emulator per test binary and keep it in a static, whose destructor never runs; a test that
panics or a binary that is killed would otherwise leave a moto_server behind (65-230 MB each, and CI runs on the
same machine again and again). This launcher runs moto's server in this process and exits as soon as its parent
is gone: when the parent dies, however it dies, this process is re-parented and `getppid()` changes.

    python scripts/moto_tethered.py -H 127.0.0.1 -p PORT     (the arguments are moto_server's)

Only for processes whose life must end with their starter's: `scripts/sandbox` starts a plain moto_server on
purpose, since the sandbox outlives the shell that brought it up.
"""

import os
import sys
import threading
import time


def exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(0)


def main() -> None:
    threading.Thread(target=exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
