"""Per-message EWS errors raised by handlers and turned into ``ResponseClass="Error"`` messages."""

from __future__ import annotations


class EwsError(Exception):
    """One response message's error: its ``ResponseCode`` (a ``m:ResponseCodeType`` value) and text."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or _DEFAULT_TEXT.get(code, code)


_DEFAULT_TEXT = {
    "ErrorAccessDenied": "Access is denied. Check credentials and try again.",
    "ErrorFolderNotFound": "The specified folder could not be found in the store.",
    "ErrorItemNotFound": "The specified object was not found in the store.",
    "ErrorNonExistentMailbox": "No mailbox with such guid.",
    "ErrorSendAsDenied": "The user account which was used to submit this request does not have the right to send "
                         "mail on behalf of the specified sending account.",
    "ErrorInvalidIdMalformed": "Id is malformed.",
    "ErrorIrresolvableConflict": "The send or update operation could not be performed because the change key passed "
                                 "in the request does not match the current change key for the item.",
    "ErrorDeleteDistinguishedFolder": "Distinguished folders cannot be deleted.",
    "ErrorFolderExists": "A folder with the specified name already exists.",
    "ErrorInvalidOperation": "The operation is not valid for this object.",
    "ErrorMoveDistinguishedFolder": "Distinguished folders cannot be moved.",
    "ErrorCannotDeleteObject": "The object could not be deleted.",
}


def not_found(kind: str = "item") -> EwsError:
    return EwsError("ErrorFolderNotFound" if kind == "folder" else "ErrorItemNotFound")


def access_denied(message: str | None = None) -> EwsError:
    return EwsError("ErrorAccessDenied", message)
