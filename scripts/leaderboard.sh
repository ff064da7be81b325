#!/usr/bin/env bash
# Regenerate every committed leaderboard result with harness commands, then the tables, plots and model card.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=".venv/bin/harness"
[ -x "$harness" ] || harness="harness"
"$harness" suite run validation --output leaderboard/results --quiet   # model selection (seed-2 draws)
"$harness" suite run synthetic --output leaderboard/results --quiet
"$harness" suite run real --output leaderboard/results --quiet
"$harness" leaderboard
.venv/bin/python scripts/model_card.py
