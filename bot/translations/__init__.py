"""Translations round trip: export a language for translators' tools, import their file back, review status.

``exporting`` (PO and CSV out), ``importing`` (validate, then write only what changed), ``yamledit`` (one string
of a YAML file replaced in place), ``review`` (what native speakers have checked), ``entries`` (the strings and
their places), ``cli`` (``brief-bot translations ...``).
"""
