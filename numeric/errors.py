"""The one exception type for problems a user can cause (bad data, bad parameters).

The CLI turns it into a one-line message on stderr and exit status 2.
"""


class InputError(ValueError):
    """Invalid user input: the message names what is wrong, in one line."""
