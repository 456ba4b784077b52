"""Geography: alert areas, the service area and (later) H3 cell covers. Pure: numbers in, numbers out."""
