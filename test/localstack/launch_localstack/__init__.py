"""The launch test harness inside LocalStack (test/localstack).

ECS is registered as a LocalStack service provider backed by moto's ECS backend, and the
harness controls and ECS deployment patches are the moto lane's own code
(test/emulator/harness), imported from the repository: both lanes share one implementation.
"""

from __future__ import annotations

import os
import sys

# test/emulator holds the `harness` package. The package is installed editable, so this
# file lives in the repository; LAUNCH_EMULATOR_DIR overrides the location.
EMULATOR_DIR = os.environ.get("LAUNCH_EMULATOR_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "emulator"
)
if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)
