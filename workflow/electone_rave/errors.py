"""The package's one error base: what a command reports as a single line (the file and the reason).

Every module's error type derives from ElectoneRaveError, so the command line catches one type and
imports no module but this one to do so (a command's code is what its own handler imports).
"""


class ElectoneRaveError(Exception):
    """Bad input or a failed step, reported by `electone-rave <command>` as one line, exit status 1."""


class ConfigError(ElectoneRaveError, ValueError):
    """A configuration that cannot work; the message says which key and why."""


class ImportRunError(ElectoneRaveError, ValueError):
    """A run or a .ts brought in from elsewhere that the workflow cannot use."""
