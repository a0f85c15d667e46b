"""evidence: check a recording before anyone relies on it."""

__version__ = "0.1.0"
TOOL_NAME = "evidence"
