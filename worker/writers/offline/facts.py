"""What the offline writer may say: facts found in the request, checked against the CV.

Anything taken from the job description that names a skill from the built-in vocabulary
is used only if the CV names that skill too.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from worker.writers.base import LetterRequest
from worker.writers.skills import find_skills, shared_skills

_MAX_LISTED_SKILLS = 8
_MAX_NAME_WORDS = 8
_MAX_NAME_CHARS = 80
_MAX_ROLE_WORDS = 8
_MAX_COMPANY_WORDS = 6
# Titles and employers are announced near the top; scanning further only
# adds false positives (and time) on very long descriptions.
_HEAD_CHARS = 5000

_ROLE_NOUN = re.compile(
    r"\b(?:engineer|developer|programmer|nurse|midwife|paramedic|physician|doctor|"
    r"therapist|pharmacist|technician|technologist|manager|lead|head|director|chief|"
    r"analyst|scientist|designer|architect|teacher|tutor|instructor|lecturer|professor|"
    r"educator|specialist|consultant|coordinator|co-ordinator|representative|rep|"
    r"executive|officer|administrator|accountant|bookkeeper|auditor|controller|"
    r"assistant|associate|intern|trainee|apprentice|advisor|adviser|agent|clerk|writer|"
    r"editor|recruiter|tester|researcher|operator|supervisor|planner|buyer|chef|cook|"
    r"driver|mechanic|electrician|plumber|marketer|strategist|owner|partner|counsel|"
    r"counsellor|counselor|attorney|lawyer|paralegal|worker|carer|caregiver|receptionist|"
    r"secretary|cashier|librarian|producer|photographer|animator|illustrator|"
    r"principal|dentist|hygienist|veterinarian|surveyor|estimator|inspector|"
    r"dispatcher|courier|barista|bartender|server|steward|stewardess|pilot)s?\b",
    re.IGNORECASE,
)
_LABELLED_ROLE = re.compile(
    r"^[ \t]*(?:job[ \t]+title|position|role|title|vacancy|opening)[ \t]*[:\-\u2013\u2014][ \t]*"
    r"(?P<text>[^\n]{1,160})",
    re.IGNORECASE | re.MULTILINE,
)
_HIRING_ROLE = re.compile(
    r"\b(?:hiring|looking[ \t]+for|seeking|recruiting|join[ \t]+us[ \t]+as)[ \t]+"
    r"(?:(?:an?|the|our|our[ \t]+next)[ \t]+)?(?P<text>[^\n.,;:!?()]{2,80}?)"
    r"(?=[ \t]+(?:to|who|with|at|in|for|that|on|based|and|join|will)\b|[\n.,;:!?()]|$)",
    re.IGNORECASE,
)
_LEADING_ADJECTIVES = re.compile(
    r"^(?:(?:experienced|talented|passionate|motivated|skilled|dedicated|driven|"
    r"enthusiastic|dynamic|highly|exceptional|outstanding|new|brilliant)[ \t]+)+",
    re.IGNORECASE,
)
_AT_COMPANY = re.compile(r"[ \t]+(?:at|@)[ \t]+", re.IGNORECASE)
_ROLE_TAIL = re.compile(r"[ \t]+[|\u2013\u2014-][ \t]+|[(\[]")
#: where a company's name ends: a separator, a bracket, a comma, or its sentence ("Backend
#: Engineer at Globex. Go, Postgres." named "Globex. Go")
_COMPANY_TAIL = re.compile(r"[ \t]+[|\u2013\u2014-][ \t]+|[(\[,;]|[.!?](?=\s)")
_NAME = r"[A-Z][\w&'.-]*(?:[ \t]+(?:&[ \t]+)?[A-Z][\w&'.-]*){0,4}"
_COMPANY_PATTERNS = (
    re.compile(
        r"^[ \t]*(?:company|employer|organi[sz]ation|hiring[ \t]+company)[ \t]*[:\-\u2013\u2014]"
        r"[ \t]*(?P<text>[^\n]{1,100})",
        re.IGNORECASE | re.MULTILINE,
    ),
    re.compile(rf"^[ \t]*About[ \t]+(?P<text>{_NAME})[ \t]*:?[ \t]*$", re.MULTILINE),
    re.compile(
        rf"(?<![\w.])(?P<text>{_NAME})[ \t]+(?:is|are)[ \t]+"
        r"(?:hiring|looking|seeking|recruiting|growing)\b"
    ),
    re.compile(rf"\b(?:[Jj]oin|At)[ \t]+(?P<text>{_NAME})(?=[ \t]*[,!.]|[ \t]+(?:and|we)\b)"),
)
_NOT_COMPANY = frozenset(
    "we our the this that you your us a an it they join about at remote hybrid".split()
)
_EDGE_CHARS = " \t-\u2013\u2014:|,;!?\"'()[]*•·"
_YEARS = re.compile(
    r"(?<![\w.])(?P<n>[0-9]{1,2})(?P<plus>\+?)[ \t]*(?:years?|yrs?)\b['\u2019]?"
    r"(?:[ \t]+of)?(?:[ \t]+[^\W\d_]+){0,4}?[ \t]+(?:experience|expertise)\b",
    re.IGNORECASE,
)
# A line break followed by a lower-case word is a wrapped line, not a new sentence.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n(?![ \t]*[a-z])")
_BULLETS = " \t•·▪◦‣*->\u2013\u2014"
# Labels ("Skills:"), quotes, markup and e-mail addresses make poor quotations.
_QUOTE_CHARS = frozenset('"“”«»„{}<>@\\:|')
_MAX_QUOTE_COMMAS = 3
_MIN_QUOTE_CHARS = 15  # eight words cannot fit in fewer


@dataclass(frozen=True, slots=True)
class Facts:
    role: str
    company: str
    greeting: str
    skills: list[str]
    years: str | None
    quote: str | None
    applicant: str | None


def clean_name(value: str | None) -> str | None:
    """The form in which a user-supplied name appears in the letter, if at all."""
    if not isinstance(value, str):
        return None
    words = ("".join(filter(_is_visible, word)) for word in value.split())
    kept = list(islice(filter(None, words), _MAX_NAME_WORDS))
    name = " ".join(kept)[:_MAX_NAME_CHARS].strip()
    return name if any(ch.isalnum() for ch in name) else None


#: format characters that reorder the text around them (embeddings, overrides, isolates)
_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_visible(ch: str) -> bool:
    # Control and surrogate code points would corrupt the stored letter (a lone surrogate
    # cannot even be encoded as UTF-8), and a bidirectional override would reorder the
    # letter after the name. Other format characters are part of how a name is written:
    # a zero-width joiner makes 👩‍👧 one emoji, a non-joiner spells Persian.
    if ch.isspace():
        return True
    category = unicodedata.category(ch)
    if category == "Cf":
        return ch not in _REORDERING
    return not category.startswith("C")


def _truthful(text: str, cv_skills: set[str]) -> bool:
    return set(find_skills(text)).issubset(cv_skills)


def _phrase(raw: str, max_words: int) -> str | None:
    text = " ".join(raw.split()).lstrip(_EDGE_CHARS).rstrip(_EDGE_CHARS + ".")
    if not text or word_count(text) > max_words or len(text) > _MAX_NAME_CHARS:
        return None
    if not all(_is_visible(ch) for ch in text) or not any(ch.isalpha() for ch in text):
        return None
    return text


def _role_phrase(raw: str, need_noun: bool) -> str | None:
    text = _ROLE_TAIL.split(_AT_COMPANY.split(raw, maxsplit=1)[0], maxsplit=1)[0]
    role = _phrase(_LEADING_ADJECTIVES.sub("", text.strip()), _MAX_ROLE_WORDS)
    if role is None or (need_noun and not _ROLE_NOUN.search(role)):
        return None
    return role.title() if role == role.lower() else role


def _company_phrase(raw: str) -> str | None:
    company = _phrase(_COMPANY_TAIL.split(raw, maxsplit=1)[0], _MAX_COMPANY_WORDS)
    if company is None or company.split()[0].casefold() in _NOT_COMPANY:
        return None
    return company


def _first_line(text: str) -> str:
    return next((line for line in text[:_HEAD_CHARS].splitlines() if line.strip()), "")


def _role_candidates(head: str) -> Iterable[str | None]:
    for match in _LABELLED_ROLE.finditer(head):
        yield _role_phrase(match["text"], need_noun=False)
    yield _role_phrase(_first_line(head), need_noun=True)
    for match in _HIRING_ROLE.finditer(head):
        yield _role_phrase(match["text"], need_noun=True)


def _find_role(job_description: str, cv_skills: set[str]) -> str | None:
    head = job_description[:_HEAD_CHARS]
    candidates = (role for role in _role_candidates(head) if role is not None)
    return next((role for role in candidates if _truthful(role, cv_skills)), None)


def _company_candidates(head: str) -> Iterable[str | None]:
    parts = _AT_COMPANY.split(_first_line(head), maxsplit=1)
    if len(parts) == 2 and _role_phrase(parts[0], need_noun=True):
        yield _company_phrase(parts[1])
    for pattern in _COMPANY_PATTERNS:
        for match in pattern.finditer(head):
            yield _company_phrase(match["text"])


def _find_company(job_description: str, cv_skills: set[str]) -> str | None:
    head = job_description[:_HEAD_CHARS]
    candidates = (name for name in _company_candidates(head) if name is not None)
    return next((name for name in candidates if _truthful(name, cv_skills)), None)


def _find_years(cv_text: str) -> str | None:
    best: tuple[int, str] | None = None
    for match in _YEARS.finditer(cv_text):
        count = int(match["n"])
        if count > 0 and (best is None or count > best[0]):
            unit = "year" if count == 1 else "years"
            best = (count, f"{match['n']}{match['plus']} {unit}")
    return None if best is None else best[1]


def _quotable(raw: str) -> str | None:
    if len(raw) < _MIN_QUOTE_CHARS:
        return None
    sentence = " ".join(raw.split()).lstrip(_BULLETS).rstrip(".!?;:, ")
    if not 8 <= word_count(sentence) <= 28 or len(sentence) > 220:
        return None
    if not sentence[:1].isalpha() or _QUOTE_CHARS.intersection(sentence):
        return None
    if sentence.count(",") > _MAX_QUOTE_COMMAS:
        return None
    visible = [ch for ch in sentence if not ch.isspace()]
    letters = sum(ch.isalpha() for ch in visible)
    if letters < 0.75 * len(visible) or not all(_is_visible(ch) for ch in visible):
        return None
    return sentence


def _find_quote(cv_text: str, shared: set[str], cv_skills: set[str]) -> str | None:
    best: tuple[int, str] | None = None
    for raw in _SENTENCE_BREAK.split(cv_text):
        sentence = _quotable(raw)
        if sentence is None:
            continue
        named = set(find_skills(sentence))
        score = len(named & shared)
        if score and named <= cv_skills and (best is None or score > best[0]):
            best = (score, sentence)
    return None if best is None else best[1]


def _role_reference(role: str | None) -> str:
    if role is None:
        return "this role"
    last = role.split()[-1].casefold()
    return f"the {role}" if last in {"role", "position", "job", "opening"} else f"the {role} role"


def gather(request: LetterRequest) -> Facts:
    job, cv = text_of(request.job_description), text_of(request.cv_text)
    cv_skills = set(find_skills(cv))
    skills = shared_skills(job, cv)
    company = clean_name(request.company_name) or _find_company(job, cv_skills)
    return Facts(
        role=_role_reference(_find_role(job, cv_skills)),
        company=company or "your team",
        greeting=f"Dear {company} Hiring Team," if company else "Dear Hiring Manager,",
        skills=skills[:_MAX_LISTED_SKILLS],
        years=_find_years(cv),
        quote=_find_quote(cv, set(skills), cv_skills),
        applicant=clean_name(request.applicant_name),
    )


def text_of(value: object) -> str:
    return value if isinstance(value, str) else ""


def word_count(text: str) -> int:
    return len(text.split())
