"""The `.keras` zip archive, read and written as Keras 3's `saving_lib` lays it out.

An archive holds three members, written uncompressed (`ZIP_STORED`) in this order:

    metadata.json      {"keras_version": ..., "date_saved": ...}
    config.json        the model's `serialize_keras_object` config (compile config included)
    model.weights.h5   the variables, in the `.weights.h5` layout (`weights_file`), plus
                       `optimizer/vars/<i>` when the model is compiled

Members are only ever read by name, never extracted to paths the archive chooses. An uncompressed weights
member is opened in place (h5py reads a window of the archive file), so loading reads every dataset
straight from the archive into its tensor; a compressed one is inflated into memory first. Writing goes
to temporary files in the target's folder and ends with a rename, so a failed save never destroys the
previous file.
"""

import contextlib
import datetime
import io
import json
import os
import struct
import tempfile
import zipfile

import numpy as np

from torchkeras.utils import file_utils

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
NPZ_WEIGHTS_FILENAME = "model.weights.npz"

# The Keras version whose format torchkeras writes; Keras reads archives of any 3.x version.
KERAS_FORMAT_VERSION = "3.15.1"

# A member that declares far more bytes than it stores is a decompression bomb (as Keras's checks).
_BOMB_FLOOR_BYTES = 1 << 32
_BOMB_MAX_EXPANSION = 100

_LOCAL_HEADER = struct.Struct("<4s5H3I2H")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"


def check_keras_extension(filepath, action):
    filepath = os.fspath(filepath)
    if not str(filepath).endswith(".keras"):
        raise ValueError(
            f"Invalid filename for {action}: expected a `.keras` extension. Received: filepath={filepath}"
        )
    return str(filepath)


class _MemberWindow(io.RawIOBase):
    """A read-only, seekable view of bytes `[start, start + size)` of an open file: an uncompressed
    archive member, which h5py can then read like a file of its own."""

    def __init__(self, raw, start, size):
        super().__init__()
        self._raw = raw
        self._start = start
        self._size = size
        self._position = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self._size + offset
        else:
            raise ValueError(f"Invalid whence: {whence}")
        if position < 0:
            raise ValueError(f"Negative seek position {position}")
        self._position = position
        return position

    def readinto(self, buffer):
        view = memoryview(buffer).cast("B")
        count = max(0, min(len(view), self._size - self._position))
        if count == 0:
            return 0
        self._raw.seek(self._start + self._position)
        done = 0
        while done < count:
            read = self._raw.readinto(view[done:count])
            if not read:
                break
            done += read
        self._position += done
        return done

    def read(self, size=-1):
        if size is None or size < 0:
            size = max(0, self._size - self._position)
        buffer = bytearray(size)
        count = self.readinto(buffer)
        return bytes(buffer[:count])


class ArchiveReader:
    """An open `.keras` archive: its members by name, its weights as an `h5py.File`."""

    def __init__(self, filepath, raw, archive):
        self.filepath = filepath
        self._raw = raw
        self._archive = archive

    def names(self):
        return self._archive.namelist()

    def has(self, name):
        try:
            self._archive.getinfo(name)
        except KeyError:
            return False
        return True

    def _info(self, name, what):
        try:
            info = self._archive.getinfo(name)
        except KeyError:
            raise ValueError(
                f"Invalid `.keras` archive {self.filepath}: it has no `{name}` ({what}). A `.keras` file "
                f"holds `{CONFIG_FILENAME}`, `{METADATA_FILENAME}` and `{WEIGHTS_FILENAME}`. Received an "
                f"archive holding {sorted(self.names())[:20]}"
            ) from None
        if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _BOMB_MAX_EXPANSION * info.compress_size:
            raise ValueError(
                f"Not allowed: archive member '{name}' of {self.filepath} declares {info.file_size} bytes but "
                f"stores only {info.compress_size}; refusing to load a potential decompression bomb."
            )
        if info.flag_bits & 0x1:
            raise ValueError(f"Not allowed: archive member '{name}' of {self.filepath} is encrypted.")
        return info

    def read_json(self, name, what):
        """Parses member `name` as JSON (a `ValueError` naming the member when it is not)."""
        info = self._info(name, what)
        try:
            with self._archive.open(info, "r") as member:
                return json.loads(member.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, zipfile.BadZipFile) as error:
            raise ValueError(
                f"Invalid `.keras` archive {self.filepath}: `{name}` is not valid JSON ({error})."
            ) from None

    @contextlib.contextmanager
    def open_weights(self):
        """Yields the weights member as a read-only `h5py.File`."""
        import h5py

        if not self.has(WEIGHTS_FILENAME) and self.has(NPZ_WEIGHTS_FILENAME):
            raise ValueError(
                f"The archive {self.filepath} stores its weights as `{NPZ_WEIGHTS_FILENAME}` "
                "(`weights_format='npz'`), which torchkeras does not read. Re-save it with Keras's "
                f"default h5 weights format."
            )
        info = self._info(WEIGHTS_FILENAME, "the model's weights")
        if info.compress_type == zipfile.ZIP_STORED:
            fileobj = _MemberWindow(self._raw, _member_data_offset(self._raw, info, self.filepath),
                                    info.file_size)
        else:
            with self._archive.open(info, "r") as member:
                fileobj = io.BytesIO(member.read())
        try:
            h5file = h5py.File(fileobj, mode="r")
        except OSError as error:
            raise ValueError(
                f"Invalid `.keras` archive {self.filepath}: `{WEIGHTS_FILENAME}` is not an HDF5 file ({error})."
            ) from None
        try:
            yield h5file
        finally:
            h5file.close()


