"""HuBERT-ECG: the transformers ``HubertModel`` as HuBERT-ECG instantiates it, in plain torch.

Written from github.com/Edoar-do/HuBERT-ECG @ affe1f9 (``code/hubert_ecg.py``: ``HuBERTECG`` subclasses
``transformers.HubertModel``; ``code/pretrain.py``: the BASE sizes and, for ``--downsampling_factor 5``,
a 5-layer convolutional feature encoder) and transformers 4.46.3 ``models/hubert/modeling_hubert.py``
(post-layer-norm encoder, group-norm first conv, weight-normed positional convolution). Module and
tensor names are transformers' own, so the published ``model.safetensors`` loads unchanged (without
the pretraining heads ``final_proj`` and ``label_embedding``, which no embedding uses).

Input: the 12 leads of a 5 s, 100 Hz ECG, each min-max scaled to [-1, 1], flattened lead after lead into
one 6,000-sample sequence (``dataset.py``: ``ecg_data.reshape(-1)``). The embedding is the mean over time
of the last hidden state, what ``hubert_ecg_classification.py`` pools before its classifier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class GroupNormConvLayer(nn.Module):
    """transformers' HubertGroupNormConvLayer: conv (no bias), one group per channel, GELU."""

    def __init__(self, in_dim: int, out_dim: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_dim, out_dim, kernel_size=kernel, stride=stride, bias=False)
        self.layer_norm = nn.GroupNorm(num_groups=out_dim, num_channels=out_dim, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.layer_norm(self.conv(x)))


class NoLayerNormConvLayer(nn.Module):
    """transformers' HubertNoLayerNormConvLayer: conv (no bias), GELU."""

    def __init__(self, in_dim: int, out_dim: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_dim, out_dim, kernel_size=kernel, stride=stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.conv(x))


class FeatureEncoder(nn.Module):
    def __init__(self, dims: list[int], kernels: list[int], strides: list[int]) -> None:
        super().__init__()
        layers: list[nn.Module] = [GroupNormConvLayer(1, dims[0], kernels[0], strides[0])]
        layers += [NoLayerNormConvLayer(dims[i - 1], dims[i], kernels[i], strides[i]) for i in range(1, len(dims))]
        self.conv_layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x[:, None]
        for layer in self.conv_layers:
            h = layer(h)
        return h


class FeatureProjection(nn.Module):
    def __init__(self, conv_dim: int, hidden: int, eps: float) -> None:
        super().__init__()
        self.layer_norm = nn.LayerNorm(conv_dim, eps=eps)
        self.projection = nn.Linear(conv_dim, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.layer_norm(x))


class PositionalConvEmbedding(nn.Module):
    """Grouped convolution over time, weight-normed over the kernel axis (dim=2), last frame dropped
    for an even kernel (transformers' HubertSamePadLayer), GELU."""

    def __init__(self, hidden: int, kernel: int, groups: int) -> None:
        super().__init__()
        conv = nn.Conv1d(hidden, hidden, kernel_size=kernel, padding=kernel // 2, groups=groups)
        self.conv = nn.utils.parametrizations.weight_norm(conv, name="weight", dim=2)
        self.remove = 1 if kernel % 2 == 0 else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x.transpose(1, 2))
        if self.remove:
            h = h[:, :, :-self.remove]
        return F.gelu(h).transpose(1, 2)


class Attention(nn.Module):
    """transformers' HubertAttention (BART-style projections) without masks or caches."""

    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.k_proj = nn.Linear(hidden, hidden)
        self.v_proj = nn.Linear(hidden, hidden)
        self.q_proj = nn.Linear(hidden, hidden)
        self.out_proj = nn.Linear(hidden, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, d = x.shape

        def split(h: torch.Tensor) -> torch.Tensor:
            return h.view(n, t, self.heads, d // self.heads).transpose(1, 2)

        out = F.scaled_dot_product_attention(split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x)),
                                             scale=1.0 / math.sqrt(d // self.heads))
        return self.out_proj(out.transpose(1, 2).reshape(n, t, d))


class FeedForward(nn.Module):
    def __init__(self, hidden: int, intermediate: int) -> None:
        super().__init__()
        self.intermediate_dense = nn.Linear(hidden, intermediate)
        self.output_dense = nn.Linear(intermediate, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output_dense(F.gelu(self.intermediate_dense(x)))


class EncoderLayer(nn.Module):
    """Post-layer-norm block (HubertEncoderLayer: ``do_stable_layer_norm=False``)."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float) -> None:
        super().__init__()
        self.attention = Attention(hidden, heads)
        self.layer_norm = nn.LayerNorm(hidden, eps=eps)
        self.feed_forward = FeedForward(hidden, intermediate)
        self.final_layer_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layer_norm(x + self.attention(x))
        return self.final_layer_norm(h + self.feed_forward(h))


class Encoder(nn.Module):
    def __init__(self, cfg: dict) -> None:
        super().__init__()
        hidden, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
        self.pos_conv_embed = PositionalConvEmbedding(hidden, cfg["num_conv_pos_embeddings"],
                                                      cfg["num_conv_pos_embedding_groups"])
        self.layer_norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList([EncoderLayer(hidden, cfg["num_attention_heads"], cfg["intermediate_size"], eps)
                                     for _ in range(cfg["num_hidden_layers"])])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layer_norm(x + self.pos_conv_embed(x))
        for layer in self.layers:
            h = layer(h)
        return h


class HuBERTECG(nn.Module):
    """HubertModel's modules under its names; ``forward`` is its ``last_hidden_state`` at inference."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        """``config``: the card's (``harness_zoo.cards``), HubertConfig's names; the two layout switches it
        names must be the variant written here."""
        super().__init__()
        cfg = dict(config)
        cfg.pop("class", None)
        if cfg.pop("feat_extract_norm", "group") != "group" or cfg.pop("do_stable_layer_norm", False):
            raise ValueError("only HuBERT-ECG's layout is written here: feat_extract_norm='group', "
                             "do_stable_layer_norm=False")
        self.leads = cfg["leads"]
        # SpecAugment's mask vector: in every checkpoint (mask_time_prob > 0), used only in pretraining.
        self.masked_spec_embed = nn.Parameter(torch.empty(cfg["hidden_size"]).uniform_())
        self.feature_extractor = FeatureEncoder(cfg["conv_dim"], cfg["conv_kernel"], cfg["conv_stride"])
        self.feature_projection = FeatureProjection(cfg["conv_dim"][-1], cfg["hidden_size"], cfg["layer_norm_eps"])
        self.encoder = Encoder(cfg)
        self._init_weights()

    def _init_weights(self) -> None:
        """transformers' HubertPreTrainedModel._init_weights (the values differ from a seeded transformers
        build, whose RNG order is not reproduced; imported weights replace them all)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, NoLayerNormConvLayer | GroupNormConvLayer):
                nn.init.kaiming_normal_(module.conv.weight)

    def forward(self, input_values: torch.Tensor) -> torch.Tensor:
        """``(n, samples)`` flattened leads -> ``(n, frames, hidden)``."""
        features = self.feature_extractor(input_values).transpose(1, 2)
        return self.encoder(self.feature_projection(features))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, leads, samples)`` min-max scaled leads -> mean over time of the last hidden state."""
        if x.ndim != 3 or x.shape[1] != self.leads:
            raise ValueError(f"expected (n, {self.leads}, samples), got {tuple(x.shape)}")
        return self.forward(x.reshape(x.shape[0], -1)).mean(dim=1)

