"""Seeded synthetic study decks for the benchmarks, written as Markdown and as TSV.

Each card is a question and an answer of 20-200 characters a side, in the style of
study notes on language models: English, some Chinese terms and sentences, inline
code and math-like formulas. The same (n_cards, seed) always gives the same files, and
the deck of n cards is the first n cards of any larger deck with the same seed.

Markdown (for studyllm): YAML front matter with ``title`` and ``id``, a ``## heading``
every ~50 cards, then ``Q:``/``A:`` blocks separated by blank lines.

TSV (for Anki's CSV import): ``#separator:tab``, ``#html:true``, note type, deck and
``#guid column:3`` header lines, then ``front<TAB>back<TAB>guid`` rows. The GUID makes a
re-import update the same notes instead of adding new ones.

The text avoids everything either format would read as structure: no ``::``, ``==``,
``{{``, ``[...]``, tabs, newlines, double quotes, ``<``/``>``/``&`` (the TSV is HTML), and
no line starts with a marker or ``#``.

    python benchmarks/gen_decks.py --sizes 1000 10000 100000 --seed 1
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "out"

MIN_SIDE = 20
MAX_SIDE = 200
CARDS_PER_HEADING = 50

# --------------------------------------------------------------------------- text pools

# (English term, Chinese term)
TERMS = [
    ("self-attention", "自注意力"),
    ("multi-head attention", "多头注意力"),
    ("the tokenizer", "分词器"),
    ("token embeddings", "词嵌入"),
    ("gradient descent", "梯度下降"),
    ("the learning rate", "学习率"),
    ("the loss function", "损失函数"),
    ("an autoregressive model", "自回归模型"),
    ("an autoencoding model", "自编码模型"),
    ("pre-training", "预训练"),
    ("fine-tuning", "微调"),
    ("the context window", "上下文窗口"),
    ("mixed precision", "混合精度"),
    ("the optimizer state", "优化器状态"),
    ("activation memory", "激活值内存"),
    ("the KV cache", "键值缓存"),
    ("quantization", "量化"),
    ("inference", "推理"),
    ("positional encoding", "位置编码"),
    ("layer normalization", "层归一化"),
    ("the residual connection", "残差连接"),
    ("the feed-forward block", "前馈网络"),
    ("beam search", "束搜索"),
    ("sampling temperature", "采样温度"),
    ("the system prompt", "系统提示词"),
    ("hallucination", "幻觉"),
    ("the scaling law", "缩放定律"),
    ("data parallelism", "数据并行"),
    ("tensor parallelism", "张量并行"),
    ("pipeline parallelism", "流水线并行"),
    ("gradient checkpointing", "梯度检查点"),
    ("overfitting", "过拟合"),
    ("cross-entropy loss", "交叉熵损失"),
    ("perplexity", "困惑度"),
    ("the encoder", "编码器"),
    ("the decoder", "解码器"),
    ("instruction tuning", "指令微调"),
    ("reinforcement learning from human feedback", "人类反馈强化学习"),
    ("the reward model", "奖励模型"),
    ("a mixture of experts", "混合专家模型"),
    ("LoRA adapters", "低秩适配"),
    ("the vocabulary", "词表"),
    ("byte-pair encoding", "字节对编码"),
    ("weight decay", "权重衰减"),
    ("the warm-up schedule", "学习率预热"),
    ("dropout", "随机失活"),
    ("the attention mask", "注意力掩码"),
    ("retrieval-augmented generation", "检索增强生成"),
    ("distillation", "知识蒸馏"),
    ("the batch size", "批大小"),
]

TOPICS = [
    "Attention", "Tokenization", "Training memory", "Inference cost", "Scaling laws",
    "Optimizers", "Parallelism", "Fine-tuning", "Evaluation", "Decoding",
    "Architectures", "Data", "Alignment", "Numerics", "Serving",
]

CODE = [
    "torch.softmax(scores, dim=-1)",
    "model.generate(max_new_tokens=64)",
    "nn.Linear(d_model, 4 * d_model)",
    "tokenizer.encode(text)",
    "x = x + attn(ln1(x))",
    "loss.backward()",
    "optimizer.step()",
    "torch.cuda.max_memory_allocated()",
    "q @ k.transpose(-2, -1)",
    "dtype=torch.bfloat16",
    "past_key_values",
    "attention_mask",
    "lr=3e-4",
    "model.eval()",
    "with torch.no_grad():",
    "AutoModelForCausalLM",
    "logits = logits / temperature",
    "F.cross_entropy(logits, targets)",
    "grad_accum_steps = 8",
    "model.gradient_checkpointing_enable()",
    "load_in_4bit=True",
    "top_p=0.9",
    "torch.compile(model)",
    "scaler.scale(loss)",
    "n_embd=768",
]

MATH = [
    "softmax(QK^T / sqrt(d_k)) V",
    "O(n^2 · d)",
    "2 bytes × 7e9 = 14 GB",
    "C ≈ 6 N D",
    "N_opt ∝ C^0.5",
    "PPL = exp(H)",
    "d_ff = 4 · d_model",
    "16 bytes per parameter",
    "L(N) = (N_c / N)^α",
    "$\\alpha \\approx 0.076$",
    "e^(x_i) / Σ_j e^(x_j)",
    "12 · n_layers · d_model^2",
    "2 · n_layers · d_model · seq_len",
    "β1 = 0.9, β2 = 0.95",
    "|V| = 50257",
    "1/√d_k",
    "20 tokens per parameter",
    "$\\nabla_\\theta L$",
    "θ ← θ − η ∇L",
    "4 · 70e9 bytes ≈ 280 GB",
    "$p(x_t \\mid x_{1..t-1})$",
    "H = −Σ p log p",
]

MODELS = ["GPT-2", "GPT-3", "LLaMA 2 7B", "LLaMA 3 70B", "BERT-base", "T5", "Mistral 7B", "a 13B model", "a 1.3B model"]
HARDWARE = ["an 80 GB A100", "a 24 GB RTX 4090", "eight H100s", "a single 16 GB GPU", "a TPU v4 pod"]

Q_TEMPLATES = [
    "What is {t}?",
    "What does {t} do in a Transformer?",
    "Why does {t} matter for {topic_l}?",
    "How does {t} differ from {t2}?",
    "When would you prefer {t} over {t2}?",
    "What does `{code}` do?",
    "What does `{code}` return when training {model}?",
    "Give the formula behind {t}.",
    "How much memory does {t} take for {model} on {hw}?",
    "What goes wrong with {t} if the sequence length doubles?",
    "{tz}是什么？",
    "{tz}和{t2z}有什么区别？",
    "In one line, what is {t} ({tz})?",
    "Which term in `{math}` comes from {t}?",
    "Name one cost of {t} at inference time.",
    "Why is {t} used together with {t2}?",
]

A_OPENERS = [
    "{T} maps each position to a weighted mix of the others.",
    "{T} trades memory for compute: it stores less and recomputes more.",
    "It is {t} ({tz}), which keeps training stable.",
    "{T} scales as `{math}` in the sequence length.",
    "{T} decides how much of the budget goes to parameters versus data.",
    "In PyTorch it is `{code}`.",
    "Roughly `{math}`; for {model} that is the dominant term.",
    "{tz}：{T} 的中文说法，常见于课程笔记。",
    "{T} reuses work across steps, so each new token costs less.",
    "{T} changes the numbers, not the model: the weights stay the same shape.",
    "{T} adds a learned signal that the loss can push against.",
    "Use {t} when {t2} does not fit on {hw}.",
    "{T} is the part {model} spends most of its FLOPs on.",
]

A_CLAUSES = [
    "Memory grows linearly with the batch size.",
    "See `{code}` for the usual call.",
    "The rule of thumb is `{math}`.",
    "With {hw} this fits only in bf16.",
    "这一点在长上下文时尤其重要。",
    "Compare it with {t2} ({t2z}).",
    "It interacts with {t2}.",
    "Doubling the context doubles this cost.",
    "For {model} the figure is in the course notes.",
    "Training needs about `{math}` on top of the weights.",
    "It does not change the number of parameters.",
    "简单说：{t2z}负责另一半工作。",
    "Check it with `{code}` after one step.",
    "The effect is small below 1B parameters.",
    "Most libraries turn it on by default.",
    "It is why {model} needs {hw}.",
    "Write it as `{math}` when sizing a cluster.",
]

Q_CLAUSES = [
    "Answer for {model}.",
    "Assume {hw}.",
    "Give a number.",
    "Think about `{math}`.",
    "用一句话回答。",
    "Consider the case of {t2} too.",
    "Keep the answer to one line.",
    "Assume bf16 weights and a batch of 8.",
    "Relate it to `{code}`.",
    "Why not {t2} instead?",
]

_CJK = re.compile("[\u3000-\u9fff\uff00-\uffef]|\\{tz\\}|\\{t2z\\}")
_FORBIDDEN = re.compile(r"::|==|\{\{|\[|\]|\t|\n|\"|<|>|&")


@dataclass(frozen=True)
class Card:
    heading: str
    front: str
    back: str
    guid: str


class _Writer:
    """Draws fragments from one seeded random stream."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, pool: list[str]) -> str:
        """A template from the pool; ones with Chinese are kept only 40% of the time,
        so that about a quarter of the cards carry some Chinese."""
        choice = self.rng.choice(pool)
        if _CJK.search(choice) and self.rng.random() < 0.6:
            choice = self.rng.choice(pool)
        return choice

    def fill(self, template: str) -> str:
        r = self.rng
        (t, tz), (t2, t2z) = r.sample(TERMS, 2)
        topic = r.choice(TOPICS)
        values = {
            "t": t,
            "T": t[0].upper() + t[1:],
            "tz": tz,
            "t2": t2,
            "t2z": t2z,
            "topic_l": topic.lower(),
            "code": r.choice(CODE),
            "math": r.choice(MATH),
            "model": r.choice(MODELS),
            "hw": r.choice(HARDWARE),
        }
        return template.format(**values)

    def side(self, templates: list[str], clauses: list[str], target: int) -> str:
        """One side: a template, then clauses until about ``target`` characters."""
        text = self.fill(self.pick(templates))
        tries = 0
        used: set[str] = set()
        while len(text) < target and tries < 8:
            template = self.pick(clauses)
            clause = self.fill(template)
            if template not in used and len(text) + 1 + len(clause) <= MAX_SIDE:
                text = f"{text} {clause}"
                used.add(template)
            else:
                tries += 1
        while len(text) < MIN_SIDE:
            text = f"{text} Keep it in mind."
        if len(text) > MAX_SIDE:  # an opener alone can't be this long, but be safe
            text = text[: MAX_SIDE - 1].rsplit(" ", 1)[0].replace("`", "") + "."
        assert not _FORBIDDEN.search(text), text
        return text


