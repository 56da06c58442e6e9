"""Users, roles, country scope and the tokens they sign in with."""
