"""A form with files, received straight into the folder where its files are kept.

Starlette's own form parsing spools every file to a temporary file before a route sees it, and the route
then copies it: a 6 GB recording took 12 GB of disk while it arrived. Here each file part is written, in
the blocks the browser sends, to its own file in the job's staging folder while its SHA-256 is computed,
so a recording is on disk once. The page token is checked before the first byte of any file is written:
the form's hidden token field comes first (forms send fields in page order), or the request carries it
in its header.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request
from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 64 * 1024
"""A text field's limit (the notes field is the longest a person types)."""
MAX_PARTS = 64
"""More parts than any of the app's forms has: a request with more is not one of them."""


@dataclass(frozen=True)
class ReceivedFile:
    name: str
    """The file's name as the browser sent it (the person's own name for it)."""
    path: Path
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class ReceivedForm:
    fields: dict[str, str]
    files: dict[str, ReceivedFile]
    """Only the file inputs a person chose a file for (an optional input left empty is not here); a
    chosen file can still be empty (size_bytes 0)."""


class _Part:
    def __init__(self):
        self.headers: dict[bytes, bytes] = {}
        self.field = ""
        self.filename: str | None = None
        self.data = bytearray()
        self.out = None
        self.path: Path | None = None
        self.digest = hashlib.sha256()
        self.size = 0


async def receive_form(request: Request, folder: Path, file_fields: tuple[str, ...], max_bytes: int,
                       token: str, token_field: str, refused: str, too_large: str) -> ReceivedForm:
    """Parse a multipart form from the request's stream, writing each file named in `file_fields` to a new
    file in `folder` (0600) as it arrives. Raises HTTPException: 403 `refused` without the page token
    (before any file is written), 413 `too_large` when the files together pass `max_bytes` (reading
    stops there), 400 for a malformed form. Files already written stay in `folder` for the caller to
    remove."""
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise HTTPException(400, "The form was not sent as a form with files; reload the page and try again.")
    fields: dict[str, str] = {}
    files: dict[str, ReceivedFile] = {}
    token_seen = bool(token) and hmac.compare_digest(request.headers.get("x-csrf-token", ""), token)
    received, parts = 0, 0
    part = _Part()
    header_name = header_value = b""

    def check_token() -> None:
        nonlocal token_seen
        sent = fields.get(token_field, "")
        token_seen = token_seen or (bool(token) and bool(sent) and hmac.compare_digest(sent, token))
        if not token_seen:
            raise HTTPException(403, refused)

    def on_part_begin():
        nonlocal part, parts
        parts += 1
        if parts > MAX_PARTS:
            raise HTTPException(400, "The form had more parts than this page's forms have.")
        part = _Part()

    def on_header_field(data, start, end):
        nonlocal header_name
        header_name += data[start:end]

    def on_header_value(data, start, end):
        nonlocal header_value
        header_value += data[start:end]

    def on_header_end():
        nonlocal header_name, header_value
        part.headers[header_name.lower()] = header_value
        header_name = header_value = b""

    def on_headers_finished():
        _, disposition = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.field = disposition.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in disposition:
            part.filename = disposition[b"filename"].decode("utf-8", "replace")
            if part.field in file_fields and part.filename and part.field not in files:
                check_token()
                part.path = folder / f"incoming-{part.field}"
                part.out = open(os.open(part.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")

    def on_part_data(data, start, end):
        nonlocal received
        block = data[start:end]
        if part.filename is None:
            if len(part.data) + len(block) > MAX_FIELD_BYTES:
                raise HTTPException(400, f"The field {part.field!r} is longer than this form allows.")
            part.data += block
        elif part.out is not None:
            received += len(block)
            if received > max_bytes:
                raise HTTPException(413, too_large)
            part.digest.update(block)
            part.size += len(block)
            part.out.write(block)

    def on_part_end():
        if part.filename is None:
            fields[part.field] = part.data.decode("utf-8", "replace")
        elif part.out is not None:
            part.out.close()
            part.out = None
            files[part.field] = ReceivedFile(part.filename, part.path, part.digest.hexdigest(), part.size)

    try:
        parser = MultipartParser(boundary, {
            "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
            "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished})
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except HTTPException:
        raise
    except Exception:  # python-multipart's errors for a body that is not a well-formed form
        raise HTTPException(400, "The form arrived incomplete or damaged; try sending it again.") from None
    finally:
        if part.out is not None:
            part.out.close()
    check_token()
    return ReceivedForm(fields, files)
