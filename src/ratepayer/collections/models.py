"""Collections data: policy records, notices, service orders, arrangements, contracts,
write-offs. Workflows live in actions.py."""
