"""Input checks shared by the public API: every error names the argument, what it got and
what was expected."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def is_torch_tensor(value) -> bool:
    """True for a torch.Tensor (or Parameter), told by its type's module: torch is not imported."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def torch_to_numpy(value) -> np.ndarray:
    """A torch tensor's values as a new numpy array (never sharing the tensor's memory): detached,
    on the CPU, float64 unless complex (left for the numpy checks to reject).  Raises ValueError
    for a tensor without values (e.g. on the 'meta' device)."""
    try:
        t = value.detach().cpu().resolve_conj().resolve_neg()
        return np.array((t if t.is_complex() else t.double()).numpy())
    except Exception as exc:   # a meta or sparse tensor, ...: say so, not a traceback from torch
        raise ValueError(f"{describe(value)}, which cannot be read as numbers "
                         f"({type(exc).__name__}: {exc})") from None


def describe(value) -> str:
    """A short description of a value for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if is_torch_tensor(value):
        return f"a torch tensor of shape {tuple(value.shape)}, dtype {value.dtype} on {value.device}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"{value!r} ({type(value).__name__})"


def positive_int(name: str, value, *, at_most: int | None = None, limit: str = "") -> int:
    """A positive Python or numpy int (not a bool); at most ``at_most`` if given (``limit``
    spells that bound in the message, e.g. '2**53')."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {describe(value)}")
    if at_most is not None and value > at_most:
        raise ValueError(f"{name} must be a positive integer <= {limit or at_most}, got {value}")
    return int(value)


def seed(value, name: str = "seed") -> int:
    """A seed for numpy.random.default_rng: a non-negative Python or numpy int (not a bool, and
    not None, which would draw from the operating system's entropy: results must be repeatable)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {describe(value)}")
    return int(value)


def pair(name: str, value, spelled: str = "(low, high)") -> tuple:
    """A tuple, list or 1-D array of exactly two entries (each checked by the caller)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list, np.ndarray)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair {spelled}, got {describe(value)}")
    return tuple(value)


def positive_float(name: str, value) -> float:
    """A finite number > 0 (Python or numpy int or float; not a bool)."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    try:
        ok = ok and bool(np.isfinite(float(value))) and value > 0
    except OverflowError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a positive finite number, got {describe(value)}")
    return float(value)


def choice(name: str, value, options: Iterable[str]) -> str:
    options = list(options)
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(options)}")
    return value


def real_numbers(name: str, value) -> bool:
    """Refuse what a float64 conversion would change or make up: complex numbers (numpy drops the
    imaginary part, with only a warning) raise here; strings (numpy parses '1.5' as 1.5) give
    False, for the caller to say what it expected."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:                         # a list, tuple or Python number: what numpy makes of it
        try:
            dtype = np.asarray(value).dtype
        except Exception:                     # ragged, or worse: the conversion will say so
            return True
    if getattr(dtype, "is_complex", False) or getattr(dtype, "kind", "") == "c":   # torch's, numpy's
        raise ValueError(f"{name} is complex (dtype {dtype}); expected real numbers: "
                         "pass its real part (.real) if that is what is meant")
    return getattr(dtype, "kind", "") not in ("U", "S")


def float_array(name: str, value, *, shapes: Iterable[tuple] | None, expected: str) -> np.ndarray:
    """Convert ``value`` to a float64 array whose shape is one of ``shapes`` (``None`` in a
    shape matches any size; ``shapes=None`` accepts any shape) and whose entries are finite.
    A torch tensor is read as it is (even if it requires grad, is float32 or on another device)."""
    real = real_numbers(name, value)          # raises for complex (numpy's or torch's)
    if is_torch_tensor(value):
        try:
            value = torch_to_numpy(value)
        except ValueError as exc:
            raise ValueError(f"{name} must be numeric, expected {expected}; got {exc}") from None
    try:
        if not real:
            raise TypeError
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, expected {expected}; got {describe(value)}") from None
    for shape in [None] if shapes is None else shapes:
        if shape is None or (len(shape) == arr.ndim and
                             all(s is None or s == a for s, a in zip(shape, arr.shape, strict=True))):
            break
    else:
        raise ValueError(f"{name} has shape {arr.shape}, expected {expected}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}), expected {expected}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} has {bad} non-finite value(s) (NaN or inf); expected finite numbers")
    return arr
