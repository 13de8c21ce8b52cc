"""A deterministic cover-letter writer that needs no model and no network.

The letter is assembled from tone-specific templates and from facts found in
the request. Its one hard rule: it never names a skill (from the built-in
vocabulary) that the CV does not name, so everything taken from the job
description is checked against the CV before it is used.
"""

import asyncio
import re
import unicodedata
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from itertools import islice

from worker.writers.base import LetterRequest, Usage, aclose
from worker.writers.skills import find_skills

#: stored on each job as its prompt version; bump it when the templates change
TEMPLATE_VERSION = "offline-1"
MIN_WORDS = 250
MAX_WORDS = 450
_MAX_LISTED_SKILLS = 8
_MAX_FOCUS_SKILLS = 2
_MAX_NAME_WORDS = 8
_MAX_NAME_CHARS = 80
_MAX_ROLE_WORDS = 8
_MAX_COMPANY_WORDS = 6
# Titles and employers are announced near the top; scanning further only
# adds false positives (and time) on very long descriptions.
_HEAD_CHARS = 5000
_MAX_CHUNK_WORDS = 15
_MIN_CHUNK_WORDS = 3
_LONG_PIECE_WORDS = 12


@dataclass(frozen=True, slots=True)
class _Tone:
    opening: str
    skills: str
    focus: str
    no_skills: str
    years: str
    quote: str
    fillers: tuple[str, ...]
    closing: str
    signoff: str


_PROFESSIONAL = _Tone(
    opening=(
        "I am writing to apply for {role} with {company}. Having read the description "
        "carefully, I believe my background is a strong match for what you need, and I "
        "would welcome the chance to contribute to the work ahead."
    ),
    skills="The description asks for several things that my CV already shows: {skills}.",
    focus=(
        "In particular, my experience with {focus} relates directly to the "
        "responsibilities you list, so I could contribute to that work from an early stage."
    ),
    no_skills=(
        "My CV and your description use different vocabulary, so instead of stretching "
        "the match I will describe how I work and why {role} appeals to me. I would be "
        "happy to walk through my background in detail."
    ),
    years=(
        "My CV records {years} of experience, which has given me a practical sense of "
        "how to deliver reliable results."
    ),
    quote='One line from my CV summarises that experience: "{quote}."',
    fillers=(
        "What draws me to {role} is the chance to do careful, useful work alongside "
        "people who care about the results. I value organisations that are clear about "
        "their goals, and your description suggests a team that knows what it wants to "
        "achieve and why it matters.",
        "In my work I try to be dependable and easy to collaborate with. I clarify "
        "expectations early, keep colleagues informed about progress and risks, and "
        "write down decisions so that others can build on them. When problems arise, I "
        "look for the underlying cause rather than a quick patch.",
        "In my first months I would focus on learning how {company} operates: the "
        "people, the priorities and the standards you hold yourselves to. From there I "
        "would take ownership of well-defined tasks, ask for feedback regularly, and "
        "gradually take on more responsibility as I earn your trust.",
        "I am also committed to continuous learning. I regularly review my own work to "
        "see what could be done better, and I welcome constructive feedback from "
        "colleagues at every level. I believe this habit would help me adapt quickly to "
        "your tools, processes and expectations.",
        "Finally, I take pride in treating colleagues, clients and the public with "
        "respect. Good work depends on trust, and I aim to earn it through honesty, "
        "consistency and follow-through on every commitment I make.",
    ),
    closing=(
        "Thank you for considering my application. I would welcome the opportunity to "
        "discuss how I could contribute to {company} and would be glad to provide any "
        "further information you need."
    ),
    signoff="Sincerely,",
)

