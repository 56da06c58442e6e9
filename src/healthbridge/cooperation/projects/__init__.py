"""Cooperation projects as IATI 2.03 activities, with budgets, transactions and results."""
