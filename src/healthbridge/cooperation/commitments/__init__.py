"""What meetings agreed, requested or pledged, who owes it, and whether it was delivered."""
