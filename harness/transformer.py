"""A scikit-learn transformer around an encoder, so embeddings fit in a ``Pipeline``.

``EncoderTransformer("ahms-ppg", fs=125).fit(X).transform(X)`` is ``load_encoder(...).embed(X, fs=125)``;
``fit`` learns nothing (the encoder is frozen: the harness protocol is linear probing of fixed
embeddings), it only loads the encoder, so ``clone`` and grid searches over the probe work as usual.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from harness.api import LoadedEncoder, load_encoder


class EncoderTransformer(TransformerMixin, BaseEstimator):
    """Embed recordings ``(n, samples)`` or ``(n, channels, samples)`` sampled at ``fs`` Hz."""

    def __init__(self, encoder: str = "handcrafted", *, fs: float = 64.0, modality: str | None = None,
                 checkpoint: str | Path | None = None, device: str = "cpu", dtype: str = "float32",
                 batch_size: int = 64) -> None:
        self.encoder = encoder
        self.fs = fs
        self.modality = modality
        self.checkpoint = checkpoint
        self.device = device
        self.dtype = dtype
        self.batch_size = batch_size

    def fit(self, X: Any, y: Any = None) -> EncoderTransformer:
        self.encoder_: LoadedEncoder = load_encoder(self.encoder, modality=self.modality, checkpoint=self.checkpoint,
                                                    device=self.device, dtype=self.dtype, batch_size=self.batch_size)
        self.n_features_out_ = self.encoder_.embedding_dim
        return self

    def transform(self, X: Any) -> np.ndarray:
        if not hasattr(self, "encoder_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("call fit() before transform() (it loads the encoder)")
        return self.encoder_.embed(X, self.fs)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray([f"{self.encoder}_{i}" for i in range(self.n_features_out_)], dtype=object)
