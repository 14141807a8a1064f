"""``python -m deltagrad``: the same as the ``deltagrad`` command."""

import sys

from .cli import main

sys.exit(main())
