"""Documents rendered from plain data: situation reports (HTML and PDF, built offline)."""
