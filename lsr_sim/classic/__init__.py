"""Classic negotiation models, verified against their published and analytic results."""
