"""Sanchika's BPMN engine: the only package that knows SpiffWorkflow.

It reads routes (BPMN processes) and runs them; it knows nothing of offices, files or databases.
"""

from .conditions import UnsafeExpression
from .moving import start_at
from .routes import Problem, Route, RouteInvalid, Step, check_route, lane_id, parse_route
from .runtime import (
    SPIFF_VERSION, Instance, ReadyStep, RouteError, WaitingTimer, clear_cache, complete, dump,
    fire_timer, load,
    ready_steps, start, waiting_timers,
)

__all__ = [
    "SPIFF_VERSION", "Instance", "Problem", "ReadyStep", "Route", "RouteError", "RouteInvalid", "Step",
    "UnsafeExpression", "WaitingTimer", "check_route", "lane_id", "start_at", "clear_cache", "complete", "dump", "fire_timer", "load",
    "parse_route", "ready_steps", "start", "waiting_timers",
]
