"""The ideas service layer: the use cases, each one unit of work."""
