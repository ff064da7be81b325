"""Shenda Hong's 1-D ResNet, the backbone PaPaGei and Pulse-PPG both publish weights for.

Written here from the public code, keeping its module names (``first_block_conv.conv``,
``basicblock_list.<i>.bn1`` ...), so the official state dicts load with ``strict=True`` once a DDP
``module.`` prefix is stripped. The sources (file and commit) are in :mod:`harness_zoo.cards`; the
tests compare every tensor name and shape with a list taken from running that code.

Layout (both models): a "same"-padded stem conv, then ``n_block`` pre-activation residual blocks; every
second block (odd index) downsamples by ``stride`` and every ``increasefilter_gap``-th block doubles the
channels, the shortcut being max-pooled and zero-padded on the channel axis to match.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _same_padding(length: int, kernel_size: int, stride: int) -> tuple[int, int]:
    """TensorFlow-style SAME padding: output length ceil(length / stride); the extra sample goes right."""
    out = (length + stride - 1) // stride
    total = max(0, (out - 1) * stride + kernel_size - length)
    return total // 2, total - total // 2


class MyConv1dPadSame(nn.Module):
    """``Conv1d`` with SAME padding (the wrapped conv is ``.conv``, as in the checkpoints)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, groups: int = 1) -> None:
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size=kernel_size, stride=stride, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, _same_padding(x.shape[-1], self.kernel_size, self.stride)))


class MyMaxPool1dPadSame(nn.Module):
    """Max pooling of the shortcut with SAME padding computed for stride 1 (as the original does)."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.max_pool = nn.MaxPool1d(kernel_size=kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.max_pool(F.pad(x, _same_padding(x.shape[-1], self.kernel_size, 1)))


class BasicBlock(nn.Module):
    """Pre-activation block: [BN, ReLU, dropout] conv, BN, ReLU, dropout, conv, plus the shortcut.

    The first block of the network skips the first BN/ReLU (its input is already activated), but still
    owns ``bn1`` because the checkpoints hold it.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, groups: int,
                 downsample: bool, is_first_block: bool = False) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.downsample, self.is_first_block = downsample, is_first_block
        self.stride = stride if downsample else 1
        self.bn1 = nn.BatchNorm1d(in_channels)
        self.relu1 = nn.ReLU()
        self.do1 = nn.Dropout(p=0.5)
        self.conv1 = MyConv1dPadSame(in_channels, out_channels, kernel_size, self.stride, groups)
        self.bn2 = nn.BatchNorm1d(out_channels)
        self.relu2 = nn.ReLU()
        self.do2 = nn.Dropout(p=0.5)
        self.conv2 = MyConv1dPadSame(out_channels, out_channels, kernel_size, 1, groups)
        self.max_pool = MyMaxPool1dPadSame(kernel_size=self.stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if not self.is_first_block:
            out = self.do1(self.relu1(self.bn1(out)))
        out = self.conv1(out)
        out = self.conv2(self.do2(self.relu2(self.bn2(out))))
        identity = self.max_pool(x) if self.downsample else x
        if self.out_channels != self.in_channels:
            extra = self.out_channels - self.in_channels
            identity = F.pad(identity, (0, 0, extra // 2, extra - extra // 2))
        return out + identity


def block_channels(base_filters: int, n_block: int, increasefilter_gap: int = 4) -> list[tuple[int, int]]:
    """``(in, out)`` channels of each block: doubled at every ``increasefilter_gap``-th block."""
    channels = []
    for i in range(n_block):
        if i == 0:
            channels.append((base_filters, base_filters))
            continue
        c_in = int(base_filters * 2 ** ((i - 1) // increasefilter_gap))
        channels.append((c_in, 2 * c_in if i % increasefilter_gap == 0 else c_in))
    return channels


class ResNetTrunk(nn.Module):
    """Stem + residual blocks, shared by the published heads (attribute names as in the checkpoints)."""

    def __init__(self, in_channels: int, base_filters: int, kernel_size: int, stride: int, groups: int,
                 n_block: int, downsample_gap: int = 2, increasefilter_gap: int = 4) -> None:
        super().__init__()
        self.first_block_conv = MyConv1dPadSame(in_channels, base_filters, kernel_size, 1)
        self.first_block_bn = nn.BatchNorm1d(base_filters)
        self.first_block_relu = nn.ReLU()
        self.basicblock_list = nn.ModuleList(
            BasicBlock(c_in, c_out, kernel_size, stride, groups, downsample=i % downsample_gap == 1,
                       is_first_block=i == 0)
            for i, (c_in, c_out) in enumerate(block_channels(base_filters, n_block, increasefilter_gap)))
        self.out_channels = block_channels(base_filters, n_block, increasefilter_gap)[-1][1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last block's feature map, ``(n, out_channels, time)``."""
        out = self.first_block_relu(self.first_block_bn(self.first_block_conv(x)))
        for block in self.basicblock_list:
            out = block(out)
        return out


class PaPaGeiResNet(ResNetTrunk):
    """PaPaGei's ``ResNet1D`` (PaPaGei-P) and ``ResNet1DMoE`` (PaPaGei-S, ``n_experts`` > 0).

    ``embed`` returns what the authors' feature extraction keeps, ``outputs[0]`` of their forward: the
    ``dense`` layer applied to the time-averaged, batch-normalised feature map.
    """

    def __init__(self, *, base_filters: int, kernel_size: int, stride: int, groups: int, n_block: int,
                 n_classes: int, n_experts: int = 0) -> None:
        super().__init__(1, base_filters, kernel_size, stride, groups, n_block)
        width = self.out_channels
        self.final_bn = nn.BatchNorm1d(width)
        self.final_relu = nn.ReLU(inplace=True)
        self.dense = nn.Linear(width, n_classes)
        if n_experts:
            # The two regression heads (IPA, SQI) of PaPaGei-S: unused for embeddings, kept so the
            # official state dict loads strictly.
            self.expert_layers_1 = nn.ModuleList(
                nn.Sequential(nn.Linear(width, width // 2), nn.ReLU(), nn.Linear(width // 2, 1))
                for _ in range(n_experts))
            self.gating_network_1 = nn.Sequential(nn.Linear(width, n_experts), nn.Softmax(dim=1))
            self.expert_layers_2 = nn.ModuleList(
                nn.Sequential(nn.Linear(width, width // 2), nn.ReLU(), nn.Dropout(0.3), nn.Linear(width // 2, 1))
                for _ in range(n_experts))
            self.gating_network_2 = nn.Sequential(nn.Linear(width, n_experts), nn.Softmax(dim=1))

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        return self.final_relu(self.final_bn(self.features(x))).mean(-1)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.pooled(x))


class PulsePPGResNet(ResNetTrunk):
    """Pulse-PPG's ``ResNet1D_Net.Net``: instance-normalised input, no final BN, max over time."""

    def __init__(self, *, base_filters: int, kernel_size: int, stride: int, groups: int, n_block: int) -> None:
        super().__init__(1, base_filters, kernel_size, stride, groups, n_block)
        # No affine parameters and no running statistics: contributes no tensors to the state dict.
        self.instnorm = nn.InstanceNorm1d(1)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(self.instnorm(x)).amax(dim=-1)
