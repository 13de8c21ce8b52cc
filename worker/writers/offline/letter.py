"""The offline writer's letter: a tone's sentences filled with the request's facts."""

from worker.writers.base import LetterRequest
from worker.writers.offline.facts import Facts, gather, text_of, word_count
from worker.writers.offline.tones import ToneSentences, tone_named

MIN_WORDS = 250
MAX_WORDS = 450
_MAX_FOCUS_SKILLS = 2


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _fields(facts: Facts) -> dict[str, str]:
    return {
        "role": facts.role,
        "company": facts.company,
        "skills": _join(facts.skills),
        "focus": _join(facts.skills[:_MAX_FOCUS_SKILLS]),
        "years": facts.years or "",
        "quote": facts.quote or "",
    }


def _skills_paragraph(tone: ToneSentences, facts: Facts, fields: dict[str, str]) -> str:
    if not facts.skills:
        return tone.no_skills.format_map(fields)
    return f"{tone.skills.format_map(fields)} {tone.focus.format_map(fields)}"


def _evidence_paragraphs(tone: ToneSentences, facts: Facts, fields: dict[str, str]) -> list[str]:
    sentences: list[str] = []
    if facts.years and (facts.quote is None or facts.years not in facts.quote):
        sentences.append(tone.years.format_map(fields))
    if facts.quote:
        sentences.append(tone.quote.format_map(fields))
    return [" ".join(sentences)] if sentences else []


def _pad(core: list[str], fillers: list[str], fixed_words: int) -> list[str]:
    # The first filler always goes in (it says why this role); the rest only
    # as needed to reach the minimum length.
    body = [*core, fillers[0]]
    for filler in fillers[1:]:
        total = fixed_words + sum(word_count(part) for part in body)
        if total >= MIN_WORDS or total + word_count(filler) > MAX_WORDS:
            break
        body.append(filler)
    return body


def _assemble(tone: ToneSentences, facts: Facts) -> str:
    fields = _fields(facts)
    signoff = tone.signoff if facts.applicant is None else f"{tone.signoff}\n{facts.applicant}"
    head = [facts.greeting]
    core = [tone.opening.format_map(fields), _skills_paragraph(tone, facts, fields)]
    core += _evidence_paragraphs(tone, facts, fields)
    tail = [tone.closing.format_map(fields), signoff]
    fillers = [filler.format_map(fields) for filler in tone.fillers]
    fixed_words = sum(word_count(part) for part in head + tail)
    return "\n\n".join(head + _pad(core, fillers, fixed_words) + tail)


def compose_letter(request: LetterRequest) -> str:
    """The full letter for ``request``: deterministic, 250 to 450 words."""
    tone = tone_named(text_of(request.tone))
    return _assemble(tone, gather(request))
