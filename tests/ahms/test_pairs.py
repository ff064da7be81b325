"""Positive-pair policies over a participant-sorted store."""

import numpy as np
import pytest

from harness.errors import DataError, UsageError
from harness_ahms.pairs import ParticipantIndex, ParticipantPairs, SegmentPairs

IDS = np.array(["p07"] * 3 + ["p02"] * 1 + ["p11"] * 5 + ["p03"] * 2)


def test_index_from_ids():
    index = ParticipantIndex.from_ids(IDS)
    assert index.starts.tolist() == [0, 3, 4, 9]
    assert index.counts.tolist() == [3, 1, 5, 2]
    assert index.participant_of_segment.tolist() == [0, 0, 0, 1, 2, 2, 2, 2, 2, 3, 3]
    assert index.ids.tolist() == ["p07", "p02", "p11", "p03"]
    assert (index.n_segments, index.n_participants) == (11, 4)


def test_index_rejects_ungrouped_or_empty_ids():
    with pytest.raises(DataError, match="not grouped"):
        ParticipantIndex.from_ids(np.array([1, 1, 2, 1]))
    with pytest.raises(DataError, match="non-empty"):
        ParticipantIndex.from_ids(np.array([]))


def test_participant_partners_are_other_segments_of_the_same_participant():
    index = ParticipantIndex.from_ids(IDS)
    anchors = np.tile(np.arange(11), 200)
    partners = ParticipantPairs().partners(index, anchors, np.random.default_rng(0))
    pos = index.participant_of_segment
    assert partners.dtype == np.int64 and partners.shape == anchors.shape
    assert (pos[partners] == pos[anchors]).all()
    single = anchors == 3  # p02 has one segment: the partner is itself
    assert (partners[single] == 3).all()
    assert (partners[~single] != anchors[~single]).all()
    # every other segment of p11 is reached, roughly uniformly
    seen = np.bincount(partners[anchors == 4], minlength=11)[5:9]
    assert (seen > 30).all()


def test_segment_partners_equal_anchors():
    index = ParticipantIndex.from_ids(IDS)
    anchors = np.array([0, 5, 10, 3])
    assert SegmentPairs().partners(index, anchors, np.random.default_rng(0)).tolist() == [0, 5, 10, 3]


def test_reproducible_by_seed():
    index = ParticipantIndex.from_ids(IDS)
    anchors = np.arange(11).repeat(10)
    a = ParticipantPairs().partners(index, anchors, np.random.default_rng(5))
    b = ParticipantPairs().partners(index, anchors, np.random.default_rng(5))
    c = ParticipantPairs().partners(index, anchors, np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_policy_names_and_bad_anchors():
    import harness_ahms
    from harness.plugins import PluginHost

    host = PluginHost(warn=lambda line: None)
    host.register_module("ahms-test", harness_ahms)
    registry = host.registries["pair_policies"]
    assert {name: registry.load(name)().name for name in registry.names()} == {"participant": "participant",
                                                                                "segment": "segment"}
    index = ParticipantIndex.from_ids(IDS)
    with pytest.raises(UsageError, match="anchor"):
        ParticipantPairs().partners(index, np.array([11]), np.random.default_rng(0))


def test_registered_pair_policies():
    import harness_ahms
    from harness.plugins import PluginHost

    host = PluginHost(warn=lambda line: None)
    host.register_module("ahms-test", harness_ahms)
    registry = host.registries["pair_policies"]
    assert registry.names() == ["participant", "segment"]
    assert registry.load("participant") is ParticipantPairs and registry.load("segment") is SegmentPairs
