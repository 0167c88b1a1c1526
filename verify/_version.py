"""The source tree's version (the installed distribution's metadata wins where it exists)."""
__version__ = "0.1.0"
