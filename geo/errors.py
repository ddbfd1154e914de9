"""The one error type the project raises for bad input.

Every message names the offending file, key or value and says what would be valid, so that the command line can
print it as it is, with a hint to fix it.
"""


class SpilloverError(ValueError):
    """Bad input to sahel-spillover: the message names the value and what would be valid."""