def _member_data_offset(raw, info, filepath):
    """Where the bytes of an uncompressed member start: after its local header, whose name and extra
    fields may differ in length from the central directory's."""
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise ValueError(f"Invalid `.keras` archive {filepath}: truncated member '{info.filename}'.")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_HEADER_SIGNATURE:
        raise ValueError(f"Invalid `.keras` archive {filepath}: bad local header for member '{info.filename}'.")
    name_length, extra_length = fields[-2], fields[-1]
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


@contextlib.contextmanager
def open_archive(filepath):
    """Opens a `.keras` archive for reading.

    Args:
        filepath: Path of the archive.

    Yields:
        An `ArchiveReader`.

    Raises:
        ValueError: the file does not exist or is not a zip archive.
    """
    filepath = os.fspath(filepath)
    if not os.path.isfile(filepath):
        raise ValueError(
            f"File not found: filepath={filepath}. Please ensure the file is an accessible `.keras` zip file."
        )
    raw = open(filepath, "rb")
    try:
        try:
            archive = zipfile.ZipFile(raw, "r")
        except zipfile.BadZipFile as error:
            raise ValueError(
                f"Invalid `.keras` file {filepath}: expected a zip archive (holding `{CONFIG_FILENAME}`, "
                f"`{METADATA_FILENAME}` and `{WEIGHTS_FILENAME}`); the file is not one ({error})."
            ) from None
        with archive:
            yield ArchiveReader(filepath, raw, archive)
    finally:
        raw.close()


# ------------------------------------------------------------------------------------------------ writing


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(
        f"Cannot save the model: its config holds a value that is not JSON-serializable: {value!r} "
        f"(of type {type(value).__name__}). Make `get_config()` return plain Python values."
    )


def dumps(config):
    """Keras's `json.dumps` of a config (tuples become lists); numpy scalars become Python numbers."""
    return json.dumps(config, default=_json_default)


def metadata():
    from torchkeras import __version__

    return {
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "torchkeras_version": __version__,
    }


def write_archive(filepath, config_json, write_weights):
    """Writes a `.keras` archive atomically.

    Args:
        filepath: Target path (ends in `.keras`).
        config_json: The model's config, as a JSON string.
        write_weights: `fn(h5file)` that fills an empty, open `h5py.File` with the weights.
    """
    import h5py

    directory = os.path.dirname(os.path.abspath(filepath))
    with file_utils.atomic_write(filepath, suffix=".keras") as archive_path:
        handle, weights_path = tempfile.mkstemp(prefix=".tmp-", suffix=".weights.h5", dir=directory)
        os.close(handle)
        try:
            with h5py.File(weights_path, mode="w") as h5file:
                write_weights(h5file)
            with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.writestr(METADATA_FILENAME, json.dumps(metadata()))
                archive.writestr(CONFIG_FILENAME, config_json)
                archive.write(weights_path, WEIGHTS_FILENAME)
        finally:
            os.remove(weights_path)
