"""The decks shipped in ``decks/``: they import cleanly, cover the course, use every card
syntax, and state the same numbers as the calculator engine.

The fact check reads numbers out of the deck text with the regular expressions in ``FACTS``
and compares each with what ``studyllm.calc`` computes, so a deck and the engine can't
silently disagree. A number is accepted when the engine's value rounds to the digits the
deck prints (``3.2`` accepts 3.15..3.25), or within the fact's own relative tolerance where
the deck says "about".
"""

from __future__ import annotations

import math
import re
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from conftest import shared_file

from studyllm import calc
from studyllm.calc import cards as calc_cards
from studyllm.decks import parser as deck_parser

DECKS_DIR = Path(__file__).resolve().parents[1] / "decks"
DECK_FILES = sorted(DECKS_DIR.glob("*.md"))

# --------------------------------------------------------------------------- helpers


@cache
def parsed() -> dict[str, object]:
    return {path.name: deck_parser.parse_file(path) for path in DECK_FILES}


def all_cards():
    for name, deck in parsed().items():
        for card in deck.cards:
            yield name, card


def card_text(card) -> str:
    """Everything a learner sees on a card, as one searchable string."""
    parts = [card.front, card.back, " ".join(card.heading_path)]
    extra = card.extra or {}
    parts += [c.get("text", "") for c in extra.get("choices", [])]
    parts += list(extra.get("items", []))
    parts.append(extra.get("body", ""))
    return "\n".join(p for p in parts if p)


def raw_text(name: str) -> str:
    """A deck's Markdown with runs of whitespace collapsed, for the fact patterns."""
    return re.sub(r"\s+", " ", (DECKS_DIR / name).read_text(encoding="utf-8"))


_SCALE = {"trillion": 1e12, "billion": 1e9, "million": 1e6, "T": 1e12, "B": 1e9, "M": 1e6}
NUM = r"\d[\d,]*(?:\.\d+)?(?: × 10\^\d+)?(?: ?(?:trillion|billion|million|T|B|M)\b)?"


def parse_number(text: str) -> tuple[float, float]:
    """'8.64 × 10^19' -> (8.64e19, 0.005e19): the value and half a unit of its last printed digit."""
    m = re.fullmatch(r"(\d[\d,]*)(?:\.(\d+))?(?: × 10\^(\d+))?(?: ?(trillion|billion|million|T|B|M))?", text.strip())
    assert m, f"not a number as the decks write them: {text!r}"
    whole, frac, exp, word = m.groups()
    scale = (10.0 ** int(exp) if exp else 1.0) * (_SCALE[word] if word else 1.0)
    value = float(whole.replace(",", "") + ("." + frac if frac else "")) * scale
    half_unit = 0.5 * 10.0 ** -(len(frac) if frac else 0) * scale
    return value, half_unit


def test_parse_number_reads_the_deck_notation():
    assert parse_number("8.64 × 10^19") == (8.64e19, pytest.approx(0.005e19))
    assert parse_number("3,640") == (3640.0, 0.5)
    assert parse_number("1.4 trillion") == (1.4e12, pytest.approx(0.05e12))
    assert parse_number("366B")[0] == 366e9
    with pytest.raises(AssertionError):
        parse_number("twelve")


# --------------------------------------------------------------------------- the files


def test_shipped_decks_exist():
    assert len(DECK_FILES) >= 7, f"expected the course decks in {DECKS_DIR}"
    ids = [re.search(r"^id: *(\S+)", p.read_text(encoding="utf-8"), re.M) for p in DECK_FILES]
    assert all(ids), "every deck declares an id in its front matter"
    assert len({m.group(1) for m in ids}) == len(ids), "deck ids are unique"