def cards(n_cards: int, seed: int) -> list[Card]:
    """The deck's cards, in file order. Fronts are unique within a deck."""
    rng = random.Random(seed)
    w = _Writer(rng)
    out: list[Card] = []
    seen: set[str] = set()
    heading = ""
    section = 0
    for i in range(n_cards):
        if i % CARDS_PER_HEADING == 0:
            section += 1
            heading = f"{rng.choice(TOPICS)}, part {section}"
        # questions are short, answers longer; both within 20..200 characters
        q_target = int(rng.triangular(MIN_SIDE, 160, 30))
        a_target = int(rng.triangular(MIN_SIDE, MAX_SIDE, 100))
        front = w.side(Q_TEMPLATES, Q_CLAUSES, q_target)
        while front in seen:
            front = w.side(Q_TEMPLATES, Q_CLAUSES, q_target + 30)
        seen.add(front)
        back = w.side(A_OPENERS, A_CLAUSES, a_target)
        out.append(Card(heading=heading, front=front, back=back, guid=f"bench{seed}x{i:06d}"))
    return out


def deck_key(n_cards: int, seed: int) -> str:
    return f"bench-{n_cards}-s{seed}"


def render_markdown(deck: list[Card], *, title: str, key: str) -> str:
    parts = ["---", f"title: {title}", f"id: {key}", "---", ""]
    heading = None
    for card in deck:
        if card.heading != heading:
            heading = card.heading
            parts += [f"## {heading}", ""]
        parts += [f"Q: {card.front}", f"A: {card.back}", ""]
    return "\n".join(parts)


