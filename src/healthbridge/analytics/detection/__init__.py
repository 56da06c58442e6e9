"""Outbreak detection kernels over whole arrays (series × weeks), each matching its reference
method in R's ``surveillance`` package."""
