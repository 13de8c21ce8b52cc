import strawberry

from core.jobs import Tone


@strawberry.input
class CoverLetterInput:
    job_description: str = strawberry.field(description="1..20000 characters")
    cv_text: str = strawberry.field(description="1..50000 characters")
    tone: Tone = Tone.PROFESSIONAL
    company_name: str | None = strawberry.field(default=None, description="<= 200 characters")
    applicant_name: str | None = strawberry.field(default=None, description="<= 200 characters")