@pytest.mark.parametrize("path", DECK_FILES, ids=lambda p: p.name)
def test_deck_parses_without_errors(path):
    deck = parsed()[path.name]
    assert deck.errors == [], "\n".join(str(e) for e in deck.errors)
    assert deck.warnings == [], "\n".join(str(w) for w in deck.warnings)
    assert deck.cards, "a shipped deck has cards"
    front_matter = re.search(r"\A---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.S).group(1)
    declared_id = re.search(r"^id: *(\S+)", front_matter, re.M).group(1)
    assert deck.key == declared_id
    assert deck.title and deck.title != path.stem, "the title comes from the front matter"
    for card in deck.cards:
        assert card.front.strip() and (card.back.strip() or card.kind in ("mcq", "ordered", "calc")), card


def test_no_answer_swallowed_the_next_card():
    """A Q:/A: answer runs on to the next marker, so a '::' line, a cloze or a task list written
    after it without a '---' would silently become part of the answer instead of a card."""
    other_card = re.compile(r"^(?:Q|A|C|O):\s|\S :::? \S|\{\{c\d+::|==[^=\s][^=]*==|^\s*[-*] \[[ xX]\] |^\?\??$", re.M)
    for name, card in all_cards():
        if card.kind == "basic":
            for side in (card.front, card.back):
                assert not other_card.search(side), f"{name}:{card.line}: {side!r}"


def test_total_card_count_is_in_range():
    total = sum(len(d.cards) for d in parsed().values())
    # 245 course cards before issue 18; its splits and the glossary deck (about 60 cards, each
    # term both ways) add to them
    assert 150 <= total <= 450, total


# --------------------------------------------------------------------------- every syntax


def _lines(name: str) -> list[str]:
    return (DECKS_DIR / name).read_text(encoding="utf-8").splitlines()


def _cards_from_line(pattern: str) -> list:
    """Cards that start on a line matching ``pattern`` (checks the syntax really made a card)."""
    found = []
    for name, deck in parsed().items():
        lines = _lines(name)
        starts = {i + 1 for i, line in enumerate(lines) if re.search(pattern, line)}
        found += [c for c in deck.cards if c.line in starts]
    return found


def test_qa_blocks():
    cards = _cards_from_line(r"^Q: ")
    assert len([c for c in cards if c.kind == "basic"]) >= 20
    assert {c.kind for c in cards} <= {"basic", "mcq", "ordered"}


def test_single_line_front_back():
    cards = _cards_from_line(r"\S :: \S")
    assert len(cards) >= 10
    assert all(c.kind == "basic" and c.variant == "" for c in cards)


def test_both_directions_single_line():
    cards = _cards_from_line(r"\S ::: \S")
    assert Counter(c.variant for c in cards)["reverse"] >= 4
    reverse_fronts = {c.front for c in cards if c.variant == "reverse"}
    assert any("autoencoding" in f for f in reverse_fronts)
    assert any("autoregressive" in f for f in reverse_fronts)


def test_multiline_front_back_with_question_mark_lines():
    for marker, want_reverse in (("?", False), ("??", True)):
        hits = [(name, i) for name in parsed() for i, line in enumerate(_lines(name), 1) if line == marker]
        assert hits, f"no multi-line card with a {marker!r} line"
        for name, line_no in hits:
            near = [c for c in parsed()[name].cards if c.kind == "basic" and line_no - 10 < c.line < line_no]
            assert near, f"{name}:{line_no}: the {marker!r} line made no card"
            assert any(c.variant == "reverse" for c in near) == want_reverse


def test_cloze_syntaxes():
    clozes = [c for _, c in all_cards() if c.kind == "cloze"]
    variants = [c.variant for c in clozes]
    assert any(v.startswith("c") for v in variants), "Anki-style {{c1::...}}"
    assert any(v.startswith("hl") for v in variants), "==highlight=="
    assert any(v.startswith("d") for v in variants), "C: block with [deletions]"
    hinted = _cards_from_line(r"\{\{c\d+::[^}]*::[^}]*\}\}")
    assert hinted and all(c.kind == "cloze" for c in hinted), "a cloze with a hint"
    multi = _cards_from_line(r"\{\{c3::")
    assert len(multi) >= 3, "c1, c2 and c3 in one note make three cards"


def test_multiple_choice():
    mcqs = [c for _, c in all_cards() if c.kind == "mcq"]
    assert len(mcqs) >= 15
    for card in mcqs:
        marks = [ch["correct"] for ch in card.extra["choices"]]
        assert any(marks) and not all(marks) and len(marks) >= 3, card.front
    assert any(sum(ch["correct"] for ch in c.extra["choices"]) > 1 for c in mcqs), "one with several right answers"
    assert any(c.kind == "mcq" for c in _cards_from_line(r"^Q: ")), "a Q: question with a task list"


def test_ordered_lifecycle_card():
    ordered = [c for _, c in all_cards() if c.kind == "ordered"]
    assert len(ordered) >= 3
    assert any(c.kind == "ordered" for c in _cards_from_line(r"^O: ")), "an O: question"
    assert any(c.kind == "ordered" for c in _cards_from_line(r"^Q: .*\(in order\)$")), "a Q: ... (in order) block"
    assert any(c.kind == "ordered" for c in _cards_from_line(r"^[^QO].*\(in order\)$")), "a paragraph ... (in order)"
    lifecycle = [c for c in ordered if "lifecycle" in c.front.lower()]
    assert lifecycle
    for card in lifecycle:
        items = [i.lower() for i in card.extra["items"]]
        assert [i.split(":")[0].split()[0] for i in items] == ["scope", "select", "adapt", "application"]


def test_headings_mode_deck():
    decks = [d for d in parsed().values() if d.mode == "headings"]
    assert decks and all(len(d.cards) >= 10 for d in decks)


def test_calc_cards_present():
    assert len([c for _, c in all_cards() if c.kind == "calc"]) >= 10


# --------------------------------------------------------------------------- topics


TOPICS: dict[str, list[str]] = {
    # issue 5, "Cover all of it": each pattern must match at least one card
    "terms": [r"generative AI", r"large language model", r"\bprompt\b", r"\bcompletion\b", r"context window",
              r"inference"],
    "transformer": [r"transformer", r"self-attention", r"multi-head", r"positional encoding", r"embedding"],
    "rnn vs transformer": [r"\bRNNs?\b.*transformer|transformer.*\bRNNs?\b"],
    "sampling": [r"greedy", r"top-k", r"top-p", r"temperature", r"nucleus"],
    "sampling scenarios": [r"roughly what temperature do you set", r"how do you set the temperature"],
    "lifecycle stages": [r"\bScope\b", r"\bSelect\b", r"Adapt and align", r"Application integration", r"evaluat"],
    "pretraining choices": [r"continued pre-training", r"fine-tuning", r"from scratch",
                            r"worth its cost|better bet|right amount"],
    "model types": [r"encoder-only", r"decoder-only", r"encoder-decoder", r"\bBERT\b", r"RoBERTa", r"\bGPT\b",
                    r"\bBLOOM\b", r"\bT5\b", r"masked language model", r"span corruption", r"next token"],
    "chinese terms": [r"自编码模型", r"自回归模型", r"完形填空"],
    "memory": [r"FP32", r"FP16", r"BF16", r"INT8", r"quantiz", r"20×|20 times", r"optimizer states", r"gradients"],
    "multi-gpu": [r"\bDDP\b|Distributed Data Parallel", r"\bFSDP\b|Fully Sharded", r"ZeRO stage 1", r"ZeRO stage 2",
                  r"ZeRO stage 3", r"memory per GPU"],
    "compute": [r"PF-day", r"T5-3B", r"GPT-3 175B", r"GPT-3 13B", r"V100", r"A100"],
    "scaling laws": [r"Kaplan", r"power law", r"Chinchilla", r"over-parameteri[sz]ed", r"under-trained",
                     r"20 tokens per (model )?parameter|\b20\b.*tokens per", r"LLaMA", r"BloombergGPT", r"Gopher"],
    "reading list": [r"Attention Is All You Need", r"Scaling Laws for Neural Language Models", r"Chinchilla paper",
                     r"Few-Shot Learners", r"LLaMA", r"BloombergGPT", r"BLOOM", r"Wang et al", r"ZeRO paper",
                     r"Vector Space Models", r"Hugging Face"],
    "quiz": [r"invoking actions from text", r"code comments", r"define the problem and identify relevant datasets",
             r"focus on different parts of the input sequence", r"long-range dependencies"],
}


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_topic_has_cards(topic):
    texts = [card_text(c) for _, c in all_cards()]
    missing = [p for p in TOPICS[topic] if not any(re.search(p, t, re.I) for t in texts)]
    assert not missing, f"{topic}: no card mentions {missing}"


def test_chinese_terms_are_cards_in_both_directions():
    cards = [c for _, c in all_cards()]
    for term in ("自编码模型", "自回归模型"):
        assert any(c.front.strip().startswith(term) for c in cards), f"{term} as a question"
        assert any(c.back.strip().startswith(term) for c in cards), f"{term} as an answer"


def test_every_notes_quiz_item_is_in_the_quiz_deck():
    notes = shared_file("source-notes", "llm-course-week1-notes.md")
    quiz = [card_text(c) for c in parsed()["07-quiz.md"].cards]
    # the six items of the notes' "## Quiz" section, by a phrase each must be asked with
    for phrase in ("prompt", "invok", "code comments", "self-attention", "lifecycle", "RNN"):
        assert any(phrase.lower() in t.lower() for t in quiz), phrase
    if notes is not None:
        section = notes.read_text(encoding="utf-8").split("## Quiz", 1)[1].split("\n## ", 1)[0]
        assert len(re.findall(r"^\d+\. ", section, re.M)) == 6, "the notes' quiz changed: update the quiz deck"


# --------------------------------------------------------------------------- fact check


@dataclass(frozen=True)
class Fact:
    name: str
    deck: str
    pattern: str  # one group: a number as the deck writes it
    engine: Callable[[], float]
    rel: float = 0.0  # 0: the engine value must round to the printed digits
    group: int = 1  # which group of the pattern holds the number


def _p(name):  # a published preset
    return calc.get_preset(name)


def _ms_gb(params, stage, gpus):
    return calc.model_state_bytes(params, zero_stage=stage, num_gpus=gpus).total / calc.GB


def _zero_coeffs(stage):
    """(replicated, sharded) bytes per parameter of a ZeRO stage, read off the engine."""
    one = calc.model_state_bytes(1.0, zero_stage=stage, num_gpus=1).total
    many = calc.model_state_bytes(1.0, zero_stage=stage, num_gpus=1000).total
    sharded = (one - many) * 1000 / 999
    return one - sharded, sharded


def _fp16(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


M, S = "04-memory-and-compute.md", "05-scaling-laws.md"
FACTS: list[Fact] = [
    *[
        Fact(f"bytes/param {p}", M, rf"one parameter take in {p.upper()}\b[^:]*\? :: ({NUM}) byte",
             lambda p=p: calc.BYTES_PER_PARAM[p])
        for p in ("fp32", "fp16", "bf16", "int8", "int4")
    ],
    Fact("1B weights fp32", M, rf"weights of a 1B-parameter model take in FP32\? A: ({NUM}) GB",
         lambda: calc.weights_bytes(1e9, "fp32") / calc.GB),
    Fact("1B weights 16-bit", M, rf"take \[({NUM}) GB\] in FP16 or BF16",
         lambda: calc.weights_bytes(1e9, "bf16") / calc.GB),
    Fact("1B weights int8", M, rf"and \[({NUM}) GB\] in INT8", lambda: calc.weights_bytes(1e9, "int8") / calc.GB),
    *[
        Fact(f"course breakdown {part}", M, pat, lambda part=part: calc.COURSE_TRAINING_BYTES_PER_PARAM[part])
        for part, pat in (
            ("weights", rf"A: Weights ({NUM}) bytes \+ Adam"),
            ("adam_states", rf"\+ Adam states ({NUM}) \+"),
            ("gradients", rf"\+ gradients ({NUM}) \+ activations"),
            ("activations_temp", rf"activations and temporaries about ({NUM})"),
        )
    ],
    Fact("course breakdown total", M, rf"roughly ({NUM}) bytes per parameter",
         lambda: calc.course_training_breakdown(1e9).total_bytes_per_param),
    Fact("course 20x multiplier", M, rf"About ({NUM}) times the memory of the weights alone",
         lambda: calc.COURSE_TRAINING_MULTIPLIER),
    Fact("course 1B fp32 training", M, rf"so about ({NUM}) GB to train",
         lambda: calc.course_training_bytes(1e9, "fp32") / calc.GB),
    Fact("mixed-precision vs FP32 model states", M, rf"compared with FP32 Adam\? A: The same ({NUM}) bytes",
         lambda: calc.model_state_bytes(1e9, mixed_precision=False).bytes_per_param),
    Fact("mixed-precision model states (again)", M, rf"compared with FP32 Adam\? A: The same ({NUM}) bytes",
         lambda: calc.model_state_bytes(1e9).bytes_per_param),
    Fact("course 175B training", M, rf"A: About ({NUM}) GB \(175 × 80 GB\)",
         lambda: calc.course_training_bytes(175e9, "fp32") / calc.GB),
    Fact("mixed-precision Adam model states", M,
         rf"add up to per parameter \(ZeRO paper accounting\)\? A: ({NUM}) bytes",
         lambda: calc.model_state_bytes(1e9).bytes_per_param),
    Fact("Adam K", M, rf"FP32 master copy of the weights ({NUM}) \+ FP32 momentum",
         lambda: calc.OPTIMIZER_STATE_BYTES["adam"]["mixed"] / 3),
    Fact("ZeRO baseline", M, rf"A: No ZeRO: ({NUM})Ψ\.", lambda: _zero_coeffs(0)[0]),
    Fact("ZeRO 1 replicated", M, rf"Stage 1: ({NUM})Ψ \+ \d+Ψ/N_d", lambda: _zero_coeffs(1)[0]),
    Fact("ZeRO 1 sharded", M, rf"Stage 1: \d+Ψ \+ ({NUM})Ψ/N_d", lambda: _zero_coeffs(1)[1]),
    Fact("ZeRO 2 replicated", M, rf"Stage 2: ({NUM})Ψ \+ \d+Ψ/N_d", lambda: _zero_coeffs(2)[0]),
    Fact("ZeRO 2 sharded", M, rf"Stage 2: \d+Ψ \+ ({NUM})Ψ/N_d", lambda: _zero_coeffs(2)[1]),
    Fact("ZeRO 3 sharded", M, rf"Stage 3: ({NUM})Ψ/N_d", lambda: _zero_coeffs(3)[1]),
    Fact("ZeRO 1 reduction", M, rf"Stage 1: up to ({NUM})×", lambda: 16 / _zero_coeffs(1)[0]),
    Fact("ZeRO 2 reduction", M, rf"Stage 2: up to ({NUM})×", lambda: 16 / _zero_coeffs(2)[0]),
    *[
        Fact(f"ZeRO 7.5B/64 stage {stage}", M,
             r"7\.5B parameters on 64 GPUs: model-state memory per GPU with no ZeRO and with stages 1, 2, 3\? "
             rf"A: ({NUM}) GB, ({NUM}) GB, ({NUM}) GB and ({NUM}) GB",
             lambda stage=stage: _ms_gb(7.5e9, stage, 64), group=stage + 1)
        for stage in range(4)
    ],
    Fact("FP16 pi", M, rf"π become when stored in FP16\? A: ({NUM})", lambda: _fp16(math.pi)),
    Fact("FP16 max", M, rf"largest value ({NUM})", lambda: struct.unpack("<e", b"\xff\x7b")[0]),
    Fact("2 A100s per day, dense", S, rf"About ({NUM}) PF-days at the 312 TFLOP/s dense peak",
         lambda: 1 / calc.gpus_per_pf_day("A100") * 2),
    Fact("A100 dense peak (notes card)", S, rf"PF-days at the ({NUM}) TFLOP/s dense peak",
         lambda: calc.get_gpu("A100").dense_tflops),
    Fact("A100 sparse peak (notes card)", S, rf"only at the ({NUM}) TFLOP/s sparse peak",
         lambda: calc.get_gpu("A100").sparse_tflops),
    Fact("PF-day total (notes card)", S, rf"sustained for one day, ({NUM}) FLOPs in total",
         lambda: calc.PF_DAY_FLOPS),
    Fact("course budget 1B (24 vs 80)", M, rf"24 GB is its per-parameter budget \(({NUM}) bytes × 1B\)",
         lambda: calc.course_training_breakdown(1e9).total_bytes_per_param),
    Fact("course 20x 1B (24 vs 80)", M, rf"the course gives both about 24 GB and about ({NUM}) GB",
         lambda: calc.course_training_bytes(1e9, "fp32") / calc.GB),
    Fact("PF-day FLOPs", S, rf"= ({NUM}) FLOPs\.", lambda: calc.PF_DAY_FLOPS),
    Fact("PF-day cloze", S, rf"One PF-day is \{{\{{c1::({NUM})::", lambda: calc.PF_DAY_FLOPS),
    Fact("V100 TFLOPS", S, rf"FP16 tensor-core peak of ({NUM}) TFLOP/s", lambda: calc.get_gpu("V100").dense_tflops),
    Fact("V100s per PF-day", S, rf"A: About ({NUM}): at its FP16", lambda: calc.gpus_per_pf_day("V100")),
    Fact("A100 sparse TFLOPS", S, rf"sparse peak \(({NUM}) TFLOP/s", lambda: calc.get_gpu("A100").sparse_tflops),
    Fact("A100 dense TFLOPS", S, rf"dense BF16 peak of ({NUM}) TFLOP/s", lambda: calc.get_gpu("A100").dense_tflops),
    Fact("A100s per PF-day dense", S, rf"it takes about ({NUM}) A100s", lambda: calc.gpus_per_pf_day("A100")),
    Fact("6 FLOPs per param per token", S, rf"A: About ({NUM}): 2 for the forward pass",
         lambda: calc.training_flops(1, 1)),
    Fact("T5 FLOPs per param per token", S, rf"only about ({NUM}) FLOPs per parameter per token",
         lambda: _p("t5-3b").flops_per_param_token),
    Fact("T5-3B PF-days published", S, rf"Table D\.1: ({NUM}) PF-days for 3B",
         lambda: _p("t5-3b").published["pf_days"]),
    Fact("T5-3B PF-days engine", S, rf"Table D\.1: ({NUM}) PF-days for 3B",
         lambda: calc.pf_days(calc.training_flops(3e9, 1e12, 3))),
    Fact("GPT-3 13B PF-days", S, rf"GPT-3 13B take\? A: ({NUM}) PF-days", lambda: _p("gpt3-13b").published["pf_days"]),
    Fact("GPT-3 13B PF-days engine", S, rf"GPT-3 13B take\? A: ({NUM}) PF-days",
         lambda: calc.pf_days(calc.training_flops(_p("gpt3-13b").params, _p("gpt3-13b").tokens))),
    Fact("GPT-3 175B PF-days", S, rf"GPT-3 175B take\? A: About ({NUM}) PF-days",
         lambda: _p("gpt3-175b").published["pf_days"]),
    Fact("GPT-3 175B PF-days engine", S, rf"GPT-3 175B take\? A: About ({NUM}) PF-days",
         lambda: calc.pf_days(calc.training_flops(_p("gpt3-175b").params, _p("gpt3-175b").tokens)), rel=0.005),
    Fact("GPT-3 175B FLOPs", S, rf"PF-days \(({NUM}) FLOPs; 175B", lambda: _p("gpt3-175b").published["total_flops"]),
    Fact("GPT-3 tokens", S, rf"175B parameters on ({NUM}) tokens\)", lambda: _p("gpt3-175b").tokens),
    Fact("Kaplan alpha_N", S, rf"\(N_c / N\)\^\{{\{{c1::({NUM})\}}\}}", lambda: calc.KAPLAN_ALPHA_N),
    Fact("Kaplan N_c", S, rf"with N_c ≈ ({NUM})", lambda: calc.KAPLAN_NC),
    Fact("Chinchilla ratio", S, rf"about \{{\{{c1::({NUM})::a whole number\}}\}} tokens per model parameter",
         lambda: calc.CHINCHILLA_TOKENS_PER_PARAM),
    Fact("Chinchilla params", S, rf"A: A ({NUM})-parameter model trained on", lambda: _p("chinchilla-70b").params),
    Fact("Chinchilla tokens", S, rf"-parameter model trained on ({NUM}) tokens, with the same compute",
         lambda: _p("chinchilla-70b").tokens),
    Fact("Chinchilla = optimal at Gopher's budget", S, rf"A: A ({NUM})-parameter model trained on",
         lambda: calc.chinchilla_optimal(calc.GOPHER_FLOPS).params, rel=0.02),
    Fact("Gopher params", S, rf"\(Gopher: ({NUM}) parameters", lambda: _p("gopher-280b").params),
    Fact("Gopher tokens", S, rf"\(Gopher: {NUM} parameters, ({NUM}) tokens\)", lambda: _p("gopher-280b").tokens),
    Fact("175B optimal tokens", S, rf"A: About ({NUM}) \(20 × 175B\)", lambda: calc.chinchilla_tokens(175e9)),
    Fact("BLOOM optimal tokens", S, rf"A: About ({NUM}) would be compute-optimal",
         lambda: calc.chinchilla_tokens(_p("bloom-176b").params), rel=0.01),
    Fact("BLOOM tokens", S, rf"BLOOM was trained on about ({NUM}) tokens", lambda: _p("bloom-176b").tokens),
    Fact("C = 120 N^2", S, rf"A: C ≈ ({NUM}) N²", lambda: 6 * calc.CHINCHILLA_TOKENS_PER_PARAM),
    Fact("C = 120 N^2 (engine)", S, rf"A: C ≈ ({NUM}) N²",
         lambda: 1e24 / calc.chinchilla_optimal(1e24).params ** 2),
    Fact("LLaMA 7B tokens", S, rf"7B and 13B on ({NUM}) tokens", lambda: _p("llama-7b").tokens),
    Fact("LLaMA 13B tokens", S, rf"7B and 13B on ({NUM}) tokens", lambda: _p("llama-13b").tokens),
    Fact("LLaMA 65B tokens", S, rf"33B and 65B on ({NUM}) tokens", lambda: _p("llama-65b").tokens),
    Fact("BloombergGPT params", S, rf"A: A ({NUM})-billion-parameter decoder-only",
         lambda: _p("bloomberggpt-50b").params / 1e9, rel=0.02),
    Fact("BloombergGPT tokens", S, rf"About ({NUM}) tokens, a part of its", lambda: _p("bloomberggpt-50b").tokens),
    Fact("BloombergGPT tokens/param", S, rf"569B / 50B ≈ ({NUM})", lambda: _p("bloomberggpt-50b").tokens_per_param),
    Fact("BloombergGPT share of an epoch", S, rf"About ({NUM})% of one epoch: 569B of roughly",
         lambda: 100 * _p("bloomberggpt-50b").tokens / 709e9, rel=0.02),
    Fact("BloombergGPT GPU hours", S, rf"about ({NUM}) A100 GPU hours",
         lambda: _p("bloomberggpt-50b").published["gpu_hours"]),
    Fact("course slide: 1B at 32-bit", M, rf"train 1B parameters with the number format: ({NUM}) GB at 32-bit",
         lambda: calc.course_training_bytes(1e9, "fp32") / calc.GB),
    Fact("course slide answered: mixed-precision model states", M,
         rf"Mixed-precision Adam still keeps ({NUM}) bytes of model state per parameter",
         lambda: calc.model_state_bytes(1e9).bytes_per_param),
    Fact("pi through INT8 at scale 4/127", M, rf"What does π come back as\? A: About ({NUM}):",
         lambda: round(math.pi / (4 / 127)) * (4 / 127)),
    Fact("quiz Chinchilla ratio", "07-quiz.md", rf"dataset is about ({NUM}) tokens per parameter",
         lambda: calc.CHINCHILLA_TOKENS_PER_PARAM),
    Fact("quiz PF-day rate", "07-quiz.md", rf"It is 10\^({NUM}) floating-point operations per second",
         lambda: math.log10(calc.PF_DAY_FLOPS / 86400)),
]


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f.name)
def test_deck_number_matches_engine(fact):
    text = raw_text(fact.deck)
    matches = [m.group(fact.group) for m in re.finditer(fact.pattern, text)]
    assert matches, f"{fact.deck}: the sentence for {fact.name!r} is gone or reworded; update FACTS"
    expected = float(fact.engine())
    for written in matches:
        value, half_unit = parse_number(written)
        if fact.rel:
            assert math.isclose(value, expected, rel_tol=fact.rel), (fact.name, written, expected)
        else:
            assert abs(value - expected) <= half_unit * (1 + 1e-9), (fact.name, written, expected)


# --------------------------------------------------------------------------- wrong claims

# Issue 18, "wrong as stated": each claim was in a shipped deck and taught the wrong picture.
# ``forbidden`` must not match any deck (whitespace collapsed); ``required`` must match the deck
# that now states the claim correctly, so the fix can't be deleted silently either.
WRONG_CLAIMS: list[tuple[str, str, str, str]] = [
    ("16-bit training halves training memory", M,
     r"(?i)\d+ GB at 16-bit|\d+ GB at 8-bit|(16|8)-bit (training )?(halves|quarters)",
     r"compared with FP32 Adam\? A: The same 16 bytes: 2 \+ 2 \+ 12 against 4 \+ 4 \+ 8"),
    ("ZeRO stores nothing twice (all stages)", M,
     r"(?i)so nothing is stored twice",
     r"only stage 3 stores none of them twice"),
    ("the original transformer used 8 heads", "01-foundations.md",
     r"(?i)original transformer used 8 heads",
     r"8 in the base model, 16 in the big model"),
    ("attention layers, then feed-forward, then softmax", "01-foundations.md",
     r"\d\. Self-attention layers \d\. Feed-forward network \d\. Softmax",
     r"each a self-attention layer then a feed-forward layer \d\. A linear layer"),
    ("BloombergGPT trained on as many tokens as its data allowed", S,
     r"(?i)as many tokens as (their|its) data allowed",
     r"About 80% of one epoch: 569B of roughly 709B tokens"),
    ("INT8's range is 1 sign bit + 7 value bits", M,
     r"(?i)1 sign bit, 7 bits",
     r"−128 to 127: two's complement"),
    ("temperature divides the logits yet leaves them unchanged", "01-foundations.md",
     r"(?i)weights and logits are unchanged",
     r"Divides the logits by the temperature before the softmax\. The model's weights stay unchanged"),
    # The line-by-line audit (docs/deck-audit-2026-12.md)
    ("an LLM is only trained to predict the next token (BERT-style LLMs predict masked ones)",
     "01-foundations.md",
     r"(?i)billions of parameters, trained on huge amounts of text to predict the next token\.",
     r"trained on huge amounts of text to predict next or masked tokens"),
    ("a transformer processes all positions in parallel, generation included", "01-foundations.md",
     r"(?i)attention alone, so all positions of a sequence are processed in parallel",
     r"attention alone, so in training all positions of a sequence are processed in parallel"),
    ("every transformer block is just attention then feed-forward (no decoder cross-attention)",
     "01-foundations.md",
     r"(?i)blocks has an attention sub-layer followed by a feed-forward sub-layer\.",
     r"an encoder-decoder's decoder blocks add cross-attention between them"),
    ("pi 'stored as INT8' is 3 (true only without a scale factor)", M,
     r"(?i)What value does π become when stored as INT8\?",
     r"cast to a plain INT8 integer, with no scale factor\? A: 3:"),
    ("the ZeRO paper cited by its arXiv year", "06-reading-list.md",
     r"Rajbhandari et al\.,? 2019",
     r"ZeRO paper \(Rajbhandari et al\., SC20, 2020\)"),
    ("the course slide's 80/40/20 GB by number format goes unanswered", M,
     r"(?i)\b40 GB at 16-bit",
     r"80 GB at 32-bit, 40 at 16-bit, 20 at 8-bit\. What does that miss\? "
     r"A: Mixed-precision Adam still keeps 16 bytes"),
]


@pytest.mark.parametrize("claim", WRONG_CLAIMS, ids=lambda c: c[0])
def test_wrong_claim_does_not_come_back(claim):
    _, deck, forbidden, required = claim
    for path in DECK_FILES:
        hit = re.search(forbidden, raw_text(path.name))
        assert not hit, f"{path.name}: {hit.group(0)!r} is back"
    assert re.search(required, raw_text(deck)), f"{deck}: the corrected statement is gone"


def test_course_rule_is_only_applied_at_fp32():
    """The course's 20x rule is 4 GB of FP32 weights x 20; a calc card that scales it by the
    bytes of a 16- or 8-bit format teaches the "16-bit halves training memory" picture."""
    for _, card in all_cards():
        if card.kind == "calc":
            for call in re.findall(r"course_training_bytes\(([^)]*)\)", card.extra["body"]):
                assert call.split(",")[-1].strip() == "fp32", call


def test_wrong_claim_patterns_catch_the_old_text():
    old = {
        M: "A: About 40 GB at 16-bit and about 20 GB at 8-bit",
        "01-foundations.md": "The original transformer used 8 heads.",
        S: "then trained on as many tokens as their data allowed.",
    }
    for _, deck, forbidden, _ in WRONG_CLAIMS:
        if deck in old and re.search(forbidden, old[deck]):
            old.pop(deck)
    assert not old, f"patterns miss the old wording: {old}"


def test_fact_check_catches_a_wrong_number():
    fact = next(f for f in FACTS if f.name == "GPT-3 13B PF-days")
    wrong = raw_text(fact.deck).replace("GPT-3 13B take? A: 268 PF-days", "GPT-3 13B take? A: 300 PF-days")
    value, half_unit = parse_number(re.search(fact.pattern, wrong).group(fact.group))
    assert abs(value - fact.engine()) > half_unit


# --------------------------------------------------------------------------- calculator cards


CALC_TOPICS = {
    # topic -> engine call a calc card's answer must use; issue 5 asks for each of them
    "weights memory": r"\bweights_bytes\(",
    "training memory (course rule)": r"\bcourse_training_(bytes|breakdown)\(",
    "ZeRO": r"zero_stage=",
    "compute / PF-days": r"\btraining_flops\(",
    "GPU-days": r"\b(gpu_days|training_days|gpus_per_pf_day)\(",
    "Chinchilla": r"\bchinchilla_(tokens|optimal)\(",
}


def test_calc_cards_validate_and_draw_fresh_numbers():
    calc_bodies = [c.extra["body"] for _, c in all_cards() if c.kind == "calc"]
    assert len(calc_bodies) >= 10
    for topic, pattern in CALC_TOPICS.items():
        assert any(re.search(pattern, b) for b in calc_bodies), f"no calc card for {topic}"
    for body in calc_bodies:
        spec = calc_cards.parse_spec(body)
        drawn = [calc_cards.draw(spec, seed) for seed in range(12)]
        assert len({d.prompt for d in drawn}) >= 2, f"a calc card always asks the same thing:\n{body}"
        for q in drawn[:3]:
            assert math.isfinite(q.answer) and q.answer > 0, q.prompt
            assert "{" not in q.prompt, q.prompt
            assert calc_cards.check(q, format(q.answer, ".6g")).ok, q.prompt
            assert not calc_cards.check(q, format(2 * q.answer, ".6g")).ok, q.prompt


def test_worked_solutions_show_units_a_person_reads():
    """Issue 18: solutions printed "3.14e8Q" for 3.14e23 FLOPs and "40B" for 40 GB. Over every
    shipped calc card and many draws: no number glued to a count suffix past T, every input that
    the deck gives with a unit ("40 GB", "268 PF-days", "35%") keeps it in the solution, and the
    answer is shown in the card's unit."""
    for name, card in all_cards():
        if card.kind != "calc":
            continue
        spec = calc_cards.parse_spec(card.extra["body"])
        for seed in range(40):
            q = calc_cards.draw(spec, seed)
            where = (name, card.line, seed)
            assert not re.search(r"\d(e\d+)?Q\b", q.solution + q.prompt), (where, q.solution)
            given = q.solution.splitlines()[0]
            for var in spec.variables:
                if var.kind != "choice":
                    continue
                text = next(t for v, t in var.options if v == q.values[var.name] or t == q.values[var.name])
                unit = re.sub(r"^[-+0-9.eE,]+\s*", "", text)
                if unit and unit != text and re.search(r"[A-Za-z%]", unit) and not re.fullmatch(r"[kMBTQ]", unit):
                    assert f"{var.name} = {text}" in given, (where, var.name, given)
            answer_line = next(line for line in q.solution.splitlines() if line.startswith("- Answer:"))
            assert answer_line.rstrip("*").endswith(spec.unit), (where, answer_line)


_NUMBER_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")


def test_no_ordered_card_whose_items_carry_their_own_order():
    """Issue 18: "T5-3B (104 PF-days), GPT-3 13B (268 PF-days), ..." can be put in order by
    reading the numbers. No ordered card may have a number in every item that already sorts
    them (the list's own numbering is syntax, not item text)."""
    for name, card in all_cards():
        if card.kind != "ordered":
            continue
        items = card.extra["items"]
        numbers = [_NUMBER_RE.findall(item) for item in items]
        if all(numbers):
            firsts = [float(n[0].replace(",", "")) for n in numbers]
            monotonic = firsts == sorted(firsts) or firsts == sorted(firsts, reverse=True)
            assert not monotonic, (name, card.line, items)


def test_ordered_compute_card_matches_the_engine():
    """The deck-05 ordering of pre-training runs by compute is the engine's order."""
    cards = [c for _, c in all_cards() if c.kind == "ordered" and "training compute" in c.front]
    assert cards, "the ordered compute card is gone"
    for card in cards:
        presets = [calc.get_preset(item) for item in card.extra["items"]]
        flops = [calc.training_flops(p.params, p.tokens, p.flops_per_param_token) for p in presets]
        assert flops == sorted(flops), list(zip(card.extra["items"], flops, strict=True))
        assert len({f"{f:.2g}" for f in flops}) == len(flops)


MAX_BASIC_ANSWER_WORDS = 25
# (deck file, card question start) -> why its answer may be longer. Empty: every basic answer
# fits; add an entry only with a reason a learner is better served by the longer answer.
LONG_ANSWER_ALLOWED: dict[tuple[str, str], str] = {}


def test_no_basic_answer_is_over_25_words():
    """Issue 18 (minimum information): a basic answer over 25 words packs several facts; split
    it into single-fact cards or clozes, or list it above with the reason."""
    long = []
    for name, card in all_cards():
        if card.kind != "basic":
            continue
        words = len(card.back.split())
        allowed = any(name == deck and card.front.strip().startswith(start)
                      for deck, start in LONG_ANSWER_ALLOWED)
        if words > MAX_BASIC_ANSWER_WORDS and not allowed:
            long.append(f"{name}:{card.line} ({words} words) {card.front.strip()[:60]}")
    assert not long, "basic answers over 25 words:\n" + "\n".join(long)


MIN_DISTINCT_CALC_ANSWERS = 20


def test_every_calc_card_has_enough_distinct_answers_to_need_computing():
    """Issue 18: nine calc cards had 7 or fewer possible answers, few enough to learn by heart.
    Every shipped calc card must give at least MIN_DISTINCT_CALC_ANSWERS distinct answers over
    its draws."""
    for name, card in all_cards():
        if card.kind != "calc":
            continue
        spec = calc_cards.parse_spec(card.extra["body"])
        answers = {float(f"{calc_cards.draw(spec, seed).answer:.6g}") for seed in range(600)}
        assert len(answers) >= MIN_DISTINCT_CALC_ANSWERS, (name, card.line, len(answers), spec.question)


def test_every_calc_question_states_the_inputs_its_answer_uses():
    """Issue 18: a question that shows only a preset slug ("llama-7b") hides the 6.7B the
    engine uses; each variable the answer reads must be in the question, a preset with the
    figures the answer takes from it."""
    for name, card in all_cards():
        if card.kind != "calc":
            continue
        spec = calc_cards.parse_spec(card.extra["body"])
        answer_names = set(re.findall(r"[A-Za-z_]\w*", spec.answer))
        for seed in range(8):
            q = calc_cards.draw(spec, seed)
            for var in spec.variables:
                if var.name in answer_names:
                    assert q.texts[var.name] in q.prompt, (name, card.line, var.name, q.prompt)
            for var, fields in re.findall(r"preset\((\w+)\)\.(\w+)", spec.answer):
                preset = calc.get_preset(q.values[var])
                if fields in ("params", "tokens"):
                    shown = calc.format_count(getattr(preset, fields))
                    assert shown in q.prompt, (name, card.line, fields, q.prompt)
                elif fields == "flops_per_param_token":
                    assert f"{preset.flops_per_param_token:g} training FLOPs per parameter" in q.prompt, q.prompt


def _normalised(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def test_no_duplicate_cards_across_decks():
    """Issue 18: the same question asked twice (prompt/completion was asked 4 times); a
    reverse card counts too, so a glossary line can't repeat a term another deck asks."""
    seen: dict[str, str] = {}
    duplicates = []
    for name, card in all_cards():
        key = _normalised(card.front)
        if re.search(r"[\u4e00-\u9fff]", card.back):
            key += "|asks for the Chinese term"  # a translation card, not the definition
        if card.kind == "cloze":
            key += "|" + card.variant
        if key in seen:
            duplicates.append((seen[key], f"{name}:{card.line}", card.front[:60]))
        seen.setdefault(key, f"{name}:{card.line}")
    assert duplicates == []


def test_no_true_false_cards():
    """A true/false card is a coin toss; every card asks for the fact itself."""
    for name, card in all_cards():
        assert not re.match(r"(?i)\s*true or false", card.front), f"{name}:{card.line}"


GAP_TOPICS = {
    "fp32 master copy": r"FP32 master copy", "loss scaling": r"loss scaling",
    "bidirectional mask": r"encoder-only model .* mask", "causal mask": r"causal mask",
    "cross-attention": r"cross-attention", "inference cost": r"serving cost",
    "prompt engineering": r"What is prompt engineering", "foundation model": r"What is a foundation model",
    "RLHF": r"What is RLHF", "hallucination": r"hallucination in an LLM",
    "notes: BLOOM vs GPT-4": r"similar to GPT-4", "notes: per second per day": r"per second per day",
    "notes: 20 times extra bytes": r"20 times extra bytes", "notes: 2 A100s": r"2 A100 GPUs deliver a PF-day",
    "24 GB vs 80 GB": r"both about 24 GB and about 80 GB",
}


@pytest.mark.parametrize("topic", sorted(GAP_TOPICS))
def test_gap_topic_has_a_card(topic):
    texts = [card_text(c) for _, c in all_cards()]
    assert any(re.search(GAP_TOPICS[topic], t, re.I | re.S) for t in texts), topic


def test_chinese_in_a_question_is_not_its_answer():
    """Issue 18: three cards put the Chinese for the answer in brackets inside the question."""
    han = re.compile(r"[\u4e00-\u9fff]{4,}")
    for name, card in all_cards():
        if card.kind == "basic" and card.variant == "":
            for run in han.findall(card.front):
                assert run not in card.back, f"{name}:{card.line}: {run}"
            assert not re.search(r"\([^)]*[\u4e00-\u9fff]{6,}[^)]*\)\?\s*$", card.front), f"{name}:{card.line}"


def test_calc_questions_state_each_gpus_peak():
    """Audit: the GPU-days and GPUs-per-PF-day cards drew V100/A100/H100 but only the note (shown
    after answering) gave their peaks; H100's 989 TFLOP/s is taught by no other card. A calc
    card whose answer uses a GPU's throughput must state the engine's dense peak of every GPU it
    can draw."""
    checked = 0
    for name, card in all_cards():
        if card.kind != "calc":
            continue
        spec = calc_cards.parse_spec(card.extra["body"])
        if not re.search(r"\b(gpu_days|gpus_per_pf_day|training_days)\(", spec.answer):
            continue
        gpus = {str(q.values.get("gpu", "A100")) for q in (calc_cards.draw(spec, s) for s in range(60))}
        for gpu in gpus:
            peak = f"{calc.GPUS[gpu.upper()].dense_tflops:g}"
            stated = re.search(rf"{peak} \({gpu}\)|{gpu}'s {peak} TFLOP/s|{gpu} {peak}\b", spec.question)
            assert stated, (name, card.line, gpu, peak, spec.question)
            checked += 1
    assert checked >= 5


def test_no_cloze_hint_gives_the_answer_away():
    """Audit (SuperMemo: no giveaway hints): "nucleus::starts with n" and "Text-to-Text Transfer
    Transformer::five words starting with T" spelled out the answer's letters. A cloze hint may
    say what kind of thing is missing, not how it is spelled or which words it shares."""
    for path in DECK_FILES:
        for m in re.finditer(r"\{\{c\d+::([^:}]+)::([^}]+)\}\}", path.read_text(encoding="utf-8")):
            answer, hint = m.group(1), m.group(2)
            assert not re.search(r"(?i)start(s|ing)? with|letter|rhymes", hint), (path.name, hint)
            shared = {w for w in re.findall(r"\w{4,}", answer.lower())} & set(re.findall(r"\w{4,}", hint.lower()))
            assert not shared, (path.name, answer, hint)


def test_a_paper_finding_is_asked_in_one_deck_only():
    """Audit: three reading-list findings were asked again, in the same words, in a topic deck
    (Wang et al. 2022 twice in deck 03, Kaplan's compute-efficient plan in deck 06). Each stays
    in one place: Wang et al. in the reading list, Kaplan's plan in the scaling-laws deck."""
    where: dict[str, set[str]] = {"Wang et al": set(), "compute-efficient plan|fixed compute budget": set()}
    for name, card in all_cards():
        for pattern in where:
            if re.search(pattern, card.front):
                where[pattern].add(name)
    assert where["Wang et al"] == {"06-reading-list.md"}, where
    assert where["compute-efficient plan|fixed compute budget"] == {"05-scaling-laws.md"}, where


def test_no_either_or_question_whose_answer_is_one_of_the_two():
    """Audit (hard to guess): "temperature 0.2 or 1.5?" is a coin toss like a true/false card; a
    scenario card asks for the setting, not for a pick between two offered values."""
    either_or = re.compile(r"([\w.\- ]+?) or ([\w.\- ]+)\?\s*$")
    for name, card in all_cards():
        if card.kind != "basic":
            continue
        m = either_or.search(card.front)
        if m:
            options = [o.strip().split()[-1].lower() for o in m.groups()]
            first = card.back.strip().split()[0].strip(".,:;").lower() if card.back.strip() else ""
            assert first not in options, f"{name}:{card.line}: {card.front!r}"
