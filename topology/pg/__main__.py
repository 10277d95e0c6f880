import sys

from topology.pg.cli import main

sys.exit(main())
