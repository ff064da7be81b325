"""InfoNCE and KoLeo against plain numpy loop references."""

import math

import numpy as np
import pytest
import torch

from harness.errors import UsageError
from harness_ahms import LOSS_DEFAULTS
from harness_ahms.losses import InfoNCE, KoLeo


def unit(v):
    return v / np.linalg.norm(v)


def nce_reference(a, b, pids, tau, mask):
    """NCE(a, b): anchor a_i, positive b_i, negatives b_j (j != i), minus same-participant j if mask."""
    total = 0.0
    n = len(a)
    for i in range(n):
        ai = unit(a[i])
        pos = math.exp(float(ai @ unit(b[i])) / tau)
        denom = pos
        for j in range(n):
            if j == i or (mask and pids is not None and pids[j] == pids[i]):
                continue
            denom += math.exp(float(ai @ unit(b[j])) / tau)
        total += -math.log(pos / denom)
    return total / n


def koleo_reference(z, eps):
    z = [unit(v) for v in z]
    total = 0.0
    for i, zi in enumerate(z):
        nearest = min(float(np.sum((zi - zj) ** 2)) for j, zj in enumerate(z) if j != i)
        total += -math.log(math.sqrt(nearest + eps ** 2))
    return total / len(z)


@pytest.fixture
def views():
    rng = np.random.default_rng(0)
    s1, s2, t1, t2 = (rng.normal(size=(6, 5)) for _ in range(4))
    pids = np.array([3, 3, 7, 1, 7, 7])
    return s1, s2, t1, t2, pids


@pytest.mark.parametrize("mask", [True, False])
@pytest.mark.parametrize("tau", [0.04, 0.5])
def test_infonce_matches_loop_reference(views, mask, tau):
    s1, s2, t1, t2, pids = views
    loss = InfoNCE(temperature=tau, mask_same_participant=mask)
    got = loss(*(torch.tensor(v) for v in (s1, s2, t1, t2)), torch.tensor(pids)).item()
    want = 0.5 * (nce_reference(s1, t2, pids, tau, mask) + nce_reference(s2, t1, pids, tau, mask))
    assert got == pytest.approx(want, rel=1e-4)


def test_masking_changes_the_loss_and_no_ids_means_no_mask(views):
    s1, s2, t1, t2, pids = (torch.tensor(v) for v in views)
    loss = InfoNCE(temperature=0.5)
    masked, unmasked = loss(s1, s2, t1, t2, pids), loss(s1, s2, t1, t2, None)
    assert masked.item() < unmasked.item()  # fewer negatives, smaller denominator
    torch.testing.assert_close(unmasked, InfoNCE(0.5, mask_same_participant=False)(s1, s2, t1, t2, pids))
    distinct = torch.arange(6)
    torch.testing.assert_close(loss(s1, s2, t1, t2, distinct), unmasked)


def test_infonce_is_symmetric_in_the_two_views(views):
    s1, s2, t1, t2, pids = (torch.tensor(v) for v in views)
    loss = InfoNCE()
    torch.testing.assert_close(loss(s1, s2, t1, t2, pids), loss(s2, s1, t2, t1, pids))


def test_infonce_is_scale_invariant_and_low_for_aligned_views():
    torch.manual_seed(0)
    z = torch.randn(16, 128)
    loss = InfoNCE()
    aligned = loss(z, z, z, z)
    assert aligned.item() < 1e-3
    torch.testing.assert_close(loss(3 * z, z, z, 0.5 * z), aligned)
    assert loss(z, z, torch.randn(16, 128), torch.randn(16, 128)).item() > 1.0


def test_gradient_flows_only_to_student_inputs():
    torch.manual_seed(0)
    s1, s2 = torch.randn(8, 16, requires_grad=True), torch.randn(8, 16, requires_grad=True)
    teacher = torch.randn(8, 16, requires_grad=True)
    t1, t2 = teacher.detach(), (2 * teacher).detach()
    total = InfoNCE()(s1, s2, t1, t2, torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])) + KoLeo()(s1)
    total.backward()
    assert s1.grad is not None and s1.grad.abs().sum() > 0
    assert s2.grad is not None and s2.grad.abs().sum() > 0
    assert teacher.grad is None


def test_koleo_matches_loop_reference():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(7, 4))
    koleo = KoLeo(weight=0.1)
    assert koleo.value(torch.tensor(z)).item() == pytest.approx(koleo_reference(z, 1e-8), rel=1e-5)
    assert koleo(torch.tensor(z)).item() == pytest.approx(0.1 * koleo_reference(z, 1e-8), rel=1e-5)


def test_koleo_is_finite_for_duplicates_and_rewards_spread():
    z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    value = KoLeo(eps=1e-4).value(z)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(z.grad).all()
    spread = torch.eye(4)
    clumped = torch.tensor([[1.0, 0.0, 0, 0], [0.99, 0.1, 0, 0], [0, 0, 1.0, 0], [0, 0, 0.99, 0.1]])
    assert KoLeo().value(spread) < KoLeo().value(clumped)


def test_defaults_agree_with_registry_metadata():
    assert InfoNCE().temperature == LOSS_DEFAULTS["infonce"]["temperature"] == 0.04
    assert InfoNCE().mask_same_participant is LOSS_DEFAULTS["infonce"]["mask_same_participant"]
    assert KoLeo().weight == LOSS_DEFAULTS["koleo"]["weight"] == 0.1
    assert KoLeo().eps == LOSS_DEFAULTS["koleo"]["eps"]


def test_bad_inputs_are_usage_errors():
    with pytest.raises(UsageError, match="same shape"):
        InfoNCE()(torch.zeros(4, 8), torch.zeros(4, 8), torch.zeros(4, 8), torch.zeros(3, 8))
    with pytest.raises(UsageError, match="participant ids"):
        InfoNCE()(*(torch.randn(4, 8) for _ in range(4)), torch.arange(3))
    with pytest.raises(UsageError, match="batch >= 2"):
        KoLeo()(torch.zeros(1, 8))
    with pytest.raises(UsageError, match="positive"):
        InfoNCE(temperature=0)


def test_registered_losses():
    import harness_ahms
    from harness.plugins import PluginHost

    host = PluginHost(warn=lambda line: None)
    host.register_module("ahms-test", harness_ahms)
    registry = host.registries["losses"]
    assert registry.names() == ["infonce", "koleo"]
    for entry in registry.entries():
        module = entry.load()(**entry.spec.defaults)
        assert isinstance(module, torch.nn.Module) and entry.spec.consumes in ("pairs", "embeddings")
