"""Capacity building: training programmes, courses, trainees and their completions."""