_FRIENDLY = _Tone(
    opening=(
        "I'm excited to put myself forward for {role} with {company}. Reading through "
        "the description, I kept nodding along, because it sounds like the kind of work "
        "I enjoy and the kind of team I'd love to be part of."
    ),
    skills="Happily, a lot of what you're looking for shows up in my CV too: {skills}.",
    focus=(
        "I've especially enjoyed working with {focus}, and I'd be glad to bring that "
        "hands-on experience to your team right away."
    ),
    no_skills=(
        "Our wording doesn't line up neatly, so rather than stretch things, I'd like to "
        "tell you a bit about how I work and why {role} caught my eye. I'm always happy "
        "to chat through my background in more detail."
    ),
    years=(
        "I've got {years} of experience under my belt, and it's taught me a lot about "
        "getting things done with good humour."
    ),
    quote='If I had to pick one line from my CV that sums me up, it would be this: "{quote}."',
    fillers=(
        "What really draws me to {role} is the people side of it. I do my best work "
        "when I'm part of a friendly, supportive group where everyone pitches in, and "
        "from your description that sounds like exactly the kind of place I'd thrive.",
        "Day to day, I'm the colleague who checks in, shares what I've learned and is "
        "happy to lend a hand when things get busy. I like to keep things clear and "
        "simple, ask questions early, and make sure nobody is left guessing about where "
        "things stand.",
        "In my first few months, I'd want to get to know everyone, listen a lot, and "
        "learn how {company} really works day to day. Once I've found my feet, I'd love "
        "to pick up my own pieces of work and keep improving them with your feedback.",
        "I'm also genuinely curious and I enjoy learning new things. When something is "
        "unfamiliar, I dig in, ask for pointers, and get comfortable with it quickly. I "
        "think that attitude makes settling into a new team a lot smoother for everyone.",
        "Beyond the everyday tasks, I care about making work a good place to be. A kind "
        "word, a quick thank-you and a bit of patience go a long way, and I try to bring "
        "all three with me wherever I go.",
    ),
    closing=(
        "Thanks so much for reading my letter. I'd really love to chat about how I could "
        "help {company}, and I'm happy to share anything else that would be useful."
    ),
    signoff="Warm regards,",
)

_ENTHUSIASTIC = _Tone(
    opening=(
        "I was thrilled to come across {role} with {company}, and I am delighted to "
        "apply! This opportunity lines up wonderfully with what I love doing, and I "
        "would be excited to bring my energy and commitment to your team."
    ),
    skills="Even better, so much of what you are looking for is already part of my CV: {skills}!",
    focus=(
        "I am especially passionate about {focus}, and I can't wait to put that "
        "experience to work on your goals."
    ),
    no_skills=(
        "Our wording may not match word for word, but I am eager to show you what I can "
        "bring! Rather than stretch the truth, I would love to share how I work and why "
        "{role} excites me so much."
    ),
    years=(
        "With {years} of experience behind me, I am bursting with ideas and ready to hit "
        "the ground running."
    ),
    quote='One line from my CV captures my drive perfectly: "{quote}."',
    fillers=(
        "What excites me most about {role} is the chance to make a real difference. I "
        "love work that matters to people, and the goals in your description genuinely "
        "energise me. I would be proud to help {company} reach them.",
        "I bring energy and positivity to everything I do! I dive into challenges with a "
        "can-do attitude, celebrate the wins of the people around me, and stay upbeat "
        "when things get tough, because I believe enthusiasm is contagious and helps the "
        "whole team do its best work.",
        "In my first months I would throw myself into learning everything I can about "
        "{company}: your people, your goals and the way you work. I would be eager to "
        "take on tasks early, ask lots of questions, and start adding value as quickly "
        "as possible.",
        "I love learning, and I am always looking for ways to grow! Every new tool, "
        "process or challenge is a chance to get better, and I approach each one with "
        "curiosity and determination. I would bring that same hunger to learn to your "
        "team every single day.",
        "Above all, I am driven by a desire to do great work with great people. The "
        "prospect of contributing to your mission fills me with excitement, and I would "
        "give this opportunity everything I have.",
    ),
    closing=(
        "Thank you so much for considering my application! I would be absolutely "
        "delighted to talk about how I could contribute to {company}, and I am looking "
        "forward to hearing from you."
    ),
    signoff="With great enthusiasm,",
)

