"""`python -m electone_rave.cli <command>`, as the `electone-rave` script."""

import sys

from . import main

sys.exit(main())
