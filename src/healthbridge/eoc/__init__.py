"""EOC operations: events (suspected or confirmed public-health threats) from signal to closure."""