def render_tsv(deck: list[Card], *, deck_name: str) -> str:
    lines = [
        "#separator:tab",
        "#html:true",
        "#notetype:Basic",
        f"#deck:{deck_name}",
        "#guid column:3",
        "#columns:Front\tBack\tGUID",
    ]
    lines += [f"{c.front}\t{c.back}\t{c.guid}" for c in deck]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def generate(n_cards: int, seed: int = 1, out_dir: Path = OUT_DIR) -> tuple[Path, Path]:
    """Write ``bench-<n>-s<seed>.md`` and ``.tsv`` into ``out_dir``; return both paths."""
    out_dir = Path(out_dir)
    key = deck_key(n_cards, seed)
    deck = cards(n_cards, seed)
    md_path = out_dir / f"{key}.md"
    tsv_path = out_dir / f"{key}.tsv"
    _write(md_path, render_markdown(deck, title=f"Benchmark deck, {n_cards:,} cards (seed {seed})", key=key))
    _write(tsv_path, render_tsv(deck, deck_name=key))
    return md_path, tsv_path


# --------------------------------------------------------------------------- edits

_SWAPS = [
    (r"\blinearly\b", "roughly linearly"),
    (r"\bstable\b", "numerically stable"),
    (r"\bmemory\b", "GPU memory"),
    (r"\bthe\b", "this"),
    (r"\bis\b", "is usually"),
    (r"\bIt\b", "In practice it"),
]


