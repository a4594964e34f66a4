"""Widgets and dialogs. They wire signals and show data; no EWS, no business rules."""
