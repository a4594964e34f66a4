"""Everything that talks EWS. The only package that imports exchangelib; never imports Qt.

Functions here block on the network: call them through :mod:`app.tasks`, never on the GUI thread.
exchangelib workarounds live here, each tagged ``WORKAROUND for <url or issue>``.
"""
