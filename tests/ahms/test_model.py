"""The AHMS 1-D EfficientNet: sizes, shapes, downsampling, residuals, config round trips."""

import json

import pytest
import torch

from harness.errors import UsageError
from harness_ahms.model import (
    CONFIGS,
    EfficientNet1D,
    EfficientNet1DConfig,
    MBConv1d,
    ProjectionHead,
    SSLModel,
    build_ssl_model,
    count_parameters,
    get_config,
)

# Exact encoder sizes of this implementation (the paper reports ≈3.3 M for PPG, ≈2.5 M for ECG).
EXACT_ENCODER_PARAMS = {"ahms-ppg": 3_146_129, "ahms-ecg": 2_468_755}
EXACT_HEAD_PARAMS = 256 * 1024 + 1024 + 1024 * 128 + 128  # 394,368


@pytest.mark.parametrize(("name", "paper"), [("ahms-ppg", 3.3e6), ("ahms-ecg", 2.5e6)])
def test_encoder_parameter_count_matches_paper(name, paper):
    model = build_ssl_model(name)
    n = count_parameters(model.encoder)
    assert n == EXACT_ENCODER_PARAMS[name]
    assert abs(n - paper) / paper < 0.10
    assert count_parameters(model.head) == EXACT_HEAD_PARAMS


@pytest.mark.parametrize("name", ["ahms-ppg-small", "ahms-ecg-small"])
def test_small_configs_are_small(name):
    n = count_parameters(build_ssl_model(name).encoder)
    assert 0.1e6 <= n <= 0.3e6


def test_named_configs_follow_the_spec():
    ppg, ecg = CONFIGS["ahms-ppg"], CONFIGS["ahms-ecg"]
    assert ppg.in_channels == 4 and ecg.in_channels == 1
    assert ppg.widths == (28, 35, 35, 49, 49, 64, 64, 64, 78, 78, 78, 99, 99, 99, 99, 128)
    assert ppg.expansions == (1,) + (7,) * 15 and ecg.expansions == (1,) + (6,) * 15
    assert [i + 1 for i, k in enumerate(ppg.kernels) if k == 3] == [1, 2, 3, 6, 7, 8]
    assert [i + 1 for i, s in enumerate(ppg.strides) if s == 2] == [2, 4, 6, 9, 12]
    assert (ppg.stem_width, ppg.stem_kernel, ppg.se_ratio, ppg.bn_eps) == (42, 3, 0.25, 1e-3)
    assert (ppg.embed_dim, ppg.proj_hidden, ppg.proj_dim, ppg.proj_dropout) == (256, 1024, 128, 0.1)
    for cfg in CONFIGS.values():
        assert cfg.downsample == 64


@pytest.mark.parametrize(("name", "channels"), [("ahms-ppg", 4), ("ahms-ecg", 1), ("ahms-ppg-small", 4)])
def test_shapes_and_64x_downsampling(name, channels):
    torch.manual_seed(0)
    model = build_ssl_model(name).eval()
    x = torch.randn(2, channels, 3840)
    with torch.no_grad():
        fmap = model.encoder.features(x)
        assert fmap.shape == (2, 256, 3840 // 64)
        emb = model.embed(x)
        proj = model(x)
    assert emb.shape == (2, 256) and proj.shape == (2, 128)
    torch.testing.assert_close(emb, fmap.mean(dim=-1))
    assert not torch.allclose(proj.norm(dim=1), torch.ones(2))  # projection is not normalised


def test_blocks_have_the_specified_layers_and_residuals():
    cfg = CONFIGS["ahms-ppg"]
    enc = EfficientNet1D(cfg)
    stem_conv, stem_bn, stem_act = enc.stem
    assert (stem_conv.kernel_size, stem_conv.stride) == ((3,), (2,))
    assert stem_bn.eps == 1e-3 and isinstance(stem_act, torch.nn.SiLU)
    blocks = list(enc.blocks)
    assert len(blocks) == 16 and all(isinstance(b, MBConv1d) for b in blocks)
    in_widths = (cfg.stem_width, *cfg.widths[:-1])
    expected_residual = [s == 1 and i == o for s, i, o in zip(cfg.strides, in_widths, cfg.widths)]
    assert [b.use_residual for b in blocks] == expected_residual
    assert sum(expected_residual) == 9  # blocks 3, 5, 7, 8, 10, 11, 13, 14, 15
    # block 1 has no expansion conv; the others expand 7x and squeeze-excite at 0.25 of the expanded width
    first_convs = [m for m in blocks[0].block if isinstance(m, torch.nn.Conv1d)]
    assert first_convs[0].groups == 42  # depthwise straight away
    expand = blocks[1].block[0]
    assert expand.kernel_size == (1,) and expand.out_channels == 28 * 7
    se = next(m for m in blocks[1].block if m.__class__.__name__ == "SqueezeExcite1d")
    assert se.reduce.out_channels == int(28 * 7 * 0.25)
    assert enc.top[0].out_channels == 256 and enc.top[1].eps == 1e-3


def test_residual_is_used_in_forward():
    torch.manual_seed(0)
    block = MBConv1d(8, 8, 3, 1, 4, 0.25, 1e-3, 0.1).eval()
    x = torch.randn(2, 8, 32)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x + block.block(x))
    strided = MBConv1d(8, 8, 3, 2, 4, 0.25, 1e-3, 0.1)
    assert not strided.use_residual


def test_projection_head_has_no_batchnorm():
    head = ProjectionHead(CONFIGS["ahms-ppg"])
    kinds = [type(m).__name__ for m in head.net]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear"]
    assert head.net[2].p == 0.1


def test_config_round_trip_through_json():
    cfg = get_config("ahms-ecg", proj_dropout=0.2)
    data = json.loads(json.dumps(cfg.to_dict()))
    back = EfficientNet1DConfig.from_dict(data)
    assert back == cfg
    model = build_ssl_model(data)
    assert isinstance(model, SSLModel) and model.config == cfg


def test_bad_configs_are_usage_errors():
    with pytest.raises(UsageError, match="one width"):
        EfficientNet1DConfig(in_channels=1, widths=(8, 8))
    with pytest.raises(UsageError, match="unknown keys"):
        EfficientNet1DConfig.from_dict({"in_channels": 1, "depth": 3})
    with pytest.raises(UsageError, match="unknown AHMS model config"):
        build_ssl_model("ahms-xyz")
