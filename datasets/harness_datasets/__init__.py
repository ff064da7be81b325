"""The built-in dataset plugins of biosignal-harness.

Two plugins live here, each registered through the ``biosignal_harness`` entry-point group exactly as a
third party's dataset package would be: ``harness_datasets.synthetic`` (the embedded synthetic PPG and
ECG cohorts, built on first use) and ``harness_datasets.realdata`` (builders for PPG-BP, PTB-XL and
PhysioNet/CinC 2017 from their official releases, with their dataset cards as package data).
"""

__version__ = "0.1.0"
