"""How big each scenario runs: the full benchmark, or the smoke mode the test suite runs."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    rounds: int
    #: load-generator processes per client side
    agents: int
    #: B1: clients in flight per agent, seconds per round
    pipeline_slots: int
    pipeline_seconds: float
    #: B2: seconds per round (the rate is half of B1's peak)
    latency_seconds: float
    #: B3/B4: websockets on one API process; fan-out levels; events per burst
    subscribers: int
    idle_first: int
    levels: tuple[int, ...]
    burst: int
    #: B3: the steady rate (events/s to the fan-out job) and how long it lasts
    steady_rate: float
    steady_seconds: float
    #: B3: events for the cost-per-event comparison, their rate, and the slices they are
    #: sent in (each beside an idle slice as long)
    cost_events: int
    cost_rate: float
    cost_slices: int
    #: B5: connections per agent, seconds per round
    polling_connections: int
    polling_seconds: float
    #: B6
    stream_jobs: int
    stream_tokens: int
    stream_rate: float
    profile: bool


FULL = Sizes(
    rounds=3,
    agents=2,
    pipeline_slots=16,
    pipeline_seconds=4,
    latency_seconds=4,
    subscribers=5000,
    idle_first=100,
    levels=(100, 1000, 5000),
    burst=3,
    steady_rate=1.0,
    steady_seconds=3,
    cost_events=1200,
    cost_rate=300,
    cost_slices=8,
    polling_connections=16,
    polling_seconds=4,
    stream_jobs=200,
    stream_tokens=400,
    stream_rate=50,
    profile=True,
)

SMOKE = Sizes(
    rounds=1,
    agents=2,
    pipeline_slots=2,
    pipeline_seconds=1,
    latency_seconds=1,
    subscribers=20,
    idle_first=10,
    levels=(10, 20),
    burst=3,
    steady_rate=4.0,
    steady_seconds=1,
    cost_events=20,
    cost_rate=100,
    cost_slices=2,
    polling_connections=2,
    polling_seconds=1,
    stream_jobs=4,
    stream_tokens=20,
    stream_rate=50,
    profile=False,
)
