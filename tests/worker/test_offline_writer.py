"""The offline writer: letters that fit the request, in every tone, and never overclaim."""

import asyncio
import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.writers.base import LetterRequest, Writer
from worker.writers.offline import (
    MAX_WORDS,
    MIN_WORDS,
    TONE_NAMES,
    OfflineWriter,
    clean_name,
    compose_letter,
    split_into_chunks,
)
from worker.writers.skills import SKILLS, find_skills, shared_skills

NURSE_JD = """Registered Nurse - Medical-Surgical Unit
Riverside General Hospital is hiring a compassionate Registered Nurse to join our
busy 32-bed medical-surgical unit on rotating day and night shifts. You will deliver
safe, evidence-based patient care to adults recovering from surgery and acute
illness. Responsibilities include patient assessment on admission and every shift,
medication administration, wound care and dressing changes, IV therapy, and clear
patient education before discharge. You will document all care in Epic, follow
strict infection control procedures, and work closely with physicians, physical
therapists and case managers on discharge planning. Experience with telemetry
monitoring is a plus.
Requirements: an active RN licence, current BLS and ACLS certification, at least two
years of acute hospital experience, and a calm, caring manner under pressure. We offer
a supportive preceptor programme, paid continuing education, and a unit culture that
values teamwork, respect and patient safety above everything else.
"""

NURSE_CV = """Maria Lopez, RN
Registered Nurse with 6 years of experience on busy adult medical and surgical wards.
Current BLS and ACLS certification; active RN licence.
Experience
Staff Nurse, St. Anne's Hospital, Surgical Ward (2019 to present)
Provided patient care for up to six post-operative patients per shift on a surgical ward.
Carried out patient assessment, medication administration and IV therapy for adults
after major surgery.
Performed wound care, including complex dressings and drain management, and taught
patient education sessions before discharge.
Documented care in Epic and audited charting for the ward's infection control team.
Staff Nurse, Lakeside Care Home (2017 to 2019)
Supported residents with dementia care and palliative care alongside the visiting GP team.
Education
Bachelor of Science in Nursing, State University, 2017.
"""

DATA_JD = """Senior Data Engineer at Acme Analytics
Acme Analytics helps retailers understand demand in real time. We are looking for a
Senior Data Engineer to design, build and own the data pipelines behind our
forecasting products. You will write production Python and SQL every day, orchestrate
batch workflows with Airflow, process large datasets with Spark, and stream events
through Kafka. Our warehouse runs on Snowflake, transformations are managed in dbt,
and everything is deployed to AWS with Terraform and CI/CD pipelines that ship several
times a day. You will own data modeling for new domains, mentor two mid-level
engineers, and work with analysts and product managers to turn loose questions into
reliable datasets.
What we are looking for: at least five years building data platforms, strong Python
and SQL, hands-on experience with Airflow and Spark, comfort with Docker, and a habit
of writing clear design documents. Experience with data quality tooling is a bonus.
"""

DATA_CV = """Daniel Okafor - Data Engineer
Data engineer with 7 years of experience building batch data pipelines for e-commerce
and logistics companies.
Skills: Python, SQL, Airflow, Spark, Snowflake, dbt, AWS, Docker, Kubernetes, data modeling.
Experience
Data Engineer, ShopWave (2020 to present)
Built and maintained 40 Airflow pipelines in Python and SQL that load 2 TB of order data
into Snowflake every day.
Rewrote the nightly Spark jobs on AWS, cutting processing time from five hours to under one hour.
Introduced dbt and data modeling conventions adopted by three analytics teams.
Data Engineer, RouteFast (2017 to 2020)
Packaged ingestion services with Docker and ran them on Kubernetes.
Education
BSc Computer Science, University of Lagos, 2017.
"""

SALES_JD = """Position: Enterprise Sales Lead
Northwind Software sells workforce planning software to mid-sized and large
manufacturers. We are hiring an Enterprise Sales Lead to own a territory of strategic
accounts and grow our share of the European market. You will run the full sales cycle,
from prospecting and lead generation through discovery, demos and contract
negotiation, and keep a clean, honest pipeline in Salesforce. You will be responsible
for account management of our top twenty customers, accurate forecasting every month,
and close partnership with marketing and customer success.
We are looking for someone with a proven record in B2B sales, ideally SaaS sales, who
is comfortable with long sales cycles and multiple stakeholders. Experience with
HubSpot, MEDDIC and business development in new regions is a plus. You should enjoy
coaching junior account executives and be willing to travel up to a week per month.
"""

