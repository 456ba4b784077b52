"""The HTTP edge: reading requests, shaping responses, and the one mapping from errors to problem documents."""
