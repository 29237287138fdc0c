"""Child entry point: ``python -m benchmarks.child SPEC_JSON OUT_JSON`` runs one case, writes its result.

``python -m benchmarks.child csv PARQUET`` writes the CSV twin of a songs-like Parquet file (once).

Warnings (e.g. tidyclust's R-style convergence warnings) are silenced for the timing and recorded,
deduplicated, in the result, so that a suspicious fit is visible in the JSON.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

from benchmarks.cases import run_case, songs_csv_path


def main(argv: list[str]) -> int:
    """Run the case described by ``argv[0]`` (JSON) and write its result to ``argv[1]``."""
    if argv[0] == "csv":
        print(songs_csv_path(Path(argv[1])))
        return 0
    spec = json.loads(argv[0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_case(spec)
    result["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught})
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
