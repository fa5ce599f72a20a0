"""`python -m devstack.exec_program SPEC.json`: become a supervised program (same pid).

The spec, written by `devstack.supervision`, holds the program's argv and
environment; this replaces the process with it, so supervisord's pid and
signals reach the program itself.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    """Exec the program the spec names."""
    spec = json.loads(Path(sys.argv[1]).read_text())
    argv: list[str] = spec["argv"]
    os.execvpe(argv[0], argv, spec["env"] or dict(os.environ))


if __name__ == "__main__":
    main()
