"""storygen: composite narratives from coded interview excerpts."""

__version__ = "0.1.0"
