"""Each country's progress toward universal health coverage: indicators by year."""
