"""Pick the writer the settings ask for."""

from core.settings import Settings
from worker.writers.base import Writer


def writer_from_settings(settings: Settings) -> Writer:
    if settings.writer == "openai":
        from worker.writers.openai import OpenAIWriter

        return OpenAIWriter.from_settings(settings)
    from worker.writers.offline import OfflineWriter

    return OfflineWriter(pace_ms=settings.writer_pace_ms)
