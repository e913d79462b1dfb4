"""NetSuite account ids: parsing, the TBA realm and the hosts derived from them.

NetSuite spells one account several ways (``1234567_SB1`` in the UI, ``1234567-sb1`` in host names). Every
spelling users type is accepted; anything that could smuggle characters into a host name is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Account"]

# Letters, digits, '_' and '-' only: the id becomes part of a host name, so anything else (dots, slashes, '@',
# whitespace) could redirect requests to another host.
_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Account:
    """A validated NetSuite account id and everything derived from it.

    Examples:
        >>> acct = Account.parse("1234567-sb1")
        >>> acct.realm
        '1234567_SB1'
        >>> acct.rest_base_url
        'https://1234567-sb1.suitetalk.api.netsuite.com'
    """

    account_id: str
    """The canonical id: upper case with ``_`` (``1234567_SB1``)."""

    @classmethod
    def parse(cls, value: str | Account) -> Account:
        """Accept ``1234567``, ``1234567_SB1``, ``1234567-sb1``, ``1234567_sb1`` (and the like).

        Surrounding whitespace (a newline read from a file or an environment variable) is trimmed; any other
        character outside letters, digits, ``_`` and ``-`` raises ``ValueError``.

        Examples:
            >>> Account.parse("1234567_sb1").account_id
            '1234567_SB1'
        """
        if isinstance(value, Account):
            return value
        if not isinstance(value, str):
            raise TypeError(f"account must be a str, not {type(value).__name__}")
        text = value.strip()
        if not _ACCOUNT_RE.fullmatch(text) or "--" in text or "__" in text or "_-" in text or "-_" in text:
            raise ValueError(
                f"invalid NetSuite account id {value!r}: use the id from Setup > Company > Company Information, "
                "e.g. '1234567' or '1234567_SB1' (letters, digits, '_' and '-' only)"
            )
        return cls(text.upper().replace("-", "_"))

    @property
    def realm(self) -> str:
        """The OAuth 1.0a realm: the canonical id, upper case (``1234567_SB1``)."""
        return self.account_id

    @property
    def host_slug(self) -> str:
        """The id as it appears in host names: lower case with ``-`` (``1234567-sb1``)."""
        return self.account_id.lower().replace("_", "-")

    @property
    def is_sandbox(self) -> bool:
        """True for sandbox accounts (``_SB1``, ``_SB2`` …)."""
        return "_SB" in self.account_id

    @property
    def rest_base_url(self) -> str:
        """Root of the SuiteTalk REST host (paths start with ``/services/rest``)."""
        return f"https://{self.host_slug}.suitetalk.api.netsuite.com"

    @property
    def restlet_base_url(self) -> str:
        """Root of the RESTlets host."""
        return f"https://{self.host_slug}.restlets.api.netsuite.com"

    @property
    def app_base_url(self) -> str:
        """Root of the UI host, where OAuth 2.0 authorization starts."""
        return f"https://{self.host_slug}.app.netsuite.com"

    def __str__(self) -> str:
        return self.account_id
