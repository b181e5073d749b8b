"""Allow ``python -m riskscreen``."""

import sys

from riskscreen.cli.main import main

sys.exit(main())
