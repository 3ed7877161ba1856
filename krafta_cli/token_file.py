"""A token kept in a file, for a screen that stays logged in: `krafta board --token-file FILE`.

The format (`write_token_file`, what `krafta users device-token -o FILE` writes): UTF-8 text, the bearer
token alone on its first line (a trailing newline and surrounding spaces are allowed), nothing else,
and the file readable by its owner only (mode 0600). A device token lives for months: a file others
can read is refused rather than used, as ssh refuses a private key others can read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from krafta_cli.config import ConfigError

__all__ = ["TokenFileError", "read_token_file", "write_token_file"]

# A token is a few hundred bytes; anything this big is some other file given by mistake.
_MAX_BYTES = 16 * 1024


class TokenFileError(ConfigError):
    """The token file is missing, unreadable, readable by others, or holds no single token."""


def read_token_file(path: Path) -> str:
    """The token in `path`, checked as the module says; `TokenFileError` with one line saying why not."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise TokenFileError(f"no token file {path}") from None
    except OSError as error:
        raise TokenFileError(f"cannot read {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise TokenFileError(f"{path} is not a file")
    if info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise TokenFileError(f"{path} may be read by others (mode {mode:04o}): chmod 600 {path}")
    if info.st_size > _MAX_BYTES:
        raise TokenFileError(f"{path} is not a token file ({info.st_size} bytes)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TokenFileError(f"{path} is not a token file (not UTF-8 text)") from None
    except OSError as error:
        raise TokenFileError(f"cannot read {path}: {error.strerror or error}") from None
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if not lines or not lines[0]:
        raise TokenFileError(f"{path} holds no token (the token alone on its first line)")
    if len(lines) > 1 or any(char.isspace() for char in lines[0]):
        raise TokenFileError(f"{path} holds more than a token (the token alone on its first line)")
    return lines[0]


def write_token_file(path: Path, token: str) -> None:
    """`token` alone on one line in a new file `path`, mode 0600 from its creation (never a moment
    readable by others); an existing file is never replaced (`TokenFileError`)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise TokenFileError(
            f"{path} already exists: choose another file (a token file is never replaced)"
        ) from None
    except OSError as error:
        raise TokenFileError(f"cannot write {path}: {error.strerror or error}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
