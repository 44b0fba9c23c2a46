"""Units, hand-written quantity parsing and human formatting.

Base units everywhere in the engine: bytes, FLOPs, tokens, parameters, seconds/days.
Display uses GB = 1e9 bytes; GiB = 2**30 bytes only when asked for.

``parse_quantity`` is a small hand-written scanner (no ``eval``): a decimal number,
optionally with an exponent, thousands separators or underscores, followed by an
optional multiplier or unit ("7B", "175 billion", "1.4T", "14 GB", "3640 PF-days", "40%").
"""

from __future__ import annotations

import math

GB = 1e9
GiB = float(2**30)
PF_DAY_FLOPS = 1e15 * 86400  # one petaflop/s sustained for a day = 8.64e19 FLOPs

# Multipliers for counts (parameters, tokens, FLOPs). Keys are lower-case except where
# case matters (M = million vs m = milli is not an issue here: we have no milli).
_COUNT_SUFFIXES: dict[str, float] = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "g": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "trillion": 1e12,
    "q": 1e15,
    "quadrillion": 1e15,
}

# Byte units (decimal and binary). Keys are lower-case.
BYTE_UNITS: dict[str, float] = {
    "byte": 1.0,
    "bytes": 1.0,
    "kb": 1e3,
    "mb": 1e6,
    "gb": 1e9,
    "tb": 1e12,
    "pb": 1e15,
    "kib": 2.0**10,
    "mib": 2.0**20,
    "gib": 2.0**30,
    "tib": 2.0**40,
    "pib": 2.0**50,
}

# FLOP units. Keys are lower-case; "pf-days" and friends convert to FLOPs.
FLOP_UNITS: dict[str, float] = {
    "flop": 1.0,
    "flops": 1.0,
    "pf-day": PF_DAY_FLOPS,
    "pf-days": PF_DAY_FLOPS,
    "pfday": PF_DAY_FLOPS,
    "pfdays": PF_DAY_FLOPS,
    "pf day": PF_DAY_FLOPS,
    "pf days": PF_DAY_FLOPS,
    "petaflop/s-day": PF_DAY_FLOPS,
    "petaflop/s-days": PF_DAY_FLOPS,
    "pflops-day": PF_DAY_FLOPS,
    "pflops-days": PF_DAY_FLOPS,
}

# Words that may follow a count and do not change its value.
_NEUTRAL_WORDS = {"params", "param", "parameters", "parameter", "tokens", "token", "gpus", "gpu",
                  "days", "day", "gpu-days", "gpu-day", "layers"}


def _digit_group(s: str, j: int) -> bool:
    group = s[j:j + 3]
    after = s[j + 3:j + 4]
    return len(group) == 3 and all("0" <= ch <= "9" for ch in group) and not ("0" <= after <= "9" if after else False)


def _scan_number(s: str) -> tuple[float, str]:
    """Read a decimal number at the start of ``s``; return (value, rest). Raises ValueError."""
    i = 0
    n = len(s)
    digits = []
    if i < n and s[i] in "+-":
        digits.append(s[i])
        i += 1
    seen_digit = False
    seen_dot = False
    while i < n:
        c = s[i]
        if "0" <= c <= "9":
            digits.append(c)
            seen_digit = True
        elif c == "." and not seen_dot:
            digits.append(c)
            seen_dot = True
        elif c in ",_" and seen_digit and not seen_dot and _digit_group(s, i + 1):
            pass  # thousands separator: exactly three digits follow ("1,000" but not "14,5")
        else:
            break
        i += 1
    if not seen_digit:
        raise ValueError("no number")
    # exponent: e or E followed by optional sign and at least one digit
    if i < n and s[i] in "eE":
        j = i + 1
        exp = ["e"]
        if j < n and s[j] in "+-":
            exp.append(s[j])
            j += 1
        k = j
        while k < n and "0" <= s[k] <= "9":
            exp.append(s[k])
            k += 1
        if k > j:  # real exponent
            digits.extend(exp)
            i = k
    text = "".join(digits)
    if len(text) > 400:
        raise ValueError("number too long")
    value = float(text)
    return value, s[i:]


