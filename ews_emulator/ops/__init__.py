"""SOAP handlers, one module per EWS operation family. Each registers with ``@operation``."""
