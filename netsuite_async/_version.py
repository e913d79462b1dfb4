"""Version of the netsuite-async distribution."""

__version__ = "0.1.0"
