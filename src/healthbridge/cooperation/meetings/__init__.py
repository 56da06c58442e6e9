"""Meetings of the dialogue channel: series, sessions, participants, agendas and documents."""
