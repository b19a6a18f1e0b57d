"""The version of this generated package."""

__version__ = "9.8.7"
