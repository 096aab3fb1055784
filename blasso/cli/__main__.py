"""``python -m blasso.cli ...`` runs the ``blasso`` command line."""

import sys

from blasso.cli import main

sys.exit(main())