SALES_CV = """Priya Shah
Enterprise account executive with 9 years of experience in enterprise sales and B2B sales
of software to manufacturing and logistics companies.
Experience
Senior Account Executive, Fabrico Systems (2018 to present)
Exceeded annual quota four years in a row through disciplined pipeline management in Salesforce.
Led account management for twelve strategic customers and grew their annual contract
value by 35 percent.
Ran negotiation on multi-year renewals and ran monthly forecasting reviews with the sales director.
Account Executive, Telvio (2015 to 2018)
Built a new territory through prospecting, cold calling and lead generation events.
Education
BA Economics, University of Leeds, 2015.
"""

PROFESSIONS = {
    "nurse": (NURSE_JD, NURSE_CV, "Riverside General Hospital", "Registered Nurse"),
    "data": (DATA_JD, DATA_CV, None, "Senior Data Engineer"),
    "sales": (SALES_JD, SALES_CV, "Northwind Software", "Enterprise Sales Lead"),
}
ALL_CV_SKILLS = {name: set(find_skills(cv)) for name, (_, cv, _, _) in PROFESSIONS.items()}


def _request(
    profession: str, tone: str = "PROFESSIONAL", applicant: str | None = None
) -> LetterRequest:
    job, cv, company, _ = PROFESSIONS[profession]
    return LetterRequest(job, cv, tone, company_name=company, applicant_name=applicant)


def _words(text: str) -> int:
    return len(text.split())


def _huge_request(tone: str) -> LetterRequest:
    job = (DATA_JD * 200)[:20_000]
    cv = ((DATA_CV + "Zürich ünïcødé 数据工程师 — ✓ 🚀\n") * 400)[:50_000]
    return LetterRequest(job, cv, tone, applicant_name="Daniel Okafor")


# --- the skill vocabulary -------------------------------------------------------------


def test_skill_vocabulary_is_large_and_each_entry_finds_itself() -> None:
    assert len(SKILLS) >= 300
    assert all(find_skills(skill) == [skill] for skill in SKILLS)


def test_find_skills_is_case_insensitive_ordered_and_word_bounded() -> None:
    text = "PYTHON and machine-learning; react native apps. Javanese food, Reacting, python again"
    assert find_skills(text) == ["Python", "machine learning", "React Native"]
    assert find_skills("Patient\ncare and ACCOUNT  management") == [
        "patient care",
        "account management",
    ]
    assert find_skills("C++, C#, .NET and Node.js") == ["C++", "C#", ".NET", "Node.js"]


def test_shared_skills_follow_the_job_description_order() -> None:
    job = "We need Kafka, SQL and patient care. Python is a plus."
    cv = "Python developer. Strong SQL. Some patient care volunteering."
    assert shared_skills(job, cv) == ["SQL", "patient care", "Python"]


def test_find_skills_is_fast_on_a_large_cv() -> None:
    cv = (DATA_CV * 60)[:50_000]
    started = time.monotonic()
    find_skills(cv)
    # Generous bound: a behaviour check that matching is linear, not a benchmark.
    assert time.monotonic() - started < 0.25


# --- letters about the right job -------------------------------------------------------


def test_each_letter_is_about_its_own_role_company_and_skills() -> None:
    for profession, (job, cv, company, role) in PROFESSIONS.items():
        letter = compose_letter(_request(profession))
        named = set(find_skills(letter))
        assert role in letter, profession
        assert (company or "Acme Analytics") in letter, profession
        shared = shared_skills(job, cv)
        assert len(shared) >= 5, profession
        assert set(shared[:5]) <= named, profession
        others = set().union(*ALL_CV_SKILLS.values()) - ALL_CV_SKILLS[profession]
        assert not named & others, profession
        assert named <= ALL_CV_SKILLS[profession], profession


