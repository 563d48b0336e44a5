"""ratepayer — customer information and billing for public utilities."""

__version__ = "0.1.0"
