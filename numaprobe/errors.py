"""Exception types that the CLI turns into one line on stderr and an exit status."""


class NumaprobeError(Exception):
    """Base of every error numaprobe reports to the user instead of a traceback."""

    exit_code = 2


class InputError(NumaprobeError, ValueError):
    """The user's input (a path, a tarball, an option value) cannot be used."""


class UnsafeArchiveError(InputError):
    """A capture archive holds a member that would escape its root or is not a plain file/dir/link."""
