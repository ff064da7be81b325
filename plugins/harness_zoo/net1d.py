"""Shenda Hong's Net1D (a 1-D RegNet with squeeze-and-excitation), the backbone of ECGFounder.

Written from the public code with its module names (``first_conv.conv``, ``stage_list.<s>.block_list.<b>``,
``se_fc1`` ...), so the official state dict loads strictly. ECGFounder is built with ``use_bn=False`` and
``use_do=False``: its batch norms exist (the checkpoint holds them) but are never applied.
"""

from __future__ import annotations

import torch
from torch import nn

from harness_zoo.resnet1d import MyConv1dPadSame, MyMaxPool1dPadSame


class Swish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class Net1DBlock(nn.Module):
    """conv1 -> grouped convk -> conv1, squeeze-and-excitation, plus the (pooled, zero-padded) shortcut."""

    def __init__(self, in_channels: int, out_channels: int, ratio: float, kernel_size: int, stride: int,
                 groups: int, downsample: bool, is_first_block: bool, use_bn: bool, use_do: bool) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.downsample, self.is_first_block = downsample, is_first_block
        self.use_bn, self.use_do = use_bn, use_do
        stride = stride if downsample else 1
        middle = int(out_channels * ratio)
        self.bn1 = nn.BatchNorm1d(in_channels)
        self.activation1 = Swish()
        self.do1 = nn.Dropout(p=0.5)
        self.conv1 = MyConv1dPadSame(in_channels, middle, 1, 1)
        self.bn2 = nn.BatchNorm1d(middle)
        self.activation2 = Swish()
        self.do2 = nn.Dropout(p=0.5)
        self.conv2 = MyConv1dPadSame(middle, middle, kernel_size, stride, groups)
        self.bn3 = nn.BatchNorm1d(middle)
        self.activation3 = Swish()
        self.do3 = nn.Dropout(p=0.5)
        self.conv3 = MyConv1dPadSame(middle, out_channels, 1, 1)
        self.se_fc1 = nn.Linear(out_channels, out_channels // 2)
        self.se_fc2 = nn.Linear(out_channels // 2, out_channels)
        self.se_activation = Swish()
        if downsample:
            self.max_pool = MyMaxPool1dPadSame(kernel_size=stride)

    def _pre(self, x: torch.Tensor, bn: nn.Module, act: nn.Module, do: nn.Module) -> torch.Tensor:
        if self.use_bn:
            x = bn(x)
        x = act(x)
        return do(x) if self.use_do else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.is_first_block else self._pre(x, self.bn1, self.activation1, self.do1)
        out = self.conv1(out)
        out = self.conv2(self._pre(out, self.bn2, self.activation2, self.do2))
        out = self.conv3(self._pre(out, self.bn3, self.activation3, self.do3))
        se = torch.sigmoid(self.se_fc2(self.se_activation(self.se_fc1(out.mean(-1)))))
        out = out * se.unsqueeze(-1)
        identity = self.max_pool(x) if self.downsample else x
        if self.out_channels != self.in_channels:
            extra = self.out_channels - self.in_channels
            identity = nn.functional.pad(identity, (0, 0, extra // 2, extra - extra // 2))
        return out + identity


class BasicStage(nn.Module):
    """``m_blocks`` blocks; the first downsamples and changes the width."""

    def __init__(self, in_channels: int, out_channels: int, ratio: float, kernel_size: int, stride: int,
                 groups: int, i_stage: int, m_blocks: int, use_bn: bool, use_do: bool) -> None:
        super().__init__()
        self.block_list = nn.ModuleList(
            Net1DBlock(in_channels if i == 0 else out_channels, out_channels, ratio, kernel_size,
                       stride if i == 0 else 1, groups, downsample=i == 0, is_first_block=i_stage == 0 and i == 0,
                       use_bn=use_bn, use_do=use_do)
            for i in range(m_blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.block_list:
            x = block(x)
        return x


class Net1D(nn.Module):
    """The network; ``embed`` is the time-averaged last stage (``deep_features``, what a linear probe reads)."""

    def __init__(self, *, in_channels: int, base_filters: int, ratio: float, filter_list: list[int],
                 m_blocks_list: list[int], kernel_size: int, stride: int, groups_width: int, n_classes: int,
                 use_bn: bool, use_do: bool) -> None:
        super().__init__()
        self.use_bn = use_bn
        self.first_conv = MyConv1dPadSame(in_channels, base_filters, kernel_size, 2)
        self.first_bn = nn.BatchNorm1d(base_filters)
        self.first_activation = Swish()
        widths = [base_filters, *filter_list]
        self.stage_list = nn.ModuleList(
            BasicStage(widths[i], widths[i + 1], ratio, kernel_size, stride, widths[i + 1] // groups_width, i,
                       m_blocks_list[i], use_bn, use_do)
            for i in range(len(filter_list)))
        self.dense = nn.Linear(filter_list[-1], n_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        out = self.first_conv(x)
        if self.use_bn:
            out = self.first_bn(out)
        out = self.first_activation(out)
        for stage in self.stage_list:
            out = stage(out)
        return out.mean(-1)