_FORMAL = _Tone(
    opening=(
        "I hereby submit my application for {role} with {company}. Having reviewed the "
        "published requirements with care, I respectfully submit that my background and "
        "conduct would be well suited to the responsibilities of this position."
    ),
    skills=(
        "I note that the advertised requirements include the following, each of which "
        "is documented in my curriculum vitae: {skills}."
    ),
    focus=(
        "I would draw your particular attention to my experience in {focus}, which "
        "corresponds closely to the duties described."
    ),
    no_skills=(
        "Whilst the terminology of the advertisement and that of my curriculum vitae do "
        "not correspond precisely, I shall not overstate my case. I shall instead set "
        "out the manner in which I conduct my work and my reasons for seeking {role}."
    ),
    years=(
        "My curriculum vitae records {years} of experience, during which I have sought "
        "to maintain a consistent standard of diligence."
    ),
    quote='I would refer you to the following statement from my curriculum vitae: "{quote}."',
    fillers=(
        "My interest in {role} arises from a sincere wish to contribute to an "
        "organisation of clear purpose and high standards. I hold that such work demands "
        "diligence, discretion and a proper regard for the interests of all concerned, "
        "and I would endeavour to uphold those principles at all times.",
        "In the conduct of my duties I place great importance upon accuracy, punctuality "
        "and the keeping of proper records. I seek clarification where instructions are "
        "ambiguous, I report progress and difficulties promptly, and I observe "
        "established procedures whilst remaining alert to opportunities to refine them.",
        "Upon appointment, I would devote my initial months to acquainting myself "
        "thoroughly with the policies, procedures and expectations of {company}. "
        "Thereafter, I would assume responsibility for assigned duties and seek regular "
        "guidance to ensure that my work met the required standard.",
        "I regard professional development as a continuing obligation. I undertake to "
        "keep my knowledge current, to reflect upon my own performance, and to receive "
        "guidance from colleagues and superiors with appropriate seriousness.",
        "I would further observe that I conduct myself with integrity in all "
        "professional dealings. I treat confidential matters with discretion, and I "
        "extend courtesy and respect to colleagues, clients and members of the public alike.",
    ),
    closing=(
        "I thank you for your consideration of this application. I should be grateful "
        "for the opportunity to discuss my suitability for the position with {company} "
        "at your convenience, and I remain at your disposal for any further information."
    ),
    signoff="Yours faithfully,",
)

_CONFIDENT = _Tone(
    opening=(
        "I am applying for {role} with {company} because I know I can deliver what you "
        "are looking for. I have read your description closely, and I am confident that "
        "my background makes me a strong hire for this position."
    ),
    skills="Your requirements and my CV line up on the essentials: {skills}.",
    focus=(
        "My work with {focus} is exactly the kind of experience that produces results in "
        "a position like this, and I am ready to apply it immediately."
    ),
    no_skills=(
        "Our descriptions use different terms, and I won't pretend otherwise. What I can "
        "promise is a clear, reliable way of working and a serious commitment to {role}, "
        "which I set out below."
    ),
    years="I bring {years} of experience, and I know how to turn that experience into results.",
    quote='My CV states it directly: "{quote}."',
    fillers=(
        "I want {role} because it is a chance to take real ownership and deliver work "
        "that matters. I set high standards for myself, and I am drawn to teams that "
        "expect a lot from their people. From your description, that is exactly what "
        "you expect.",
        "I take responsibility for outcomes, not just tasks. I set clear priorities, "
        "make decisions with the information available, and explain them plainly. When "
        "something goes wrong, I own it, fix it, and make sure the lesson sticks.",
        "In my first months, I will learn your priorities quickly, build strong working "
        "relationships, and take ownership of meaningful work as early as possible. You "
        "can expect steady, visible progress and honest updates along the way.",
        "I learn fast and I adapt fast. New tools and unfamiliar problems do not slow me "
        "down for long, because I go straight to the people and resources that can get "
        "me up to speed, and then I put what I learn to work.",
        "You will find that I am direct, dependable and easy to work with. I say what I "
        "will do, I do it, and I keep people informed. That is the standard I hold "
        "myself to, and it is the standard I would bring to {company}.",
    ),
    closing=(
        "I am confident that I would be a valuable addition to {company}. I would "
        "welcome the opportunity to discuss how I can contribute, and I look forward to "
        "speaking with you soon."
    ),
    signoff="Best regards,",
)

