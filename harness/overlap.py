"""Training-overlap policy: did an encoder see the evaluation data in training? Conservative.

Same store revision: overlap. Same dataset name with another revision: overlap, unless the dataset's spec
declares it a synthetic draw (``DatasetSpec.synthetic``: another seed of a generator holds other
participants) and the encoder recorded which revisions it trained on.
"""

from __future__ import annotations

from collections.abc import Iterable


def training_overlap(*, dataset: str, revision: str, training_datasets: Iterable[str],
                     training_revisions: Iterable[str], is_independent_draw: bool) -> tuple[bool, str]:
    """``(overlap, detail)`` for an encoder trained on ``training_datasets`` (at ``training_revisions``)
    scored on revision ``revision`` of ``dataset``."""
    names = tuple(training_datasets)
    revisions = tuple(training_revisions)
    if revision in revisions:
        return True, "trained on this exact store"
    if dataset not in names:
        return False, "none"
    if revisions and is_independent_draw:
        return False, f"trained on another draw of {dataset} ({', '.join(revisions)}); no shared participants"
    return True, f"trained on dataset '{dataset}' (another build or revision)"
