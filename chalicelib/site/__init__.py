"""The public site's files, rendered pure: the alert pages, the index, active.json and the partner widget."""
