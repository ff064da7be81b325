"""The published encoders' cards: plain data (no torch), read at registration and by the weights import.

Each card names the architecture's public source (repository, file, commit read), the configuration the
authors instantiate, the input they feed it, the output they probe, and where the official weights are
published. ``weights_sha256`` is set only where the publisher states a sha256; Zenodo publishes MD5s,
so for these records the user passes the sha256 they trust (``--sha256``) or ``--allow-unverified``.
``parameters`` is counted from the built model (``tests/zoo`` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness import InputSpec

PLUGIN_VERSION = "0.1.0"


@dataclass(frozen=True)
class ZooCard:
    name: str
    description: str
    input_spec: InputSpec
    embedding_dim: int
    parameters: int
    config: dict[str, Any]
    license: str
    citation: str
    weights_url: str
    weights_file: str
    source: dict[str, str]
    probed_output: str
    preprocessing_not_applied: str = ""
    weights_sha256: str | None = None
    # keys of a training checkpoint that hold the model's state dict, tried in order
    containers: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ("module.",)
    # tensors of the checkpoint that no embedding uses (pretraining heads), dropped by the import
    ignored_prefixes: tuple[str, ...] = ()
    # (old, new) name suffixes: spellings of the same tensor by other library versions
    renamed: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


PAPAGEI_CONFIG = {"base_filters": 32, "kernel_size": 3, "stride": 2, "groups": 1, "n_block": 18, "n_classes": 512}
PAPAGEI_SOURCE = {"repository": "https://github.com/Nokia-Bell-Labs/papagei-foundation-model",
                  "file": "models/resnet.py", "commit": "0c537dad4d2850e15b724260de820dd68d77f0b0"}
PAPAGEI_CITATION = ("Pillai, Spathis, Kawsar, Malekzadeh. PaPaGei: Open Foundation Models for Optical "
                    "Physiological Signals. ICLR 2025. arXiv:2410.20542")
PAPAGEI_WEIGHTS = "https://zenodo.org/records/13983110"
# What their feature extraction does to a recording before the model (example_papagei.ipynb,
# preprocessing/ppg.py): z-score, pyPPG Chebyshev band-pass 0.5-12 Hz, resample to 125 Hz, centre
# pad to 1250 samples. The adapter does the z-score, resampling and padding.
PAPAGEI_INPUT = InputSpec("ppg", channels=1, fs=125.0, window_s=10.0, normalise="zscore",
                          long_policy="windows", short_policy="pad")
PAPAGEI_NOT_APPLIED = "pyPPG band-pass 0.5-12 Hz (apply it to the recordings before import for parity)"

# The twelve leads in the order HuBERT-ECG's training data stores them (PTB-XL / PhysioNet Challenge order).
TWELVE_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")

PULSEPPG_CONFIG = {"base_filters": 128, "kernel_size": 11, "stride": 2, "groups": 1, "n_block": 12}

CARDS: dict[str, ZooCard] = {card.name: card for card in (
    ZooCard(
        name="papagei-s",
        description="PaPaGei-S (Nokia Bell Labs): PPG ResNet1D-MoE, morphology-aware contrastive; 512-d.",
        input_spec=PAPAGEI_INPUT, embedding_dim=512, parameters=5_785_612,
        config={**PAPAGEI_CONFIG, "n_experts": 3, "class": "ResNet1DMoE"},
        license="BSD-3-Clause-Clear (code); weights: see the Zenodo record", citation=PAPAGEI_CITATION,
        weights_url=PAPAGEI_WEIGHTS, weights_file="papagei_s.pt", source=PAPAGEI_SOURCE,
        probed_output="outputs[0] of ResNet1DMoE.forward (dense(pooled)), as example_papagei.ipynb "
                      "(output_idx=0) and the README's quick start",
        preprocessing_not_applied=PAPAGEI_NOT_APPLIED,
    ),
    ZooCard(
        name="papagei-p",
        description="PaPaGei-P (Nokia Bell Labs): PPG ResNet1D, participant-contrastive; 512-d.",
        input_spec=PAPAGEI_INPUT, embedding_dim=512, parameters=4_993_024,
        config={**PAPAGEI_CONFIG, "class": "ResNet1D", "use_mt_regression": False, "use_projection": False},
        license="BSD-3-Clause-Clear (code); weights: see the Zenodo record", citation=PAPAGEI_CITATION,
        weights_url=PAPAGEI_WEIGHTS, weights_file="papagei_p.pt",
        source={**PAPAGEI_SOURCE, "instantiation": "training_pospair.py"},
        probed_output="outputs[0] of ResNet1D.forward (dense(pooled)), as for PaPaGei-S",
        preprocessing_not_applied=PAPAGEI_NOT_APPLIED,
    ),
    ZooCard(
        name="pulse-ppg",
        description="Pulse-PPG (Saha, Xu et al.): field-trained wrist PPG ResNet1D (RelCon); 512-d.",
        # Its evaluations (pulseppg/data/process/*.py) feed z-scored PPG at 50 Hz in 8-10 s windows;
        # the network instance-normalises its input and max-pools over time, so length is free.
        input_spec=InputSpec("ppg", channels=1, fs=50.0, window_s=10.0, normalise="zscore",
                             long_policy="windows", short_policy="pad"),
        embedding_dim=512, parameters=28_497_920,
        config={**PULSEPPG_CONFIG, "class": "ResNet1D_Net.Net", "finalpool": "max"},
        license="MIT (code); weights: see the Zenodo record",
        citation=("Saha, Xu, Mao, Neupane, Rehg, Kumar. Pulse-PPG: An Open-Source Field-Trained PPG "
                  "Foundation Model for Wearable Applications Across Lab and Field Settings. "
                  "Proc. ACM IMWUT 9(3), 2025. arXiv:2502.01108"),
        weights_url="https://zenodo.org/records/17345536/files/pulseppg_model_weights.zip",
        weights_file="checkpoint_best.pkl (inside pulseppg_model_weights.zip)",
        source={"repository": "https://github.com/maxxu05/pulseppg",
                "file": "pulseppg/nets/ResNet1D/ResNet1D_Net.py",
                "config": "pulseppg/experiments/configs/PulsePPG_expconfigs.py",
                "commit": "716eaf9cf966e8f76436f2263872ef38b1f90166"},
        probed_output="Net.forward (max over time of the last block), what its linear probes read",
        preprocessing_not_applied="pyPPG band-pass of its evaluation pipelines",
        containers=("net",),
    ),
    ZooCard(
        name="ecgfounder-1lead",
        description="ECGFounder single-lead (Li et al., NEJM AI 2025): ECG Net1D (RegNet + SE), 10 M "
                    "Harvard-Emory ECGs; 1024-d.",
        # dataset.py: band-pass (util.filter_bandpass), 500 Hz, 10 s (5000 samples), z-score per recording.
        input_spec=InputSpec("ecg", channels=1, fs=500.0, window_s=10.0, normalise="zscore",
                             long_policy="windows", short_policy="pad", preferred_channels=("I",)),
        embedding_dim=1024, parameters=30_807_750,
        config={"in_channels": 1, "base_filters": 64, "ratio": 1, "filter_list": [64, 160, 160, 400, 400, 1024, 1024],
                "m_blocks_list": [2, 2, 2, 3, 3, 4, 4], "kernel_size": 16, "stride": 2, "groups_width": 16,
                "n_classes": 150, "use_bn": False, "use_do": False, "class": "net1d.Net1D"},
        license="MIT (code); weights: see the Hugging Face model card",
        citation=("Li, Aguirre, Moura, Jin, Liu, Zhong, Sun, Clifford, Westover, Hong. An Electrocardiogram "
                  "Foundation Model Built on over 10 Million Recordings. NEJM AI 2(7), 2025. arXiv:2410.04133"),
        weights_url="https://huggingface.co/PKUDigitalHealth/ECGFounder/tree/main",
        weights_file="1_lead_ECGFounder.pth",
        source={"repository": "https://github.com/PKUDigitalHealth/ECGFounder", "file": "net1d.py",
                "instantiation": "finetune_model.py:ft_1lead_ECGFounder",
                "commit": "04edac702b61c91face519774ddcc0cd712fef23"},
        probed_output="deep_features of Net1D.forward (mean over time of the last stage, before dense), what "
                      "its linear probe (linear_prob=True) trains on",
        preprocessing_not_applied="util.filter_bandpass of dataset.py (50 Hz notch, Butterworth 0.67-40 Hz, "
                                  "median-filter baseline removal)",
        containers=("state_dict",),
    ),
    ZooCard(
        name="hubert-ecg-base",
        description="HuBERT-ECG BASE (Coppola et al.): 12-lead ECG HuBERT transformer, masked prediction of "
                    "k-means codes, 9.1 M ECGs; 768-d.",
        # dataset.py + utils.py: per-lead min-max scaling to [-1, 1], 5 s at 100 Hz (500 Hz / 5), the 12
        # leads flattened one after another into 6,000 samples (the model does the flattening).
        input_spec=InputSpec("ecg", channels=12, fs=100.0, window_s=5.0, normalise="minmax",
                             long_policy="windows", short_policy="pad", preferred_channels=TWELVE_LEADS,
                             fewer_channels="refuse"),
        embedding_dim=768, parameters=92_798_848,
        # pretrain.py (--largeness base, --downsampling_factor 5); the rest is HubertConfig's default
        config={"class": "transformers.HubertModel (HuBERTECG)", "hidden_size": 768, "num_hidden_layers": 12,
                "num_attention_heads": 12, "intermediate_size": 3072, "conv_dim": [512] * 5,
                "conv_kernel": [10, 3, 3, 2, 2], "conv_stride": [4, 2, 2, 2, 2], "feat_extract_norm": "group",
                "do_stable_layer_norm": False, "num_conv_pos_embeddings": 128, "num_conv_pos_embedding_groups": 16,
                "layer_norm_eps": 1e-5, "leads": 12},
        license="CC BY-NC 4.0 (code and weights; non-commercial use only)",
        citation=("Coppola, Savardi, Massussi, Adamo, Metra, Signoroni. HuBERT-ECG as a self-supervised "
                  "foundation model for broad and scalable cardiac applications. medRxiv 2024.11.14.24317328"),
        weights_url="https://huggingface.co/Edoardo-BS/hubert-ecg-base",
        weights_file="model.safetensors",
        source={"repository": "https://github.com/Edoar-do/HuBERT-ECG", "file": "code/hubert_ecg.py",
                "sizes": "code/pretrain.py (--largeness base, --downsampling_factor 5)",
                "input": "code/dataset.py, code/utils.py (scaling)",
                "commit": "affe1f9", "modules": "transformers 4.46.3 models/hubert/modeling_hubert.py"},
        probed_output="last_hidden_state.mean(dim=1), what hubert_ecg_classification.py pools before its "
                      "classifier",
        preprocessing_not_applied="utils.apply_filter (FIR band-pass 0.05-47 Hz) before saving; the harness "
                                  "resamples each lead (polyphase) where they decimate the flattened leads, "
                                  "and scales each segment where they scale the whole recording",
        prefixes=("module.", "hubert_ecg."),
        ignored_prefixes=("final_proj.", "label_embedding."),
        renamed=(("pos_conv_embed.conv.weight_g", "pos_conv_embed.conv.parametrizations.weight.original0"),
                 ("pos_conv_embed.conv.weight_v", "pos_conv_embed.conv.parametrizations.weight.original1")),
    ),
)}


def card(name: str) -> ZooCard:
    return CARDS[name]
