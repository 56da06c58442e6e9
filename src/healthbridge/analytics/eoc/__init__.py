"""Decision rules of emergency operations: WHO rapid risk assessment, the IHR (2005) Annex 2
decision instrument and 7-1-7 timeliness, as pure functions over plain values.

See ``docs/methods-eoc.md`` for the rules and their sources.
"""
