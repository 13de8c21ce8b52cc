"""The media type a GraphQL answer goes out in: GraphQL over HTTP's own for a client that
asks for it, plain JSON for every other, as before.

Apollo Client 4 reads the body of a non-2xx answer only in
``application/graphql-response+json``: a refusal in plain JSON (a mutation over GET, a body
over the limit) reached it as a bare status code, without the contract's error code.
"""

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
#: how ``GRAPHQL_RESPONSE_JSON`` is labelled on the wire (GraphQL over HTTP asks for UTF-8)
GRAPHQL_RESPONSE_CONTENT_TYPE = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
#: ranges that take in plain JSON besides its own name
_JSON_RANGES = (JSON, "application/*", "*/*")


def answer_media_type(accept: str | None) -> str:
    """``GRAPHQL_RESPONSE_JSON`` when ``accept`` (a request's Accept header) ranks it at
    least as high as plain JSON, else ``JSON``."""
    if not accept or GRAPHQL_RESPONSE_JSON not in accept.lower():
        return JSON  # the common case, without reading the header's weights
    weights = _weights(accept)
    own = weights.get(GRAPHQL_RESPONSE_JSON, 0.0)
    plain = max(weights.get(media_range, 0.0) for media_range in _JSON_RANGES)
    return GRAPHQL_RESPONSE_JSON if own > 0 and own >= plain else JSON


def _weights(accept: str) -> dict[str, float]:
    """Each media range of an Accept header with its ``q`` (1 when it names none)."""
    weights: dict[str, float] = {}
    for item in accept.lower().split(","):
        media_range, *parameters = item.split(";")
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        media_range = media_range.strip()
        weights[media_range] = max(weights.get(media_range, 0.0), weight)
    return weights
