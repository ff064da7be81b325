import numpy as np
import pytest

from harness.errors import DataError
from harness.pretrain.retrieval import participant_retrieval


def test_clustered_participants_are_retrieved_and_noise_is_at_chance():
    rng = np.random.default_rng(0)
    ids = np.repeat(np.arange(50), 4)
    centres = rng.normal(size=(50, 32))
    tight = centres[ids] + 0.05 * rng.normal(size=(200, 32))
    result = participant_retrieval(tight, ids)
    assert result["top1"] == 1.0 and result["queries"] == 200
    assert result["chance"] == pytest.approx(3 / 199)
    noise = participant_retrieval(rng.normal(size=(200, 32)), ids)
    assert noise["top1"] < 0.1


def test_single_segment_participants_are_not_queries():
    ids = np.array(["a", "a", "b", "c"])
    emb = np.array([[1.0, 0], [0.9, 0.1], [0, 1.0], [-1.0, 0]])
    result = participant_retrieval(emb, ids)
    assert result["queries"] == 2 and result["top1"] == 1.0
    assert participant_retrieval(emb, np.array(["a", "b", "c", "d"])) is None  # no participant has two
    assert participant_retrieval(emb, np.array(["a", "a", "a", "a"])) is None  # one participant: trivial
    with pytest.raises(DataError):
        participant_retrieval(emb, ids[:3])
