"""A letter cut into phrase-sized chunks, as a model would stream it."""

import re

from worker.writers.offline.facts import word_count

_MAX_CHUNK_WORDS = 15
_MIN_CHUNK_WORDS = 3
_LONG_PIECE_WORDS = 12
_PIECE = re.compile(r"[^,.;:!?\n]+[,.;:!?\n]*[ \t]*|[,.;:!?\n]+[ \t]*")
_TOKEN = re.compile(r"\s*\S+\s*|\s+")


def _split_long(piece: str) -> list[str]:
    if word_count(piece) <= _MAX_CHUNK_WORDS:
        return [piece]
    tokens = _TOKEN.findall(piece)
    step = _LONG_PIECE_WORDS
    return ["".join(tokens[i : i + step]) for i in range(0, len(tokens), step)]


def split_into_chunks(text: str) -> list[str]:
    """Phrase-sized chunks of ``text`` that join back to exactly ``text``."""
    pieces = [part for piece in _PIECE.findall(text) for part in _split_long(piece)]
    chunks: list[str] = []
    pending = ""
    for piece in pieces:
        pending += piece
        if word_count(pending) >= _MIN_CHUNK_WORDS:
            chunks.append(pending)
            pending = ""
    if pending and chunks and word_count(chunks[-1] + pending) <= _MAX_CHUNK_WORDS:
        chunks[-1] += pending
    elif pending:
        chunks.append(pending)
    return chunks
