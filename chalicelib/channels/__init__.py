"""The channels: one module per channel, each a pure ``render`` and a transport ``deliver``/``retract``."""