def _tweak(answer: str, rng: random.Random) -> str:
    """A small, realistic edit: reword one spot or add a short remark."""
    options = [(a, b) for a, b in _SWAPS if re.search(a, answer)]
    if options and rng.random() < 0.7:
        a, b = rng.choice(options)
        edited = re.sub(a, b, answer, count=1)
    else:
        edited = answer.rstrip(".") + ", as noted."
    if len(edited) > MAX_SIDE:
        edited = answer[: MAX_SIDE - 12].rsplit(" ", 1)[0].replace("`", "") + " (revised)."
    if edited == answer:
        edited = answer + " (revised)"
    return edited


def edit_some(md_path: Path, tsv_path: Path, n: int = 10, seed: int = 1234) -> tuple[Path, Path]:
    """Copy a generated deck with ``n`` answers changed slightly (same cards, same GUIDs).

    The same ``n`` cards are edited the same way in both files. Writes
    ``<stem>-edited<n>.md`` / ``.tsv`` next to the originals and returns their paths.
    """
    md_path, tsv_path = Path(md_path), Path(tsv_path)
    md_lines = md_path.read_text(encoding="utf-8").split("\n")
    tsv_lines = tsv_path.read_text(encoding="utf-8").split("\n")
    a_idx = [i for i, line in enumerate(md_lines) if line.startswith("A: ")]
    row_idx = [i for i, line in enumerate(tsv_lines) if line and not line.startswith("#")]
    if len(a_idx) != len(row_idx):
        raise ValueError(f"{md_path} has {len(a_idx)} answers but {tsv_path} has {len(row_idx)} rows")
    rng = random.Random(seed)
    chosen = sorted(rng.sample(range(len(a_idx)), min(n, len(a_idx))))
    for k in chosen:
        front, back, guid = tsv_lines[row_idx[k]].split("\t")
        md_back = md_lines[a_idx[k]][3:]
        if md_back != back:
            raise ValueError(f"card {k} differs between {md_path} and {tsv_path}")
        new_back = _tweak(back, rng)
        md_lines[a_idx[k]] = f"A: {new_back}"
        tsv_lines[row_idx[k]] = f"{front}\t{new_back}\t{guid}"
    md_out = md_path.with_name(f"{md_path.stem}-edited{n}.md")
    tsv_out = tsv_path.with_name(f"{tsv_path.stem}-edited{n}.tsv")
    _write(md_out, "\n".join(md_lines))
    _write(tsv_out, "\n".join(tsv_lines))
    return md_out, tsv_out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--edited", type=int, default=10,
                    help="also write a variant with this many answers edited (0: none)")
    args = ap.parse_args(argv)
    for n in args.sizes:
        t0 = time.perf_counter()
        md, tsv = generate(n, args.seed, args.out)
        extra = ""
        if args.edited:
            md2, _ = edit_some(md, tsv, n=args.edited)
            extra = f", edited variant {md2.name}"
        print(
            f"{n:>7,} cards: {md.name} {md.stat().st_size / 1e6:.2f} MB, {tsv.name} {tsv.stat().st_size / 1e6:.2f} MB"
            f"{extra} ({time.perf_counter() - t0:.2f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
