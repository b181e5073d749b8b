"""Administrators' tools: accounts, backup and restore, the audit log viewer and settings."""
