"""What the built-in real datasets are: names, labels, licences, citations, releases and cards.

Plain data (no pandas, wfdb or scipy), so registering them is cheap; each builder module loads only when
its dataset is built (the specs name it as a lazy ``"module:attr"`` target).
"""

from pathlib import Path

from harness import DatasetSpec


def card_path(name: str) -> str:
    """The dataset card shipped inside this package (package data, so wheel installs carry it)."""
    return str(Path(__file__).with_name("cards") / f"{name}.toml")


PPGBP_NAME = "ppg-bp"
PPGBP_URL = "https://doi.org/10.6084/m9.figshare.5459299"
PPGBP_LICENSE = "CC-BY-4.0"
PPGBP_CITATION = ("Liang Y, Chen Z, Liu G, Elgendi M. A new, short-recorded photoplethysmogram dataset for blood "
                  "pressure monitoring in China. Scientific Data 5, 180020 (2018). doi:10.1038/sdata.2018.20")
PPGBP_LABELS = ("age", "sex", "height", "weight", "bmi", "sbp", "dbp", "hr", "hypertension", "hypertension_stage",
                "diabetes", "cerebral_infarction", "cerebrovascular_disease")
PPG_BP = DatasetSpec(
    name=PPGBP_NAME, modality="ppg", build="harness_datasets.realdata.ppgbp:build", labels=PPGBP_LABELS,
    default_source="PPG-BP", card=card_path("ppg-bp"), license=PPGBP_LICENSE, citation=PPGBP_CITATION,
    description="PPG-BP: 219 adults, three 2.1 s fingertip PPG segments at 1 kHz; blood pressure, "
                "demographics and conditions.",
)

PTBXL_NAME = "ptb-xl"
PTBXL_URL = "https://physionet.org/content/ptb-xl/1.0.3/"
PTBXL_LICENSE = "CC-BY-4.0"
PTBXL_CITATION = ("Wagner P, Strodthoff N, Bousseljot R-D, et al. PTB-XL, a large publicly available "
                  "electrocardiography dataset. Scientific Data 7, 154 (2020). doi:10.1038/s41597-020-0495-6; "
                  "PhysioNet doi:10.13026/kfzx-aw45")
PTBXL_SUPERCLASSES = ("NORM", "MI", "STTC", "CD", "HYP")
PTBXL_LABELS = ("age", "sex", "height", "weight", "bmi", *(s.lower() for s in PTBXL_SUPERCLASSES), "af",
                "strat_fold")
PTB_XL = DatasetSpec(
    name=PTBXL_NAME, modality="ecg", build="harness_datasets.realdata.ptbxl:build", labels=PTBXL_LABELS,
    default_source="PTB-XL-subset500", card=card_path("ptb-xl"), license=PTBXL_LICENSE, citation=PTBXL_CITATION,
    description="PTB-XL: 12-lead 10 s clinical ECGs (100/500 Hz), age/sex/height/weight, "
                "diagnostic superclasses, AF; participant = patient_id.",
)

CINC_NAME = "cinc2017"
CINC_URL = "https://physionet.org/content/challenge-2017/1.0.0/"
CINC_LICENSE = "ODC-By-1.0"
CINC_CITATION = ("Clifford GD, Liu C, Moody B, et al. AF Classification from a Short Single Lead ECG Recording: "
                 "the PhysioNet/Computing in Cardiology Challenge 2017. Computing in Cardiology 44 (2017). "
                 "doi:10.22489/CinC.2017.065")
CINC_LABELS = ("af", "normal", "other", "noisy", "rhythm_class")
CINC2017 = DatasetSpec(
    name=CINC_NAME, modality="ecg", build="harness_datasets.realdata.cinc2017:build", labels=CINC_LABELS,
    default_source="CinC2017-AF", card=card_path("cinc2017"), license=CINC_LICENSE, citation=CINC_CITATION,
    description="PhysioNet/CinC 2017: 8,528 single-lead handheld ECGs, 300 Hz, 9-61 s; N/A/O/~ rhythm "
                "labels (REFERENCE-v3); one participant per record.",
)

DALIA_NAME = "ppg-dalia"
DALIA_URL = "https://archive.ics.uci.edu/dataset/495/ppg+dalia"
DALIA_LICENSE = "CC-BY-4.0"
DALIA_CITATION = ("Reiss A, Indlekofer I, Schmidt P, Van Laerhoven K. Deep PPG: Large-Scale Heart Rate Estimation "
                  "with Convolutional Neural Networks. Sensors 19(14), 3079 (2019). doi:10.3390/s19143079")