def test_skills_wanted_by_the_job_but_missing_from_the_cv_are_not_claimed() -> None:
    missing = {
        "nurse": ["telemetry", "discharge planning"],
        "data": ["Kafka", "Terraform", "CI/CD", "data quality"],
        "sales": ["HubSpot", "MEDDIC", "SaaS sales", "customer success"],
    }
    for profession, skills in missing.items():
        for tone in TONE_NAMES:
            letter = compose_letter(_request(profession, tone)).casefold()
            assert not [skill for skill in skills if skill.casefold() in letter], profession


def test_years_of_experience_and_a_quote_come_from_the_cv() -> None:
    letter = compose_letter(_request("data", "PROFESSIONAL"))
    assert "7 years" in letter
    quoted = re.findall(r'"([^"]+)\."', letter)
    assert quoted and all(sentence in " ".join(DATA_CV.split()) for sentence in quoted)
    assert set(re.findall(r"\d+", letter)) <= set(re.findall(r"\d+", DATA_CV))


def test_role_and_company_are_found_in_common_phrasings() -> None:
    cases = {
        "Job title: Physics Teacher\nWe teach.": "Physics Teacher",
        "Role: Staff Accountant\n": "Staff Accountant",
        "About us\nWe are hiring a warehouse supervisor to run nights.": "Warehouse Supervisor",
        "Our clinic is looking for an experienced Dental Hygienist, based in Leeds.": (
            "Dental Hygienist"
        ),
    }
    for job, role in cases.items():
        assert f"the {role} role" in compose_letter(LetterRequest(job, "cv", "FORMAL"))
    letter = compose_letter(LetterRequest("Greenleaf Foods is hiring a Buyer.", "cv", "FORMAL"))
    assert "Dear Greenleaf Foods Hiring Team," in letter
    job = "Backend Engineer at Globex. Go, Postgres."
    letter = compose_letter(LetterRequest(job, "I write Go against Postgres.", "FORMAL"))
    assert "Dear Globex Hiring Team," in letter, "the company's sentence ends at its period"


def test_role_naming_a_skill_missing_from_the_cv_falls_back_to_this_role() -> None:
    job = "Role: Python Developer\nJoin Acme and build things."
    without = compose_letter(LetterRequest(job, "I write Java services.", "CONFIDENT"))
    assert "Python" not in without and "this role" in without
    with_it = compose_letter(LetterRequest(job, "I write Python services.", "CONFIDENT"))
    assert "the Python Developer role" in with_it


# --- length, tone, determinism, names --------------------------------------------------


def test_word_count_stays_between_the_bounds() -> None:
    for tone in TONE_NAMES:
        requests = [_request(name, tone) for name in PROFESSIONS]
        requests += [LetterRequest("x", "y", tone), _huge_request(tone)]
        for request in requests:
            assert MIN_WORDS <= _words(compose_letter(request)) <= MAX_WORDS, tone
    assert (MIN_WORDS, MAX_WORDS) == (250, 450)


def test_huge_inputs_are_handled_quickly() -> None:
    started = time.monotonic()
    letter = compose_letter(_huge_request("CONFIDENT"))
    assert time.monotonic() - started < 1.0
    assert "Senior Data Engineer" in letter


def test_each_tone_writes_a_different_letter_and_repeats_are_identical() -> None:
    letters = [compose_letter(_request("nurse", tone)) for tone in TONE_NAMES]
    assert len(set(letters)) == len(TONE_NAMES) == 5
    openings = {letter.split("\n\n")[1] for letter in letters}
    closings = {letter.split("\n\n")[-1] for letter in letters}
    assert len(openings) == len(closings) == 5
    for tone in TONE_NAMES:
        assert compose_letter(_request("sales", tone)) == compose_letter(_request("sales", tone))


def test_unknown_tone_falls_back_to_professional() -> None:
    assert compose_letter(_request("data", "sarcastic")) == compose_letter(_request("data"))
    assert compose_letter(_request("data", " friendly ")) == compose_letter(
        _request("data", "FRIENDLY")
    )


def test_greeting_and_signoff_use_the_names_given() -> None:
    named = compose_letter(_request("sales", "FRIENDLY", applicant="Priya Shah"))
    assert named.startswith("Dear Northwind Software Hiring Team,")
    assert named.endswith("Warm regards,\nPriya Shah")
    anonymous = compose_letter(LetterRequest("We need help.", "I can help.", "FORMAL"))
    assert anonymous.startswith("Dear Hiring Manager,")
    assert anonymous.endswith("Yours faithfully,")
    assert "your team" in anonymous


