"""Countries, their memberships (ASEAN, ASEAN Plus Three) and first-level subdivisions."""
