"""The local stack: AWS emulated by moto server, the API served by `chalice local`. Never deployed code paths."""
