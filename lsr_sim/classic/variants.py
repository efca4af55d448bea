"""Named variants of the classic models: one lookup for :mod:`~lsr_sim.classic.bdm` and
:mod:`~lsr_sim.classic.stokman`."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["resolve_variant"]


def resolve_variant[V](variant: str | V, named: Mapping[str, V], kind: type[V], model: str) -> V:
    """`variant` itself if it is a `kind`, else the variant of that name in `named`.

    Raises
    ------
    ValueError
        Neither: the message names `model`'s variants.

    Examples
    --------
    >>> resolve_variant("b", {"a": 1, "b": 2}, int, "M")
    2
    >>> resolve_variant("c", {"a": 1, "b": 2}, int, "M")
    Traceback (most recent call last):
    ...
    ValueError: unknown M variant 'c'; choose a or b, or a int
    """
    if isinstance(variant, kind):
        return variant
    if isinstance(variant, str) and variant in named:
        return named[variant]
    raise ValueError(
        f"unknown {model} variant {variant!r}; choose {' or '.join(named)}, or a {kind.__name__}"
    )
