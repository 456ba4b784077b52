"""Use cases of the alert lifecycle: create, update, cancel. No AWS calls here."""
