"""AHMS augmentations: each documented effect, probabilities, reproducibility."""

import pytest
import torch

from harness.encoders import InputSpec
from harness.errors import UsageError
from harness.pretrain.components import Cascade, build_augmentations
from harness.pretrain.config import Recipe
from harness_ahms import AUGMENTATION_DEFAULTS
from harness_ahms.augment import (
    DEFAULTS,
    ChannelPermute,
    CutOut,
    GaussianNoise,
    MagnitudeWarp,
    TimeWarp,
    cubic_curve,
    interpolate_linear,
)

T = 3840


def ahms_host():
    import harness_ahms
    from harness.plugins import PluginHost

    host = PluginHost(warn=lambda line: None)
    host.register_module("ahms-test", harness_ahms)
    return host


def cascade_for(modality: str, augmentations: list) -> Cascade:
    """The cascade the trainer builds for a recipe: registry entries, params over ``defaults[modality]``."""
    spec = InputSpec(modality=modality, channels=4 if modality == "ppg" else 1, fs=64.0, window_s=60.0)
    recipe = Recipe(encoder="test", model="", model_config="", pair_policy="participant", losses={},
                    augmentations=[(name, dict(params)) for name, params in augmentations], input_spec=spec)
    return build_augmentations(recipe, ahms_host())


def default_cascade(modality: str, **overrides: dict) -> Cascade:
    """The AHMS recipe's cascade (names in the package's order, params from the registry's defaults);
    ``cut_out={"p": 0.5}``-style keywords override single parameters."""
    return cascade_for(modality, [(name, overrides.get(name.replace("-", "_"), {}))
                                  for name in AUGMENTATION_DEFAULTS[modality]])


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def signal(b: int = 64, c: int = 4, t: int = T, seed: int = 1) -> torch.Tensor:
    return torch.randn(b, c, t, generator=gen(seed)) + 3.0  # offset: no accidental zeros


def test_cubic_curve_interpolates_knots_and_is_linear_on_linear_knots():
    knots = torch.tensor([[0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 3.0]])
    curve = cubic_curve(knots, 61)  # knot k sits at sample 10 k
    torch.testing.assert_close(curve[0, ::10], knots[0])
    line = torch.linspace(1, 7, 7)[None]
    torch.testing.assert_close(cubic_curve(line, 13)[0], torch.linspace(1, 7, 13))
    # it is the natural cubic spline (scipy as the reference)
    interpolate = pytest.importorskip("scipy.interpolate")
    spline = interpolate.CubicSpline(range(7), knots[0].numpy(), bc_type="natural")
    reference = spline(torch.linspace(0, 6, 61).numpy())
    torch.testing.assert_close(curve[0], torch.as_tensor(reference, dtype=torch.float32), atol=1e-5, rtol=0)


def test_interpolate_linear_at_integer_and_half_positions():
    x = torch.tensor([[0.0, 10.0, 20.0, 40.0]])
    pos = torch.tensor([[0.0, 0.5, 2.5, 3.0]])
    torch.testing.assert_close(interpolate_linear(x, pos), torch.tensor([[0.0, 5.0, 30.0, 40.0]]))


def test_cut_out_zeroes_exactly_one_block_of_30_to_50_percent():
    x = signal(b=200)
    y = CutOut(p=1.0)(x, gen())
    zero = y == 0
    assert (zero == zero[:, :1]).all()  # same block in every channel
    z = zero[:, 0].int()
    edges = z.diff(dim=1)
    starts = (edges == 1).sum(1) + z[:, 0]
    assert (starts == 1).all()  # exactly one contiguous block per sample
    frac = z.sum(1).float() / T
    assert frac.min() >= 0.3 - 1 / T and frac.max() <= 0.5 + 1 / T
    assert frac.max() - frac.min() > 0.1  # lengths vary across the range
    torch.testing.assert_close(y[~zero], x[~zero])


def test_time_warp_keeps_length_and_is_monotone():
    ramp = torch.arange(T, dtype=torch.float32).expand(32, 4, T).clone()
    y = TimeWarp(p=1.0)(ramp, gen())
    assert y.shape == ramp.shape
    assert (y.diff(dim=-1) > 0).all()
    torch.testing.assert_close(y[..., 0], ramp[..., 0])
    torch.testing.assert_close(y[..., -1], ramp[..., -1])
    assert (y - ramp).abs().max() > 5  # it does warp
    assert not torch.allclose(y[:, 0], y[:, 1])  # one map per channel


def test_time_warp_resamples_values_of_the_input():
    x = signal(b=4, c=1, t=200)
    y = TimeWarp(p=1.0, sigma=0.0)(x, gen())  # speed 1 everywhere: the identity map
    torch.testing.assert_close(y, x)


def test_magnitude_warp_multiplies_by_smooth_positive_curve_with_mean_one():
    x = signal(b=256)
    y = MagnitudeWarp(p=1.0)(x, gen())
    ratio = y / x
    assert (ratio > 0).all()
    torch.testing.assert_close(ratio[:, 0], ratio[:, 3])  # shared across channels by default
    assert abs(ratio.mean().item() - 1.0) < 0.05
    assert 0.1 < ratio[:, 0].std(dim=-1).mean() < 0.3
    assert ratio[:, 0].diff(dim=-1).abs().max() < 0.01  # smooth: tiny sample-to-sample change
    per_channel = MagnitudeWarp(p=1.0, per_channel=True)(x, gen()) / x
    assert not torch.allclose(per_channel[:, 0], per_channel[:, 1])


