"""The one place that assembles the Schema from the resolvers."""

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import create_type

from core.settings import Settings
from resolvers.mutations.cancel_job import cancel_job
from resolvers.mutations.create_cover_letter import create_cover_letter
from resolvers.mutations.delete_account import delete_account
from resolvers.mutations.delete_job import delete_job
from resolvers.mutations.login import login
from resolvers.mutations.register import register
from resolvers.mutations.retry_job import retry_job
from resolvers.queries.job import job
from resolvers.queries.jobs import jobs
from resolvers.queries.me import me
from resolvers.subscriptions.job_events import job_events
from resolvers.subscriptions.my_jobs import my_jobs
from schema.guards import guards
from schema.masking import ErrorMasking
from schema.served import ServedSchema
from schema.sharing import SharedResults, sharing_executor

Query = create_type("Query", [me, job, jobs])
Mutation = create_type(
    "Mutation",
    [register, login, create_cover_letter, cancel_job, retry_job, delete_job, delete_account],
)
Subscription = create_type("Subscription", [job_events, my_jobs])

schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)


def build_schema(settings: Settings, shared: SharedResults) -> strawberry.Schema:
    """The served schema: the same types, with this deployment's limits on every operation.

    Subscription events are executed once for all subscribers with the same document and
    variables, through ``shared``; every result's errors are masked (``schema.masking``).
    """
    return ServedSchema(
        masking=ErrorMasking(hide_suggestions=not settings.introspection_enabled),
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=guards(settings),
        execution_context_class=sharing_executor(shared),
        # "Did you mean …" hints describe the schema, as introspection does.
        config=StrawberryConfig(disable_field_suggestions=not settings.introspection_enabled),
    )


def export_sdl() -> str:
    return schema.as_str() + "\n"
