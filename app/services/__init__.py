"""Qt services: QObjects (no widgets) that run ``app.ews`` calls through ``app.tasks`` and report by signals.

- :mod:`app.services.session`: sign-in, the keyring, remembered mailboxes.
- :mod:`app.services.mailboxes`: the mailboxes in the sidebar and their folder trees.
- :mod:`app.services.mail`: pages of the message list, the reading pane, actions, bulk jobs, new mail.

Views call services; models are fed by them. Services never import views or models.
"""
