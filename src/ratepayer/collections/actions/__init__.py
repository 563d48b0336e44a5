"""The collections app's state-changing operations, one module per concern."""
