from ratepayer.locale_formats.us import *  # noqa: F403 - U.S. formats in every language
