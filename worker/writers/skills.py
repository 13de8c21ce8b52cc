"""A built-in skill vocabulary and a fast matcher for it.

Skills are stored in their display spelling ("PostgreSQL", "patient care");
matching is case-insensitive, on word boundaries, and treats any run of
spaces, newlines or hyphens between the words of a skill as one separator.
"""

import re
from collections.abc import Iterable

_SOFTWARE = """
    Python, Java, JavaScript, TypeScript, C++, C#, Golang, Rust, Ruby, PHP, Kotlin,
    Swift, Scala, Perl, Haskell, Elixir, Clojure, MATLAB, SQL, NoSQL, PostgreSQL, MySQL,
    SQLite, MongoDB, Redis, Cassandra, Elasticsearch, DynamoDB, GraphQL, REST APIs,
    microservices, React, React Native, Angular, Vue.js, Node.js, Django, Flask,
    FastAPI, Spring Boot, Ruby on Rails, .NET, ASP.NET, HTML, CSS, Tailwind CSS, jQuery,
    Redux, Next.js, AWS, Azure, GCP, Google Cloud, Docker, Kubernetes, Terraform,
    Ansible, Jenkins, GitHub Actions, GitLab, GitHub, Git, CI/CD, Linux, Bash,
    PowerShell, DevOps, site reliability engineering, observability, Prometheus,
    Grafana, unit testing, test automation, Selenium, Cypress, Agile, Scrum, Kanban,
    Jira, Confluence, system design, distributed systems, cybersecurity,
    penetration testing, network security, TCP/IP, iOS, Android, Flutter,
    embedded systems, firmware, Serverless, RabbitMQ, gRPC, WebAssembly,
    object-oriented programming
"""

_DATA = """
    ETL, ELT, data pipelines, data modeling, data warehousing, data engineering,
    data analysis, data visualization, data science, data governance, data quality,
    machine learning, deep learning, natural language processing, NLP, computer vision,
    statistics, A/B testing, Pandas, NumPy, scikit-learn, TensorFlow, PyTorch, Tableau,
    Power BI, Looker, Excel, Google Sheets, Snowflake, BigQuery, Redshift, Databricks,
    Spark, PySpark, Kafka, Airflow, dbt, Hadoop, Hive, Flink, SAS, SPSS, Stata, Alteryx,
    predictive modeling, time series analysis, MLOps, large language models,
    data mining, business intelligence
"""

_HEALTHCARE = """
    patient care, patient assessment, patient education, medication administration,
    wound care, triage, IV therapy, phlebotomy, vital signs, BLS, ACLS, PALS, CPR,
    first aid, EHR, electronic health records, Epic, Cerner, infection control,
    critical care, ICU, emergency care, telemetry, oncology, pediatrics, geriatrics,
    palliative care, care planning, discharge planning, HIPAA, clinical documentation,
    catheterization, ventilator management, acute care, mental health, case management,
    dementia care, medical terminology, nursing, midwifery, physical therapy,
    occupational therapy, medical coding, clinical research, pharmacology,
    surgical nursing, home care
"""

_SALES = """
    account management, key account management, business development, lead generation,
    prospecting, cold calling, pipeline management, CRM, Salesforce, HubSpot,
    negotiation, contract negotiation, B2B sales, B2C sales, SaaS sales,
    enterprise sales, inside sales, sales forecasting, customer success,
    solution selling, consultative selling, territory management, upselling,
    cross-selling, customer retention, channel sales, LinkedIn Sales Navigator,
    sales strategy, MEDDIC, quota attainment, retail sales, sales operations,
    customer service, Zendesk, conflict resolution, complaint handling,
    relationship management
"""

_TEACHING = """
    lesson planning, curriculum design, curriculum development, classroom management,
    differentiated instruction, special education, IEP, literacy, numeracy, STEM,
    student assessment, early childhood education, ESL, TEFL, Google Classroom,
    e-learning, instructional design, tutoring, behavior management,
    behaviour management, safeguarding, Montessori, phonics,
    learning management systems, Moodle, Canvas LMS
"""

_FINANCE = """
    accounting, bookkeeping, financial modeling, financial analysis,
    financial reporting, budgeting, forecasting, FP&A, GAAP, IFRS, auditing,
    tax preparation, accounts payable, accounts receivable, payroll, reconciliation,
    QuickBooks, SAP, Xero, NetSuite, risk management, AML, KYC, valuation, CPA, ACCA,
    CFA, equity research, treasury, cash flow management, variance analysis,
    credit analysis, underwriting, portfolio management, regulatory compliance,
    internal controls, Sarbanes-Oxley
"""

_DESIGN = """
    Figma, Adobe XD, Photoshop, Adobe Illustrator, InDesign, After Effects,
    Premiere Pro, Adobe Creative Suite, UX design, UI design, user research,
    wireframing, prototyping, usability testing, design systems, typography, branding,
    graphic design, motion design, interaction design, accessibility,
    information architecture, visual design, product design, video editing, 3D modeling,
    Blender
"""