_TONES: dict[str, _Tone] = {
    "PROFESSIONAL": _PROFESSIONAL,
    "FRIENDLY": _FRIENDLY,
    "ENTHUSIASTIC": _ENTHUSIASTIC,
    "FORMAL": _FORMAL,
    "CONFIDENT": _CONFIDENT,
}
TONE_NAMES: tuple[str, ...] = tuple(_TONES)

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
_COMPANY_TAIL = re.compile(r"[ \t]+[|\u2013\u2014-][ \t]+|[(\[,;]")
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
_PIECE = re.compile(r"[^,.;:!?\n]+[,.;:!?\n]*[ \t]*|[,.;:!?\n]+[ \t]*")
_TOKEN = re.compile(r"\s*\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class _Facts:
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


def _is_visible(ch: str) -> bool:
    # Control, format and surrogate code points would corrupt the stored
    # letter (a lone surrogate cannot even be encoded as UTF-8).
    return ch.isspace() or not unicodedata.category(ch).startswith("C")


def _words(text: str) -> int:
    return len(text.split())


def _truthful(text: str, cv_skills: set[str]) -> bool:
    return set(find_skills(text)).issubset(cv_skills)


def _phrase(raw: str, max_words: int) -> str | None:
    text = " ".join(raw.split()).lstrip(_EDGE_CHARS).rstrip(_EDGE_CHARS + ".")
    if not text or _words(text) > max_words or len(text) > _MAX_NAME_CHARS:
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
    if not 8 <= _words(sentence) <= 28 or len(sentence) > 220:
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


def _gather(request: LetterRequest) -> _Facts:
    job, cv = _text(request.job_description), _text(request.cv_text)
    cv_skills = set(find_skills(cv))
    skills = [skill for skill in find_skills(job) if skill in cv_skills]
    company = clean_name(request.company_name) or _find_company(job, cv_skills)
    return _Facts(
        role=_role_reference(_find_role(job, cv_skills)),
        company=company or "your team",
        greeting=f"Dear {company} Hiring Team," if company else "Dear Hiring Manager,",
        skills=skills[:_MAX_LISTED_SKILLS],
        years=_find_years(cv),
        quote=_find_quote(cv, set(skills), cv_skills),
        applicant=clean_name(request.applicant_name),
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _fields(facts: _Facts) -> dict[str, str]:
    return {
        "role": facts.role,
        "company": facts.company,
        "skills": _join(facts.skills),
        "focus": _join(facts.skills[:_MAX_FOCUS_SKILLS]),
        "years": facts.years or "",
        "quote": facts.quote or "",
    }


def _skills_paragraph(tone: _Tone, facts: _Facts, fields: dict[str, str]) -> str:
    if not facts.skills:
        return tone.no_skills.format_map(fields)
    return f"{tone.skills.format_map(fields)} {tone.focus.format_map(fields)}"


def _evidence_paragraphs(tone: _Tone, facts: _Facts, fields: dict[str, str]) -> list[str]:
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
        total = fixed_words + sum(_words(part) for part in body)
        if total >= MIN_WORDS or total + _words(filler) > MAX_WORDS:
            break
        body.append(filler)
    return body


def _assemble(tone: _Tone, facts: _Facts) -> str:
    fields = _fields(facts)
    signoff = tone.signoff if facts.applicant is None else f"{tone.signoff}\n{facts.applicant}"
    head = [facts.greeting]
    core = [tone.opening.format_map(fields), _skills_paragraph(tone, facts, fields)]
    core += _evidence_paragraphs(tone, facts, fields)
    tail = [tone.closing.format_map(fields), signoff]
    fillers = [filler.format_map(fields) for filler in tone.fillers]
    fixed_words = sum(_words(part) for part in head + tail)
    return "\n\n".join(head + _pad(core, fillers, fixed_words) + tail)


def compose_letter(request: LetterRequest) -> str:
    """The full letter for ``request``: deterministic, 250 to 450 words."""
    tone = _TONES.get(_text(request.tone).strip().upper(), _PROFESSIONAL)
    return _assemble(tone, _gather(request))


def _split_long(piece: str) -> list[str]:
    if _words(piece) <= _MAX_CHUNK_WORDS:
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
        if _words(pending) >= _MIN_CHUNK_WORDS:
            chunks.append(pending)
            pending = ""
    if pending and chunks and _words(chunks[-1] + pending) <= _MAX_CHUNK_WORDS:
        chunks[-1] += pending
    elif pending:
        chunks.append(pending)
    return chunks


class OfflineWriter:
    """Streams a template-built letter, optionally paced like a real model."""

    def __init__(self, *, pace_ms: int = 0) -> None:
        self._delay = max(pace_ms, 0) / 1000

    async def write(self, request: LetterRequest) -> AsyncIterator[str]:
        for index, chunk in enumerate(split_into_chunks(compose_letter(request))):
            # sleep(0) still hands control back to the loop between chunks.
            await asyncio.sleep(self._delay if index else 0)
            yield chunk

    async def write_with_usage(self, request: LetterRequest) -> AsyncIterator[str | Usage]:
        """``write``, then what it can tell: no tokens, so completion tokens are words."""
        chunks = self.write(request)
        written: list[str] = []
        try:
            async for chunk in chunks:
                written.append(chunk)
                yield chunk
        finally:
            await aclose(chunks)
        yield Usage(
            model="offline",
            prompt_version=TEMPLATE_VERSION,
            completion_tokens=len("".join(written).split()),
        )

    async def close(self) -> None:
        return None
