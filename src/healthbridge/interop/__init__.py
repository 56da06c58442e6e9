"""Formats at the border: IATI XML, the WHO GHO CSV layout, and (later) FHIR, DHIS2, CAP."""
