"""The training service layer: the use cases, each one unit of work."""
