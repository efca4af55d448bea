"""lsr_sim: agent-based simulation of multi-party negotiation and trust-building."""