DALIA_LABELS = ("age", "sex", "height", "weight", "bmi", "skin", "sport")
#: activity ids 1-8 of the protocol, in id order (code = id - 1); the activity-* tasks name these
DALIA_ACTIVITIES = ("sitting", "stairs", "table-soccer", "cycling", "driving", "lunch", "walking", "working")
PPG_DALIA = DatasetSpec(
    name=DALIA_NAME, modality="ppg", build="harness_datasets.realdata.dalia:build", labels=DALIA_LABELS,
    segment_labels=("hr-window", "activity"),
    default_source="PPG-DaLiA", card=card_path("ppg-dalia"), license=DALIA_LICENSE, citation=DALIA_CITATION,
    description="PPG-DaLiA: 15 subjects, ~2.5 h of wrist E4 BVP (64 Hz) in daily-life activities; 8 s windows "
                "(2 s hop) with ECG reference heart rate and activity per window; age/sex/height/weight.",
)
PPG_DALIA_ECG = DatasetSpec(
    name=f"{DALIA_NAME}-ecg", modality="ecg", build="harness_datasets.realdata.dalia:build_ecg",
    labels=DALIA_LABELS, segment_labels=("hr-window", "activity"), default_source="PPG-DaLiA",
    card=card_path("ppg-dalia"), license=DALIA_LICENSE,
    citation=DALIA_CITATION,
    description="PPG-DaLiA chest ECG (RespiBAN, 700 Hz) in the same 8 s / 2 s windows as ppg-dalia, same labels.",
)

BUTPPG_NAME = "but-ppg"
BUTPPG_URL = "https://physionet.org/content/butppg/2.0.0/"
BUTPPG_LICENSE = "CC-BY-4.0"
BUTPPG_CITATION = ("Nemcova A, Smisek R, Vargova E, et al. Brno University of Technology Smartphone PPG Database "
                   "(BUT PPG) (version 2.0.0). PhysioNet (2024). doi:10.13026/tn53-8153; Nemcova A et al., "
                   "BioMed Research International 2021:3453007. doi:10.1155/2021/3453007")
BUTPPG_LABELS = ("age", "sex", "height", "weight", "bmi")
BUT_PPG = DatasetSpec(
    name=BUTPPG_NAME, modality="ppg", build="harness_datasets.realdata.butppg:build", labels=BUTPPG_LABELS,
    segment_labels=("quality", "hr-window", "site"),
    default_source="BUT-PPG", card=card_path("but-ppg"), license=BUTPPG_LICENSE, citation=BUTPPG_CITATION,
    description="BUT PPG: 3,888 10 s smartphone-camera PPG records (30 Hz) of 50 subjects, each with expert "
                "quality (good/poor) and ECG reference heart rate; age/sex/height/weight.",
)

MITDB_NAME = "mitdb"
MITDB_URL = "https://physionet.org/content/mitdb/1.0.0/"
MITDB_LICENSE = "ODC-By-1.0"
MITDB_CITATION = ("Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med Biol "
                  "20(3):45-50 (2001). PhysioNet doi:10.13026/C2F305")
MITDB_LABELS = ("age", "sex", "af", "af_burden")
MITDB = DatasetSpec(
    name=MITDB_NAME, modality="ecg", build="harness_datasets.realdata.mitdb:build", labels=MITDB_LABELS,
    default_source="MIT-BIH", card=card_path("mitdb"), license=MITDB_LICENSE, citation=MITDB_CITATION,
    description="MIT-BIH Arrhythmia: 48 half-hour 2-lead ambulatory ECGs (360 Hz) of 47 subjects; lead MLII "
                "in 10 s windows; age, sex, AF burden from rhythm annotations.",
)

WESAD_NAME = "wesad"
WESAD_URL = "https://archive.ics.uci.edu/dataset/465/wesad+wearable+stress+and+affect+detection"
WESAD_LICENSE = "CC-BY-4.0"
WESAD_CITATION = ("Schmidt P, Reiss A, Duerichen R, Marberger C, Van Laerhoven K. Introducing WESAD, a "
                  "Multimodal Dataset for Wearable Stress and Affect Detection. ICMI 2018, 400-408. "
                  "doi:10.1145/3242969.3242985")
WESAD = DatasetSpec(
    name=WESAD_NAME, modality="ppg", build="harness_datasets.realdata.wesad:build",
    labels=("age", "sex", "height", "weight", "bmi"), segment_labels=("condition", "stress"),
    default_source="WESAD", card=card_path("wesad"), license=WESAD_LICENSE, citation=WESAD_CITATION,
    description="WESAD: 15 subjects' wrist E4 BVP (64 Hz) in a lab protocol; 60 s windows (15 s hop) with "
                "condition (baseline/stress/amusement/meditation) and stress vs baseline; age/sex/height/weight.",
)

SPECS = (PPG_BP, PTB_XL, CINC2017, PPG_DALIA, PPG_DALIA_ECG, BUT_PPG, MITDB, WESAD)
