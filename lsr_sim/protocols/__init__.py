"""Negotiation protocols, selectable by name in a scenario (globally or per issue).

Examples
--------
>>> protocol_names()  # doctest: +NORMALIZE_WHITESPACE
['offers', 'nash', 'kalai_smorodinsky', 'rubinstein', 'time_based_concession', 'bdm',
 'stokman']
>>> get_protocol("offers").name
'offers'
"""

from __future__ import annotations

from lsr_sim.protocols.base import NegotiationProtocol, RoundResult, Table
from lsr_sim.protocols.classic import CLASSIC_PROTOCOLS
from lsr_sim.protocols.offers import OffersProtocol

__all__ = [
    "NegotiationProtocol",
    "OffersProtocol",
    "RoundResult",
    "Table",
    "get_protocol",
    "protocol_names",
    "register_protocol",
]

_BUILT_IN: tuple[type[NegotiationProtocol], ...] = (OffersProtocol, *CLASSIC_PROTOCOLS)
_REGISTRY: dict[str, type[NegotiationProtocol]] = {cls.name: cls for cls in _BUILT_IN}


def register_protocol(cls: type[NegotiationProtocol]) -> type[NegotiationProtocol]:
    """Register a protocol class under ``cls.name`` (usable as a class decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, NegotiationProtocol)) or not cls.name:
        raise ValueError(f"{cls!r} must subclass NegotiationProtocol and set `name`")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"a protocol named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def protocol_names() -> list[str]:
    """Names of all registered protocols."""
    return list(_REGISTRY)


def get_protocol(name: str) -> NegotiationProtocol:
    """A new instance of the protocol registered under `name` (KeyError if none)."""
    return _REGISTRY[name]()
