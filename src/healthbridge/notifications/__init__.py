"""Outgoing e-mail: an outbox that other domains queue into, and its delivery over SMTP."""
