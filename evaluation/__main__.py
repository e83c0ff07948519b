"""`python -m evaluation`: the offline evaluation (see `evaluation.evaluate`)."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "simulate":
    from evaluation.simulate import main as simulate

    sys.exit(simulate(sys.argv[2:]))

from evaluation.evaluate import main

sys.exit(main())
