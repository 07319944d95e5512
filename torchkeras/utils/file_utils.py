"""Writing files so that a failed save never destroys the file that was there before."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(filepath, suffix=""):
    """Yields the path of a new, empty temporary file in `filepath`'s folder; when the block finishes, the
    temporary file is renamed over `filepath` (with the mode `open()` would give a new file). If the block
    raises, the temporary file is removed and `filepath` is left as it was.

    Args:
        filepath: The file to (re)write.
        suffix: The temporary file's suffix (some writers choose their format by it).
    """
    directory = os.path.dirname(os.path.abspath(filepath))
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=directory)
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, filepath)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def default_file_mode():
    """The mode `open()` would give a new file (mkstemp's files are private to their owner)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
