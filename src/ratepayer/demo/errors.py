"""Errors of the demo builder, worded for the operator running the command."""


class DemoError(Exception):
    pass
