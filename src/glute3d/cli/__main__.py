"""``python -m glute3d.cli``."""

import sys

from glute3d.cli.main import main

sys.exit(main())
