"""Notifiable diseases and, with the surveillance issue, case, lab and weekly data."""
