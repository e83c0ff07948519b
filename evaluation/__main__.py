"""`python -m evaluation`: the offline evaluation (see `evaluation.evaluate`)."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "simulate":
    from evaluation.simulate import main as simulate

    sys.exit(simulate(sys.argv[2:]))
if len(sys.argv) > 1 and sys.argv[1] == "experiment":
    from evaluation.experiment_sim import main as experiment

    sys.exit(experiment(sys.argv[2:]))

if len(sys.argv) > 1 and sys.argv[1] == "compare":
    from evaluation.report import compare_main

    sys.exit(compare_main(sys.argv[2:]))

from evaluation.evaluate import main

sys.exit(main())
