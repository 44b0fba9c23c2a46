"""Published model figures, each with its source.

``PRESETS[name]`` is a :class:`Preset`. ``preset.sources[field]`` says where each figure comes
from. ``preset.published`` holds figures the paper printed that the engine can be checked
against (``total_flops``, ``pf_days``, ``gpu_hours``, ``compute_flops``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

GPT3 = "Brown et al. 2020, Language Models are Few-Shot Learners, arXiv:2005.14165"
GPT3_D1 = GPT3 + ", Appendix D, Table D.1"
GPT3_T21 = GPT3 + ", Table 2.1"
LLAMA = "Touvron et al. 2023, LLaMA: Open and Efficient Foundation Language Models, arXiv:2302.13971"
CHINCHILLA = "Hoffmann et al. 2022, Training Compute-Optimal Large Language Models, arXiv:2203.15556"
BLOOM = "BigScience Workshop 2022, BLOOM: A 176B-Parameter Open-Access Multilingual Language Model, arXiv:2211.05100"
BBG = "Wu et al. 2023, BloombergGPT: A Large Language Model for Finance, arXiv:2303.17564"
T5 = "Raffel et al. 2020, Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer, JMLR"
GOPHER = "Rae et al. 2021, Scaling Language Models: Methods, Analysis & Insights from Training Gopher, arXiv:2112.11446"
BERT = "Devlin et al. 2019, BERT: Pre-training of Deep Bidirectional Transformers, NAACL"
CH_T1 = CHINCHILLA + ", Table 1"
LAMDA = "Thoppilan et al. 2022, LaMDA: Language Models for Dialog Applications, arXiv:2201.08239"
JURASSIC = "Lieber et al. 2021, Jurassic-1: Technical Details and Evaluation, AI21 Labs white paper"
MTNLG = ("Smith et al. 2022, Using DeepSpeed and Megatron to Train Megatron-Turing NLG 530B, "
         "arXiv:2201.11990")


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    params: float
    tokens: float
    family: str
    flops_per_param_token: float = 6
    layers: int | None = None
    hidden: int | None = None
    heads: int | None = None
    seq_len: int | None = None
    kv_heads: int | None = None
    published: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def head_dim(self) -> int | None:
        if self.hidden and self.heads:
            return self.hidden // self.heads
        return None

    @property
    def tokens_per_param(self) -> float:
        return self.tokens / self.params


def _gpt3(name: str, label: str, params_m: float, pf_days: float, flops: float, layers: int,
          hidden: int, heads: int) -> Preset:
    return Preset(
        name=name, label=label, params=params_m * 1e6, tokens=300e9, family="GPT-3",
        layers=layers, hidden=hidden, heads=heads, seq_len=2048, kv_heads=heads,
        published={"pf_days": pf_days, "total_flops": flops},
        sources={
            "params": GPT3_D1, "tokens": GPT3_D1, "pf_days": GPT3_D1, "total_flops": GPT3_D1,
            "layers": GPT3_T21, "hidden": GPT3_T21, "heads": GPT3_T21, "seq_len": GPT3_T21,
        },
    )


def _d1(name: str, label: str, family: str, params_m: float, tokens_b: float, fpt: float,
        pf_days: float, flops: float, src: str, **arch: int) -> Preset:
    sources = {"params": GPT3_D1, "tokens": GPT3_D1, "pf_days": GPT3_D1, "total_flops": GPT3_D1,
               "flops_per_param_token": GPT3_D1}
    for key in arch:
        sources[key] = src
    return Preset(name=name, label=label, params=params_m * 1e6, tokens=tokens_b * 1e9,
                  family=family, flops_per_param_token=fpt,
                  published={"pf_days": pf_days, "total_flops": flops}, sources=sources, **arch)


def _llama(name: str, label: str, params: float, tokens: float, hidden: int, heads: int,
           layers: int, gpu_hours: float) -> Preset:
    return Preset(
        name=name, label=label, params=params, tokens=tokens, family="LLaMA",
        layers=layers, hidden=hidden, heads=heads, seq_len=2048, kv_heads=heads,
        published={"gpu_hours": gpu_hours},
        sources={"params": LLAMA + ", Table 2", "tokens": LLAMA + ", Table 2",
                 "layers": LLAMA + ", Table 2", "hidden": LLAMA + ", Table 2",
                 "heads": LLAMA + ", Table 2", "seq_len": LLAMA + ", Sec. 2.4",
                 "gpu_hours": LLAMA + ", Table 15 (A100-80GB GPU-hours)"},
    )


_LIST: list[Preset] = [
    _gpt3("gpt3-small", "GPT-3 Small (125M)", 125, 2.60, 2.25e20, 12, 768, 12),
    _gpt3("gpt3-medium", "GPT-3 Medium (350M)", 356, 7.42, 6.41e20, 24, 1024, 16),
    _gpt3("gpt3-large", "GPT-3 Large (760M)", 760, 15.8, 1.37e21, 24, 1536, 16),
    _gpt3("gpt3-xl", "GPT-3 XL (1.3B)", 1320, 27.5, 2.38e21, 24, 2048, 24),
    _gpt3("gpt3-2.7b", "GPT-3 2.7B", 2650, 55.2, 4.77e21, 32, 2560, 32),
    _gpt3("gpt3-6.7b", "GPT-3 6.7B", 6660, 139, 1.20e22, 32, 4096, 32),
    _gpt3("gpt3-13b", "GPT-3 13B", 12850, 268, 2.31e22, 40, 5140, 40),
    _gpt3("gpt3-175b", "GPT-3 175B", 174600, 3640, 3.14e23, 96, 12288, 96),
    _d1("t5-small", "T5-Small", "T5", 60, 1000, 3, 2.08, 1.80e20, T5),
    _d1("t5-base", "T5-Base", "T5", 220, 1000, 3, 7.64, 6.60e20, T5),
    _d1("t5-large", "T5-Large", "T5", 770, 1000, 3, 26.7, 2.31e21, T5),
    _d1("t5-3b", "T5-3B", "T5", 3000, 1000, 3, 104, 9.00e21, T5),
    _d1("t5-11b", "T5-11B", "T5", 11000, 1000, 3, 382, 3.30e22, T5),
    _d1("bert-base", "BERT-Base", "BERT", 109, 250, 6, 1.89, 1.64e20, BERT + ", Sec. 3",
        layers=12, hidden=768, heads=12, seq_len=512),
    _d1("bert-large", "BERT-Large", "BERT", 355, 250, 6, 6.16, 5.33e20, BERT + ", Sec. 3",
        layers=24, hidden=1024, heads=16, seq_len=512),
    _d1("roberta-base", "RoBERTa-Base", "RoBERTa", 125, 2000, 6, 17.4, 1.50e21, GPT3_D1),
    _d1("roberta-large", "RoBERTa-Large", "RoBERTa", 355, 2000, 6, 49.3, 4.26e21, GPT3_D1),
    _llama("llama-7b", "LLaMA 7B", 6.7e9, 1.0e12, 4096, 32, 32, 82_432),
    _llama("llama-13b", "LLaMA 13B", 13.0e9, 1.0e12, 5120, 40, 40, 135_168),
    _llama("llama-33b", "LLaMA 33B", 32.5e9, 1.4e12, 6656, 52, 60, 530_432),
    _llama("llama-65b", "LLaMA 65B", 65.2e9, 1.4e12, 8192, 64, 80, 1_022_362),
    Preset(
        name="chinchilla-70b", label="Chinchilla 70B", params=70e9, tokens=1.4e12, family="Chinchilla",
        layers=80, hidden=8192, heads=64, seq_len=2048, kv_heads=64,
        published={"compute_flops": 5.76e23},
        sources={"params": CHINCHILLA + ", Table 4", "tokens": CHINCHILLA + ", Table 1",
                 "layers": CHINCHILLA + ", Table 4", "hidden": CHINCHILLA + ", Table 4",
                 "heads": CHINCHILLA + ", Table 4",
                 "seq_len": GOPHER + " (2048-token context; Chinchilla follows Gopher's setup)",
                 "compute_flops": CHINCHILLA + ", Sec. 4 (same budget as Gopher)"},
    ),
    Preset(
        name="gopher-280b", label="Gopher 280B", params=280e9, tokens=300e9, family="Gopher",
        layers=80, hidden=16384, heads=128, seq_len=2048, kv_heads=128,
        published={"compute_flops": 5.76e23},
        sources={"params": CHINCHILLA + ", Table 1 and Table 4", "tokens": CHINCHILLA + ", Table 1",
                 "layers": CHINCHILLA + ", Table 4", "hidden": CHINCHILLA + ", Table 4",
                 "heads": CHINCHILLA + ", Table 4", "seq_len": GOPHER + " (2048-token context)",
                 "compute_flops": CHINCHILLA + ", Table 3"},
    ),
    # The rest of Chinchilla's Table 1 (model, parameters, training tokens); each figure is also
    # in the model's own paper.
    Preset(
        name="lamda-137b", label="LaMDA 137B", params=137e9, tokens=168e9, family="LaMDA",
        sources={"params": CH_T1 + "; " + LAMDA, "tokens": CH_T1 + " (168B); " + LAMDA},
    ),
    Preset(
        name="jurassic-1-178b", label="Jurassic-1 178B", params=178e9, tokens=300e9, family="Jurassic-1",
        sources={"params": CH_T1 + "; " + JURASSIC, "tokens": CH_T1 + " (300B); " + JURASSIC},
    ),
    Preset(
        name="mt-nlg-530b", label="MT-NLG 530B", params=530e9, tokens=270e9, family="MT-NLG",
        sources={"params": CH_T1 + "; " + MTNLG, "tokens": CH_T1 + " (270B); " + MTNLG},
    ),
    Preset(
        name="bloom-176b", label="BLOOM 176B", params=176.2e9, tokens=366e9, family="BLOOM",
        layers=70, hidden=14336, heads=112, seq_len=2048, kv_heads=112,
        published={"gpu_hours": 1_082_990},
        sources={"params": BLOOM + " (architecture table)", "tokens": BLOOM + " (training: 366B tokens)",
                 "layers": BLOOM + " (architecture table)", "hidden": BLOOM + " (architecture table)",
                 "heads": BLOOM + " (architecture table)", "seq_len": BLOOM + " (architecture table)",
                 "gpu_hours": BLOOM + " (carbon-footprint section: about 1.08M A100-80GB hours)"},
    ),
    Preset(
        name="bloomberggpt-50b", label="BloombergGPT 50B", params=50.6e9, tokens=569e9, family="BloombergGPT",
        layers=70, hidden=7680, heads=40, seq_len=2048, kv_heads=40,
        published={"gpu_hours": 1.3e6},
        sources={"params": BBG + " (model section)", "tokens": BBG + " (training run: 569B tokens)",
                 "layers": BBG + " (model section)", "hidden": BBG + " (model section)",
                 "heads": BBG + " (model section)", "seq_len": BBG + " (model section)",
                 "gpu_hours": BBG + " (compute budget of about 1.3M A100-40GB hours, not hours used)"},
    ),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _LIST}

# A paper's own name for a model, where it names a family by its flagship (Chinchilla's Table 1
# says "GPT-3" for the 175B model, "Gopher" for the 280B one).
ALIASES: dict[str, str] = {
    "gpt-3": "gpt3-175b", "gpt3": "gpt3-175b", "davinci": "gpt3-175b",
    "chinchilla": "chinchilla-70b", "gopher": "gopher-280b", "bloom": "bloom-176b",
    "bloomberggpt": "bloomberggpt-50b", "lamda": "lamda-137b", "jurassic-1": "jurassic-1-178b",
    "jurassic": "jurassic-1-178b", "mt-nlg": "mt-nlg-530b", "megatron-turing-nlg": "mt-nlg-530b",
    "megatron-turing-nlg-530b": "mt-nlg-530b", "t5": "t5-11b", "bert": "bert-large",
    "roberta": "roberta-large",
}


def _squash(text: str) -> str:
    """'GPT-3 175B', 'gpt3_175b' and 'gpt3-175b' all become 'gpt3175b'."""
    return "".join(ch for ch in str(text).lower() if ch.isalnum() or ch == ".")


_BY_SQUASHED: dict[str, str] = {}
for _p in _LIST:
    _BY_SQUASHED.setdefault(_squash(_p.name), _p.name)
    _BY_SQUASHED.setdefault(_squash(_p.label), _p.name)
for _alias, _target in ALIASES.items():
    _BY_SQUASHED.setdefault(_squash(_alias), _target)


def resolve_preset_name(name: str) -> str | None:
    """The preset a name means (its slug, its label, or an alias such as ``GPT-3``), or None."""
    key = str(name).strip().lower().replace(" ", "-").replace("_", "-")
    if key in PRESETS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    return _BY_SQUASHED.get(_squash(name))


def get_preset(name: str) -> Preset:
    key = resolve_preset_name(name)
    if key is None:
        raise ValueError(f"preset: unknown preset {name!r} (choose from {', '.join(PRESETS)}, "
                         f"or a paper's name such as GPT-3, Gopher, LaMDA)")
    return PRESETS[key]
