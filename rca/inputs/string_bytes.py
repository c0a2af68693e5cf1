"""The bytes of Arrow string arrays read straight from their buffers with numpy: each
string's offsets and first byte, which tell most lines' kind (a JSON object, a leading
time, a blank line) without a kernel pass. Below the readers and the timestamp layer, which
both ask them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Bytes a line of only white space can start with (its first byte; 0 for an empty line).
SPACE_LEADS = np.zeros(256, bool)
SPACE_LEADS[[0, *range(9, 14), *range(0x1C, 0x21), 0xC2, 0xE1, 0xE2, 0xE3]] = True


def string_offsets(chunk: pa.Array) -> np.ndarray:
    """A string or binary array's offsets into its data buffer (one more than its length)."""
    wide = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
    return np.frombuffer(chunk.buffers()[1], np.int64 if wide else np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]


def first_bytes(lines: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Each string's first byte (0 for an empty one), read straight from the Arrow buffers."""
    chunks = lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]
    out = []
    for chunk in chunks:
        offsets = string_offsets(chunk)
        data = chunk.buffers()[2]
        body = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
        first = np.zeros(len(chunk), np.uint8)
        filled = offsets[1:] > offsets[:-1]
        first[filled] = body[offsets[:-1][filled]]
        out.append(first)
    return np.concatenate(out) if out else np.zeros(0, np.uint8)
