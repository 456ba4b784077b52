"""Everything that talks to AWS or HTTP."""
