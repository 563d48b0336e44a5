"""Collections' state-changing operations, one module per part of the app."""
