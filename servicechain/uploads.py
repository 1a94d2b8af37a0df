"""Uploaded files are held on disk only up to the upload limit (`SERVICECHAIN_MAX_UPLOAD_MB`).

Django spools every file of a multipart body to a temporary file before any view runs, and
`DATA_UPLOAD_MAX_MEMORY_SIZE` does not cover files, so without this handler anybody holding a
CSRF cookie could fill the disk with one request. Past the limit the handler stops storing the
file but keeps counting its bytes: the file's `size` is the size that was sent, and whoever
takes the upload (`org.services.import_upload`, the one place uploads are read) refuses it by
size with a message naming the limit, instead of the file vanishing from the request.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start < settings.MAX_UPLOAD_BYTES:
            self.file.write(raw_data)