def test_gaussian_noise_std_in_range():
    x = torch.zeros(300, 4, T)
    y = GaussianNoise(p=1.0)(x, gen())
    std = y.flatten(1).std(dim=1)
    assert std.min() > 0.05 * 0.97 and std.max() < 0.1 * 1.03
    assert std.max() - std.min() > 0.03  # sigma varies per sample


def test_channel_permute_keeps_the_set_of_channels():
    b = 200
    x = torch.arange(4, dtype=torch.float32)[None, :, None].expand(b, 4, 16).clone()
    y = ChannelPermute(p=1.0)(x, gen())
    torch.testing.assert_close(y.sort(dim=1).values, x)
    assert (y[:, :, 0] != x[:, :, 0]).any(dim=1).float().mean() > 0.8  # 23/24 are not the identity
    assert (y == y[..., :1]).all()  # whole channels move


@pytest.mark.parametrize("transform", [CutOut(p=0.0), MagnitudeWarp(p=0.0), TimeWarp(p=0.0),
                                       GaussianNoise(p=0.0), ChannelPermute(p=0.0)])
def test_p_zero_is_identity(transform):
    x = signal(b=8)
    assert torch.equal(transform(x, gen()), x)


@pytest.mark.parametrize("modality", ["ppg", "ecg"])
def test_same_seed_same_output(modality):
    c = 4 if modality == "ppg" else 1
    x = signal(b=32, c=c)
    cascade = default_cascade(modality)
    a, b = cascade(x, gen(7)), cascade(x, gen(7))
    assert torch.equal(a, b)
    assert not torch.equal(a, cascade(x, gen(8)))
    assert torch.equal(x, signal(b=32, c=c))  # input untouched


@pytest.mark.parametrize("cls", [CutOut, MagnitudeWarp, TimeWarp, GaussianNoise, ChannelPermute])
def test_fraction_transformed_is_close_to_p(cls):
    b, p = 2000, 0.3
    x = signal(b=b, c=4, t=64)
    y = cls(p=p)(x, gen())
    changed = (y != x).flatten(1).any(dim=1).float().mean().item()
    slack = 1 / 24 * p if cls is ChannelPermute else 0.0  # an identity permutation changes nothing
    assert abs(changed - (p - slack)) < 0.04


def test_only_chosen_samples_change_and_others_are_exact():
    x = signal(b=100)
    y = GaussianNoise(p=0.5)(x, gen())
    same = (y == x).flatten(1).all(dim=1)
    changed = (y - x).flatten(1).std(dim=1) > 0.04
    assert (same | changed).all() and 20 < same.sum() < 80


def test_default_cascades_follow_the_paper():
    ppg, ecg = default_cascade("ppg"), default_cascade("ecg")
    assert [t.name for t in ppg.transforms] == ["cut-out", "magnitude-warp", "time-warp", "gaussian-noise",
                                                "channel-permute"]
    assert [t.p for t in ppg.transforms] == [0.4, 0.25, 0.15, 0.25, 0.25]
    assert [t.name for t in ecg.transforms] == ["cut-out", "magnitude-warp", "time-warp", "gaussian-noise"]
    assert [t.p for t in ecg.transforms] == [0.8, 0.5, 0.3, 0.5]
    assert DEFAULTS is AUGMENTATION_DEFAULTS
    overridden = default_cascade("ecg", cut_out={"p": 0.1})
    assert overridden.transforms[0].p == 0.1 and overridden.transforms[0].max_frac == 0.5


def test_cascade_round_trips_through_dict():
    cascade = default_cascade("ppg")
    back = cascade_for("ppg", cascade.to_dict())
    assert back.to_dict() == cascade.to_dict()
    x = signal(b=16)
    assert torch.equal(cascade(x, gen(3)), back(x, gen(3)))


def test_bad_arguments_are_usage_errors():
    with pytest.raises(UsageError, match="outside"):
        CutOut(p=1.5)
    with pytest.raises(UsageError, match="modality"):
        cascade_for("eeg", [("cut-out", {})])
    with pytest.raises(UsageError, match="batch"):
        CutOut(p=1.0)(torch.zeros(4, 100), gen())
    with pytest.raises(UsageError, match="not in the ecg cascade"):
        cascade_for("ecg", [*AUGMENTATION_DEFAULTS["ecg"].items(), ("channel-permute", {"p": 0.5})])


def test_registered_augmentations_load_lazily_with_per_modality_defaults():
    import subprocess
    import sys

    import harness_ahms
    from harness.plugins import PluginHost

    host = PluginHost(warn=lambda line: None)
    host.register_module("ahms-test", harness_ahms)
    registry = host.registries["augmentations"]
    assert registry.names() == sorted(["cut-out", "magnitude-warp", "time-warp", "gaussian-noise",
                                       "channel-permute"])
    assert registry.get("channel-permute").spec.defaults == {"ppg": {"p": 0.25}}
    assert registry.get("cut-out").spec.defaults["ecg"]["p"] == 0.8
    for entry in registry.entries():
        assert isinstance(entry.spec.factory, str) and entry.spec.description
        cls = entry.load()
        assert cls.name == entry.name
        for params in entry.spec.defaults.values():
            assert cls(**params).to_dict() == {"name": entry.name, **cls(**params).to_dict()}
    code = "import sys, harness_ahms; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # registering never imports torch