_OPERATIONS = """
    supply chain management, logistics, inventory management, procurement,
    vendor management, Lean, Six Sigma, process improvement, operations management,
    warehouse management, quality assurance, quality control, ISO 9001,
    health and safety, OSHA, scheduling, project management, program management, PMP,
    PRINCE2, stakeholder management, change management, risk assessment,
    budget management, ERP, demand planning, fleet management, forklift operation,
    facilities management, event planning, root cause analysis
"""

_MARKETING_HR_LEGAL = """
    SEO, SEM, PPC, content marketing, social media marketing, email marketing,
    Google Analytics, Google Ads, copywriting, brand management, market research,
    product marketing, growth marketing, marketing automation, Marketo, Mailchimp,
    public relations, recruiting, talent acquisition, onboarding, employee relations,
    performance management, HRIS, Workday, employment law, legal research, litigation,
    contract drafting, due diligence, GDPR, intellectual property, technical writing,
    public speaking, mentoring, coaching, people management, team leadership,
    product management, roadmapping
"""

_TRADES_AND_SERVICE = """
    food safety, HACCP, food preparation, cash handling, point of sale, bartending,
    AutoCAD, Revit, SolidWorks, CAD, blueprint reading, welding, HVAC, carpentry,
    plumbing, electrical wiring, preventive maintenance, CNC machining, PLC programming,
    Spanish, French, German, Mandarin, Arabic, Portuguese, Japanese, sign language,
    translation
"""


def _parse(block: str) -> list[str]:
    return [item.strip() for item in block.split(",") if item.strip()]


SKILLS: frozenset[str] = frozenset(
    skill
    for block in (
        _SOFTWARE,
        _DATA,
        _HEALTHCARE,
        _SALES,
        _TEACHING,
        _FINANCE,
        _DESIGN,
        _OPERATIONS,
        _MARKETING_HR_LEGAL,
        _TRADES_AND_SERVICE,
    )
    for skill in _parse(block)
)

_SEPARATOR_RX = r"[\s\-]+"
_SEPARATOR = re.compile(_SEPARATOR_RX)
# The only non-ASCII letters Python's IGNORECASE lets match ASCII letters;
# folding them keeps the lookup key in step with what the regex matched.
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def _key(text: str) -> str:
    return _SEPARATOR.sub(" ", text.translate(_ASCII_FOLD).casefold()).strip()


def _pattern(skill: str) -> str:
    words = (re.escape(word) for word in _SEPARATOR.split(skill) if word)
    return _SEPARATOR_RX.join(words)


# A trie of atoms (one lower-case character, or None for a word separator).
_Trie = dict[str | None, "_Trie"]
_END = ""


def _atoms(skill: str) -> list[str | None]:
    atoms: list[str | None] = []
    for index, word in enumerate(w for w in _SEPARATOR.split(skill) if w):
        if index:
            atoms.append(None)
        atoms.extend(word.lower())
    return atoms


def _trie(skills: Iterable[str]) -> _Trie:
    root: _Trie = {}
    for skill in skills:
        node = root
        for atom in _atoms(skill):
            node = node.setdefault(atom, {})
        node[_END] = {}
    return root


def _render(node: _Trie) -> str:
    branches = sorted((atom, child) for atom, child in node.items() if atom and atom != _END)
    alternatives = [re.escape(atom) + _render(child) for atom, child in branches]
    if None in node:
        alternatives.append(_SEPARATOR_RX + _render(node[None]))
    if not alternatives:
        return ""
    body = "(?:" + "|".join(alternatives) + ")"
    # Greedy optional: the longer skill is tried first, the shorter on backtrack.
    return body + "?" if _END in node else body


def _compile(skills: Iterable[str]) -> re.Pattern[str]:
    # One trie-shaped regex: each position is tested against a character
    # class per level instead of against every skill in turn (~10x faster).
    return re.compile(rf"(?<!\w){_render(_trie(skills))}(?!\w)", re.IGNORECASE)


_MATCHER = _compile(SKILLS)
_BY_KEY: dict[str, str] = {_key(skill): skill for skill in SKILLS}
_SINGLE: dict[str, re.Pattern[str]] = {
    skill: re.compile(_pattern(skill), re.IGNORECASE) for skill in SKILLS
}


def _canonical(matched: str) -> str | None:
    found = _BY_KEY.get(_key(matched))
    if found is not None:
        return found
    return next((s for s, rx in _SINGLE.items() if rx.fullmatch(matched)), None)


def find_skills(text: str) -> list[str]:
    """Skills named in ``text``, in order of first appearance, no repeats."""
    seen: dict[str, None] = {}
    for match in _MATCHER.finditer(text):
        skill = _canonical(match.group())
        if skill is not None:
            seen.setdefault(skill, None)
    return list(seen)


def shared_skills(job_description: str, cv_text: str) -> list[str]:
    """Skills named in both texts, in the order the job description names them."""
    in_cv = set(find_skills(cv_text))
    return [skill for skill in find_skills(job_description) if skill in in_cv]
