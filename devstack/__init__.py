"""The local stack: AWS emulated by moto server, the API served by `chalice local`. Outside chalicelib/, so it
never ships in a function's zip, and nothing in app.py or chalicelib/ imports it."""
