"""Qt item models (folder tree, message list) arrive with the client issue.

Models never touch the network: they take data from tasks and load rows lazily.
"""
