"""Entry point of the packaged application (PyInstaller's script): the ``riskscreen`` command.

With no arguments it opens the desktop application; ``--self-test`` checks the installation;
every subcommand of the ``riskscreen`` command line works too.
"""

from __future__ import annotations

import multiprocessing
import sys

from riskscreen.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless when unused; needed if a worker process is
    sys.exit(main())
