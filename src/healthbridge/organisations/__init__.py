"""Organisations: the Secretariat, WHO offices, ministries, agencies and partners."""