def test_names_keep_their_joiners_but_lose_controls_and_reordering() -> None:
    # Joiners are how these names are spelled: without them the family emoji fell apart
    # into four and the Persian word was joined into another spelling.
    for name in (
        "Family \U0001f469\u200d\U0001f467 Co",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
    ):
        letter = compose_letter(_request("sales", "FRIENDLY", applicant=name))
        assert letter.endswith("\n" + name)
    assert clean_name("Ada\u202e Lovelace\x07") == "Ada Lovelace"


# --- streaming -------------------------------------------------------------------------


def test_chunks_rebuild_the_text_exactly_and_are_phrase_sized() -> None:
    for tone in TONE_NAMES:
        letter = compose_letter(_request("data", tone, applicant="Daniel Okafor"))
        chunks = split_into_chunks(letter)
        assert "".join(chunks) == letter
        assert len(chunks) > 10
        assert all(_words(chunk) <= 17 for chunk in chunks)
        assert all(_words(chunk) >= 3 for chunk in chunks[:-1])
    odd = "no punctuation at all " * 30 + "\n\n,,;;..!!\n" + "a, b. c; d: e! f? g\n"
    assert "".join(split_into_chunks(odd)) == odd
    assert split_into_chunks("") == []


def _collect(writer: Writer, request: LetterRequest) -> tuple[list[str], float]:
    async def run() -> tuple[list[str], float]:
        started = time.monotonic()
        chunks = [chunk async for chunk in writer.write(request)]
        elapsed = time.monotonic() - started
        await writer.close()
        return chunks, elapsed

    return asyncio.run(run())


def test_offline_writer_streams_the_composed_letter() -> None:
    request = _request("nurse", "ENTHUSIASTIC", applicant="Maria Lopez")
    chunks, _ = _collect(OfflineWriter(), request)
    assert len(chunks) > 1
    assert "".join(chunks) == compose_letter(request)
    assert chunks == split_into_chunks(compose_letter(request))


def test_offline_writer_paces_its_chunks() -> None:
    request = LetterRequest("x", "y", "PROFESSIONAL")
    chunks, elapsed = _collect(OfflineWriter(pace_ms=20), request)
    assert len(chunks) > 1
    assert elapsed >= (len(chunks) - 1) * 0.020


def test_offline_writer_yields_to_the_event_loop_and_stops_when_closed() -> None:
    async def run() -> tuple[int, list[str]]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        stream = OfflineWriter().write(_request("sales"))
        first = [await anext(stream)]
        await stream.aclose()  # type: ignore[attr-defined]
        rest = [chunk async for chunk in stream]
        task.cancel()
        return ticks, first + rest

    ticks, chunks = asyncio.run(run())
    assert ticks > 0
    assert len(chunks) == 1


# --- properties ------------------------------------------------------------------------

_skill_names = st.sampled_from(sorted(SKILLS))
_texts = st.one_of(
    st.text(),
    st.lists(st.one_of(st.text(max_size=30), _skill_names), max_size=15).map(" ".join),
)
_names = st.one_of(st.none(), st.text(max_size=40), _skill_names)


@settings(max_examples=300, deadline=None)
@given(
    job=_texts,
    cv=_texts,
    tone=st.sampled_from(TONE_NAMES),
    company=_names,
    applicant=_names,
)
def test_any_input_gives_a_bounded_letter_that_claims_only_cv_skills(
    job: str, cv: str, tone: str, company: str | None, applicant: str | None
) -> None:
    letter = compose_letter(LetterRequest(job, cv, tone, company, applicant))
    assert MIN_WORDS <= _words(letter) <= MAX_WORDS
    # The names the user typed are printed as given, so a company called
    # "Salesforce" may appear; everything else must be backed by the CV.
    allowed = set(find_skills(cv))
    for name in (clean_name(company), clean_name(applicant)):
        allowed |= set(find_skills(name or ""))
    assert set(find_skills(letter)) <= allowed
    assert letter == compose_letter(LetterRequest(job, cv, tone, company, applicant))


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_chunks_always_rebuild_the_text(text: str) -> None:
    assert "".join(split_into_chunks(text)) == text