def split_quantity(text: str) -> tuple[float, str]:
    """Split "14 GB" into (14.0, "gb"): the number and the normalised (lower-case,
    single-spaced) unit text. Only the number is interpreted. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError("not text")
    s = text.strip().lstrip("~\u2248=").strip()
    s = s.replace("\u00d7", "x").replace("\u2212", "-")
    if not s:
        raise ValueError("empty")
    value, rest = _scan_number(s)
    unit = " ".join(rest.strip().lower().split())
    return value, unit


def _finite(value: float, field: str, text: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{field}: {text!r} is too large or not a finite number")
    return value


def parse_quantity(text: str | float | int, field: str = "params", *, allow_negative: bool = False,
                   allow_zero: bool = True) -> float:
    """Parse a human quantity into a float in base units.

    Accepts "7B", "7e9", "175 billion", "1.4T", "70 M", "3.2k", "1,000", "14 GB" (bytes),
    "1 GiB", "3640 PF-days" (FLOPs), "5.76e23 FLOPs", "40%" (0.4).
    Raises ValueError whose message starts with the field name.
    """
    if isinstance(text, bool):
        raise ValueError(f"{field}: expected a number, got {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
        original = repr(text)
    else:
        original = text if isinstance(text, str) else repr(text)
        try:
            number, unit = split_quantity(text)
        except ValueError:
            raise ValueError(
                f"{field}: cannot read {original!r} as a number (try 7B, 7e9, 175 billion, 1.4T)"
            ) from None
        value = _apply_unit(number, unit, field, original)
    _finite(value, field, original)
    if value < 0 and not allow_negative:
        raise ValueError(f"{field}: must not be negative (got {original!r})")
    if value == 0 and not allow_zero:
        raise ValueError(f"{field}: must be greater than zero (got {original!r})")
    return value


def _apply_unit(number: float, unit: str, field: str, original: str) -> float:
    if unit == "%":
        return number / 100.0
    if unit in BYTE_UNITS:
        return number * BYTE_UNITS[unit]
    if unit in FLOP_UNITS:
        return number * FLOP_UNITS[unit]
    # count: optional multiplier then optional neutral word ("7B params", "1.4 trillion tokens")
    words = unit.split(" ") if unit else []
    if words and words[-1] in _NEUTRAL_WORDS:
        words = words[:-1]
    multiplier_text = "".join(words)
    # "7Bparams" style: a suffix glued to a neutral word
    if multiplier_text not in _COUNT_SUFFIXES:
        for word in sorted(_NEUTRAL_WORDS, key=len, reverse=True):
            if multiplier_text.endswith(word) and multiplier_text[: -len(word)] in _COUNT_SUFFIXES:
                multiplier_text = multiplier_text[: -len(word)]
                break
    if multiplier_text in _COUNT_SUFFIXES:
        return number * _COUNT_SUFFIXES[multiplier_text]
    raise ValueError(
        f"{field}: unknown unit {unit!r} in {original!r} "
        "(use k, M, B, T, million, billion, trillion, GB, GiB, FLOPs, PF-days or %)"
    )


# --------------------------------------------------------------------------- formatting


def _trim(x: float, digits: int) -> str:
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}e{int(exp)}"
    return text


def format_count(n: float | None, digits: int = 3) -> str:
    """7e9 -> "7B", 1.4e12 -> "1.4T", 125e6 -> "125M", 2048 -> "2,048"; from 10^15 up, 3.14e23
    (no suffix a reader knows: "Q" read as quadrillion is easily taken for 10^30)."""
    if n is None or not math.isfinite(n):
        return str(n)
    a = abs(n)
    if a >= 1e15:
        return format_sci(n, digits)
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= factor:
            if factor == 1e3 and a < 1e5 and float(n).is_integer():
                return f"{int(n):,}"
            return _trim(n / factor, digits) + suffix
    if float(n).is_integer():
        return f"{int(n):,}"
    return _trim(n, digits)


def format_bytes(n: float, unit: str = "GB", digits: int = 4) -> str:
    """Format bytes; unit "GB" (1e9), "GiB" (2**30), "MB", "TB", ... or "auto" (decimal)."""
    if unit == "auto":
        a = abs(n)
        unit = "bytes"
        for name, factor in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
            if a >= factor:
                unit = name
                break
    factor = BYTE_UNITS[unit.lower()]
    return f"{_trim(n / factor, digits)} {unit}"


def format_flops(n: float, digits: int = 3) -> str:
    """3.14e23 -> "3.14e23 FLOPs"."""
    if not math.isfinite(n):
        return f"{n} FLOPs"
    return f"{_trim(n, digits) if abs(n) < 1e6 else f'{n:.{digits - 1}e}'.replace('e+', 'e')} FLOPs"


def format_sci(n: float, digits: int = 3) -> str:
    """Short scientific/plain number: 1.4e+10 -> "1.4e10", 14.0 -> "14"."""
    if not math.isfinite(n):
        return str(n)
    if n != 0 and (abs(n) >= 1e6 or abs(n) < 1e-3):
        mant, exp = f"{n:.{digits - 1}e}".split("e")
        mant = mant.rstrip("0").rstrip(".")
        return f"{mant}e{int(exp)}"
    return _trim(n, digits + 1)
