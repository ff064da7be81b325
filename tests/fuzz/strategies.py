"""Input generators for the fuzzing pass: JSON values, mutations of a real result, small CSV files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
#: a real committed result (classification, with predictions), trimmed to 20 participants
TEMPLATE_PATH = ROOT / "leaderboard" / "results" / "ppg-bp" / "handcrafted" / "hypertension.json"


def template() -> dict[str, Any]:
    payload = json.loads(TEMPLATE_PATH.read_text())
    preds = payload["predictions"]
    y = preds["y_true"]
    keep = [i for i, v in enumerate(y) if v == 1][:10] + [i for i, v in enumerate(y) if v == 0][:10]
    payload["predictions"] = {k: [v[i] for i in keep] for k, v in preds.items()}
    payload["counts"]["participants"] = len(keep)
    return payload


NUMBERS = st.one_of(st.integers(-(10 ** 30), 10 ** 30), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1, -1, 0.5, 1.7, 2 ** 63, -0.0, True, False]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=12),
                    st.sampled_from(["", "NaN", "inf", "5", "a\nb", "auroc", "mae", "false"]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                    max_leaves=12)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON tree (lists sampled at their first, second and last item)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list) and node:
        for index in sorted({0, min(1, len(node) - 1), len(node) - 1}):
            out += _paths(node[index], (*prefix, index))
    return out


TEMPLATE = template()
PATHS = _paths(TEMPLATE)


@st.composite
def mutated_results(draw: st.DrawFn) -> dict[str, Any]:
    """The template with 1-3 fields replaced by arbitrary JSON or deleted."""
    payload = copy.deepcopy(TEMPLATE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        node: Any = payload
        try:
            for key in path[:-1]:
                node = node[key]
            if draw(st.booleans()) and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = draw(JSON)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    return payload


# -- CSV text ------------------------------------------------------------------------------------------
CELLS = st.one_of(
    st.sampled_from(["", " ", "NaN", "nan", "NA", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400",
                     "0", "-5", "400", "1,5", "3.2", "M", "F", "x", "\"quoted, comma\"", "\"", "1;2", "0x10",
                     "9" * 400, "-" + "9" * 30, "\u00a0", "é", "\t"]),
    st.integers(-(10 ** 20), 10 ** 20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
)
DELIMITERS = st.sampled_from([",", ";", "\t", "|", " "])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def csv_text(draw: st.DrawFn, header: list[str], rows: int) -> str:
    delimiter, newline = draw(DELIMITERS), draw(NEWLINES)
    lines = [delimiter.join(header)] if draw(st.booleans()) or rows == 0 else []
    for _ in range(rows):
        width = draw(st.sampled_from([len(header), len(header), max(len(header) - 1, 1), len(header) + 1]))
        lines.append(delimiter.join(draw(CELLS) for _ in range(width)))
        if draw(st.integers(0, 9)) == 0:
            lines.append("")
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return ("\ufeff" if draw(st.integers(0, 4)) == 0 else "") + text


LABEL_COLUMNS = ["record", "participant_id", "t_start", "age", "sex", "bmi", "diabetes", "note"]


@st.composite
def labels_csv(draw: st.DrawFn) -> bytes:
    """A labels.csv: usually a 'record' column, other columns drawn, cells from CELLS (or record names)."""
    columns = draw(st.lists(st.sampled_from(LABEL_COLUMNS), min_size=1, max_size=5, unique=True))
    if draw(st.integers(0, 5)) and "record" not in columns:
        columns.insert(0, "record")
    text = draw(csv_text(columns, draw(st.integers(0, 6))))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16"]))
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def cheap(examples: int):  # type: ignore[no-untyped-def]
    """Fewer examples for a slow (CLI) property in the bounded run; the long profile keeps its size."""
    from hypothesis import settings

    if settings.get_current_profile_name() == "ci":
        return settings(max_examples=examples)
    return lambda test: test
