"""Pixels: the child's photo in, clean renditions and channel visuals out. Pure: bytes in, bytes out."""
