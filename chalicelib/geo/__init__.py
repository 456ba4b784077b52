"""Geography: the service area, area geometry and H3 cell covers. Pure: numbers in, numbers out; no models."""
