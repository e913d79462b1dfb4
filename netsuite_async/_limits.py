"""NetSuite's paging limits, named once (SuiteQL and record lists share them).

Examples:
    >>> ROW_CAP, MAX_PAGE_SIZE, MAX_PAGES
    (100000, 1000, 1000)
"""

from __future__ import annotations

__all__ = ["MAX_PAGES", "MAX_PAGE_SIZE", "ROW_CAP"]

#: NetSuite's largest page.
MAX_PAGE_SIZE = 1000
#: NetSuite's maximum number of rows one query can page through.
ROW_CAP = 100_000
#: Pages NetSuite lists of one record collection.
MAX_PAGES = 1000
