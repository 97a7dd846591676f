"""`python -m importer import FILE ...` is the same as `recipients import FILE ...`."""

import sys

from importer.cli import main

sys.exit(main())
