"""Accounts: users, roles, log-in and the permission decorators every blueprint uses."""
