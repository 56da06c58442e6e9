"""The browser shell: layout, navigation, sign-in, home and static files."""
