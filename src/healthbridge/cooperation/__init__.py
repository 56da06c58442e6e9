"""The health dialogue channel: meetings, commitments, cooperation projects, UHC progress and
capacity building. One sub-package per part, each shaped like a domain."""
